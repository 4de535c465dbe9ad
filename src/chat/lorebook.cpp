#include "chat/lorebook.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <map>
#include <utility>

#include <nlohmann/json.hpp>

#include "chat/card_json_reader.h"

namespace troupe::chat {
namespace {

using card_json::FieldReader;
using card_json::Invalid;
using card_json::JoinPath;
using card_json::WrongType;
using nlohmann::json;

constexpr int kMaxScanDepth = 1000;

std::optional<SecondaryKeyLogic> LogicFromNumber(int64_t value) {
  switch (value) {
    case 0: return SecondaryKeyLogic::kAndAny;
    case 1: return SecondaryKeyLogic::kNotAll;
    case 2: return SecondaryKeyLogic::kNotAny;
    case 3: return SecondaryKeyLogic::kAndAll;
    default: return std::nullopt;
  }
}

std::optional<SecondaryKeyLogic> LogicFromName(std::string_view name) {
  if (name == "AND_ANY") return SecondaryKeyLogic::kAndAny;
  if (name == "NOT_ALL") return SecondaryKeyLogic::kNotAll;
  if (name == "NOT_ANY") return SecondaryKeyLogic::kNotAny;
  if (name == "AND_ALL") return SecondaryKeyLogic::kAndAll;
  return std::nullopt;
}

// SillyTavern's numbered positions: 0 is before the character definition; the others (after it,
// around the author's note, around the examples, at a depth) are all placed after it here.
LorebookPosition PositionFromNumber(int64_t value) {
  return value == 0 ? LorebookPosition::kBeforeCharacter : LorebookPosition::kAfterCharacter;
}

int ClampDepth(int64_t depth) { return static_cast<int>(std::clamp<int64_t>(depth, 0, kMaxScanDepth)); }

// "before_char" / "after_char", or one of SillyTavern's numbers.
Status ReadPosition(const FieldReader& reader, LorebookEntry& entry) {
  const json* value = reader.Find("position");
  if (value == nullptr) return Status::Ok();
  if (value->is_number()) {
    entry.position = PositionFromNumber(FieldReader::ToInteger(*value));
    return Status::Ok();
  }
  if (!value->is_string()) return WrongType(reader.Path("position"), "before_char or after_char", *value);
  const std::string position = value->get<std::string>();
  if (position == "after_char") {
    entry.position = LorebookPosition::kAfterCharacter;
  } else if (position == "before_char" || position.empty()) {
    entry.position = LorebookPosition::kBeforeCharacter;
  } else {
    return Invalid(reader.Path("position"), "must be before_char or after_char, got '" + Excerpt(position) + "'");
  }
  return Status::Ok();
}

// What SillyTavern keeps in a card entry's `extensions` when it embeds World Info. Extensions
// are free-form, so values of another type are ignored rather than refused.
void ReadSillyTavernExtensions(const json& extensions, LorebookEntry& entry) {
  if (!extensions.is_object()) return;
  auto find = [&](const char* name) -> const json* {
    auto it = extensions.find(name);
    return it == extensions.end() ? nullptr : &*it;
  };
  if (const json* value = find("selectiveLogic"); value != nullptr && value->is_number()) {
    entry.secondary_logic = LogicFromNumber(FieldReader::ToInteger(*value)).value_or(entry.secondary_logic);
  }
  if (const json* value = find("match_whole_words"); value != nullptr && value->is_boolean()) {
    entry.whole_words = value->get<bool>();
  }
  if (const json* value = find("case_sensitive"); value != nullptr && value->is_boolean()) {
    entry.case_sensitive = value->get<bool>();
  }
  if (const json* value = find("scan_depth"); value != nullptr && value->is_number()) {
    entry.scan_depth = ClampDepth(FieldReader::ToInteger(*value));
  }
  if (const json* value = find("exclude_recursion"); value != nullptr && value->is_boolean()) {
    entry.exclude_recursion = value->get<bool>();
  }
  if (const json* value = find("prevent_recursion"); value != nullptr && value->is_boolean()) {
    entry.prevent_recursion = value->get<bool>();
  }
}

Status ReadOptionalInteger(const FieldReader& reader, std::string_view name, std::optional<int64_t>& field) {
  if (!reader.Has(name)) return Status::Ok();
  int64_t value = 0;
  TROUPE_RETURN_IF_ERROR(reader.Integer(name, value));
  field = value;
  return Status::Ok();
}

// One entry of a card's character_book (V2/V3 field names).
Status ReadCardEntry(const json& item, const std::string& path, LorebookEntry& entry) {
  if (!item.is_object()) return WrongType(path, "an object", item);
  FieldReader reader(item, path);
  TROUPE_RETURN_IF_ERROR(reader.Object("extensions"));
  if (const json* extensions = reader.Find("extensions")) ReadSillyTavernExtensions(*extensions, entry);
  TROUPE_RETURN_IF_ERROR(reader.Required("keys"));
  TROUPE_RETURN_IF_ERROR(reader.Strings("keys", entry.keys));
  TROUPE_RETURN_IF_ERROR(reader.Strings("secondary_keys", entry.secondary_keys));
  TROUPE_RETURN_IF_ERROR(reader.Required("content"));
  TROUPE_RETURN_IF_ERROR(reader.String("content", entry.content));
  TROUPE_RETURN_IF_ERROR(reader.Bool("enabled", entry.enabled));
  TROUPE_RETURN_IF_ERROR(reader.Bool("constant", entry.constant));
  TROUPE_RETURN_IF_ERROR(reader.Bool("selective", entry.selective));
  TROUPE_RETURN_IF_ERROR(reader.Bool("case_sensitive", entry.case_sensitive));
  bool use_regex = false;  // checked, not obeyed: see the header
  TROUPE_RETURN_IF_ERROR(reader.Bool("use_regex", use_regex));
  TROUPE_RETURN_IF_ERROR(reader.Integer("insertion_order", entry.insertion_order));
  TROUPE_RETURN_IF_ERROR(ReadOptionalInteger(reader, "priority", entry.priority));
  TROUPE_RETURN_IF_ERROR(reader.Identifier("id", entry.id));
  TROUPE_RETURN_IF_ERROR(reader.String("comment", entry.comment));
  TROUPE_RETURN_IF_ERROR(reader.String("name", entry.name));
  TROUPE_RETURN_IF_ERROR(ReadPosition(reader, entry));
  // Names some hubs use outside the spec.
  if (const json* whole = reader.Find("whole_words_only"); whole != nullptr && whole->is_boolean()) {
    entry.whole_words = whole->get<bool>();
  }
  if (const json* logic = reader.Find("key_logic"); logic != nullptr && logic->is_string()) {
    entry.secondary_logic = LogicFromName(logic->get<std::string>()).value_or(entry.secondary_logic);
  }
  return Status::Ok();
}

// One entry of a SillyTavern World Info file. Hub exports mix in the card's names (keys,
// insertion_order, enabled, ...); the World Info names win where both are present.
Status ReadWorldInfoEntry(const json& item, const std::string& path, LorebookEntry& entry) {
  if (!item.is_object()) return WrongType(path, "an object", item);
  FieldReader reader(item, path);
  TROUPE_RETURN_IF_ERROR(reader.Object("extensions"));
  if (const json* extensions = reader.Find("extensions")) ReadSillyTavernExtensions(*extensions, entry);
  const char* keys = reader.Has("key") ? "key" : "keys";
  TROUPE_RETURN_IF_ERROR(reader.Required(keys));
  TROUPE_RETURN_IF_ERROR(reader.Strings(keys, entry.keys));
  TROUPE_RETURN_IF_ERROR(reader.Strings(reader.Has("keysecondary") ? "keysecondary" : "secondary_keys",
                                        entry.secondary_keys));
  TROUPE_RETURN_IF_ERROR(reader.Required("content"));
  TROUPE_RETURN_IF_ERROR(reader.String("content", entry.content));
  TROUPE_RETURN_IF_ERROR(reader.Bool("constant", entry.constant));
  TROUPE_RETURN_IF_ERROR(reader.Bool("selective", entry.selective));
  if (reader.Has("selectiveLogic")) {
    int64_t logic = 0;
    TROUPE_RETURN_IF_ERROR(reader.Integer("selectiveLogic", logic));
    entry.secondary_logic = LogicFromNumber(logic).value_or(SecondaryKeyLogic::kAndAny);
  }
  TROUPE_RETURN_IF_ERROR(reader.Integer(reader.Has("order") ? "order" : "insertion_order", entry.insertion_order));
  TROUPE_RETURN_IF_ERROR(ReadOptionalInteger(reader, "priority", entry.priority));
  if (reader.Has("disable")) {
    bool disabled = false;
    TROUPE_RETURN_IF_ERROR(reader.Bool("disable", disabled));
    entry.enabled = !disabled;
  } else {
    TROUPE_RETURN_IF_ERROR(reader.Bool("enabled", entry.enabled));
  }
  // null means "the global setting" in SillyTavern; here that is the default.
  TROUPE_RETURN_IF_ERROR(reader.Bool(reader.Has("caseSensitive") ? "caseSensitive" : "case_sensitive",
                                     entry.case_sensitive));
  TROUPE_RETURN_IF_ERROR(reader.Bool("matchWholeWords", entry.whole_words));
  if (reader.Has("scanDepth")) {
    int64_t depth = 0;
    TROUPE_RETURN_IF_ERROR(reader.Integer("scanDepth", depth));
    entry.scan_depth = ClampDepth(depth);
  }
  TROUPE_RETURN_IF_ERROR(reader.Bool("excludeRecursion", entry.exclude_recursion));
  TROUPE_RETURN_IF_ERROR(reader.Bool("preventRecursion", entry.prevent_recursion));
  TROUPE_RETURN_IF_ERROR(ReadPosition(reader, entry));
  TROUPE_RETURN_IF_ERROR(reader.Identifier(reader.Has("uid") ? "uid" : "id", entry.id));
  TROUPE_RETURN_IF_ERROR(reader.String("comment", entry.comment));
  TROUPE_RETURN_IF_ERROR(reader.String("name", entry.name));
  return Status::Ok();
}

// A World Info file's entries, keyed by uid, in uid order (numeric where the keys are numbers,
// where a JSON object would sort "10" before "2").
std::vector<std::pair<std::string, const json*>> WorldInfoEntries(const json& entries) {
  std::vector<std::pair<std::string, const json*>> ordered;
  for (auto it = entries.begin(); it != entries.end(); ++it) ordered.emplace_back(it.key(), &it.value());
  auto number = [](const std::string& key) -> std::optional<long long> {
    if (key.empty() || key.size() > 18 || key.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::atoll(key.c_str());
  };
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) {
    const std::optional<long long> x = number(a.first), y = number(b.first);
    if (x && y) return *x < *y;
    if (x.has_value() != y.has_value()) return x.has_value();
    return a.first < b.first;
  });
  return ordered;
}

struct ParsedBook {
  json root;                   // the whole document
  bool lorebook_v3 = false;    // the book is root's `data`
  bool world_info = false;
  Lorebook lorebook;

