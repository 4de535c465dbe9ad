#include "chat/lorebook.h"

#include <algorithm>
#include <cctype>

#include <nlohmann/json.hpp>

namespace troupe::chat {
namespace {

using nlohmann::json;

Status Bad(const std::string& path, const std::string& message) {
  return Status(StatusCode::kInvalidArgument, "character_book." + path + ": " + message, "character_book." + path);
}

std::string TypeName(const json& value) { return value.type_name(); }

Result<std::vector<std::string>> Strings(const json& value, const std::string& path) {
  if (!value.is_array()) return Bad(path, std::string("expected an array of strings, got ") + TypeName(value));
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string()) {
      return Bad(path + "[" + std::to_string(i) + "]", std::string("expected a string, got ") + TypeName(value[i]));
    }
    out.push_back(value[i].get<std::string>());
  }
  return out;
}

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool WordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || (static_cast<unsigned char>(c) & 0x80); }

// `key` in `text` as a whole word (keys that begin or end with punctuation match anywhere).
bool Contains(const std::string& text, const std::string& key) {
  if (key.empty()) return false;
  size_t at = 0;
  while ((at = text.find(key, at)) != std::string::npos) {
    const size_t end = at + key.size();
    const bool starts = at == 0 || !WordChar(key.front()) || !WordChar(text[at - 1]);
    const bool ends = end == text.size() || !WordChar(key.back()) || !WordChar(text[end]);
    if (starts && ends) return true;
    ++at;
  }
  return false;
}

bool AnyMatches(const std::vector<std::string>& keys, const std::string& text, const std::string& lower_text,
                bool case_sensitive) {
  for (const std::string& key : keys) {
    if (case_sensitive ? Contains(text, key) : Contains(lower_text, Lower(key))) return true;
  }
  return false;
}

}  // namespace

Result<Lorebook> ParseCharacterBook(std::string_view json_text) {
  const json root = json::parse(json_text, nullptr, false);
  if (!root.is_object()) return Status(StatusCode::kInvalidArgument, "character_book: expected a JSON object", "character_book");
  Lorebook book;
  if (auto it = root.find("name"); it != root.end() && it->is_string()) book.name = it->get<std::string>();
  if (auto it = root.find("scan_depth"); it != root.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return Bad("scan_depth", "expected a non-negative integer");
    book.scan_depth = static_cast<int>(std::min<int64_t>(it->get<int64_t>(), 1000));
  }
  if (auto it = root.find("token_budget"); it != root.end() && !it->is_null()) {
    if (!it->is_number_integer() || it->get<int64_t>() < 0) return Bad("token_budget", "expected a non-negative integer");
    book.token_budget = it->get<int64_t>();
  }
  if (auto it = root.find("recursive_scanning"); it != root.end() && it->is_boolean()) book.recursive_scanning = it->get<bool>();
  auto entries = root.find("entries");
  if (entries == root.end()) return Bad("entries", "is required");
  if (!entries->is_array()) return Bad("entries", std::string("expected an array, got ") + TypeName(*entries));
  for (size_t i = 0; i < entries->size(); ++i) {
    const json& item = (*entries)[i];
    const std::string path = "entries[" + std::to_string(i) + "]";
    if (!item.is_object()) return Bad(path, std::string("expected an object, got ") + TypeName(item));
    LorebookEntry entry;
    if (auto keys = item.find("keys"); keys != item.end()) {
      TROUPE_ASSIGN_OR_RETURN(entry.keys, Strings(*keys, path + ".keys"));
    } else {
      return Bad(path + ".keys", "is required");
    }
    if (auto keys = item.find("secondary_keys"); keys != item.end() && !keys->is_null()) {
      TROUPE_ASSIGN_OR_RETURN(entry.secondary_keys, Strings(*keys, path + ".secondary_keys"));
    }
    auto content = item.find("content");
    if (content == item.end() || !content->is_string()) return Bad(path + ".content", "expected a string");
    entry.content = content->get<std::string>();
    auto flag = [&](const char* name, bool& field) -> Status {
      if (auto it = item.find(name); it != item.end() && !it->is_null()) {
        if (!it->is_boolean()) return Bad(path + "." + name, std::string("expected true or false, got ") + TypeName(*it));
        field = it->get<bool>();
      }
      return Status::Ok();
    };
    TROUPE_RETURN_IF_ERROR(flag("enabled", entry.enabled));
    TROUPE_RETURN_IF_ERROR(flag("constant", entry.constant));
    TROUPE_RETURN_IF_ERROR(flag("selective", entry.selective));
    TROUPE_RETURN_IF_ERROR(flag("case_sensitive", entry.case_sensitive));
    auto number = [&](const char* name, int64_t& field) -> Status {
      if (auto it = item.find(name); it != item.end() && !it->is_null()) {
        if (!it->is_number()) return Bad(path + "." + name, std::string("expected a number, got ") + TypeName(*it));
        field = static_cast<int64_t>(it->get<double>());
      }
      return Status::Ok();
    };
    TROUPE_RETURN_IF_ERROR(number("insertion_order", entry.insertion_order));
    TROUPE_RETURN_IF_ERROR(number("priority", entry.priority));
    if (auto it = item.find("position"); it != item.end() && it->is_string()) {
      const std::string position = it->get<std::string>();
      if (position == "after_char") entry.position = LorebookPosition::kAfterCharacter;
      else if (position == "before_char" || position.empty()) entry.position = LorebookPosition::kBeforeCharacter;
      else return Bad(path + ".position", "must be before_char or after_char, got '" + position + "'");
    }
    if (auto it = item.find("name"); it != item.end() && it->is_string()) entry.name = it->get<std::string>();
    book.entries.push_back(std::move(entry));
  }
  return book;
}

