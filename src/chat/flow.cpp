// Validation (the safety gate included), evaluation and proactive timing of flows. Parsing is in
// flow_parse.cpp.
#include "chat/flow.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <functional>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include <nlohmann/json.hpp>

#include "base/split_mix64.h"

namespace troupe::chat {
namespace {

constexpr int64_t kMinuteMs = 60'000;
constexpr int64_t kDayMs = 24 * 60 * kMinuteMs;

Status Invalid(const Flow& flow, const std::string& field, const std::string& message) {
  std::string where;
  if (auto it = flow.positions.find(field); it != flow.positions.end()) {
    where = " (line " + std::to_string(it->second.line) + ", column " + std::to_string(it->second.column) + ")";
  }
  return Status(StatusCode::kInvalidArgument, field + ": " + message + where, field);
}

bool Holds(const Conditions& when, const ConversationSignals& signals) {
  if (when.messages_at_least && signals.message_count < *when.messages_at_least) return false;
  if (when.affinity_at_least && signals.affinity < *when.affinity_at_least) return false;
  if (when.affinity_below && signals.affinity >= *when.affinity_below) return false;
  if (when.sentiment_trend_above && signals.sentiment_trend <= *when.sentiment_trend_above) return false;
  if (when.sentiment_trend_below && signals.sentiment_trend >= *when.sentiment_trend_below) return false;
  if (when.intent && signals.last_intent != *when.intent) return false;
  if (when.idle_minutes_at_least && signals.idle_ms < *when.idle_minutes_at_least * kMinuteMs) return false;
  return true;
}

// The same draw on every platform and standard library.
uint64_t Mix(uint64_t x) { return SplitMix64(x); }

uint64_t HashName(std::string_view name) {  // FNV-1a
  uint64_t hash = 0xCBF29CE484222325ull;
  for (unsigned char c : name) hash = (hash ^ c) * 0x100000001B3ull;
  return hash;
}

std::string WeightedMood(const Flow& flow, const std::string& stage, const ConversationSignals& signals,
                         uint64_t conversation_seed) {
  const int64_t period = flow.change_mood_every_messages > 0
                             ? std::max<int64_t>(signals.message_count, 0) / flow.change_mood_every_messages
                             : 0;
  const uint64_t draw_seed = Mix(Mix(conversation_seed) ^ HashName(stage) ^ Mix(static_cast<uint64_t>(period)));
  double total = 0;
  for (const Mood& mood : flow.moods) total += mood.weight;
  if (total <= 0) return flow.moods.front().name;
  const double draw = static_cast<double>(draw_seed >> 11) / static_cast<double>(1ull << 53) * total;
  double running = 0;
  for (const Mood& mood : flow.moods) {
    running += mood.weight;
    if (draw < running) return mood.name;
  }
  return flow.moods.back().name;
}

// --- The safety gate's wording check ------------------------------------------------------------

// Whole words (and two-word phrases) that make a text romantic or flirty, refused for minors
// whatever `romance` says. Clear cases only: a word a children's story uses innocently ("crush"
// the herbs, "date" of the exam, "love" of books) is not here.
const std::set<std::string, std::less<>>& RomanticWords() {
  static const std::set<std::string, std::less<>> words = {
      "flirt",     "flirts",      "flirted",     "flirting",   "flirty",     "flirtatious", "flirtation",
      "romance",   "romances",    "romancing",   "romantic",   "romantically", "kiss",      "kisses",
      "kissed",    "kissing",     "smooch",      "lover",      "lovers",     "seduce",      "seduces",
      "seduced",   "seducing",    "seduction",   "seductive",  "sexy",       "sex",         "sexual",
      "sexually",  "erotic",      "sensual",     "intimate",   "intimacy",   "girlfriend",  "girlfriends",
      "boyfriend", "boyfriends",  "sweetheart",  "sweethearts", "dating",    "makeout",     "nsfw",
      "lust",      "lustful",     "caress",      "caresses",   "caressing",  "aroused",     "arousal",
      "naked",     "nude",        "lingerie",    "honeymoon",  "courtship",  "wooing",      "valentine"};
  return words;
}

constexpr std::pair<std::string_view, std::string_view> kRomanticPhrases[] = {
    {"date", "night"}, {"in", "love"}, {"crush", "on"}, {"make", "love"}, {"making", "out"}, {"go", "steady"}};

// Lower-case ASCII words of `text` ("{{user}}" gives "user", "date_night" gives "date", "night").
std::vector<std::string> Words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z')) {
      word += static_cast<char>(std::tolower(u));
    } else if (!word.empty()) {
      words.push_back(std::move(word));
      word.clear();
    }
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

std::optional<std::string> RomanticWordIn(std::string_view text) {
  const std::vector<std::string> words = Words(text);
  for (size_t i = 0; i < words.size(); ++i) {
    if (RomanticWords().count(words[i]) != 0) return words[i];
    if (i + 1 < words.size()) {
      for (const auto& [first, second] : kRomanticPhrases) {
        if (words[i] == first && words[i + 1] == second) return words[i] + " " + words[i + 1];
      }
    }
  }
  return std::nullopt;
}

Status CheckForMinor(const Flow& flow) {
  const std::string minor = "the character is a minor, so ";
  auto wording = [&](const std::string& field, std::string_view text) -> Status {
    if (auto word = RomanticWordIn(text)) {
      return Invalid(flow, field, minor + "romantic wording ('" + *word + "') is not allowed here");
    }
    return Status::Ok();
  };
  for (const Stage& stage : flow.stages) {
    const std::string path = "stages." + stage.name;
    if (stage.romance != Romance::kNone) {
      return Invalid(flow, path + ".romance",
                     minor + "no stage may be " + (stage.romance == Romance::kFlirty ? "flirty" : "romantic"));
    }
    TROUPE_RETURN_IF_ERROR(wording(path, stage.name));
    TROUPE_RETURN_IF_ERROR(wording(path + ".prompt", stage.prompt));
    if (stage.proactive) TROUPE_RETURN_IF_ERROR(wording(path + ".proactive.prompt", stage.proactive->prompt));
    if (stage.pictures) TROUPE_RETURN_IF_ERROR(wording(path + ".pictures.prompt", stage.pictures->prompt));
  }
  // Every mood can colour every stage.
  for (size_t i = 0; i < flow.moods.size(); ++i) {
    const std::string path = "moods.options[" + std::to_string(i) + "]";
    TROUPE_RETURN_IF_ERROR(wording(path + ".name", flow.moods[i].name));
    TROUPE_RETURN_IF_ERROR(wording(path + ".prompt", flow.moods[i].prompt));
  }
  return wording("name", flow.name);
}

// --- Finding stages by name ----------------------------------------------------------------------

// Stage names to their index in flow.stages, built once so that a lookup inside a loop over
// transitions costs O(1) (Flow::FindStage scans). Of two stages with one name the first is kept,
// as FindStage finds it.
using StageIndex = std::unordered_map<std::string_view, size_t>;

StageIndex IndexStages(const Flow& flow) {
  StageIndex index;
  index.reserve(flow.stages.size());
  for (size_t i = 0; i < flow.stages.size(); ++i) index.emplace(flow.stages[i].name, i);
  return index;
}

// For Advance, which a turn usually leaves after a lookup or two: scans for the first few, then
// indexes, so a call that follows a long chain of transitions stays linear.
class StageFinder {
 public:
  explicit StageFinder(const Flow& flow) : flow_(flow) {}

