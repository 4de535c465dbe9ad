#include "chat/flow.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace troupe::chat {
namespace {

// Errors carry the field path and the position in the file.
class FlowError {
 public:
  FlowError(std::string path, const YAML::Node& node, std::string message)
      : status_(StatusCode::kInvalidArgument,
                path + ": " + message +
                    (node.Mark().is_null() ? std::string()
                                           : " (line " + std::to_string(node.Mark().line + 1) + ", column " +
                                                 std::to_string(node.Mark().column + 1) + ")"),
                path) {}
  const Status& status() const { return status_; }

 private:
  Status status_;
};

std::string Kind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

void RequireMap(const YAML::Node& node, const std::string& path) {
  if (!node.IsMap()) throw FlowError(path, node, "expected a mapping, got " + Kind(node));
}

void OnlyKeys(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> keys) {
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      std::string known;
      for (std::string_view name : keys) known += (known.empty() ? "" : ", ") + std::string(name);
      throw FlowError(path + "." + key, item.first, "unknown key (known: " + known + ")");
    }
  }
}

std::string Text(const YAML::Node& node, const std::string& path) {
  if (!node.IsScalar()) throw FlowError(path, node, "expected text, got " + Kind(node));
  return node.Scalar();
}

template <typename T>
T Number(const YAML::Node& node, const std::string& path, T low, T high) {
  if (!node.IsScalar()) throw FlowError(path, node, "expected a number, got " + Kind(node));
  T value{};
  try {
    value = node.as<T>();
  } catch (const YAML::Exception&) {
    throw FlowError(path, node, "expected a number, got " + Kind(node));
  }
  if (!(value >= low && value <= high)) {
    throw FlowError(path, node, "must be between " + std::to_string(low) + " and " + std::to_string(high));
  }
  return value;
}

bool Bool(const YAML::Node& node, const std::string& path) {
  try {
    return node.as<bool>();
  } catch (const YAML::Exception&) {
    throw FlowError(path, node, "expected true or false, got " + Kind(node));
  }
}

Conditions ReadConditions(const YAML::Node& node, const std::string& path) {
  Conditions when;
  if (!node || node.IsNull()) return when;
  RequireMap(node, path);
  OnlyKeys(node, path,
           {"messages_at_least", "affinity_at_least", "affinity_below", "sentiment_trend_above",
            "sentiment_trend_below", "intent", "idle_minutes_at_least"});
  if (auto n = node["messages_at_least"]) when.messages_at_least = Number<int64_t>(n, path + ".messages_at_least", 0, 1'000'000);
  if (auto n = node["affinity_at_least"]) when.affinity_at_least = Number<double>(n, path + ".affinity_at_least", -1, 1);
  if (auto n = node["affinity_below"]) when.affinity_below = Number<double>(n, path + ".affinity_below", -1, 1);
  if (auto n = node["sentiment_trend_above"]) when.sentiment_trend_above = Number<double>(n, path + ".sentiment_trend_above", -2, 2);
  if (auto n = node["sentiment_trend_below"]) when.sentiment_trend_below = Number<double>(n, path + ".sentiment_trend_below", -2, 2);
  if (auto n = node["intent"]) when.intent = Text(n, path + ".intent");
  if (auto n = node["idle_minutes_at_least"]) when.idle_minutes_at_least = Number<int64_t>(n, path + ".idle_minutes_at_least", 0, 10'000'000);
  return when;
}

