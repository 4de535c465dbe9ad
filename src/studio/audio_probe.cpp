// Reading just enough of Ogg (RFC 3533, RFC 7845) and RIFF WAVE to trust a file and know its length.
#include "studio/audio_probe.h"

#include <algorithm>
#include <string>

namespace troupe::studio {
namespace {

constexpr size_t kOggPageHeaderBytes = 27;
constexpr int64_t kOpusGranuleRate = 48'000;  // Opus granule positions count 48 kHz samples

uint64_t ProbeLittleEndian(std::string_view bytes, size_t at, int width) {
  uint64_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[at + i]);
  return value;
}

Status ProbeError(const std::string& what, size_t offset) {
  return InvalidArgument("audio: " + what + " (at byte " + std::to_string(offset) + ")", "audio");
}

struct OggPage {
  size_t body_offset = 0;
  size_t body_bytes = 0;
  size_t next = 0;  // offset of the page after this one
  int64_t granule = 0;
  uint32_t serial = 0;
  uint8_t flags = 0;
};

Result<OggPage> ReadOggPage(std::string_view bytes, size_t at) {
  if (bytes.size() - at < kOggPageHeaderBytes || bytes.substr(at, 4) != "OggS") {
    return ProbeError("expected an Ogg page (OggS)", at);
  }
  if (bytes[at + 4] != 0) return ProbeError("unknown Ogg version " + std::to_string(bytes[at + 4]), at + 4);
  OggPage page;
  page.flags = static_cast<uint8_t>(bytes[at + 5]);
  page.granule = static_cast<int64_t>(ProbeLittleEndian(bytes, at + 6, 8));
  page.serial = static_cast<uint32_t>(ProbeLittleEndian(bytes, at + 14, 4));
  const size_t segments = static_cast<unsigned char>(bytes[at + 26]);
  if (bytes.size() - at - kOggPageHeaderBytes < segments) return ProbeError("the segment table is cut short", at + 26);
  page.body_offset = at + kOggPageHeaderBytes + segments;
  for (size_t i = 0; i < segments; ++i) page.body_bytes += static_cast<unsigned char>(bytes[at + kOggPageHeaderBytes + i]);
  if (bytes.size() - page.body_offset < page.body_bytes) return ProbeError("the Ogg page is cut short", page.body_offset);
  page.next = page.body_offset + page.body_bytes;
  return page;
}

Result<AudioProbe> ProbeOggOpus(std::string_view bytes) {
  TROUPE_ASSIGN_OR_RETURN(const OggPage head, ReadOggPage(bytes, 0));
  constexpr uint8_t kBeginningOfStream = 0x02;
  constexpr size_t kOpusHeadBytes = 19;
  const std::string_view head_body = bytes.substr(head.body_offset, head.body_bytes);
  if ((head.flags & kBeginningOfStream) == 0 || head_body.size() < kOpusHeadBytes || head_body.substr(0, 8) != "OpusHead") {
    return ProbeError("the first Ogg packet is not an OpusHead", head.body_offset);
  }
  AudioProbe probe;
  probe.channels = static_cast<unsigned char>(head_body[9]);
  const auto pre_skip = static_cast<int64_t>(ProbeLittleEndian(head_body, 10, 2));
  probe.sample_rate = static_cast<int>(ProbeLittleEndian(head_body, 12, 4));
  if (probe.channels == 0) return ProbeError("the OpusHead says 0 channels", head.body_offset + 9);

  TROUPE_ASSIGN_OR_RETURN(const OggPage tags, ReadOggPage(bytes, head.next));
  if (bytes.substr(tags.body_offset, 8) != "OpusTags") return ProbeError("OpusTags must follow the OpusHead", tags.body_offset);
  int64_t last_granule = -1;
  for (size_t at = tags.next; at < bytes.size();) {
    TROUPE_ASSIGN_OR_RETURN(const OggPage page, ReadOggPage(bytes, at));
    // -1: no packet ends on this page. Pages of other streams (none in a voice message) are skipped.
    if (page.serial == head.serial && page.granule != -1) last_granule = page.granule;
    at = page.next;
  }
  if (last_granule < pre_skip) return ProbeError("the Opus stream holds no audio", 0);
  probe.duration_ms = (last_granule - pre_skip) * 1000 / kOpusGranuleRate;
  return probe;
}

Result<AudioProbe> ProbeWav(std::string_view bytes) {
  constexpr size_t kRiffHeaderBytes = 12;
  constexpr size_t kChunkHeaderBytes = 8;
  if (bytes.size() < kRiffHeaderBytes || bytes.substr(0, 4) != "RIFF" || bytes.substr(8, 4) != "WAVE") {
    return ProbeError("expected a RIFF WAVE header", 0);
  }
  AudioProbe probe;
  uint64_t byte_rate = 0;
  for (size_t at = kRiffHeaderBytes; bytes.size() - at >= kChunkHeaderBytes;) {
    const std::string_view id = bytes.substr(at, 4);
    const uint64_t size = ProbeLittleEndian(bytes, at + 4, 4);
    const size_t body = at + kChunkHeaderBytes;
    const uint64_t left = bytes.size() - body;
    if (id == "fmt ") {
      constexpr uint64_t kFmtBytes = 16;
      if (size < kFmtBytes || left < kFmtBytes) return ProbeError("the fmt chunk is too short", body);
      const uint64_t encoding = ProbeLittleEndian(bytes, body, 2);
      constexpr uint64_t kPcm = 1;
      constexpr uint64_t kExtensible = 0xFFFE;
      if (encoding != kPcm && encoding != kExtensible) return ProbeError("not PCM audio", body);
      probe.channels = static_cast<int>(ProbeLittleEndian(bytes, body + 2, 2));
      probe.sample_rate = static_cast<int>(ProbeLittleEndian(bytes, body + 4, 4));
      byte_rate = ProbeLittleEndian(bytes, body + 8, 4);
      if (probe.channels == 0 || probe.sample_rate == 0 || byte_rate == 0) {
        return ProbeError("the fmt chunk says 0 channels, rate or bytes per second", body);
      }
    } else if (id == "data") {
      if (byte_rate == 0) return ProbeError("the data chunk comes before the fmt chunk", at);
      // A streamed WAVE does not know its length when the header is sent and writes a placeholder
      // size: what arrived is what counts.
      probe.duration_ms = static_cast<int64_t>(std::min(size, left) * 1000 / byte_rate);
      return probe;
    }
    if (size + (size & 1) > left) return ProbeError("the " + Excerpt(id) + " chunk is cut short", at);
    at = body + size + (size & 1);  // chunks are padded to an even length
  }
  return ProbeError("no data chunk", bytes.size());
}

Result<AudioProbe> ProbeMp3(std::string_view bytes) {
  const bool id3 = bytes.substr(0, 3) == "ID3";
  const bool frame_sync = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0xFF &&
                          (static_cast<unsigned char>(bytes[1]) & 0xE0) == 0xE0;
  if (!id3 && !frame_sync) return ProbeError("expected an ID3 tag or an MPEG audio frame", 0);
  return AudioProbe{};
}

}  // namespace

Result<AudioProbe> ProbeAudio(std::string_view bytes, AudioFormat expected) {
  switch (expected) {
    case AudioFormat::kOpus: return ProbeOggOpus(bytes);
    case AudioFormat::kWav: return ProbeWav(bytes);
    case AudioFormat::kMp3: return ProbeMp3(bytes);
  }
  return ProbeError("unknown format", 0);
}

}  // namespace troupe::studio
