// espeak-ng as the offline voice: real synthesis with the Debian voices, durations that fit the
// text and the speed, and clear errors for what cannot be said.
#include "studio/espeak_speech.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <vector>

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;

// Ten words, common ones of one or two syllables.
constexpr const char* kEspeakTenWords = "The quick brown fox jumps over the lazy sleeping dog.";
constexpr const char* kEspeakThirtyWords =
    "The quick brown fox jumps over the lazy sleeping dog. Then the dog wakes up and runs after the fox across "
    "the green field until both of them are tired and lie down.";

SpeechRequest EspeakRequest(std::string text, int words_per_minute = kNormalWordsPerMinute) {
  SpeechRequest request;
  request.text = std::move(text);
  request.voice = "en-us";
  request.words_per_minute = words_per_minute;
  return request;
}

int64_t EspeakDurationMs(const SpeechRequest& request) {
  EspeakSpeech espeak;
  Result<PcmAudio> pcm = espeak.SynthesizePcm(request);
  EXPECT_TRUE(pcm.ok()) << pcm.status().ToString();
  return pcm.ok() ? pcm->duration_ms() : -1;
}

TEST(EspeakSpeechTest, TenWordsAtTheNormalSpeedTakeAboutThreeAndAHalfSeconds) {
  EspeakSpeech espeak;
  Result<PcmAudio> pcm = espeak.SynthesizePcm(EspeakRequest(kEspeakTenWords));
  ASSERT_TRUE(pcm.ok()) << pcm.status().ToString();
  EXPECT_EQ(pcm->sample_rate, 22050);
  // 10 words at 175 words per minute is 3429 ms nominally. espeak-ng's rate is a nominal figure:
  // short words come out faster and it adds a pause at the end, so the range is 60%..140% of it.
  // A wrong rate (samples at the wrong sample rate, the speed ignored, text cut) falls outside.
  EXPECT_GE(pcm->duration_ms(), 2057);
  EXPECT_LE(pcm->duration_ms(), 4800);
  // Speech, not silence: the loudness of a voice is far above the quiet between words.
  double energy = 0;
  for (int16_t sample : pcm->samples) energy += static_cast<double>(sample) * sample;
  EXPECT_GT(std::sqrt(energy / static_cast<double>(pcm->samples.size())), 500.0);
}

TEST(EspeakSpeechTest, ThreeTimesTheWordsTakeMoreThanTwiceAsLong) {
  const int64_t ten = EspeakDurationMs(EspeakRequest(kEspeakTenWords));
  const int64_t thirty = EspeakDurationMs(EspeakRequest(kEspeakThirtyWords));
  EXPECT_GT(thirty, 2 * ten);
  EXPECT_LT(thirty, 4 * ten);
}

TEST(EspeakSpeechTest, TwiceTheSpeedTakesAboutHalfTheTime) {
  const int64_t normal = EspeakDurationMs(EspeakRequest(kEspeakThirtyWords, 175));
  const int64_t fast = EspeakDurationMs(EspeakRequest(kEspeakThirtyWords, 350));
  const int64_t slow = EspeakDurationMs(EspeakRequest(kEspeakThirtyWords, 80));
  EXPECT_LT(fast, normal * 7 / 10);
  EXPECT_GT(fast, normal * 3 / 10);
  EXPECT_GT(slow, normal * 3 / 2);
}

TEST(EspeakSpeechTest, VoicesAreFoundByLanguageFileOrName) {
  EspeakSpeech espeak;
  for (const char* voice : {"en-us", "en-gb", "fr", "EN-GB", "English (Great Britain)", "de", ""}) {
    SpeechRequest request = EspeakRequest("Hello there.");
    request.voice = voice;
    Result<PcmAudio> pcm = espeak.SynthesizePcm(request);
    EXPECT_TRUE(pcm.ok()) << voice << ": " << pcm.status().ToString();
  }
  Result<std::vector<std::string>> voices = EspeakSpeech::Voices();
  ASSERT_TRUE(voices.ok()) << voices.status().ToString();
  EXPECT_THAT(*voices, ::testing::IsSupersetOf({"en-gb", "en-us", "fr-fr"}));
  EXPECT_TRUE(std::is_sorted(voices->begin(), voices->end()));
}

