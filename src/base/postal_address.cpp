#include "base/postal_address.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <span>
#include <string>

namespace troupe {
namespace {

// A run of ASCII letters and digits and of non-ASCII bytes (so "Straße" and "Élysées" are one
// word each); everything else separates words.
struct Word {
  size_t begin = 0;
  size_t end = 0;
};

bool AddressWordByte(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || byte >= 0x80;
}
bool AsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool AsciiUpper(char c) { return c >= 'A' && c <= 'Z'; }

class AddressScanner {
 public:
  explicit AddressScanner(std::string_view text) : text_(text) {
    for (size_t at = 0; at < text.size();) {
      if (!AddressWordByte(text[at])) {
        ++at;
        continue;
      }
      Word word{at, at};
      while (word.end < text.size() && AddressWordByte(text[word.end])) ++word.end;
      words_.push_back(word);
      at = word.end;
    }
  }

  std::vector<std::pair<size_t, size_t>> Find();

 private:
  size_t count() const { return words_.size(); }
  std::string_view Text(size_t i) const { return text_.substr(words_[i].begin, words_[i].end - words_[i].begin); }
  std::string Lower(size_t i) const {
    std::string out(Text(i));
    for (char& c : out) {
      if (AsciiUpper(c)) c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
  }
  // What separates word i from the one before it.
  std::string_view GapBefore(size_t i) const {
    return text_.substr(words_[i - 1].end, words_[i].begin - words_[i - 1].end);
  }
  bool SpaceBefore(size_t i) const { return i > 0 && i < count() && GapBefore(i) == " "; }
  bool DotAfter(size_t i) const { return words_[i].end < text_.size() && text_[words_[i].end] == '.'; }
  bool Capitalised(size_t i) const {
    const char first = Text(i)[0];
    return AsciiUpper(first) || static_cast<unsigned char>(first) >= 0x80;
  }
  bool AllDigits(size_t i) const {
    const std::string_view t = Text(i);
    return std::all_of(t.begin(), t.end(), AsciiDigit);
  }

  bool HouseNumber(size_t i) const;
  bool Ordinal(size_t i) const;
  bool UkOutward(size_t i) const;
  bool UkInward(size_t i) const;
  bool UkPostcodeAt(size_t i) const { return i + 1 < count() && UkOutward(i) && SpaceBefore(i + 1) && UkInward(i + 1); }

  std::optional<size_t> EnglishStreet(size_t number);
  std::optional<size_t> RomanceStreetAfterNumber(size_t number);
  std::optional<std::pair<size_t, size_t>> NameFirstStreet(size_t first);
  std::optional<size_t> PostOfficeBox(size_t first);
  size_t ExtendOverTown(size_t last) const;
  size_t EndOf(size_t last) const;  // byte end of word `last`, with an abbreviation's dot

  std::string_view text_;
  std::vector<Word> words_;
};

bool InList(const std::string& word, std::span<const std::string_view> list) {
  return std::find(list.begin(), list.end(), word) != list.end();
}

// Kinds of street written after the name. The first group may also be written after lower-case
// words: nothing else reads "12 main street". Abbreviations count only when capitalised.
constexpr std::string_view kPlainStreetKinds[] = {"street", "avenue", "road", "boulevard",
                                                                       "lane"};
constexpr std::string_view kOtherStreetKinds[] = {
    "st", "ave", "rd", "blvd", "ln", "drive", "dr", "way", "court", "ct", "place", "pl", "terrace",
    "crescent", "close", "square", "sq", "highway", "hwy", "parkway", "pkwy", "circle", "row", "walk"};
// Kinds written before the name, after the number ("12 rue de la Paix") or with the number last
// ("Calle Mayor 5").
constexpr std::string_view kRomanceKinds[] = {
    "rue", "avenue", "av", "boulevard", "bd", "chemin", "allee", "all\xc3\xa9" "e", "impasse", "place", "quai",
    "cours", "calle", "avenida", "via", "viale", "piazza", "corso", "rua", "travessa", "plaza", "paseo", "carrer"};
constexpr std::string_view kNameParticles[] = {
    "de", "la", "le", "les", "du", "des", "d", "l", "del", "della", "dei", "di", "da", "do", "dos", "das", "y", "e"};
// Words a lower-case street name is never made of: "5 miles down the road" is no address.
constexpr std::string_view kNotStreetNames[] = {
    "the", "a", "an", "to", "of", "down", "up", "on", "in", "my", "your", "our", "his", "her", "their", "this",
    "that", "and", "or", "at", "by", "for", "from", "with", "more", "other", "new", "old", "same", "next"};
// Germanic street words: the suffix of a compound ("Hauptstraße") or a word of its own after a
// capitalised name ("Berliner Straße").
constexpr std::string_view kGermanicSuffixes[] = {
    "stra\xc3\x9f" "e", "strasse", "str", "weg", "gasse", "allee", "platz", "damm", "ufer", "chaussee",
    "straat", "gracht", "laan", "plein", "steeg", "kade", "singel", "gatan", "vej"};
constexpr std::array<std::string_view, 8> kDirections = {"N", "S", "E", "W", "NE", "NW", "SE", "SW"};

bool IsStreetKind(const std::string& lower) {
  return InList(lower, kPlainStreetKinds) || InList(lower, kOtherStreetKinds);
}

bool AddressScanner::HouseNumber(size_t i) const {
  const std::string_view t = Text(i);
  size_t digits = 0;
  while (digits < t.size() && AsciiDigit(t[digits])) ++digits;
  if (digits == 0 || digits > 5) return false;
  return t.size() == digits || (t.size() == digits + 1 && std::isalpha(static_cast<unsigned char>(t.back())));
}

bool AddressScanner::Ordinal(size_t i) const {
  const std::string lower = Lower(i);
  size_t digits = 0;
  while (digits < lower.size() && AsciiDigit(lower[digits])) ++digits;
  const std::string suffix = lower.substr(digits);
  constexpr std::string_view kOrdinalSuffixes[] = {"st", "nd", "rd", "th"};
  return digits > 0 && digits <= 3 && InList(suffix, kOrdinalSuffixes);
}

// "SW1A", "M1", "EC2V": one or two letters, a digit, then a letter or digit at most.
bool AddressScanner::UkOutward(size_t i) const {
  const std::string_view t = Text(i);
  size_t letters = 0;
  while (letters < t.size() && AsciiUpper(t[letters])) ++letters;
  if (letters < 1 || letters > 2 || t.size() < letters + 1 || t.size() > letters + 2) return false;
  if (!AsciiDigit(t[letters])) return false;
  return t.size() == letters + 1 || AsciiDigit(t[letters + 1]) || AsciiUpper(t[letters + 1]);
}

bool AddressScanner::UkInward(size_t i) const {
  const std::string_view t = Text(i);
  return t.size() == 3 && AsciiDigit(t[0]) && AsciiUpper(t[1]) && AsciiUpper(t[2]);
}

size_t AddressScanner::EndOf(size_t last) const {
  const std::string lower = Lower(last);
  const bool abbreviation = lower.size() <= 4 && (IsStreetKind(lower) || InList(lower, kGermanicSuffixes) ||
                                                  InList(lower, kRomanceKinds));
  return words_[last].end + (abbreviation && DotAfter(last) ? 1 : 0);
}

// "12 Main Street", "221B Baker St.", "350 5th Avenue", "12 main street": the last word's index.
std::optional<size_t> AddressScanner::EnglishStreet(size_t number) {
  bool all_capitalised = true;
  for (size_t names = 1; names <= 4 && number + names + 1 < count(); ++names) {
    const size_t name = number + names;
    if (!SpaceBefore(name)) return std::nullopt;
    const std::string lower = Lower(name);
    if (IsStreetKind(lower)) return std::nullopt;  // "2 lane road": a kind is no name
    all_capitalised = all_capitalised && (Capitalised(name) || Ordinal(name));
    if (!all_capitalised && (names > 2 || InList(lower, kNotStreetNames) || AllDigits(name))) return std::nullopt;
    const size_t kind = name + 1;
    if (!SpaceBefore(kind)) return std::nullopt;
    const std::string kind_lower = Lower(kind);
    const bool plain = InList(kind_lower, kPlainStreetKinds);
    const bool other = InList(kind_lower, kOtherStreetKinds) && Capitalised(kind);
    if ((plain && (all_capitalised || !Capitalised(kind))) || (other && all_capitalised)) {
      size_t last = kind;
      const bool direction =
          last + 1 < count() && SpaceBefore(last + 1) &&
          std::find(kDirections.begin(), kDirections.end(), Text(last + 1)) != kDirections.end();
      if (direction) ++last;
      return last;
    }
  }
  return std::nullopt;
}

// "12 rue de la Paix", "8, avenue des Champs-Élysées": the last capitalised word's index.
std::optional<size_t> AddressScanner::RomanceStreetAfterNumber(size_t number) {
  const size_t kind = number + 1;
  if (kind >= count() || !InList(Lower(kind), kRomanceKinds)) return std::nullopt;
  const std::string_view gap = GapBefore(kind);
  if (gap != " " && gap != ", ") return std::nullopt;
  std::optional<size_t> last;
  for (size_t word = kind + 1; word < count() && word <= kind + 5; ++word) {
    const std::string_view between = GapBefore(word);
    if (between != " " && between != "'" && between != "-" && between != "\xe2\x80\x99") break;
    if (Capitalised(word)) {
      last = word;
    } else if (!InList(Lower(word), kNameParticles)) {
      break;
    }
  }
  return last;
}

// "Hauptstraße 5", "Berliner Straße 12", "Kalverstraat 12a", "Calle Mayor 5", "Via Roma 10":
// the first and the number's index.
std::optional<std::pair<size_t, size_t>> AddressScanner::NameFirstStreet(size_t first) {
  if (!Capitalised(first)) return std::nullopt;
  const std::string lower = Lower(first);
  for (std::string_view suffix : kGermanicSuffixes) {
    if (lower.size() < suffix.size() || lower.compare(lower.size() - suffix.size(), suffix.size(), suffix) != 0) {
      continue;
    }
    const bool own_word = lower.size() == suffix.size();
    if (own_word && !(first > 0 && SpaceBefore(first) && Capitalised(first - 1))) continue;
    if (suffix == "str" && !DotAfter(first)) continue;
    const size_t number = first + 1;
    const std::string_view gap = number < count() ? GapBefore(number) : std::string_view();
    if (number < count() && (gap == " " || gap == ". ") && HouseNumber(number)) {
      return std::make_pair(own_word ? first - 1 : first, number);
    }
  }
  if (!InList(lower, kRomanceKinds)) return std::nullopt;
  for (size_t word = first + 1; word < count() && word <= first + 4; ++word) {
    const std::string_view gap = GapBefore(word);
    if (word > first + 1 && HouseNumber(word) && (gap == " " || gap == ", ")) return std::make_pair(first, word);
    if (gap != " " || (!Capitalised(word) && !InList(Lower(word), kNameParticles))) break;
  }
  return std::nullopt;
}

// "P.O. Box 123", "PO Box 77", "Post Office Box 9", "Postfach 1234": the number's index.
std::optional<size_t> AddressScanner::PostOfficeBox(size_t first) {
  const std::string lower = Lower(first);
  size_t box = 0;
  if (lower == "postfach") {
    box = first;
  } else if (lower == "po" && first + 1 < count() && Lower(first + 1) == "box") {
    box = first + 1;
  } else if (lower == "p" && first + 2 < count() && Lower(first + 1) == "o" && Lower(first + 2) == "box") {
    box = first + 2;
  } else if (lower == "post" && first + 2 < count() && Lower(first + 1) == "office" && Lower(first + 2) == "box") {
    box = first + 2;
  } else {
    return std::nullopt;
  }
  const size_t number = box + 1;
  if (number < count() && SpaceBefore(number) && AllDigits(number) && Text(number).size() <= 8) return number;
  return std::nullopt;
}

// After a street: ", 10115 Berlin", ", 1012 AB Amsterdam", ", Springfield, IL 62704",
// ", London SW1A 1AA". The last word's index: `last` itself when nothing like that follows.
size_t AddressScanner::ExtendOverTown(size_t last) const {
  size_t at = last + 1;
  if (at >= count() || (GapBefore(at) != ", " && GapBefore(at) != " ")) return last;
  const auto town_from = [&](size_t word) {
    size_t end = word;
    while (end + 1 < count() && end + 1 < word + 3 && SpaceBefore(end + 1) && Capitalised(end + 1) &&
           !AllDigits(end + 1) && !UkPostcodeAt(end + 1)) {
      ++end;
    }
    return end;
  };
  if (AllDigits(at) && (Text(at).size() == 4 || Text(at).size() == 5)) {
    size_t postcode_end = at;
    if (at + 1 < count() && SpaceBefore(at + 1) && Text(at + 1).size() == 2 && AsciiUpper(Text(at + 1)[0]) &&
        AsciiUpper(Text(at + 1)[1])) {
      postcode_end = at + 1;  // Dutch "1012 AB"
    }
    const size_t town = postcode_end + 1;
    if (town < count() && SpaceBefore(town) && Capitalised(town) && !AllDigits(town)) return town_from(town);
    return postcode_end;
  }
  if (UkPostcodeAt(at)) return at + 1;
  if (!Capitalised(at) || AllDigits(at)) return last;
  const size_t town_end = town_from(at);
  const size_t code = town_end + 1;
  if (code >= count() || (GapBefore(code) != " " && GapBefore(code) != ", ")) return last;
  if (UkPostcodeAt(code)) return code + 1;
  const std::string_view state = Text(code);
  if (state.size() == 2 && AsciiUpper(state[0]) && AsciiUpper(state[1]) && code + 1 < count() &&
      SpaceBefore(code + 1) && AllDigits(code + 1) && Text(code + 1).size() == 5) {
    const size_t zip = code + 1;
    const bool plus_four =
        zip + 1 < count() && GapBefore(zip + 1) == "-" && AllDigits(zip + 1) && Text(zip + 1).size() == 4;
    return plus_four ? zip + 1 : zip;
  }
  return last;
}

std::vector<std::pair<size_t, size_t>> AddressScanner::Find() {
  std::vector<std::pair<size_t, size_t>> found;
  for (size_t i = 0; i < count(); ++i) {
    std::optional<std::pair<size_t, size_t>> words;  // first and last word of a match
    if (HouseNumber(i)) {
      if (std::optional<size_t> last = EnglishStreet(i)) {
        words = std::make_pair(i, *last);
      } else if (std::optional<size_t> romance = RomanceStreetAfterNumber(i)) {
        words = std::make_pair(i, *romance);
      }
    }
    if (!words) words = NameFirstStreet(i);
    if (words) {
      words->second = ExtendOverTown(words->second);
    } else if (std::optional<size_t> box = PostOfficeBox(i)) {
      words = std::make_pair(i, *box);
    } else if (UkPostcodeAt(i)) {
      words = std::make_pair(i, i + 1);
    }
    if (!words) continue;
    // A name-first street may start one word back ("Berliner Straße 5") and so reach into the
    // previous match; the earlier one stands.
    if (!found.empty() && words_[words->first].begin < found.back().second) continue;
    found.emplace_back(words_[words->first].begin, EndOf(words->second));
    i = words->second;
  }
  return found;
}

}  // namespace

std::vector<std::pair<size_t, size_t>> FindPostalAddresses(std::string_view text) {
  return AddressScanner(text).Find();
}

}  // namespace troupe
