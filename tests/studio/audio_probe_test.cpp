// Checking audio from outside: files of the asked format pass with their duration; other bytes,
// cut files and lying headers are refused with the offset of the problem.
#include "studio/audio_probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "speech_test_audio.h"
#include "studio/audio_encoding.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;
using testing::ToneAudio;

std::string ProbeTestOpus(int64_t milliseconds) {
  Result<std::string> opus = EncodeOggOpus(ToneAudio(22050, milliseconds));
  EXPECT_TRUE(opus.ok()) << opus.status().ToString();
  return opus.ok() ? *opus : "";
}

TEST(AudioProbeTest, OggOpusDurationComesFromTheLastGranulePosition) {
  for (int64_t milliseconds : {300, 1000, 4321}) {
    Result<AudioProbe> probe = ProbeAudio(ProbeTestOpus(milliseconds), AudioFormat::kOpus);
    ASSERT_TRUE(probe.ok()) << probe.status().ToString();
    EXPECT_NEAR(static_cast<double>(probe->duration_ms), static_cast<double>(milliseconds), 3.0);
    EXPECT_EQ(probe->sample_rate, 22050);
    EXPECT_EQ(probe->channels, 1);
  }
}

TEST(AudioProbeTest, WavDurationComesFromTheDataSize) {
  Result<std::string> wav = EncodeWav(ToneAudio(16000, 1500));
  ASSERT_TRUE(wav.ok());
  Result<AudioProbe> probe = ProbeAudio(*wav, AudioFormat::kWav);
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  EXPECT_EQ(probe->duration_ms, 1500);
  EXPECT_EQ(probe->sample_rate, 16000);

  // A streamed WAVE has a placeholder data size: what arrived counts.
  std::string streamed = *wav;
  streamed.replace(40, 4, "\xff\xff\xff\xff");
  Result<AudioProbe> streamed_probe = ProbeAudio(streamed, AudioFormat::kWav);
  ASSERT_TRUE(streamed_probe.ok()) << streamed_probe.status().ToString();
  EXPECT_EQ(streamed_probe->duration_ms, 1500);
}

TEST(AudioProbeTest, Mp3NeedsAnId3TagOrAFrameSync) {
  EXPECT_TRUE(ProbeAudio(std::string("ID3\x04\x00", 5), AudioFormat::kMp3).ok());
  EXPECT_TRUE(ProbeAudio(std::string("\xff\xfb\x90\x64", 4), AudioFormat::kMp3).ok());
  EXPECT_FALSE(ProbeAudio("<html>", AudioFormat::kMp3).ok());
}

TEST(AudioProbeTest, TheWrongFormatIsRefused) {
  Result<std::string> wav = EncodeWav(ToneAudio(16000, 100));
  ASSERT_TRUE(wav.ok());
  Result<AudioProbe> wav_as_opus = ProbeAudio(*wav, AudioFormat::kOpus);
  EXPECT_EQ(wav_as_opus.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(wav_as_opus.status().field(), "audio");
  EXPECT_THAT(wav_as_opus.status().message(), HasSubstr("OggS"));
  EXPECT_FALSE(ProbeAudio(ProbeTestOpus(200), AudioFormat::kWav).ok());
  EXPECT_FALSE(ProbeAudio(ProbeTestOpus(200), AudioFormat::kMp3).ok());
  EXPECT_FALSE(ProbeAudio("", AudioFormat::kOpus).ok());
  EXPECT_FALSE(ProbeAudio("", AudioFormat::kWav).ok());
}

TEST(AudioProbeTest, ACutOggStreamIsRefusedAtItsOffset) {
  const std::string opus = ProbeTestOpus(1000);
  const std::string cut = opus.substr(0, opus.size() - 10);
  Result<AudioProbe> probe = ProbeAudio(cut, AudioFormat::kOpus);
  ASSERT_FALSE(probe.ok());
  EXPECT_THAT(probe.status().message(), HasSubstr("cut short"));
  EXPECT_THAT(probe.status().message(), HasSubstr("at byte "));
}

TEST(AudioProbeTest, AnOggStreamThatIsNotOpusIsRefused) {
  std::string opus = ProbeTestOpus(200);
  opus.replace(28, 8, "OpusHeaX");
  EXPECT_THAT(ProbeAudio(opus, AudioFormat::kOpus).status().message(), HasSubstr("OpusHead"));
}

TEST(AudioProbeTest, AWavChunkLongerThanTheFileIsRefused) {
  Result<std::string> wav = EncodeWav(ToneAudio(16000, 100));
  ASSERT_TRUE(wav.ok());
  std::string lying = *wav;
  lying.replace(16, 4, std::string("\x00\x00\x01\x00", 4));  // fmt chunk of 64 KiB
  Result<AudioProbe> probe = ProbeAudio(lying, AudioFormat::kWav);
  ASSERT_FALSE(probe.ok());
  EXPECT_THAT(probe.status().message(), HasSubstr("cut short"));
}

}  // namespace
}  // namespace troupe::studio
