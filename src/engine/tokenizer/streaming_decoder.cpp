// StreamingDecoder: pieces out as soon as they are whole UTF-8 characters.
#include "engine/tokenizer.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace

StreamingDecoder::StreamingDecoder(const Tokenizer& tokenizer, bool render_special)
    : tokenizer_(tokenizer), render_special_(render_special) {}

std::string StreamingDecoder::Push(int32_t token) {
  std::string bytes = pending_ + tokenizer_.TokenToPiece(token, render_special_);
  pending_.clear();
  std::string ready;
  ready.reserve(bytes.size());
  size_t offset = 0;
  while (offset < bytes.size()) {
    const std::string_view rest = std::string_view(bytes).substr(offset);
    const int length = tokenization::CompleteUtf8Prefix(rest);
    if (length > 0) {
      ready.append(rest.substr(0, static_cast<size_t>(length)));
      offset += static_cast<size_t>(length);
    } else if (length == 0) {
      pending_.assign(rest);  // a character begun but not finished: wait for more bytes
      break;
    } else {
      ready += kReplacement;
      offset += static_cast<size_t>(-length);
    }
  }
  return ready;
}

std::string StreamingDecoder::Flush() {
  std::string rest = pending_.empty() ? std::string() : std::string(kReplacement);
  pending_.clear();
  return rest;
}

}  // namespace troupe::engine
