// Where reply media live and what a message's metadata says of them (chat/reply_media.h), and how
// the media step reads the card and builds a picture's prompt (chat/reply_media_step.h). The turn
// itself runs end to end in tests/server/reply_media_routes_test.cpp, with espeak-ng and the avatars.
#include <gtest/gtest.h>

#include <fstream>

#include "chat/reply_media.h"
#include "chat/reply_media_step.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

store::Message MessageWithMedia(const std::string& metadata) {
  store::Message message;
  message.id = 34;
  message.conversation_id = 12;
  message.metadata_json = metadata;
  return message;
}

TEST(ReplyMediaTest, FilesAreNamedFromTheIdsAndTheTypeNeverFromTheMetadata) {
  const std::filesystem::path dir = "/data/media";
  EXPECT_EQ(*MediaFilePath(dir, 12, 34, 0, "audio/ogg"), dir / "12" / "34-0.opus");
  EXPECT_EQ(*MediaFilePath(dir, 12, 34, 1, "image/png"), dir / "12" / "34-1.png");
  EXPECT_EQ(MediaFilePath(dir, 12, 34, 0, "text/html").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(MediaExtension("../../etc/passwd"), "");
}

TEST(ReplyMediaTest, AStoredFileIsReadBackOnlyThroughItsMetadataEntry) {
  ::troupe::testing::TempDir temp;
  const std::filesystem::path dir = temp / "media";
  const store::Message message =
      MessageWithMedia(R"({"media":[{"kind":"voice","mime_type":"audio/ogg","duration_ms":1200},)"
                       R"({"kind":"picture","error":{"code":"unavailable","message":"down"}},)"
                       R"({"kind":"picture","mime_type":"../x"}]})");
  ASSERT_TRUE(WriteMediaFile(*MediaFilePath(dir, 12, 34, 0, "audio/ogg"), "OggS-bytes").ok());
  Result<MediaFile> voice = ReadMediaFile(dir, message, 0);
  ASSERT_TRUE(voice.ok()) << voice.status().ToString();
  EXPECT_EQ(voice->bytes, "OggS-bytes");
  EXPECT_EQ(voice->mime_type, "audio/ogg");
  EXPECT_EQ(MediaOf(message, 0)->duration_ms, 1200);
  // A failed medium says why and has no file; a type that is not a medium's, no index, no file.
  EXPECT_EQ(MediaOf(message, 1)->error, "unavailable: down");
  Result<MediaFile> failed = ReadMediaFile(dir, message, 1);
  EXPECT_EQ(failed.status().code(), StatusCode::kNotFound);
  EXPECT_NE(failed.status().message().find("down"), std::string::npos);
  EXPECT_EQ(ReadMediaFile(dir, message, 2).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadMediaFile(dir, message, 3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadMediaFile(dir, message, -1).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(ReadMediaFile(dir, MessageWithMedia("not json"), 0).status().code(), StatusCode::kNotFound);
  // Gone from the disk: not found, not a crash.
  std::filesystem::remove(*MediaFilePath(dir, 12, 34, 0, "audio/ogg"));
  EXPECT_EQ(ReadMediaFile(dir, message, 0).status().code(), StatusCode::kNotFound);
  // No temporary file is left beside the written one.
  ASSERT_TRUE(WriteMediaFile(*MediaFilePath(dir, 12, 35, 0, "image/png"), "png").ok());
  size_t files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir / "12")) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);
}

TEST(ReplyMediaTest, TheCardGivesTheVoiceAndTheImagePrompt) {
  internal::CardMediaDefaults defaults = internal::MediaDefaultsOf(
      R"({"troupe":{"voice":{"voice":"en-gb","words_per_minute":160},)"
      R"("generated":{"image_prompt":"a wizard's apprentice","negative_prompt":"blurry"}}})");
  EXPECT_EQ(defaults.voice, "en-gb");
  EXPECT_EQ(defaults.words_per_minute, 160);
  EXPECT_EQ(defaults.image_prompt, "a wizard's apprentice");
  EXPECT_EQ(defaults.negative_prompt, "blurry");
  EXPECT_EQ(internal::MediaDefaultsOf(R"({"troupe":{"voice":"fr","image_prompt":"own"}})").voice, "fr");
  EXPECT_EQ(internal::MediaDefaultsOf(R"({"troupe":{"voice":"fr","image_prompt":"own"}})").image_prompt, "own");
  EXPECT_EQ(internal::MediaDefaultsOf(R"({"troupe":{"voice":{"words_per_minute":9000}}})").words_per_minute, 0);
  EXPECT_EQ(internal::MediaDefaultsOf("[]").voice, "");
}

TEST(ReplyMediaTest, APicturePromptFillsTheStageTemplate) {
  std::vector<store::Message> recent(2);
  recent[0].role = store::MessageRole::kUser;
  recent[0].content = "Where do you live?";
  recent[1].role = store::MessageRole::kAssistant;
  recent[1].content = "In a tower.";
  internal::CardMediaDefaults defaults;
  EXPECT_EQ(internal::PicturePrompt("", defaults, "Pip", "Tim", "Look at my tower!", recent),
            "a picture Pip sends. Look at my tower!");
  defaults.image_prompt = "an apprentice wizard, watercolour";
  EXPECT_EQ(internal::PicturePrompt("", defaults, "Pip", "Tim", "Look!", recent),
            "an apprentice wizard, watercolour. Look!");
  EXPECT_EQ(internal::PicturePrompt("{{char}} shows {{user}}: {{conversation}}", defaults, "Pip", "Tim", "Look!", recent),
            "Pip shows Tim: Tim: Where do you live?\nPip: In a tower.");
  // At most 1,000 bytes, never inside a UTF-8 character.
  const std::string long_text(999, 'a');
  const std::string prompt = internal::PicturePrompt("{{message}}\xC3\xA9\xC3\xA9", defaults, "Pip", "Tim", long_text, {});
  EXPECT_EQ(prompt, long_text);
}

}  // namespace
}  // namespace troupe::chat
