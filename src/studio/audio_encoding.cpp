// PCM to Ogg Opus through libopusenc writing into memory, and PCM to WAVE by hand (the header is
// 44 bytes; a library would add more than it saves).
#include "studio/audio_encoding.h"

#include <opus/opusenc.h>

#include <memory>

namespace troupe::studio {
namespace {

constexpr int kEncodingMinRate = 8'000;
constexpr int kEncodingMaxRate = 192'000;
constexpr int kOpusBitsPerSecond = 24'000;
// A fixed serial number keeps the output reproducible; a voice message is a stream of its own, so
// nothing needs it to differ between files.
constexpr int kOpusSerialNumber = 0x54525550;  // "TRUP"

struct OpusEncoderDeleter {
  void operator()(OggOpusEnc* encoder) const { ope_encoder_destroy(encoder); }
};
struct OpusCommentsDeleter {
  void operator()(OggOpusComments* comments) const { ope_comments_destroy(comments); }
};

int EncodingAppendPage(void* user, const unsigned char* bytes, opus_int32 length) {
  static_cast<std::string*>(user)->append(reinterpret_cast<const char*>(bytes), static_cast<size_t>(length));
  return 0;
}
int EncodingCloseNothing(void*) { return 0; }

Status CheckPcm(const PcmAudio& pcm) {
  if (pcm.sample_rate < kEncodingMinRate || pcm.sample_rate > kEncodingMaxRate) {
    return InvalidArgument("sample rate " + std::to_string(pcm.sample_rate) + " Hz is outside 8000..192000",
                           "sample_rate");
  }
  return Status::Ok();
}

void AppendLittleEndian(std::string& out, uint32_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

Status OpusFailure(const char* step, int error) {
  return Internal(std::string("Opus encoding: ") + step + ": " + ope_strerror(error));
}

}  // namespace

Result<std::string> EncodeOggOpus(const PcmAudio& pcm) {
  TROUPE_RETURN_IF_ERROR(CheckPcm(pcm));
  if (pcm.samples.empty()) return InvalidArgument("there are no samples to encode", "samples");
  std::unique_ptr<OggOpusComments, OpusCommentsDeleter> comments(ope_comments_create());
  if (!comments) return Internal("Opus encoding: no memory for the comments");
  ope_comments_add(comments.get(), "ENCODER", "troupe");

  std::string out;
  const OpusEncCallbacks callbacks{&EncodingAppendPage, &EncodingCloseNothing};
  int error = OPE_OK;
  // Family 0: mono or stereo without a channel mapping table, what every player expects.
  std::unique_ptr<OggOpusEnc, OpusEncoderDeleter> encoder(
      ope_encoder_create_callbacks(&callbacks, &out, comments.get(), pcm.sample_rate, 1, 0, &error));
  if (!encoder) return OpusFailure("creating the encoder", error);
  if ((error = ope_encoder_ctl(encoder.get(), OPE_SET_SERIALNO(kOpusSerialNumber))) != OPE_OK) {
    return OpusFailure("setting the serial number", error);
  }
  if ((error = ope_encoder_ctl(encoder.get(), OPUS_SET_BITRATE(kOpusBitsPerSecond))) != OPE_OK) {
    return OpusFailure("setting the bitrate", error);
  }
  if ((error = ope_encoder_write(encoder.get(), pcm.samples.data(), static_cast<int>(pcm.samples.size()))) != OPE_OK) {
    return OpusFailure("encoding", error);
  }
  if ((error = ope_encoder_drain(encoder.get())) != OPE_OK) return OpusFailure("finishing the stream", error);
  return out;
}

Result<std::string> EncodeWav(const PcmAudio& pcm) {
  TROUPE_RETURN_IF_ERROR(CheckPcm(pcm));
  constexpr uint64_t kWavMaxDataBytes = 0xFFFFFFFFull - 36;  // the RIFF size field is 32 bits
  const uint64_t data_bytes = static_cast<uint64_t>(pcm.samples.size()) * 2;
  if (data_bytes > kWavMaxDataBytes) return InvalidArgument("too many samples for a WAVE file", "samples");
  const auto rate = static_cast<uint32_t>(pcm.sample_rate);
  std::string out;
  out.reserve(44 + data_bytes);
  out += "RIFF";
  AppendLittleEndian(out, static_cast<uint32_t>(36 + data_bytes), 4);
  out += "WAVEfmt ";
  AppendLittleEndian(out, 16, 4);        // fmt chunk size
  AppendLittleEndian(out, 1, 2);         // PCM
  AppendLittleEndian(out, 1, 2);         // channels
  AppendLittleEndian(out, rate, 4);      // samples per second
  AppendLittleEndian(out, rate * 2, 4);  // bytes per second
  AppendLittleEndian(out, 2, 2);         // block align
  AppendLittleEndian(out, 16, 2);        // bits per sample
  out += "data";
  AppendLittleEndian(out, static_cast<uint32_t>(data_bytes), 4);
  for (int16_t sample : pcm.samples) AppendLittleEndian(out, static_cast<uint16_t>(sample), 2);
  return out;
}

Result<SpeechAudio> EncodeSpeech(const PcmAudio& pcm, AudioFormat format) {
  SpeechAudio audio;
  audio.format = format;
  audio.mime_type = std::string(AudioMimeType(format));
  audio.duration_ms = pcm.duration_ms();
  audio.sample_rate = pcm.sample_rate;
  switch (format) {
    case AudioFormat::kOpus: {
      TROUPE_ASSIGN_OR_RETURN(audio.bytes, EncodeOggOpus(pcm));
      return audio;
    }
    case AudioFormat::kWav: {
      TROUPE_ASSIGN_OR_RETURN(audio.bytes, EncodeWav(pcm));
      return audio;
    }
    case AudioFormat::kMp3: break;
  }
  return InvalidArgument("format: mp3 is produced only by OpenAI-compatible providers; use opus or wav", "format");
}

}  // namespace troupe::studio
