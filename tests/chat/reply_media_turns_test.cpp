// A reply's media in the turn, on the real local engine (stories260K) and a real SQLite store, with
// a ReplyMedia the test holds: a medium in the making holds no turn worker (another conversation's
// turn runs meanwhile on the runtime's only worker), the file and metadata are written, and the
// MediaEvent comes before DoneEvent. Real speech and pictures: tests/server/reply_media_routes_test.
#include <gtest/gtest.h>

#include <algorithm>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <sstream>

#include "chat/runtime.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using nlohmann::json;

// Speaks only when the test opens the gate; says when a call is waiting at it.
class GatedReplyMedia final : public ReplyMedia {
 public:
  Result<MediaContent> Voice(const VoiceRequest& request) override {
    std::unique_lock lock(mutex_);
    texts_.push_back(request.text);
    changed_.notify_all();
    changed_.wait(lock, [&] { return open_; });
    return MediaContent{"OggS:" + request.text, "audio/ogg", 1234};
  }
  Result<MediaContent> Picture(const PictureRequest&) override {
    return Status(StatusCode::kUnavailable, "no pictures here");
  }
  bool WaitForCall() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return !texts_.empty(); });
  }
  void Open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> texts_;  // guarded by mutex_
  bool open_ = false;               // guarded by mutex_
};

TEST(ReplyMediaTurnsTest, AMediumInTheMakingHoldsNoTurnWorkerAndIsStoredBeforeDone) {
  ::troupe::testing::TempDir dir;
  store::StoreOptions store_options;
  store_options.url = "sqlite://" + (dir / "troupe.db").string();
  std::unique_ptr<store::Store> store = std::move(store::Store::Open(store_options)).value();
  ASSERT_TRUE(store->Migrate().ok());
  static std::shared_ptr<llm::LocalModel> model =
      llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value();
  llm::LocalProviderOptions provider_options;
  provider_options.context_length = 512;
  std::unique_ptr<llm::Provider> provider = llm::MakeLocalProvider(model, provider_options).value();

  auto media = std::make_shared<GatedReplyMedia>();
  std::mutex announced_mutex;
  std::vector<int64_t> announced;
  RuntimeOptions options;
  options.worker_threads = 1;
  options.reply_media = media;
  options.media_dir = dir / "media";
  options.on_message_stored = [&](const store::Conversation&, const store::Message& message) {
    std::lock_guard lock(announced_mutex);
    announced.push_back(message.id);
  };
  ChatRuntime runtime(*store, [&](std::string_view) -> Result<llm::Provider*> { return provider.get(); }, options);

  store::User user;
  user.external_id = "tim";
  user = *store->users().Create(user);
  const auto conversation_with = [&](const std::string& media_yaml) {
    store::Character character;
    character.name = "Lily";
    character.flow = "stages:\n  only:\n    sampling: {temperature: 0, max_tokens: 16}\n"
                     "    reply: {split: none, typing_chars_per_second: 0}\n" + media_yaml;
    character = *store->characters().Create(character);
    store::Conversation conversation;
    conversation.user_id = user.id;
    conversation.character_id = character.id;
    return store->conversations().Create(conversation)->id;
  };
  const int64_t spoken = conversation_with("    voice: {share: 1}\n");
  const int64_t plain = conversation_with("");

  // The spoken reply's turn, left waiting at the gate once its text is stored.
  ASSERT_TRUE(runtime.AddUserMessage(spoken, "Hello!").ok());
  TurnOptions turn;
  turn.typing_delays = false;
  std::mutex events_mutex;
  std::vector<std::string> events;
  std::promise<Result<TurnOutcome>> finished;
  Result<std::shared_ptr<TurnHandle>> started = runtime.StartTurn(
      {TurnRequest::Kind::kReply, spoken, 0, 0}, turn,
      [&](const TurnEvent& event) {
        std::lock_guard lock(events_mutex);
        events.emplace_back(EventName(event));
      },
      [&](Result<TurnOutcome> outcome) { finished.set_value(std::move(outcome)); });
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  if (!media->WaitForCall()) {
    media->Open();
    FAIL() << "the reply's voice was never asked for";
  }

  // Meanwhile another conversation's whole turn runs on the runtime's one worker.
  ASSERT_TRUE(runtime.AddUserMessage(plain, "Hi there!").ok());
  std::future<Result<TurnOutcome>> other_future =
      std::async(std::launch::async, [&] { return runtime.Reply(plain, turn, {}); });
  if (other_future.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    media->Open();  // so the runtime can stop
    FAIL() << "another conversation's turn waited for the medium";
  }
  Result<TurnOutcome> other = other_future.get();
  media->Open();
  ASSERT_TRUE(other.ok()) << other.status().ToString();
  ASSERT_EQ(other->messages.size(), 1u);
  EXPECT_EQ(json::parse(other->messages[0].metadata_json).count("media"), 0u);

  std::future<Result<TurnOutcome>> outcome_future = finished.get_future();
  ASSERT_EQ(outcome_future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  Result<TurnOutcome> outcome = outcome_future.get();
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_EQ(outcome->messages.size(), 1u);
  const store::Message& reply = outcome->messages[0];
  const json medium = json::parse(reply.metadata_json)["media"][0];
  EXPECT_EQ(medium["kind"], "voice");
  EXPECT_EQ(medium["mime_type"], "audio/ogg");
  EXPECT_EQ(medium["duration_ms"], 1234);
  EXPECT_EQ(json::parse(store->messages().Get(reply.id)->metadata_json)["media"][0], medium);
  std::ifstream file(dir / "media" / std::to_string(spoken) / (std::to_string(reply.id) + "-0.opus"), std::ios::binary);
  std::stringstream bytes;
  bytes << file.rdbuf();
  EXPECT_EQ(bytes.str(), "OggS:" + reply.content);
  {
    std::lock_guard lock(events_mutex);
    ASSERT_GE(events.size(), 3u);
    EXPECT_EQ(events[events.size() - 3], "message.end");
    EXPECT_EQ(events[events.size() - 2], "message.media");
    EXPECT_EQ(events.back(), "done");
  }
  std::lock_guard lock(announced_mutex);
  EXPECT_EQ(std::count(announced.begin(), announced.end(), reply.id), 2);  // stored, then with its voice
  runtime.Shutdown();
}

}  // namespace
}  // namespace troupe::chat