TEST(EspeakSpeechTest, AnUnknownVoiceIsNotFoundAndNamed) {
  EspeakSpeech espeak;
  SpeechRequest request = EspeakRequest("Hello there.");
  request.voice = "klingon-qo";
  Result<SpeechAudio> audio = espeak.Synthesize(request);
  ASSERT_FALSE(audio.ok());
  EXPECT_EQ(audio.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(audio.status().field(), "voice");
  EXPECT_THAT(audio.status().message(), HasSubstr("'klingon-qo'"));
}

TEST(EspeakSpeechTest, BadRequestsNameTheirField) {
  EspeakSpeech espeak;
  const auto field_of = [&](const SpeechRequest& request) {
    Result<SpeechAudio> audio = espeak.Synthesize(request);
    EXPECT_FALSE(audio.ok());
    EXPECT_EQ(audio.status().code(), StatusCode::kInvalidArgument);
    return audio.status().field();
  };
  EXPECT_EQ(field_of(EspeakRequest("  \n ")), "text");
  EXPECT_EQ(field_of(EspeakRequest(std::string(kMaxSpeechTextBytes + 1, 'a'))), "text");
  EXPECT_EQ(field_of(EspeakRequest("Hello.", 79)), "speed");
  EXPECT_EQ(field_of(EspeakRequest("Hello.", 451)), "speed");
  SpeechRequest mp3 = EspeakRequest("Hello.");
  mp3.format = AudioFormat::kMp3;
  EXPECT_EQ(field_of(mp3), "format");
}

TEST(EspeakSpeechTest, MarkupIsSpokenAsTextNotObeyed) {
  // A reply holding SSML-like markup must not switch voices or insert long breaks.
  const int64_t plain = EspeakDurationMs(EspeakRequest("Hello there."));
  const int64_t marked = EspeakDurationMs(EspeakRequest("Hello <break time=\"20s\"/> there."));
  EXPECT_LT(marked, plain + 5000);
}

TEST(EspeakSpeechTest, ACancelledSynthesisStops) {
  std::atomic<bool> cancelled{true};
  SpeechRequest request = EspeakRequest(kEspeakThirtyWords);
  request.cancelled = &cancelled;
  EspeakSpeech espeak;
  Result<PcmAudio> pcm = espeak.SynthesizePcm(request);
  ASSERT_FALSE(pcm.ok());
  EXPECT_EQ(pcm.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(pcm.status().message(), HasSubstr("cancelled"));
  // The engine is fine afterwards.
  EXPECT_GT(EspeakDurationMs(EspeakRequest(kEspeakTenWords)), 0);
}

TEST(EspeakSpeechTest, ConcurrentCallersEachGetTheirOwnSpeech) {
  // espeak-ng's globals are shared: without the one mutex the voices, rates and samples of
  // concurrent calls would mix. (The same request may differ by a few milliseconds between calls:
  // espeak-ng carries a little state, such as its intonation, from one text to the next; mixing
  // would be seconds off.)
  const int64_t expected_ten = EspeakDurationMs(EspeakRequest(kEspeakTenWords, 175));
  const int64_t expected_fast = EspeakDurationMs(EspeakRequest(kEspeakThirtyWords, 300));
  std::vector<int64_t> durations(6, 0);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < durations.size(); ++i) {
    threads.emplace_back([&durations, i] {
      EspeakSpeech espeak;
      const SpeechRequest request = i % 2 == 0 ? EspeakRequest(kEspeakTenWords, 175) : EspeakRequest(kEspeakThirtyWords, 300);
      Result<PcmAudio> pcm = espeak.SynthesizePcm(request);
      durations[i] = pcm.ok() ? pcm->duration_ms() : -1;
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < durations.size(); ++i) {
    const int64_t expected = i % 2 == 0 ? expected_ten : expected_fast;
    EXPECT_NEAR(static_cast<double>(durations[i]), static_cast<double>(expected), 50.0) << "caller " << i;
  }
}

TEST(EspeakSpeechTest, SynthesizeEncodesOpusByDefaultAndWavOnRequest) {
  EspeakSpeech espeak;
  Result<SpeechAudio> opus = espeak.Synthesize(EspeakRequest(kEspeakTenWords));
  ASSERT_TRUE(opus.ok()) << opus.status().ToString();
  EXPECT_EQ(opus->mime_type, "audio/ogg");
  EXPECT_EQ(opus->bytes.substr(0, 4), "OggS");
  SpeechRequest wav_request = EspeakRequest(kEspeakTenWords);
  wav_request.format = AudioFormat::kWav;
  Result<SpeechAudio> wav = espeak.Synthesize(wav_request);
  ASSERT_TRUE(wav.ok()) << wav.status().ToString();
  EXPECT_EQ(wav->mime_type, "audio/wav");
  EXPECT_NEAR(static_cast<double>(wav->duration_ms), static_cast<double>(opus->duration_ms), 50.0);
  // 16-bit mono at 22050 Hz: 44.1 bytes a millisecond after the 44-byte header.
  EXPECT_NEAR(static_cast<double>(wav->bytes.size() - 44), wav->duration_ms * 44.1, 44.1);
  EXPECT_LT(opus->bytes.size() * 5, wav->bytes.size());
}

}  // namespace
}  // namespace troupe::studio