  const Stage* Find(std::string_view name) {
    if (scans_left_ > 0) {
      --scans_left_;
      return flow_.FindStage(name);
    }
    if (!index_) index_ = IndexStages(flow_);
    auto it = index_->find(name);
    return it == index_->end() ? nullptr : &flow_.stages[it->second];
  }

 private:
  const Flow& flow_;
  int scans_left_ = 4;
  std::optional<StageIndex> index_;
};

// --- Cycles without exit -------------------------------------------------------------------------

// A cycle of transitions whose conditions are all empty or only `messages_at_least`: the message
// count only grows, so once every one of them holds, the conversation would go round the cycle on
// every turn, forever. Returns the field of the transition that closes the first such cycle found
// and the cycle's stages.
std::optional<std::pair<std::string, std::string>> CycleWithoutExit(const Flow& flow, const StageIndex& index) {
  struct Edge {
    size_t to;
    size_t index;  // in the stage's transitions
  };
  std::vector<std::vector<Edge>> always(flow.stages.size());
  for (size_t s = 0; s < flow.stages.size(); ++s) {
    const auto& transitions = flow.stages[s].transitions;
    for (size_t t = 0; t < transitions.size(); ++t) {
      if (!transitions[t].when.OnlyMonotonic()) continue;
      if (auto target = index.find(transitions[t].to); target != index.end()) {
        always[s].push_back({target->second, t});
      }
    }
  }
  // Iterative depth-first search (a hostile flow may have many stages): 0 new, 1 on the path, 2 done.
  std::vector<int> color(flow.stages.size(), 0);
  for (size_t root = 0; root < flow.stages.size(); ++root) {
    if (color[root] != 0) continue;
    std::vector<std::pair<size_t, size_t>> stack = {{root, 0}};  // stage, next edge
    color[root] = 1;
    while (!stack.empty()) {
      auto& [stage, next] = stack.back();
      if (next == always[stage].size()) {
        color[stage] = 2;
        stack.pop_back();
        continue;
      }
      const Edge edge = always[stage][next++];
      if (color[edge.to] == 1) {
        std::string cycle;
        bool inside = false;
        for (const auto& frame : stack) {
          inside = inside || frame.first == edge.to;
          if (inside) cycle += flow.stages[frame.first].name + " -> ";
        }
        cycle += flow.stages[edge.to].name;
        return std::make_pair("stages." + flow.stages[stage].name + ".transitions[" + std::to_string(edge.index) + "]",
                              cycle);
      }
      if (color[edge.to] == 0) {
        color[edge.to] = 1;
        stack.push_back({edge.to, 0});
      }
    }
  }
  return std::nullopt;
}

std::string ConditionsProblem(const Conditions& when) {
  if (when.affinity_at_least && when.affinity_below && *when.affinity_at_least >= *when.affinity_below) {
    return "can never hold: affinity_at_least is not below affinity_below";
  }
  if (when.sentiment_trend_above && when.sentiment_trend_below &&
      *when.sentiment_trend_above >= *when.sentiment_trend_below) {
    return "can never hold: sentiment_trend_above is not below sentiment_trend_below";
  }
  return "";
}

// Minutes into the UTC day, for any time (before 1970 too).
int64_t DayStart(int64_t ms) { return ms - (((ms % kDayMs) + kDayMs) % kDayMs); }

// The end of the quiet period `ms` falls in, or nullopt when it is not quiet then.
std::optional<int64_t> QuietUntil(const QuietHours& quiet, int64_t ms) {
  const int64_t day = DayStart(ms);
  const int64_t minute = (ms - day) / kMinuteMs;
  const int64_t from = quiet.from_minute, to = quiet.to_minute;
  if (from < to) {
    if (minute >= from && minute < to) return day + to * kMinuteMs;
    return std::nullopt;
  }
  if (minute >= from) return day + kDayMs + to * kMinuteMs;  // wraps midnight: ends tomorrow
  if (minute < to) return day + to * kMinuteMs;
  return std::nullopt;
}

}  // namespace

