// Reading a flow's YAML into a Flow: every value is checked for type and range as it is read, and
// every error names the field path and the line and column (docs/flows.md is the reference).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <set>
#include <sstream>
#include <type_traits>

#include <yaml-cpp/yaml.h>

#include "base/yaml_bounds.h"
#include "chat/flow.h"

namespace troupe::chat {
namespace {

std::string Position(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " (line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) + ")";
}

// Thrown inside the reader only; ParseFlow turns it into a Status.
struct FlowError {
  Status status;
};

std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar: {
      std::string text = node.Scalar();
      if (text.size() > 40) text = text.substr(0, 40) + "...";
      return "'" + text + "'";
    }
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

std::string Decimal(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

// Stage and mood names appear in paths, the API and events: plain identifiers.
bool IsPlainName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

class FlowReader {
 public:
  explicit FlowReader(Flow& flow) : flow_(flow) {}

  void Read(const YAML::Node& root) {
    if (!root.IsMap()) {
      Fail("", root, "a flow is a mapping with the keys name, start, moods and stages; got " + Describe(root));
    }
    Keys(root, "", {"name", "start", "moods", "stages"});
    if (auto n = root["name"]) flow_.name = Text(n, "name");
    const YAML::Node stages = root["stages"];
    if (!stages) Fail("stages", root, "is required");
    Map(stages, "stages");
    if (stages.size() == 0) Fail("stages", stages, "a flow needs at least one stage");
    std::set<std::string> seen;
    for (const auto& item : stages) {
      const std::string name = item.first.IsScalar() ? item.first.Scalar() : "";
      if (!IsPlainName(name)) {
        Fail("stages", item.first,
             "stage names are 1 to 64 letters, digits, '_' or '-'; got " + Describe(item.first));
      }
      const std::string path = "stages." + name;
      if (!seen.insert(name).second) Fail(path, item.first, "the stage is defined twice");
      if (flow_.stages.size() == kMaxFlowStages) {
        Fail("stages", item.first, "more than " + std::to_string(kMaxFlowStages) + " stages (the limit for a flow)");
      }
      Record(path, item.first);
      flow_.stages.push_back(ReadStage(name, item.second, path));
    }
    flow_.start = root["start"] ? Text(root["start"], "start") : flow_.stages.front().name;
    if (auto moods = root["moods"]) ReadMoods(moods);
  }

 private:
  [[noreturn]] void Fail(const std::string& path, const YAML::Node& node, const std::string& message) {
    const std::string position = Position(node.Mark());
    if (path.empty()) throw FlowError{Status(StatusCode::kInvalidArgument, message + position)};
    throw FlowError{Status(StatusCode::kInvalidArgument, path + ": " + message + position, path)};
  }

  void Record(const std::string& path, const YAML::Node& node) {
    if (!node.Mark().is_null()) flow_.positions[path] = {node.Mark().line + 1, node.Mark().column + 1};
  }

  void Map(const YAML::Node& node, const std::string& path) {
    if (!node.IsMap()) Fail(path, node, "expected a mapping, got " + Describe(node));
  }

  // Unknown or repeated keys are errors: a typo must not silently do nothing.
  void Keys(const YAML::Node& node, const std::string& path, std::initializer_list<std::string_view> known) {
    std::set<std::string> seen;
    const std::string prefix = path.empty() ? "" : path + ".";
    for (const auto& item : node) {
      if (!item.first.IsScalar()) Fail(path, item.first, "keys are plain names, got " + Describe(item.first));
      const std::string key = item.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (std::string_view name : known) list += (list.empty() ? "" : ", ") + std::string(name);
        Fail(prefix + key, item.first, "unknown key (known: " + list + ")");
      }
      if (!seen.insert(key).second) Fail(prefix + key, item.first, "given twice");
    }
  }

  std::string Text(const YAML::Node& node, const std::string& path) {
    if (!node.IsScalar()) Fail(path, node, "expected text, got " + Describe(node));
    Record(path, node);
    return node.Scalar();
  }

  std::string Name(const YAML::Node& node, const std::string& path) {
    std::string name = Text(node, path);
    if (!IsPlainName(name)) Fail(path, node, "names are 1 to 64 letters, digits, '_' or '-'; got " + Describe(node));
    return name;
  }

  template <typename T>
  T Number(const YAML::Node& node, const std::string& path, T low, T high) {
    if (!node.IsScalar()) Fail(path, node, "expected a number, got " + Describe(node));
    T value{};
    try {
      value = node.as<T>();
    } catch (const YAML::Exception&) {
      Fail(path, node, std::string(std::is_integral_v<T> ? "expected a whole number" : "expected a number") +
                           ", got " + Describe(node));
    }
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(value)) Fail(path, node, "expected a finite number, got " + Describe(node));
    }
    if (value < low || value > high) {
      auto text = [](T bound) {
        if constexpr (std::is_integral_v<T>) return std::to_string(bound);
        else return Decimal(bound);
      };
      Fail(path, node, "must be between " + text(low) + " and " + text(high) + ", got " + Describe(node));
    }
    Record(path, node);
    return value;
  }

  bool Bool(const YAML::Node& node, const std::string& path) {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
      Fail(path, node, "expected true or false, got " + Describe(node));
    }
    Record(path, node);
    return value;
  }

  Conditions ReadConditions(const YAML::Node& node, const std::string& path) {
    Conditions when;
    if (!node || node.IsNull()) return when;
    Map(node, path);
    Record(path, node);
    Keys(node, path,
         {"messages_at_least", "affinity_at_least", "affinity_below", "sentiment_trend_above",
          "sentiment_trend_below", "intent", "idle_minutes_at_least"});
    const std::string p = path + ".";
    if (auto n = node["messages_at_least"]) when.messages_at_least = Number<int64_t>(n, p + "messages_at_least", 0, 1'000'000);
    if (auto n = node["affinity_at_least"]) when.affinity_at_least = Number<double>(n, p + "affinity_at_least", -1, 1);
    if (auto n = node["affinity_below"]) when.affinity_below = Number<double>(n, p + "affinity_below", -1, 1);
    if (auto n = node["sentiment_trend_above"]) when.sentiment_trend_above = Number<double>(n, p + "sentiment_trend_above", -2, 2);
    if (auto n = node["sentiment_trend_below"]) when.sentiment_trend_below = Number<double>(n, p + "sentiment_trend_below", -2, 2);
    if (auto n = node["intent"]) when.intent = Text(n, p + "intent");
    if (auto n = node["idle_minutes_at_least"]) when.idle_minutes_at_least = Number<int64_t>(n, p + "idle_minutes_at_least", 0, 10'000'000);
    return when;
  }

  llm::Sampling ReadSampling(const YAML::Node& node, const std::string& path) {
    llm::Sampling sampling;
    sampling.max_tokens = 0;
    if (!node) return sampling;
    Map(node, path);
    Keys(node, path, {"temperature", "top_p", "top_k", "min_p", "repetition_penalty", "frequency_penalty",
                      "presence_penalty", "max_tokens"});
    const std::string p = path + ".";
    if (auto n = node["temperature"]) sampling.temperature = Number<double>(n, p + "temperature", 0, 5);
    if (auto n = node["top_p"]) sampling.top_p = Number<double>(n, p + "top_p", 0, 1);
    if (auto n = node["top_k"]) sampling.top_k = Number<int>(n, p + "top_k", 0, 100'000);
    if (auto n = node["min_p"]) sampling.min_p = Number<double>(n, p + "min_p", 0, 1);
    if (auto n = node["repetition_penalty"]) sampling.repetition_penalty = Number<double>(n, p + "repetition_penalty", 0.01, 10);
    if (auto n = node["frequency_penalty"]) sampling.frequency_penalty = Number<double>(n, p + "frequency_penalty", -2, 2);
    if (auto n = node["presence_penalty"]) sampling.presence_penalty = Number<double>(n, p + "presence_penalty", -2, 2);
    if (auto n = node["max_tokens"]) sampling.max_tokens = Number<int>(n, p + "max_tokens", 1, 100'000);
    return sampling;
  }

  ReplyStyle ReadReply(const YAML::Node& node, const std::string& path) {
    ReplyStyle style;
    if (!node) return style;
    Map(node, path);
    Keys(node, path, {"split", "max_messages", "max_sentences", "max_paragraphs", "typing_chars_per_second",
                      "min_delay_ms", "max_delay_ms"});
    const std::string p = path + ".";
    if (auto n = node["split"]) {
      const std::string split = Text(n, p + "split");
      if (split == "none") style.split = SplitMode::kNone;
      else if (split == "paragraph") style.split = SplitMode::kParagraph;
      else if (split == "sentence") style.split = SplitMode::kSentence;
      else Fail(p + "split", n, "must be none, paragraph or sentence, got '" + split + "'");
    }
    if (auto n = node["max_messages"]) style.max_messages = Number<int>(n, p + "max_messages", 1, 20);
    if (auto n = node["max_sentences"]) style.max_sentences = Number<int>(n, p + "max_sentences", 0, 1000);
    if (auto n = node["max_paragraphs"]) style.max_paragraphs = Number<int>(n, p + "max_paragraphs", 0, 1000);
    if (auto n = node["typing_chars_per_second"]) {
      style.typing_chars_per_second = Number<double>(n, p + "typing_chars_per_second", 0, 10'000);
    }
    if (auto n = node["min_delay_ms"]) style.min_delay_ms = Number<int64_t>(n, p + "min_delay_ms", 0, 60'000);
    if (auto n = node["max_delay_ms"]) style.max_delay_ms = Number<int64_t>(n, p + "max_delay_ms", 0, 120'000);
    if (node["min_delay_ms"] && node["max_delay_ms"] && style.max_delay_ms < style.min_delay_ms) {
      Fail(p + "max_delay_ms", node["max_delay_ms"], "must not be below min_delay_ms");
    }
    return style;
  }

  // "HH:MM-HH:MM", two digits each; the end may be 24:00.
  QuietHours ReadQuietHours(const YAML::Node& node, const std::string& path) {
    const std::string text = Text(node, path);
    auto two_digits = [&](size_t at) -> int {
      if (at + 2 > text.size() || !std::isdigit(static_cast<unsigned char>(text[at])) ||
          !std::isdigit(static_cast<unsigned char>(text[at + 1]))) {
        return -1;
      }
      return (text[at] - '0') * 10 + (text[at + 1] - '0');
    };
    const int h1 = two_digits(0), m1 = two_digits(3), h2 = two_digits(6), m2 = two_digits(9);
    const bool shaped = text.size() == 11 && text[2] == ':' && text[5] == '-' && text[8] == ':';
    if (!shaped || h1 < 0 || m1 < 0 || h2 < 0 || m2 < 0 || h1 > 23 || m1 > 59 || m2 > 59 || h2 > 24 ||
        (h2 == 24 && m2 != 0)) {
      Fail(path, node, "expected HH:MM-HH:MM in UTC (e.g. \"22:00-08:00\"), got " + Describe(node));
    }
    QuietHours quiet{h1 * 60 + m1, h2 * 60 + m2};
    if (quiet.from_minute == quiet.to_minute % (24 * 60)) {
      Fail(path, node, "the quiet hours must be neither empty nor the whole day");
    }
    return quiet;
  }

  ProactivePolicy ReadProactive(const YAML::Node& node, const std::string& path) {
    ProactivePolicy policy;
    Map(node, path);
    Record(path, node);
    Keys(node, path, {"after_minutes", "prompt", "quiet_hours", "daily_cap", "backoff_factor", "max_unanswered"});
    const std::string p = path + ".";
    if (auto n = node["after_minutes"]) policy.after_minutes = Number<int64_t>(n, p + "after_minutes", 1, 10'000'000);
    if (auto n = node["prompt"]) policy.prompt = Text(n, p + "prompt");
    if (auto n = node["quiet_hours"]) policy.quiet_hours = ReadQuietHours(n, p + "quiet_hours");
    if (auto n = node["daily_cap"]) policy.daily_cap = Number<int>(n, p + "daily_cap", 0, 1000);
    if (auto n = node["backoff_factor"]) policy.backoff_factor = Number<double>(n, p + "backoff_factor", 1, 100);
    if (auto n = node["max_unanswered"]) policy.max_unanswered = Number<int>(n, p + "max_unanswered", 0, 1000);
    return policy;
  }

  // Share of replies: 0..1.
  double Share(const YAML::Node& node, const std::string& path) {
    return Number<double>(node, path, 0, 1);
  }

  StageVoice ReadVoice(const YAML::Node& node, const std::string& path) {
    StageVoice voice;
    Map(node, path);
    Record(path, node);
    Keys(node, path, {"share", "voice", "words_per_minute"});
    const std::string p = path + ".";
    if (!node["share"]) Fail(p + "share", node, "is required (the fraction of replies spoken, 0 to 1)");
    voice.share = Share(node["share"], p + "share");
    if (auto n = node["voice"]) {
      voice.voice = Text(n, p + "voice");
      if (voice.voice.empty() || voice.voice.size() > 64) Fail(p + "voice", n, "a voice name has 1 to 64 characters");
    }
    if (auto n = node["words_per_minute"]) voice.words_per_minute = Number<int>(n, p + "words_per_minute", 80, 450);
    return voice;
  }

  StagePictures ReadPictures(const YAML::Node& node, const std::string& path) {
    StagePictures pictures;
    Map(node, path);
    Record(path, node);
    Keys(node, path, {"share", "prompt"});
    const std::string p = path + ".";
    if (!node["share"]) Fail(p + "share", node, "is required (the fraction of replies with a picture, 0 to 1)");
    pictures.share = Share(node["share"], p + "share");
    if (auto n = node["prompt"]) {
      pictures.prompt = Text(n, p + "prompt");
      if (pictures.prompt.size() > 4000) Fail(p + "prompt", n, "a picture prompt has at most 4000 bytes");
    }
    return pictures;
  }

  Stage ReadStage(const std::string& name, const YAML::Node& node, const std::string& path) {
    Stage stage;
    stage.name = name;
    stage.sampling.max_tokens = 0;
    if (node.IsNull()) return stage;
    Map(node, path);
    Keys(node, path, {"prompt", "romance", "opens_conversation", "provider", "sampling", "reply", "proactive",
                      "voice", "pictures", "transitions"});
    const std::string p = path + ".";
    if (auto n = node["prompt"]) stage.prompt = Text(n, p + "prompt");
    if (auto n = node["romance"]) {
      const std::string romance = Text(n, p + "romance");
      if (romance == "none") stage.romance = Romance::kNone;
      else if (romance == "flirty") stage.romance = Romance::kFlirty;
      else if (romance == "romantic") stage.romance = Romance::kRomantic;
      else Fail(p + "romance", n, "must be none, flirty or romantic, got '" + romance + "'");
    }
    if (auto n = node["opens_conversation"]) stage.opens_conversation = Bool(n, p + "opens_conversation");
    if (auto n = node["provider"]) stage.provider = Text(n, p + "provider");
    stage.sampling = ReadSampling(node["sampling"], p + "sampling");
    stage.reply = ReadReply(node["reply"], p + "reply");
    if (auto n = node["proactive"]) stage.proactive = ReadProactive(n, p + "proactive");
    if (auto n = node["voice"]) stage.voice = ReadVoice(n, p + "voice");
    if (auto n = node["pictures"]) stage.pictures = ReadPictures(n, p + "pictures");
    if (auto n = node["transitions"]) {
      if (!n.IsSequence()) Fail(p + "transitions", n, "expected a list, got " + Describe(n));
      if (transitions_ + n.size() > kMaxFlowTransitions) {
        const size_t first_over = kMaxFlowTransitions - transitions_;
        Fail(p + "transitions[" + std::to_string(first_over) + "]", n[first_over],
             "more than " + std::to_string(kMaxFlowTransitions) +
                 " transitions in the flow (the limit for all stages together)");
      }
      transitions_ += n.size();
      for (size_t i = 0; i < n.size(); ++i) {
        const std::string item_path = p + "transitions[" + std::to_string(i) + "]";
        const YAML::Node item = n[i];
        Map(item, item_path);
        Record(item_path, item);
        Keys(item, item_path, {"to", "when"});
        if (!item["to"]) Fail(item_path + ".to", item, "is required");
        Transition transition;
        transition.to = Text(item["to"], item_path + ".to");
        transition.when = ReadConditions(item["when"], item_path + ".when");
        stage.transitions.push_back(std::move(transition));
      }
    }
    return stage;
  }

  void ReadMoods(const YAML::Node& moods) {
    Map(moods, "moods");
    Record("moods", moods);
    Keys(moods, "moods", {"selection", "options", "rules", "change_every_messages"});
    if (auto options = moods["options"]) {
      if (!options.IsSequence()) Fail("moods.options", options, "expected a list, got " + Describe(options));
      Record("moods.options", options);
      if (options.size() > kMaxFlowMoods) {
        Fail("moods.options[" + std::to_string(kMaxFlowMoods) + "]", options[kMaxFlowMoods],
             "more than " + std::to_string(kMaxFlowMoods) + " moods (the limit for a flow)");
      }
      std::set<std::string> seen;
      double total = 0;
      for (size_t i = 0; i < options.size(); ++i) {
        const std::string path = "moods.options[" + std::to_string(i) + "]";
        const YAML::Node option = options[i];
        Map(option, path);
        Keys(option, path, {"name", "weight", "prompt"});
        if (!option["name"]) Fail(path + ".name", option, "is required");
        Mood mood;
        mood.name = Name(option["name"], path + ".name");
        if (!seen.insert(mood.name).second) Fail(path + ".name", option["name"], "the mood is defined twice");
        if (auto w = option["weight"]) mood.weight = Number<double>(w, path + ".weight", 0, 1'000'000);
        if (auto text = option["prompt"]) mood.prompt = Text(text, path + ".prompt");
        total += mood.weight;
        flow_.moods.push_back(std::move(mood));
      }
      if (!flow_.moods.empty() && total <= 0) Fail("moods.options", options, "at least one weight must be above 0");
    }
    if (auto rules = moods["rules"]) {
      if (!rules.IsSequence()) Fail("moods.rules", rules, "expected a list, got " + Describe(rules));
      Record("moods.rules", rules);
      if (rules.size() > kMaxFlowMoodRules) {
        Fail("moods.rules[" + std::to_string(kMaxFlowMoodRules) + "]", rules[kMaxFlowMoodRules],
             "more than " + std::to_string(kMaxFlowMoodRules) + " mood rules (the limit for a flow)");
      }
      for (size_t i = 0; i < rules.size(); ++i) {
        const std::string path = "moods.rules[" + std::to_string(i) + "]";
        const YAML::Node rule = rules[i];
        Map(rule, path);
        Keys(rule, path, {"when", "mood"});
        if (!rule["mood"]) Fail(path + ".mood", rule, "is required");
        MoodRule parsed;
        parsed.when = ReadConditions(rule["when"], path + ".when");
        parsed.mood = Text(rule["mood"], path + ".mood");
        flow_.mood_rules.push_back(std::move(parsed));
      }
    }
    // With rules the default selection is by rule; naming the other one is a contradiction.
    flow_.mood_selection = flow_.mood_rules.empty() ? MoodSelection::kWeighted : MoodSelection::kRule;
    if (auto selection = moods["selection"]) {
      const std::string text = Text(selection, "moods.selection");
      if (text == "weighted") {
        if (!flow_.mood_rules.empty()) {
          Fail("moods.rules", moods["rules"], "rules apply only with selection: rule (selection is weighted)");
        }
        flow_.mood_selection = MoodSelection::kWeighted;
      } else if (text == "rule") {
        if (flow_.mood_rules.empty()) Fail("moods.rules", selection, "selection: rule needs at least one rule");
        flow_.mood_selection = MoodSelection::kRule;
      } else {
        Fail("moods.selection", selection, "must be weighted or rule, got '" + text + "'");
      }
    }
    if (flow_.moods.empty() && (moods["rules"] || moods["change_every_messages"])) {
      Fail("moods.options", moods, "is required: rules and change_every_messages choose among the options");
    }
    if (auto every = moods["change_every_messages"]) {
      flow_.change_mood_every_messages = Number<int64_t>(every, "moods.change_every_messages", 0, 1'000'000);
    }
  }

  Flow& flow_;
  size_t transitions_ = 0;  // read so far, in all stages
};

}  // namespace

Result<Flow> ParseFlow(std::string_view yaml) {
  // Checked on the event stream before a tree is built: the tree shares an aliased value, but
  // reading copies it once per alias, so an alias bomb would be read into gigabytes.
  const YamlBounds bounds{kMaxFlowTextBytes, kMaxFlowYamlNodes, kMaxFlowScalarBytes, kMaxFlowYamlDepth};
  TROUPE_RETURN_IF_ERROR(CheckYamlBounds(yaml, bounds));
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& error) {
    return Status(StatusCode::kInvalidArgument, "not valid YAML: " + error.msg + Position(error.mark));
  }
  Flow flow;
  try {
    FlowReader(flow).Read(root);
  } catch (const FlowError& error) {
    return error.status;
  } catch (const YAML::Exception& error) {
    return Status(StatusCode::kInvalidArgument, "not a valid flow: " + error.msg + Position(error.mark));
  }
  return flow;
}

}  // namespace troupe::chat
