// Personal data in free text: e-mail addresses, phone numbers, payment card numbers (Luhn check),
// IBANs (ISO 13616 mod-97 check) and postal addresses where their shape gives them away
// (base/postal_address.h), found and replaced by a placeholder before text leaves for a log, an
// analytics export or a remote model. The checksums keep order numbers, dates and amounts from
// being taken for cards or accounts; a phone number needs 7 to 15 digits and a separator or a
// leading '+' or '0' so that plain counts stay. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace troupe {

enum class PiiKind { kEmail, kPhone, kCard, kIban, kAddress };
std::string_view PiiPlaceholder(PiiKind kind);  // "[email]", "[phone]", "[card]", "[iban]", "[address]"

struct PiiSpan {
  PiiKind kind;
  size_t begin = 0;  // byte offsets into the text
  size_t end = 0;
};

// Non-overlapping, in text order (one pass over the text).
std::vector<PiiSpan> FindPii(std::string_view text);
// The text with every span replaced by its placeholder, repeated until nothing more is found (a
// number left standing alone by a replaced neighbour is found too), so redacting twice changes
// nothing more.
std::string RedactPii(std::string_view text);

bool LuhnValid(std::string_view digits);
// `iban` without spaces, letters in upper or lower case.
bool IbanValid(std::string_view iban);

}  // namespace troupe