std::vector<ActivatedEntry> ActivateLorebook(const Lorebook& book, const std::vector<std::string>& recent_messages,
                                             const std::function<int64_t(std::string_view)>& count_tokens,
                                             int64_t default_budget) {
  std::string text;
  const size_t depth = static_cast<size_t>(std::max(book.scan_depth, 0));
  for (size_t i = recent_messages.size() > depth ? recent_messages.size() - depth : 0; i < recent_messages.size(); ++i) {
    text += recent_messages[i];
    text += '\n';
  }
  std::vector<bool> active(book.entries.size(), false);
  // Recursive scanning: activated entries' text joins the scanned text, until nothing new matches.
  for (int round = 0; round < (book.recursive_scanning ? 4 : 1); ++round) {
    const std::string lower = Lower(text);
    bool added = false;
    std::string activated_text;
    for (size_t i = 0; i < book.entries.size(); ++i) {
      const LorebookEntry& entry = book.entries[i];
      if (active[i] || !entry.enabled) continue;
      bool on = entry.constant || AnyMatches(entry.keys, text, lower, entry.case_sensitive);
      if (on && !entry.constant && entry.selective && !entry.secondary_keys.empty()) {
        on = AnyMatches(entry.secondary_keys, text, lower, entry.case_sensitive);
      }
      if (!on) continue;
      active[i] = true;
      added = true;
      activated_text += entry.content + '\n';
    }
    if (!added) break;
    text += activated_text;
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < active.size(); ++i) {
    if (active[i]) order.push_back(i);
  }
  // Under a short budget, constant and high-priority entries win.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    const LorebookEntry& x = book.entries[a];
    const LorebookEntry& y = book.entries[b];
    if (x.constant != y.constant) return x.constant;
    if (x.priority != y.priority) return x.priority > y.priority;
    return x.insertion_order < y.insertion_order;
  });
  const int64_t budget = book.token_budget > 0 ? book.token_budget : default_budget;
  int64_t used = 0;
  std::vector<size_t> kept;
  std::vector<int64_t> costs(book.entries.size(), 0);
  for (size_t i : order) {
    const int64_t cost = count_tokens(book.entries[i].content);
    if (used + cost > budget) continue;
    used += cost;
    costs[i] = cost;
    kept.push_back(i);
  }
  std::stable_sort(kept.begin(), kept.end(), [&](size_t a, size_t b) {
    return book.entries[a].insertion_order < book.entries[b].insertion_order;
  });
  std::vector<ActivatedEntry> result;
  for (size_t i : kept) result.push_back({book.entries[i].content, book.entries[i].position, costs[i]});
  return result;
}

}  // namespace troupe::chat
