// Personal-data redaction over any text (messages, tool results, logs): spans are in order, inside
// the text and never overlap; every card span passes Luhn, every IBAN span its checksum and every
// address holds a digit; and redacting what was redacted changes nothing more.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "base/pii.h"

using namespace troupe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  size_t last_end = 0;
  for (const PiiSpan& span : FindPii(text)) {
    if (span.begin < last_end || span.end <= span.begin || span.end > text.size()) std::abort();
    last_end = span.end;
    std::string compact;
    for (char c : text.substr(span.begin, span.end - span.begin)) {
      if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) compact.push_back(c);
    }
    if (span.kind == PiiKind::kCard && !LuhnValid(compact)) std::abort();
    if (span.kind == PiiKind::kIban && !IbanValid(compact)) std::abort();
    // RedactPii's loop ends because every pass removes digits: an address must hold one.
    if (span.kind == PiiKind::kAddress && compact.find_first_of("0123456789") == std::string::npos) std::abort();
  }
  const std::string once = RedactPii(text);
  if (RedactPii(once) != once) std::abort();
  return 0;
}