  const json& book() const { return lorebook_v3 ? root.at("data") : root; }
};

Result<ParsedBook> Parse(std::string_view json_text, std::string_view path) {
  const std::string base(path);
  if (size_t at = card_json::ExcessiveNesting(json_text, card_json::kMaxCardJsonDepth); at != std::string_view::npos) {
    return Invalid(base, "nested deeper than " + std::to_string(card_json::kMaxCardJsonDepth) + " levels at byte " +
                             std::to_string(at));
  }
  ParsedBook parsed;
  parsed.root = json::parse(json_text, nullptr, false);
  if (parsed.root.is_discarded()) return Invalid(base, "is not valid JSON");
  if (!parsed.root.is_object()) return WrongType(base, "an object", parsed.root);
  std::string book_path = base;
  if (auto spec = parsed.root.find("spec"); spec != parsed.root.end() && !spec->is_null()) {
    if (!spec->is_string() || spec->get<std::string>() != "lorebook_v3") {
      return Invalid(JoinPath(base, "spec"), "a lorebook file must say lorebook_v3, got " + spec->dump());
    }
    auto data = parsed.root.find("data");
    if (data == parsed.root.end()) return Invalid(JoinPath(base, "data"), "is required");
    if (!data->is_object()) return WrongType(JoinPath(base, "data"), "an object", *data);
    parsed.lorebook_v3 = true;
    book_path = JoinPath(base, "data");
  }
  const FieldReader reader(parsed.book(), book_path);
  Lorebook& book = parsed.lorebook;
  TROUPE_RETURN_IF_ERROR(reader.String("name", book.name));
  std::string description;
  TROUPE_RETURN_IF_ERROR(reader.String("description", description));
  TROUPE_RETURN_IF_ERROR(reader.Object("extensions"));
  if (reader.Has("scan_depth")) {
    int64_t depth = 0;
    TROUPE_RETURN_IF_ERROR(reader.Integer("scan_depth", depth));
    if (depth < 0) return Invalid(reader.Path("scan_depth"), "must not be negative");
    book.scan_depth = ClampDepth(depth);
  }
  TROUPE_RETURN_IF_ERROR(reader.Integer("token_budget", book.token_budget));
  if (book.token_budget < 0) return Invalid(reader.Path("token_budget"), "must not be negative");
  TROUPE_RETURN_IF_ERROR(reader.Bool("recursive_scanning", book.recursive_scanning));
  TROUPE_RETURN_IF_ERROR(reader.Required("entries"));
  const json& entries = *reader.Find("entries");
  const std::string entries_path = reader.Path("entries");
  if (entries.is_array()) {
    for (size_t i = 0; i < entries.size(); ++i) {
      LorebookEntry entry;
      TROUPE_RETURN_IF_ERROR(ReadCardEntry(entries[i], card_json::IndexPath(entries_path, i), entry));
      book.entries.push_back(std::move(entry));
    }
  } else if (entries.is_object()) {
    parsed.world_info = true;
    for (const auto& [uid, item] : WorldInfoEntries(entries)) {
      LorebookEntry entry;
      TROUPE_RETURN_IF_ERROR(ReadWorldInfoEntry(*item, JoinPath(entries_path, uid), entry));
      book.entries.push_back(std::move(entry));
    }
  } else {
    return WrongType(entries_path, "an array (or World Info's object keyed by uid)", entries);
  }
  return parsed;
}

// World Info field names and the names SillyTavern gives them in a card entry's extensions.
constexpr std::pair<const char*, const char*> kWorldInfoExtensionNames[] = {
    {"position", "position"},
    {"excludeRecursion", "exclude_recursion"},
    {"preventRecursion", "prevent_recursion"},
    {"delayUntilRecursion", "delay_until_recursion"},
    {"displayIndex", "display_index"},
    {"probability", "probability"},
    {"useProbability", "useProbability"},
    {"depth", "depth"},
    {"selectiveLogic", "selectiveLogic"},
    {"group", "group"},
    {"groupOverride", "group_override"},
    {"groupWeight", "group_weight"},
    {"scanDepth", "scan_depth"},
    {"matchWholeWords", "match_whole_words"},
    {"useGroupScoring", "use_group_scoring"},
    {"caseSensitive", "case_sensitive"},
    {"automationId", "automation_id"},
    {"role", "role"},
    {"vectorized", "vectorized"},
    {"sticky", "sticky"},
    {"cooldown", "cooldown"},
    {"delay", "delay"},
};

// A (validated) World Info entry in a card entry's shape.
json CardEntryFromWorldInfo(const json& item) {
  json entry = json::object();
  json extensions = json::object();
  if (auto it = item.find("extensions"); it != item.end() && it->is_object()) extensions = *it;
  auto take = [&](const char* from, const char* to) {
    if (auto it = item.find(from); it != item.end() && !it->is_null() && !entry.contains(to)) entry[to] = *it;
  };
  take("key", "keys");
  take("keysecondary", "secondary_keys");
  take("order", "insertion_order");
  take("uid", "id");
  if (auto it = item.find("disable"); it != item.end() && it->is_boolean()) entry["enabled"] = !it->get<bool>();
  if (auto it = item.find("caseSensitive"); it != item.end() && it->is_boolean()) entry["case_sensitive"] = *it;
  if (auto it = item.find("position"); it != item.end() && it->is_number()) {
    entry["position"] = PositionFromNumber(FieldReader::ToInteger(*it)) == LorebookPosition::kBeforeCharacter
                            ? "before_char"
                            : "after_char";
  }
  for (const char* name : {"keys", "secondary_keys", "content", "enabled", "insertion_order", "case_sensitive", "name",
                           "priority", "id", "comment", "selective", "constant", "position", "use_regex"}) {
    take(name, name);
  }
  static const std::map<std::string, std::string> kRenamed(std::begin(kWorldInfoExtensionNames),
                                                             std::end(kWorldInfoExtensionNames));
  static const std::vector<std::string> kConsumed = {"key", "keysecondary", "order", "uid", "disable", "extensions"};
  for (auto it = item.begin(); it != item.end(); ++it) {
    // Placed at the top level already; SillyTavern's numbered position is kept beside the name.
    if (entry.contains(it.key()) && !(it.key() == "position" && it->is_number())) continue;
    if (std::find(kConsumed.begin(), kConsumed.end(), it.key()) != kConsumed.end()) continue;
    auto renamed = kRenamed.find(it.key());
    extensions[renamed != kRenamed.end() ? renamed->second : it.key()] = *it;
  }
  if (!entry.contains("enabled")) entry["enabled"] = true;
  if (!entry.contains("insertion_order")) entry["insertion_order"] = 100;
  if (!entry.contains("secondary_keys")) entry["secondary_keys"] = json::array();
  entry["extensions"] = std::move(extensions);
  return entry;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Letters of alphabetic scripts count as word characters; punctuation, symbols and scripts
// written without spaces (CJK, kana) do not, so keys in them match anywhere.
bool IsWordCodePoint(uint32_t cp) {
  if (cp < 0x80) return std::isalnum(static_cast<int>(cp)) || cp == '_';
  if (cp >= 0xC0 && cp <= 0x24F) return cp != 0xD7 && cp != 0xF7;  // Latin-1 letters, Latin Extended
  if (cp >= 0x370 && cp <= 0x52F) return cp != 0x37E && cp != 0x387;  // Greek, Cyrillic
  if (cp >= 0x1E00 && cp <= 0x1FFF) return true;                     // Latin and Greek extended
  return false;
}

// The code point starting at `at`, or (for bytes that do not start one) U+FFFD.
uint32_t DecodeAt(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  if (lead < 0x80) return lead;
  int length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 0;
  if (length == 0 || at + static_cast<size_t>(length) > text.size()) return 0xFFFD;
  uint32_t cp = lead & (0x7F >> length);
  for (int i = 1; i < length; ++i) {
    if ((byte(at + static_cast<size_t>(i)) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (byte(at + static_cast<size_t>(i)) & 0x3F);
  }
  return cp;
}

// The code point that ends just before `end`.
uint32_t DecodeBefore(std::string_view text, size_t end) {
  size_t start = end - 1;
  for (int back = 0; back < 3 && start > 0 && (static_cast<unsigned char>(text[start]) & 0xC0) == 0x80; ++back) --start;
  return DecodeAt(text, start);
}

bool IsRegexKey(std::string_view key) {
  if (key.size() < 3 || key.front() != '/') return false;
  const size_t close = key.rfind('/');
  return close > 0 && key.substr(close + 1).find_first_not_of("gimsuyd") == std::string_view::npos;
}

// `key` in `text` (both already case-folded as needed), as a whole word when asked and the key
// begins or ends with a word character.
bool Contains(std::string_view text, std::string_view key, bool whole_words) {
  if (key.empty()) return false;
  const bool check_start = whole_words && IsWordCodePoint(DecodeAt(key, 0));
  const bool check_end = whole_words && IsWordCodePoint(DecodeBefore(key, key.size()));
  for (size_t at = text.find(key); at != std::string_view::npos; at = text.find(key, at + 1)) {
    const size_t end = at + key.size();
    const bool starts = !check_start || at == 0 || !IsWordCodePoint(DecodeBefore(text, at));
    const bool ends = !check_end || end == text.size() || !IsWordCodePoint(DecodeAt(text, end));
    if (starts && ends) return true;
  }
  return false;
}

// The text scanned for keys, as written and ASCII-lowered.
struct ScanText {
  std::string text;
  std::string lower;
  void Append(std::string_view more) {
    text.append(more);
    text += '\n';
    lower = Lower(text);
  }
};

bool KeyMatches(const std::string& key, const LorebookEntry& entry, const ScanText& scan) {
  if (IsRegexKey(key)) return false;
  return entry.case_sensitive ? Contains(scan.text, key, entry.whole_words)
                              : Contains(scan.lower, Lower(key), entry.whole_words);
}

bool AnyKeyMatches(const std::vector<std::string>& keys, const LorebookEntry& entry,
                   const std::vector<const ScanText*>& scans) {
  for (const std::string& key : keys) {
    for (const ScanText* scan : scans) {
      if (KeyMatches(key, entry, *scan)) return true;
    }
  }
  return false;
}

bool Activates(const LorebookEntry& entry, const std::vector<const ScanText*>& scans) {
  if (entry.constant) return true;
  if (!AnyKeyMatches(entry.keys, entry, scans)) return false;
  if (!entry.selective || entry.secondary_keys.empty()) return true;
  size_t matched = 0;
  for (const std::string& key : entry.secondary_keys) {
    if (AnyKeyMatches({key}, entry, scans)) ++matched;
  }
  switch (entry.secondary_logic) {
    case SecondaryKeyLogic::kAndAny: return matched > 0;
    case SecondaryKeyLogic::kNotAll: return matched < entry.secondary_keys.size();
    case SecondaryKeyLogic::kNotAny: return matched == 0;
    case SecondaryKeyLogic::kAndAll: return matched == entry.secondary_keys.size();
  }
  return false;
}

// The content without V3 decorators: its leading lines that begin with "@@", and blank lines
// among them.
std::string WithoutDecorators(const std::string& content) {
  size_t at = 0;
  bool decorated = false;
  while (at < content.size()) {
    const size_t end = std::min(content.find('\n', at), content.size());
    const std::string_view line = std::string_view(content).substr(at, end - at);
    const size_t first = line.find_first_not_of(" \t\r");
    const bool decorator = first != std::string_view::npos && line.substr(first, 2) == "@@";
    if (!decorator && !(decorated && first == std::string_view::npos)) break;
    decorated = decorated || decorator;
    at = end + 1;
  }
  return decorated ? content.substr(std::min(at, content.size())) : content;
}

}  // namespace

Result<Lorebook> ParseCharacterBook(std::string_view json_text, std::string_view path) {
  TROUPE_ASSIGN_OR_RETURN(ParsedBook parsed, Parse(json_text, path));
  return std::move(parsed.lorebook);
}

Result<std::string> CharacterBookJson(std::string_view json_text, std::string_view path) {
  TROUPE_ASSIGN_OR_RETURN(ParsedBook parsed, Parse(json_text, path));
  const json& source = parsed.book();
  if (!parsed.world_info) {
    // Stored as the card had it, with the book's `extensions` the spec requires (exports write it,
    // so a card exported and imported again stores the same book).
    if (auto extensions = source.find("extensions"); extensions != source.end() && extensions->is_object()) {
      return source.dump();
    }
    json book = source;
    book["extensions"] = json::object();
    return book.dump();
  }
  json book = json::object();
  for (const char* field : {"name", "description", "scan_depth", "token_budget", "recursive_scanning"}) {
    if (auto it = source.find(field); it != source.end() && !it->is_null()) book[field] = *it;
  }
  auto extensions = source.find("extensions");
  book["extensions"] = extensions != source.end() && extensions->is_object() ? *extensions : json::object();
  json entries = json::array();
  for (const auto& [uid, item] : WorldInfoEntries(source.at("entries"))) {
    entries.push_back(CardEntryFromWorldInfo(*item));
  }
  book["entries"] = std::move(entries);
  return book.dump();
}

std::vector<ActivatedEntry> ActivateLorebook(const Lorebook& book, const std::vector<std::string>& recent_messages,
                                             const std::function<int64_t(std::string_view)>& count_tokens,
                                             int64_t default_budget) {
  // The messages each scan depth sees, built once per distinct depth.
  std::map<int, ScanText> windows;
  auto window = [&](const LorebookEntry& entry) -> const ScanText& {
    const size_t depth = static_cast<size_t>(std::max(entry.scan_depth.value_or(book.scan_depth), 0));
    auto [it, added] = windows.try_emplace(static_cast<int>(depth));
    if (added) {
      std::string text;
      const size_t first = recent_messages.size() > depth ? recent_messages.size() - depth : 0;
      for (size_t i = first; i < recent_messages.size(); ++i) {
        text += recent_messages[i];
        text += '\n';
      }
      it->second.text = std::move(text);
      it->second.lower = Lower(it->second.text);
    }
    return it->second;
  };

  std::vector<std::string> contents(book.entries.size());
  for (size_t i = 0; i < book.entries.size(); ++i) contents[i] = WithoutDecorators(book.entries[i].content);

  std::vector<bool> active(book.entries.size(), false);
  ScanText recursion;  // text of activated entries, for recursive scanning
  // Each round may only add entries; a book of n entries settles within n rounds, and a few
  // rounds are what real books need.
  const int rounds = book.recursive_scanning ? 8 : 1;
  for (int round = 0; round < rounds; ++round) {
    std::vector<size_t> added;
    for (size_t i = 0; i < book.entries.size(); ++i) {
      const LorebookEntry& entry = book.entries[i];
      if (active[i] || !entry.enabled || contents[i].empty()) continue;
      std::vector<const ScanText*> scans = {&window(entry)};
      if (round > 0 && !entry.exclude_recursion) scans.push_back(&recursion);
      if (Activates(entry, scans)) added.push_back(i);
    }
    if (added.empty()) break;
    std::string more;
    for (size_t i : added) {
      active[i] = true;
      if (!book.entries[i].prevent_recursion) more += contents[i] + '\n';
    }
    if (more.empty()) break;
    recursion.Append(more);
  }

  std::vector<size_t> order;
  for (size_t i = 0; i < active.size(); ++i) {
    if (active[i]) order.push_back(i);
  }
  // Under a short budget, constant entries win, then higher priority.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const LorebookEntry& x = book.entries[a];
    const LorebookEntry& y = book.entries[b];
    if (x.constant != y.constant) return x.constant;
    return x.priority.value_or(x.insertion_order) > y.priority.value_or(y.insertion_order);
  });
  const int64_t budget = book.token_budget > 0 ? book.token_budget : default_budget;
  int64_t used = 0;
  std::vector<ActivatedEntry> kept;
  for (size_t i : order) {
    const int64_t cost = std::max<int64_t>(count_tokens(contents[i]), 0);
    if (cost > budget - used) continue;
    used += cost;
    kept.push_back({std::move(contents[i]), book.entries[i].position, cost, i});
  }
  std::stable_sort(kept.begin(), kept.end(), [&](const ActivatedEntry& a, const ActivatedEntry& b) {
    const int64_t x = book.entries[a.entry_index].insertion_order, y = book.entries[b.entry_index].insertion_order;
    return x != y ? x < y : a.entry_index < b.entry_index;
  });
  return kept;
}

}  // namespace troupe::chat