bool Conditions::OnlyMonotonic() const {
  return !affinity_at_least && !affinity_below && !sentiment_trend_above && !sentiment_trend_below && !intent &&
         !idle_minutes_at_least;
}

bool Conditions::CanHold() const { return ConditionsProblem(*this).empty(); }

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

bool MediaDrawn(double share, int64_t message_id, uint64_t salt) {
  if (share <= 0) return false;
  if (share >= 1) return true;
  return UnitInterval(SplitMix64Finalize(static_cast<uint64_t>(message_id) ^ SplitMix64Finalize(salt))) < share;
}

Flow DefaultFlow() {
  Flow flow;
  flow.name = "default";
  flow.start = "conversation";
  Stage stage;
  stage.name = "conversation";
  stage.sampling.max_tokens = 0;
  flow.stages.push_back(std::move(stage));
  return flow;
}

CharacterTraits TraitsFromExtensions(std::string_view extensions_json) {
  CharacterTraits traits;
  const nlohmann::json extensions = nlohmann::json::parse(extensions_json, nullptr, false);
  if (!extensions.is_object()) return traits;
  auto troupe = extensions.find("troupe");
  if (troupe == extensions.end() || !troupe->is_object()) return traits;
  // Read generously: for the safety gate a card that says so in any plain form is a minor.
  if (auto minor = troupe->find("minor"); minor != troupe->end()) {
    traits.minor = (minor->is_boolean() && minor->get<bool>()) || (minor->is_string() && minor->get<std::string>() == "true");
  }
  if (auto age = troupe->find("age"); age != troupe->end()) {
    std::optional<double> years;
    if (age->is_number()) years = age->get<double>();
    if (age->is_string()) {
      const std::string text = age->get<std::string>();
      char* end = nullptr;
      const double parsed = std::strtod(text.c_str(), &end);
      if (!text.empty() && end != nullptr && *end == '\0') years = parsed;
    }
    if (years && *years < 18) traits.minor = true;
  }
  return traits;
}