llm::Sampling ReadSampling(const YAML::Node& node, const std::string& path) {
  llm::Sampling sampling;
  sampling.max_tokens = 0;
  if (!node) return sampling;
  RequireMap(node, path);
  OnlyKeys(node, path, {"temperature", "top_p", "top_k", "min_p", "repetition_penalty", "max_tokens"});
  if (auto n = node["temperature"]) sampling.temperature = Number<double>(n, path + ".temperature", 0, 5);
  if (auto n = node["top_p"]) sampling.top_p = Number<double>(n, path + ".top_p", 0, 1);
  if (auto n = node["top_k"]) sampling.top_k = Number<int>(n, path + ".top_k", 0, 100'000);
  if (auto n = node["min_p"]) sampling.min_p = Number<double>(n, path + ".min_p", 0, 1);
  if (auto n = node["repetition_penalty"]) sampling.repetition_penalty = Number<double>(n, path + ".repetition_penalty", 0.01, 10);
  if (auto n = node["max_tokens"]) sampling.max_tokens = Number<int>(n, path + ".max_tokens", 1, 100'000);
  return sampling;
}

ReplyStyle ReadReply(const YAML::Node& node, const std::string& path) {
  ReplyStyle style;
  if (!node) return style;
  RequireMap(node, path);
  OnlyKeys(node, path, {"split", "max_messages", "max_sentences", "max_paragraphs", "typing_chars_per_second",
                        "min_delay_ms", "max_delay_ms"});
  if (auto n = node["split"]) {
    const std::string split = Text(n, path + ".split");
    if (split == "none") style.split = SplitMode::kNone;
    else if (split == "paragraph") style.split = SplitMode::kParagraph;
    else if (split == "sentence") style.split = SplitMode::kSentence;
    else throw FlowError(path + ".split", n, "must be none, paragraph or sentence, got '" + split + "'");
  }
  if (auto n = node["max_messages"]) style.max_messages = Number<int>(n, path + ".max_messages", 1, 20);
  if (auto n = node["max_sentences"]) style.max_sentences = Number<int>(n, path + ".max_sentences", 0, 1000);
  if (auto n = node["max_paragraphs"]) style.max_paragraphs = Number<int>(n, path + ".max_paragraphs", 0, 1000);
  if (auto n = node["typing_chars_per_second"]) style.typing_chars_per_second = Number<double>(n, path + ".typing_chars_per_second", 0, 10'000);
  if (auto n = node["min_delay_ms"]) style.min_delay_ms = Number<int64_t>(n, path + ".min_delay_ms", 0, 60'000);
  if (auto n = node["max_delay_ms"]) style.max_delay_ms = Number<int64_t>(n, path + ".max_delay_ms", 0, 120'000);
  return style;
}

// "HH:MM-HH:MM" -> minutes of the day, or nullopt.
std::optional<std::pair<int, int>> ParseQuietHours(const std::string& text) {
  int h1 = 0, m1 = 0, h2 = 0, m2 = 0;
  char tail = 0;
  if (std::sscanf(text.c_str(), "%d:%d-%d:%d%c", &h1, &m1, &h2, &m2, &tail) != 4) return std::nullopt;
  if (h1 < 0 || h1 > 23 || h2 < 0 || h2 > 24 || m1 < 0 || m1 > 59 || m2 < 0 || m2 > 59) return std::nullopt;
  return std::make_pair(h1 * 60 + m1, h2 * 60 + m2);
}

ProactivePolicy ReadProactive(const YAML::Node& node, const std::string& path) {
  ProactivePolicy policy;
  RequireMap(node, path);
  OnlyKeys(node, path, {"after_minutes", "prompt", "quiet_hours", "daily_cap", "backoff_factor", "max_unanswered"});
  if (auto n = node["after_minutes"]) policy.after_minutes = Number<int64_t>(n, path + ".after_minutes", 1, 10'000'000);
  if (auto n = node["prompt"]) policy.prompt = Text(n, path + ".prompt");
  if (auto n = node["quiet_hours"]) {
    policy.quiet_hours = Text(n, path + ".quiet_hours");
    if (!ParseQuietHours(policy.quiet_hours)) throw FlowError(path + ".quiet_hours", n, "expected HH:MM-HH:MM");
  }
  if (auto n = node["daily_cap"]) policy.daily_cap = Number<int>(n, path + ".daily_cap", 0, 1000);
  if (auto n = node["backoff_factor"]) policy.backoff_factor = Number<double>(n, path + ".backoff_factor", 1, 100);
  if (auto n = node["max_unanswered"]) policy.max_unanswered = Number<int>(n, path + ".max_unanswered", 0, 1000);
  return policy;
}

Stage ReadStage(const std::string& name, const YAML::Node& node, const std::string& path) {
  Stage stage;
  stage.name = name;
  if (node.IsNull()) return stage;
  RequireMap(node, path);
  OnlyKeys(node, path, {"prompt", "romance", "opens_conversation", "provider", "sampling", "reply", "proactive",
                        "transitions"});
  if (auto n = node["prompt"]) stage.prompt = Text(n, path + ".prompt");
  if (auto n = node["romance"]) {
    const std::string romance = Text(n, path + ".romance");
    if (romance == "none") stage.romance = Romance::kNone;
    else if (romance == "flirty") stage.romance = Romance::kFlirty;
    else if (romance == "romantic") stage.romance = Romance::kRomantic;
    else throw FlowError(path + ".romance", n, "must be none, flirty or romantic, got '" + romance + "'");
  }
  if (auto n = node["opens_conversation"]) stage.opens_conversation = Bool(n, path + ".opens_conversation");
  if (auto n = node["provider"]) stage.provider = Text(n, path + ".provider");
  stage.sampling = ReadSampling(node["sampling"], path + ".sampling");
  stage.reply = ReadReply(node["reply"], path + ".reply");
  if (auto n = node["proactive"]) stage.proactive = ReadProactive(n, path + ".proactive");
  if (auto n = node["transitions"]) {
    if (!n.IsSequence()) throw FlowError(path + ".transitions", n, "expected a list, got " + Kind(n));
    for (size_t i = 0; i < n.size(); ++i) {
      const std::string item_path = path + ".transitions[" + std::to_string(i) + "]";
      const YAML::Node item = n[i];
      RequireMap(item, item_path);
      OnlyKeys(item, item_path, {"to", "when"});
      if (!item["to"]) throw FlowError(item_path + ".to", item, "is required");
      stage.transitions.push_back({Text(item["to"], item_path + ".to"), ReadConditions(item["when"], item_path + ".when")});
    }
  }
  return stage;
}

Flow ReadFlow(const YAML::Node& root) {
  Flow flow;
  RequireMap(root, "flow");
  OnlyKeys(root, "flow", {"name", "start", "stages", "moods"});
  if (auto n = root["name"]) flow.name = Text(n, "name");
  const YAML::Node stages = root["stages"];
  if (!stages) throw FlowError("stages", root, "is required");
  RequireMap(stages, "stages");
  if (stages.size() == 0) throw FlowError("stages", stages, "a flow needs at least one stage");
  for (const auto& item : stages) {
    const std::string name = item.first.Scalar();
    if (name.empty()) throw FlowError("stages", item.first, "a stage needs a name");
    flow.stages.push_back(ReadStage(name, item.second, "stages." + name));
  }
  flow.start = root["start"] ? Text(root["start"], "start") : flow.stages.front().name;
  if (auto moods = root["moods"]) {
    RequireMap(moods, "moods");
    OnlyKeys(moods, "moods", {"options", "rules", "change_every_messages"});
    if (auto options = moods["options"]) {
      if (!options.IsSequence()) throw FlowError("moods.options", options, "expected a list, got " + Kind(options));
      for (size_t i = 0; i < options.size(); ++i) {
        const std::string path = "moods.options[" + std::to_string(i) + "]";
        RequireMap(options[i], path);
        OnlyKeys(options[i], path, {"name", "weight", "prompt"});
        Mood mood;
        if (!options[i]["name"]) throw FlowError(path + ".name", options[i], "is required");
        mood.name = Text(options[i]["name"], path + ".name");
        if (auto w = options[i]["weight"]) mood.weight = Number<double>(w, path + ".weight", 0, 1'000'000);
        if (auto p = options[i]["prompt"]) mood.prompt = Text(p, path + ".prompt");
        flow.moods.push_back(std::move(mood));
      }
    }
    if (auto rules = moods["rules"]) {
      if (!rules.IsSequence()) throw FlowError("moods.rules", rules, "expected a list, got " + Kind(rules));
      for (size_t i = 0; i < rules.size(); ++i) {
        const std::string path = "moods.rules[" + std::to_string(i) + "]";
        RequireMap(rules[i], path);
        OnlyKeys(rules[i], path, {"when", "mood"});
        if (!rules[i]["mood"]) throw FlowError(path + ".mood", rules[i], "is required");
        flow.mood_rules.push_back({ReadConditions(rules[i]["when"], path + ".when"), Text(rules[i]["mood"], path + ".mood")});
      }
    }
    if (auto every = moods["change_every_messages"]) {
      flow.change_mood_every_messages = Number<int64_t>(every, "moods.change_every_messages", 0, 1'000'000);
    }
  }
  return flow;
}

bool Holds(const Conditions& when, const ConversationSignals& signals) {
  if (when.messages_at_least && signals.message_count < *when.messages_at_least) return false;
  if (when.affinity_at_least && signals.affinity < *when.affinity_at_least) return false;
  if (when.affinity_below && signals.affinity >= *when.affinity_below) return false;
  if (when.sentiment_trend_above && signals.sentiment_trend <= *when.sentiment_trend_above) return false;
  if (when.sentiment_trend_below && signals.sentiment_trend >= *when.sentiment_trend_below) return false;
  if (when.intent && signals.last_intent != *when.intent) return false;
  if (when.idle_minutes_at_least && signals.idle_ms < *when.idle_minutes_at_least * 60'000) return false;
  return true;
}

// splitmix64: a seeded draw that is the same on every platform.
uint64_t Mix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

std::string DrawMood(const Flow& flow, const ConversationSignals& signals, uint64_t seed) {
  for (const MoodRule& rule : flow.mood_rules) {
    if (Holds(rule.when, signals)) return rule.mood;
  }
  double total = 0;
  for (const Mood& mood : flow.moods) total += mood.weight;
  if (total <= 0) return flow.moods.empty() ? std::string() : flow.moods.front().name;
  const double draw = static_cast<double>(Mix(seed) >> 11) / static_cast<double>(1ull << 53) * total;
  double running = 0;
  for (const Mood& mood : flow.moods) {
    running += mood.weight;
    if (draw < running) return mood.name;
  }
  return flow.moods.back().name;
}

// Whole words that mark a stage prompt as romantic, refused for minors whatever `romance` says.
constexpr std::string_view kRomanticWords[] = {"flirt",   "flirty",   "flirting", "romance", "romantic",
                                               "kiss",    "kissing",  "lover",    "lovers",  "seduce",
                                               "seductive", "sexy",   "sensual",  "intimate", "girlfriend",
                                               "boyfriend", "darling", "crush",   "dating",  "date night"};

std::optional<std::string> RomanticWordIn(std::string_view prompt) {
  std::string lower(prompt);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (std::string_view word : kRomanticWords) {
    size_t at = 0;
    while ((at = lower.find(word, at)) != std::string::npos) {
      const bool starts = at == 0 || !std::isalpha(static_cast<unsigned char>(lower[at - 1]));
      const size_t end = at + word.size();
      const bool ends = end == lower.size() || !std::isalpha(static_cast<unsigned char>(lower[end]));
      if (starts && ends) return std::string(word);
      at = end;
    }
  }
  return std::nullopt;
}

}  // namespace

bool Conditions::OnlyMonotonic() const {
  return !affinity_at_least && !affinity_below && !sentiment_trend_above && !sentiment_trend_below && !intent &&
         !idle_minutes_at_least;
}

const Stage* Flow::FindStage(std::string_view name) const {
  for (const Stage& stage : stages) {
    if (stage.name == name) return &stage;
  }
  return nullptr;
}

const Mood* Flow::FindMood(std::string_view name) const {
  for (const Mood& mood : moods) {
    if (mood.name == name) return &mood;
  }
  return nullptr;
}

Flow DefaultFlow() {
  Flow flow;
  flow.name = "default";
  flow.start = "conversation";
  Stage stage;
  stage.name = "conversation";
  flow.stages.push_back(std::move(stage));
  return flow;
}

Result<Flow> ParseFlow(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return Status(StatusCode::kInvalidArgument,
                  "flow: not valid YAML: " + error.msg + " (line " + std::to_string(error.mark.line + 1) +
                      ", column " + std::to_string(error.mark.column + 1) + ")",
                  "flow");
  }
  try {
    return ReadFlow(root);
  } catch (const FlowError& error) {
    return error.status();
  } catch (const YAML::Exception& error) {
    return Status(StatusCode::kInvalidArgument, std::string("flow: ") + error.what(), "flow");
  }
}

CharacterTraits TraitsFromExtensions(std::string_view extensions_json) {
  CharacterTraits traits;
  const nlohmann::json extensions = nlohmann::json::parse(extensions_json, nullptr, false);
  if (!extensions.is_object()) return traits;
  auto troupe = extensions.find("troupe");
  if (troupe == extensions.end() || !troupe->is_object()) return traits;
  if (auto minor = troupe->find("minor"); minor != troupe->end() && minor->is_boolean()) traits.minor = minor->get<bool>();
  if (auto age = troupe->find("age"); age != troupe->end() && age->is_number() && age->get<double>() < 18) {
    traits.minor = true;
  }
  return traits;
}

Status ValidateFlow(const Flow& flow, const CharacterTraits& traits) {
  std::set<std::string> names;
  for (const Stage& stage : flow.stages) {
    if (!names.insert(stage.name).second) {
      return Status(StatusCode::kInvalidArgument, "stages." + stage.name + ": defined twice", "stages." + stage.name);
    }
  }
  if (!flow.FindStage(flow.start)) {
    return Status(StatusCode::kInvalidArgument, "start: unknown stage '" + flow.start + "'", "start");
  }
  for (const Stage& stage : flow.stages) {
    for (size_t i = 0; i < stage.transitions.size(); ++i) {
      const std::string& to = stage.transitions[i].to;
      if (!flow.FindStage(to)) {
        const std::string field = "stages." + stage.name + ".transitions[" + std::to_string(i) + "].to";
        return Status(StatusCode::kInvalidArgument, field + ": unknown stage '" + to + "'", field);
      }
    }
  }
  for (const MoodRule& rule : flow.mood_rules) {
    if (!flow.FindMood(rule.mood)) {
      return Status(StatusCode::kInvalidArgument, "moods.rules: unknown mood '" + rule.mood + "'", "moods.rules");
    }
  }
  // Cycles over transitions that, once they hold, hold forever: following them would never stop.
  std::map<std::string, std::vector<std::string>> always;
  for (const Stage& stage : flow.stages) {
    for (const Transition& transition : stage.transitions) {
      if (transition.when.OnlyMonotonic()) always[stage.name].push_back(transition.to);
    }
  }
  std::map<std::string, int> color;  // 0 new, 1 on the path, 2 done
  std::vector<std::string> path;
  std::function<std::optional<std::string>(const std::string&)> visit = [&](const std::string& name) -> std::optional<std::string> {
    color[name] = 1;
    path.push_back(name);
    for (const std::string& next : always[name]) {
      if (color[next] == 1) {
        std::string cycle;
        for (auto it = std::find(path.begin(), path.end(), next); it != path.end(); ++it) cycle += *it + " -> ";
        return cycle + next;
      }
      if (color[next] == 0) {
        if (auto found = visit(next)) return found;
      }
    }
    path.pop_back();
    color[name] = 2;
    return std::nullopt;
  };
  for (const Stage& stage : flow.stages) {
    if (color[stage.name] != 0) continue;
    if (auto cycle = visit(stage.name)) {
      return Status(StatusCode::kInvalidArgument,
                    "stages." + path.front() + ".transitions: the cycle " + *cycle +
                        " has no exit: its transitions depend only on the message count, which only grows, so "
                        "the conversation would bounce between these stages forever; give one of them a "
                        "condition that can stop holding, or remove a transition",
                    "stages." + path.front() + ".transitions");
    }
  }
  if (traits.minor) {
    for (const Stage& stage : flow.stages) {
      if (stage.romance != Romance::kNone) {
        return Status(StatusCode::kInvalidArgument,
                      "stages." + stage.name + ".romance: the character is a minor, so no stage may be " +
                          (stage.romance == Romance::kFlirty ? "flirty" : "romantic"),
                      "stages." + stage.name + ".romance");
      }
      if (auto word = RomanticWordIn(stage.prompt)) {
        return Status(StatusCode::kInvalidArgument,
                      "stages." + stage.name + ".prompt: the character is a minor and this stage's prompt uses "
                      "romantic wording ('" + *word + "')",
                      "stages." + stage.name + ".prompt");
      }
    }
  }
  return Status::Ok();
}

Status CheckCharacterFlow(const std::string& flow_yaml, std::string_view extensions_json) {
  if (flow_yaml.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
  Result<Flow> flow = ParseFlow(flow_yaml);
  if (!flow.ok()) {
    return Status(StatusCode::kInvalidArgument, "flow: " + flow.status().message(), "flow." + flow.status().field());
  }
  Status valid = ValidateFlow(*flow, TraitsFromExtensions(extensions_json));
  if (!valid.ok()) return Status(StatusCode::kInvalidArgument, "flow: " + valid.message(), "flow." + valid.field());
  return Status::Ok();
}

FlowStep Advance(const Flow& flow, const FlowState& state, const ConversationSignals& signals, uint64_t seed) {
  FlowStep step;
  step.state = state;
  if (!flow.FindStage(step.state.stage)) {
    step.state.stage = flow.start;
    step.stage_changed = true;
  }
  std::set<std::string> visited = {step.state.stage};
  for (;;) {
    const Stage* stage = flow.FindStage(step.state.stage);
    const Transition* taken = nullptr;
    for (const Transition& transition : stage->transitions) {
      if (Holds(transition.when, signals)) {
        taken = &transition;
        break;
      }
    }
    if (taken == nullptr || visited.count(taken->to) != 0) break;
    step.state.stage = taken->to;
    step.stage_changed = true;
    visited.insert(taken->to);
  }
  const bool mood_due = flow.change_mood_every_messages > 0 && signals.message_count > 0 &&
                        signals.message_count % flow.change_mood_every_messages == 0;
  if (!flow.moods.empty() &&
      (step.stage_changed || mood_due || !flow.FindMood(step.state.mood))) {
    step.state.mood = DrawMood(flow, signals, seed);
  } else if (flow.moods.empty()) {
    step.state.mood.clear();
  }
  return step;
}

std::optional<int64_t> NextProactiveAt(const ProactivePolicy& policy, int64_t last_activity_ms, int unanswered,
                                       int sent_today, int64_t now_ms) {
  if (unanswered >= policy.max_unanswered) return std::nullopt;
  constexpr int64_t kMinute = 60'000;
  constexpr int64_t kDay = 24 * 60 * kMinute;
  const double wait = static_cast<double>(policy.after_minutes * kMinute) * std::pow(policy.backoff_factor, unanswered);
  int64_t at = last_activity_ms + static_cast<int64_t>(std::min(wait, 3650.0 * static_cast<double>(kDay)));
  if (sent_today >= policy.daily_cap) {
    // Not before the next UTC day.
    const int64_t tomorrow = (now_ms / kDay + 1) * kDay;
    at = std::max(at, tomorrow);
  }
  if (auto quiet = ParseQuietHours(policy.quiet_hours)) {
    const int64_t minute = (at % kDay) / kMinute;
    const auto [from, to] = *quiet;
    const bool inside = from <= to ? (minute >= from && minute < to) : (minute >= from || minute < to);
    if (inside) {
      const int64_t day_start = at - at % kDay;
      int64_t end = day_start + to * kMinute;
      if (end <= at) end += kDay;
      at = end;
    }
  }
  return at;
}

}  // namespace troupe::chat
