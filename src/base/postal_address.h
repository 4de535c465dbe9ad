// Postal addresses in free text, where their shape gives them away (base/pii.h redacts them):
//   - a house number and a street with its kind: "12 Main Street", "221B Baker St.", "1600
//     Pennsylvania Avenue NW", "12 rue de la Paix", "Hauptstraße 5", "Kalverstraat 12a",
//     "Calle Mayor 5", "Via Roma 10";
//   - a post office box: "P.O. Box 123", "PO Box 77", "Postfach 1234";
//   - a UK postcode standing alone: "SW1A 1AA".
// A street match also takes what follows it when that is a postcode and town (", 10115 Berlin",
// ", Springfield, IL 62704", ", London SW1A 1AA"). Precision comes first: a street kind written
// in lower case after lower-case words counts only when it cannot mean anything else ("12 main
// street" is an address, "3 long way" is not), and German and Dutch street words must carry
// their suffix ("-straße", "-weg", "-straat"...). Every match holds a digit, which RedactPii's
// repeat-until-stable loop relies on. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace troupe {

// [begin, end) byte ranges, non-overlapping, in text order.
std::vector<std::pair<size_t, size_t>> FindPostalAddresses(std::string_view text);

}  // namespace troupe