Status ValidateFlow(const Flow& flow, const CharacterTraits& traits) {
  if (flow.stages.empty()) return Status(StatusCode::kInvalidArgument, "stages: a flow needs at least one stage", "stages");
  // The safety gate first: for a minor it is the error that matters, whatever else is wrong.
  if (traits.minor) TROUPE_RETURN_IF_ERROR(CheckForMinor(flow));

  const StageIndex index = IndexStages(flow);
  if (index.size() != flow.stages.size()) {
    for (size_t i = 0; i < flow.stages.size(); ++i) {
      if (index.at(flow.stages[i].name) != i) {
        return Invalid(flow, "stages." + flow.stages[i].name, "the stage is defined twice");
      }
    }
  }
  const auto start = index.find(flow.start);
  if (start == index.end()) return Invalid(flow, "start", "unknown stage '" + flow.start + "'");
  for (const Stage& stage : flow.stages) {
    for (size_t i = 0; i < stage.transitions.size(); ++i) {
      const Transition& transition = stage.transitions[i];
      auto path = [&] { return "stages." + stage.name + ".transitions[" + std::to_string(i) + "]"; };
      if (index.count(transition.to) == 0) {
        return Invalid(flow, path() + ".to", "unknown stage '" + transition.to + "'");
      }
      if (transition.to == stage.name) return Invalid(flow, path() + ".to", "a stage cannot move to itself");
      if (std::string problem = ConditionsProblem(transition.when); !problem.empty()) {
        return Invalid(flow, path() + ".when", problem);
      }
    }
  }
  std::unordered_set<std::string_view> moods;
  for (const Mood& mood : flow.moods) moods.insert(mood.name);
  for (size_t i = 0; i < flow.mood_rules.size(); ++i) {
    const std::string path = "moods.rules[" + std::to_string(i) + "]";
    if (moods.count(flow.mood_rules[i].mood) == 0) {
      return Invalid(flow, path + ".mood", "unknown mood '" + flow.mood_rules[i].mood + "'");
    }
    if (std::string problem = ConditionsProblem(flow.mood_rules[i].when); !problem.empty()) {
      return Invalid(flow, path + ".when", problem);
    }
  }
  if (auto cycle = CycleWithoutExit(flow, index)) {
    return Invalid(flow, cycle->first,
                   "the cycle " + cycle->second +
                       " has no exit: its transitions depend only on the message count, which only grows, so "
                       "once they hold the conversation would go round these stages forever; give one of "
                       "them a condition that can stop holding (affinity, sentiment, intent, idle time) or "
                       "remove one");
  }
  // Every stage must be reachable: a stage nothing leads to is a mistake (a forgotten transition).
  std::vector<bool> reached(flow.stages.size(), false);
  std::vector<size_t> frontier = {start->second};
  reached[start->second] = true;
  while (!frontier.empty()) {
    const Stage& stage = flow.stages[frontier.back()];
    frontier.pop_back();
    for (const Transition& transition : stage.transitions) {
      const size_t to = index.at(transition.to);  // every `to` was found above
      if (!reached[to]) {
        reached[to] = true;
        frontier.push_back(to);
      }
    }
  }
  for (size_t i = 0; i < flow.stages.size(); ++i) {
    if (!reached[i]) {
      return Invalid(flow, "stages." + flow.stages[i].name,
                     "unreachable: no transition leads here from the start stage '" + flow.start +
                         "' (add a transition to it, or remove the stage)");
    }
  }
  return Status::Ok();
}

