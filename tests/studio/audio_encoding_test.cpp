// Encoding speech as a file: the Ogg Opus stream is decoded back with libopusfile (an independent
// reader) and must hold the same length of sound; the WAVE header is checked field by field.
#include "studio/audio_encoding.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <opus/opusfile.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "speech_test_audio.h"

namespace troupe::studio {
namespace {

using testing::ToneAudio;

struct EncodingTestDecoded {
  int channels = 0;
  uint32_t input_sample_rate = 0;
  int64_t total_samples = -1;    // what the stream's granule positions say, at 48 kHz
  int64_t decoded_samples = 0;   // what decoding gave
  double rms = 0;
  std::vector<std::string> comments;
};

struct EncodingTestOpusFileDeleter {
  void operator()(OggOpusFile* file) const { op_free(file); }
};

EncodingTestDecoded EncodingTestDecode(const std::string& bytes) {
  EncodingTestDecoded decoded;
  int error = 0;
  std::unique_ptr<OggOpusFile, EncodingTestOpusFileDeleter> file(
      op_open_memory(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), &error));
  EXPECT_NE(file, nullptr) << "opusfile cannot open the stream: error " << error;
  if (!file) return decoded;
  const OpusHead* head = op_head(file.get(), -1);
  decoded.channels = head->channel_count;
  decoded.input_sample_rate = head->input_sample_rate;
  decoded.total_samples = op_pcm_total(file.get(), -1);
  const OpusTags* tags = op_tags(file.get(), -1);
  for (int i = 0; i < tags->comments; ++i) decoded.comments.emplace_back(tags->user_comments[i]);
  std::vector<opus_int16> buffer(5760 * 2);
  double energy = 0;
  for (;;) {
    const int read = op_read(file.get(), buffer.data(), static_cast<int>(buffer.size()), nullptr);
    EXPECT_GE(read, 0) << "decoding failed";
    if (read <= 0) break;
    for (int i = 0; i < read; ++i) energy += static_cast<double>(buffer[i]) * buffer[i];
    decoded.decoded_samples += read;
  }
  if (decoded.decoded_samples > 0) decoded.rms = std::sqrt(energy / static_cast<double>(decoded.decoded_samples));
  return decoded;
}

double EncodingTestRms(const PcmAudio& pcm) {
  double energy = 0;
  for (int16_t sample : pcm.samples) energy += static_cast<double>(sample) * sample;
  return std::sqrt(energy / static_cast<double>(pcm.samples.size()));
}

TEST(AudioEncodingTest, OggOpusIsAValidStreamOfTheSameLength) {
  const PcmAudio tone = ToneAudio(22050, 2500);
  Result<std::string> opus = EncodeOggOpus(tone);
  ASSERT_TRUE(opus.ok()) << opus.status().ToString();
  // The capture pattern, then the identification header in the first page's only packet.
  EXPECT_EQ(opus->substr(0, 4), "OggS");
  EXPECT_EQ(opus->substr(28, 8), "OpusHead");
  EXPECT_NE(opus->find("OpusTags"), std::string::npos);

  const EncodingTestDecoded decoded = EncodingTestDecode(*opus);
  EXPECT_EQ(decoded.channels, 1);
  EXPECT_EQ(decoded.input_sample_rate, 22050u);
  // 2.5 s at 48 kHz is 120000 samples; the end trimming of the final granule position is exact
  // to within the resampler's rounding (a few samples, far under a millisecond).
  EXPECT_NEAR(static_cast<double>(decoded.total_samples), 120000.0, 48.0 * 3);
  EXPECT_EQ(decoded.decoded_samples, decoded.total_samples);
  // The tone survives: about the same loudness (Opus at 24 kbit/s keeps a 440 Hz tone well).
  EXPECT_NEAR(decoded.rms, EncodingTestRms(tone), EncodingTestRms(tone) * 0.2);
  EXPECT_THAT(decoded.comments, ::testing::Contains("ENCODER=troupe"));
  // Voice at 24 kbit/s: 2.5 s is under 10 kB, a tenth of the WAVE.
  EXPECT_LT(opus->size(), 10'000u);
}

TEST(AudioEncodingTest, OggOpusIsTheSameBytesForTheSameSamples) {
  const PcmAudio tone = ToneAudio(16000, 700);
  Result<std::string> first = EncodeOggOpus(tone);
  Result<std::string> second = EncodeOggOpus(tone);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

TEST(AudioEncodingTest, OggOpusRefusesNothingAndImpossibleRates) {
  PcmAudio empty;
  empty.sample_rate = 22050;
  EXPECT_EQ(EncodeOggOpus(empty).status().field(), "samples");
  PcmAudio slow = ToneAudio(22050, 100);
  slow.sample_rate = 100;
  EXPECT_EQ(EncodeOggOpus(slow).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeWav(slow).status().field(), "sample_rate");
}

uint32_t EncodingTestWavField(const std::string& bytes, size_t at, int width) {
  uint32_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

TEST(AudioEncodingTest, WavHeaderFieldsDescribeTheSamples) {
  PcmAudio pcm;
  pcm.sample_rate = 22050;
  pcm.samples = {0, 1, -1, 32767, -32768};
  Result<std::string> wav = EncodeWav(pcm);
  ASSERT_TRUE(wav.ok()) << wav.status().ToString();
  ASSERT_EQ(wav->size(), 44u + 10u);
  EXPECT_EQ(wav->substr(0, 4), "RIFF");
  EXPECT_EQ(EncodingTestWavField(*wav, 4, 4), 36u + 10u);  // everything after this field
  EXPECT_EQ(wav->substr(8, 8), "WAVEfmt ");
  EXPECT_EQ(EncodingTestWavField(*wav, 16, 4), 16u);     // fmt chunk size
  EXPECT_EQ(EncodingTestWavField(*wav, 20, 2), 1u);      // PCM
  EXPECT_EQ(EncodingTestWavField(*wav, 22, 2), 1u);      // mono
  EXPECT_EQ(EncodingTestWavField(*wav, 24, 4), 22050u);  // sample rate
  EXPECT_EQ(EncodingTestWavField(*wav, 28, 4), 44100u);  // bytes per second
  EXPECT_EQ(EncodingTestWavField(*wav, 32, 2), 2u);      // block align
  EXPECT_EQ(EncodingTestWavField(*wav, 34, 2), 16u);     // bits per sample
  EXPECT_EQ(wav->substr(36, 4), "data");
  EXPECT_EQ(EncodingTestWavField(*wav, 40, 4), 10u);
  // Samples little-endian, two's complement.
  EXPECT_EQ(wav->substr(44), std::string("\x00\x00\x01\x00\xff\xff\xff\x7f\x00\x80", 10));
}

TEST(AudioEncodingTest, EncodeSpeechCarriesTypeAndDuration) {
  const PcmAudio tone = ToneAudio(22050, 1200);
  Result<SpeechAudio> opus = EncodeSpeech(tone, AudioFormat::kOpus);
  ASSERT_TRUE(opus.ok());
  EXPECT_EQ(opus->mime_type, "audio/ogg");
  EXPECT_EQ(opus->duration_ms, 1200);
  EXPECT_EQ(opus->sample_rate, 22050);
  Result<SpeechAudio> wav = EncodeSpeech(tone, AudioFormat::kWav);
  ASSERT_TRUE(wav.ok());
  EXPECT_EQ(wav->mime_type, "audio/wav");
  Result<SpeechAudio> mp3 = EncodeSpeech(tone, AudioFormat::kMp3);
  EXPECT_EQ(mp3.status().field(), "format");
}

TEST(AudioEncodingTest, FormatNamesRoundTrip) {
  for (AudioFormat format : {AudioFormat::kOpus, AudioFormat::kMp3, AudioFormat::kWav}) {
    Result<AudioFormat> parsed = ParseAudioFormat(AudioFormatName(format));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, format);
  }
  Result<AudioFormat> bad = ParseAudioFormat("flac", "--format");
  EXPECT_EQ(bad.status().field(), "--format");
  EXPECT_THAT(bad.status().message(), ::testing::HasSubstr("'flac'"));
}

}  // namespace
}  // namespace troupe::studio