Status CheckCharacterFlow(const std::string& flow_yaml, std::string_view extensions_json) {
  if (flow_yaml.find_first_not_of(" \t\r\n") == std::string::npos) return Status::Ok();
  auto prefixed = [](const Status& status) {
    return Status(StatusCode::kInvalidArgument, "flow: " + status.message(),
                  status.field().empty() ? "flow" : "flow." + status.field());
  };
  Result<Flow> flow = ParseFlow(flow_yaml);
  if (!flow.ok()) return prefixed(flow.status());
  if (Status valid = ValidateFlow(*flow, TraitsFromExtensions(extensions_json)); !valid.ok()) return prefixed(valid);
  return Status::Ok();
}

FlowStep Advance(const Flow& flow, const FlowState& state, const ConversationSignals& signals,
                 uint64_t conversation_seed) {
  FlowStep step;
  step.state = state;
  StageFinder stages(flow);
  const Stage* stage = stages.Find(state.stage);
  if (stage == nullptr) {
    stage = stages.Find(flow.start);
    if (stage == nullptr && !flow.stages.empty()) stage = &flow.stages.front();
    if (stage == nullptr) return {{"", ""}, !state.stage.empty()};
    step.stage_changed = true;
  }
  // Each stage at most once per call: a cycle whose conditions all hold stops instead of spinning.
  std::set<const Stage*> entered = {stage};
  for (;;) {
    const Transition* taken = nullptr;
    for (const Transition& transition : stage->transitions) {
      if (Holds(transition.when, signals)) {
        taken = &transition;
        break;
      }
    }
    if (taken == nullptr) break;
    const Stage* next = stages.Find(taken->to);
    if (next == nullptr || !entered.insert(next).second) break;
    stage = next;
    step.stage_changed = true;
  }
  step.state.stage = stage->name;
  step.stage_changed = step.stage_changed && step.state.stage != state.stage;

  step.state.mood.clear();
  if (!flow.moods.empty()) {
    if (flow.mood_selection == MoodSelection::kRule) {
      for (const MoodRule& rule : flow.mood_rules) {
        if (Holds(rule.when, signals) && flow.FindMood(rule.mood) != nullptr) {
          step.state.mood = rule.mood;
          break;
        }
      }
    }
    if (step.state.mood.empty()) step.state.mood = WeightedMood(flow, stage->name, signals, conversation_seed);
  }
  return step;
}

std::optional<int64_t> NextProactiveAt(const ProactivePolicy& policy, int64_t last_activity_ms, int unanswered,
                                       int sent_today, int64_t now_ms) {
  if (unanswered >= policy.max_unanswered || policy.daily_cap <= 0) return std::nullopt;
  // Capped at ten years so a large backoff cannot overflow.
  const double wait = static_cast<double>(policy.after_minutes * kMinuteMs) *
                      std::pow(policy.backoff_factor, std::max(unanswered, 0));
  int64_t at = last_activity_ms + static_cast<int64_t>(std::min(wait, 3650.0 * static_cast<double>(kDayMs)));
  if (sent_today >= policy.daily_cap) at = std::max(at, DayStart(now_ms) + kDayMs);  // not before tomorrow (UTC)
  if (policy.quiet_hours) {
    // A time already passed means "now", so it is now that must not be quiet.
    if (auto until = QuietUntil(*policy.quiet_hours, std::max(at, now_ms))) at = *until;
  }
  return at;
}

}  // namespace troupe::chat
