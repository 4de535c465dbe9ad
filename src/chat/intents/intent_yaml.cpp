// Troupe's catalog YAML and Rasa NLU YAML (see intent_catalog.h).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <set>

#include "base/text.h"
#include "base/yaml_bounds.h"
#include "chat/intents/labelled_text.h"

namespace troupe::chat::intents {

namespace {

constexpr YamlBounds kBounds{64LL << 20, 2'000'000, 64LL << 20, 32};

// Thrown inside the readers only; ParseIntentYaml turns it into a Status.
struct YamlError {
  Status status;
};

class Reader {
 public:
  explicit Reader(std::string_view name) : name_(name) {}

  [[noreturn]] void Fail(const YAML::Node& node, const std::string& message) const {
    throw YamlError{InvalidArgument(At(node) + ": " + message)};
  }

  std::string At(const YAML::Node& node, size_t lines_below = 0) const {
    if (node.Mark().is_null()) return name_;
    return name_ + ":" + std::to_string(node.Mark().line + 1 + static_cast<int>(lines_below));
  }

  void Check(const Status& status) const {
    if (!status.ok()) throw YamlError{status};
  }

  std::string Text(const YAML::Node& node, std::string_view what) const {
    if (!node.IsScalar()) Fail(node, std::string(what) + ": expected text");
    return node.Scalar();
  }

  std::vector<std::string> TextList(const YAML::Node& node, std::string_view what) const {
    if (node.IsScalar()) return {node.Scalar()};
    if (!node.IsSequence()) Fail(node, std::string(what) + ": expected a list of texts");
    std::vector<std::string> texts;
    for (const YAML::Node& item : node) texts.push_back(Text(item, what));
    return texts;
  }

  bool Flag(const YAML::Node& node, const std::string& what) const {
    bool value = false;
    if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) Fail(node, what + ": expected true or false");
    return value;
  }

  double Threshold(const YAML::Node& node, std::string_view what) const {
    double value = 0;
    if (!node.IsScalar() || !YAML::convert<double>::decode(node, value) || !(value >= 0 && value <= 1)) {
      Fail(node, std::string(what) + ": expected a number from 0 to 1");
    }
    return value;
  }

  void Keys(const YAML::Node& node, std::string_view where, std::initializer_list<std::string_view> known) const {
    if (!node.IsMap()) Fail(node, std::string(where) + ": expected a mapping");
    std::set<std::string> seen;
    for (const auto& item : node) {
      const std::string key = item.first.IsScalar() ? item.first.Scalar() : "";
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        std::string list;
        for (std::string_view name : known) list += (list.empty() ? "" : ", ") + std::string(name);
        Fail(item.first, std::string(where) + ": unknown key '" + key + "' (known: " + list + ")");
      }
      if (!seen.insert(key).second) Fail(item.first, std::string(where) + ": '" + key + "' given twice");
    }
  }

 protected:
  std::string name_;
};

class CatalogReader : public Reader {
 public:
  using Reader::Reader;

  ParsedIntents Read(const YAML::Node& root) {
    Keys(root, "the catalog", {"routing", "intents"});
    if (const YAML::Node routing = root["routing"]) ReadRouting(routing);
    const YAML::Node intents = root["intents"];
    if (!intents || !intents.IsSequence() || intents.size() == 0) Fail(root, "'intents' must be a non-empty list");
    for (const YAML::Node& node : intents) ReadIntent(node);
    return std::move(parsed_);
  }

 private:
  void ReadRouting(const YAML::Node& routing) {
    Keys(routing, "routing",
         {"classifier_threshold", "llm_threshold", "handoff_sentiment", "handoff_after_failures",
          "handoff_predicted_above", "template_similarity"});
    RoutingThresholds& thresholds = parsed_.catalog.routing;
    if (const YAML::Node sentiment = routing["handoff_sentiment"]) {
      double value = 0;
      if (!sentiment.IsScalar() || !YAML::convert<double>::decode(sentiment, value) || !(value >= -1 && value <= 0)) {
        Fail(sentiment, "routing.handoff_sentiment: expected a number from -1 to 0");
      }
      thresholds.handoff_sentiment = value;
    }
    if (const YAML::Node failures = routing["handoff_after_failures"]) {
      int value = 0;
      if (!failures.IsScalar() || !YAML::convert<int>::decode(failures, value) || value < 0 || value > 20) {
        Fail(failures, "routing.handoff_after_failures: expected 0 (never) to 20");
      }
      thresholds.handoff_after_failures = value;
    }
    if (routing["handoff_predicted_above"]) {
      thresholds.handoff_predicted_above = Threshold(routing["handoff_predicted_above"], "routing.handoff_predicted_above");
    }
    if (routing["classifier_threshold"]) {
      thresholds.classifier = Threshold(routing["classifier_threshold"], "routing.classifier_threshold");
    }
    if (routing["template_similarity"]) {
      thresholds.template_similarity = Threshold(routing["template_similarity"], "routing.template_similarity");
    }
    if (routing["llm_threshold"]) thresholds.llm = Threshold(routing["llm_threshold"], "routing.llm_threshold");
    if (thresholds.llm > thresholds.classifier) {
      Fail(routing, "routing.llm_threshold must not be above routing.classifier_threshold");
    }
  }

  void ReadIntent(const YAML::Node& node) {
    Keys(node, "an intent", {"name", "description", "examples", "tools", "prompt", "templates", "chit_chat",
                              "handoff", "tool_choice"});
    if (!node["name"]) Fail(node, "an intent needs a name");
    const std::string name = Text(node["name"], "name");
    Check(CheckIntentName(name, At(node["name"])));
    for (const Intent& existing : parsed_.catalog.intents) {
      if (existing.name == name) Fail(node["name"], "the intent '" + name + "' is defined twice");
    }
    parsed_.catalog.intents.emplace_back().name = name;
    if (const YAML::Node examples = node["examples"]) {
      if (!examples.IsSequence()) Fail(examples, name + ".examples: expected a list of texts");
      for (const YAML::Node& example : examples) {
        Check(AddExample(parsed_, Text(example, name + ".examples"), name, At(example)));
      }
    }
    Intent& intent = parsed_.catalog.intents.back();  // AddExample never adds another: the name exists
    if (node["description"]) intent.description = Text(node["description"], name + ".description");
    if (node["prompt"]) intent.prompt = Text(node["prompt"], name + ".prompt");
    if (node["tools"]) intent.tools = TextList(node["tools"], name + ".tools");
    if (const YAML::Node list = node["templates"]) ReadTemplates(list, intent);
    if (node["chit_chat"]) intent.chit_chat = Flag(node["chit_chat"], name + ".chit_chat");
    if (node["handoff"]) intent.handoff = Flag(node["handoff"], name + ".handoff");
    if (const YAML::Node choice = node["tool_choice"]) {
      intent.tool_choice = Text(choice, name + ".tool_choice");
      if (intent.tool_choice != "auto" && intent.tool_choice != "required") {
        Fail(choice, name + ".tool_choice: expected auto or required, got '" + intent.tool_choice + "'");
      }
      if (intent.tool_choice == "required" && intent.tools.empty()) {
        Fail(choice, name + ".tool_choice: required needs tools");
      }
    }
  }

  // A template is a plain string or {name, text, facts}; names are unique within the intent.
  void ReadTemplates(const YAML::Node& list, Intent& intent) {
    const std::string field = intent.name + ".templates";
    if (!list.IsSequence() && !list.IsScalar()) Fail(list, field + ": expected a list of templates");
    std::vector<YAML::Node> items;
    if (list.IsScalar()) {
      items.push_back(list);
    } else {
      for (const YAML::Node& item : list) items.push_back(item);
    }
    for (size_t i = 0; i < items.size(); ++i) {
      const YAML::Node& item = items[i];
      const std::string where = At(item) + ": " + field + "[" + std::to_string(i) + "]";
      std::string name = "template_" + std::to_string(i + 1);
      std::string text;
      std::vector<std::string> facts;
      if (item.IsScalar()) {
        text = item.Scalar();
      } else {
        Keys(item, field + "[" + std::to_string(i) + "]", {"name", "text", "facts"});
        if (!item["text"]) Fail(item, field + "[" + std::to_string(i) + "]: a template needs a text");
        text = Text(item["text"], field + "[" + std::to_string(i) + "].text");
        if (item["name"]) {
          name = Text(item["name"], field + "[" + std::to_string(i) + "].name");
          const bool plain = !name.empty() && name.size() <= 100 &&
                             std::all_of(name.begin(), name.end(), [](char c) {
                               return static_cast<unsigned char>(c) > ' ' && static_cast<unsigned char>(c) != 0x7f;
                             });
          if (!plain) Fail(item["name"], field + ": the template name '" + name + "' is empty, too long or has a space");
        }
        if (item["facts"]) facts = TextList(item["facts"], field + "[" + std::to_string(i) + "].facts");
      }
      for (const templates::ResponseTemplate& existing : intent.templates) {
        if (existing.name == name) Fail(item, field + ": the template '" + name + "' is defined twice");
      }
      Result<templates::ResponseTemplate> parsed = templates::ParseTemplate(name, text, std::move(facts), where);
      Check(parsed.status());
      intent.templates.push_back(std::move(parsed).value());
    }
  }

  ParsedIntents parsed_;
};

// "[New York](city)", "[tomorrow]{"entity": "date"}" -> "New York", "tomorrow": Rasa's entity
// markup, which is not part of what the user typed.
std::string WithoutEntityMarkup(std::string_view text) {
  std::string plain;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '[') {
      const size_t close = text.find(']', i + 1);
      if (close != std::string_view::npos && close + 1 < text.size() &&
          (text[close + 1] == '(' || text[close + 1] == '{')) {
        const char end = text[close + 1] == '(' ? ')' : '}';
        const size_t after = text.find(end, close + 2);
        if (after != std::string_view::npos) {
          plain.append(text.substr(i + 1, close - i - 1));
          i = after;
          continue;
        }
      }
    }
    plain.push_back(text[i]);
  }
  return plain;
}

class RasaReader : public Reader {
 public:
  using Reader::Reader;

  ParsedIntents Read(const YAML::Node& nlu) {
    if (!nlu.IsSequence()) Fail(nlu, "nlu: expected a list");
    for (const YAML::Node& item : nlu) {
      if (!item.IsMap()) Fail(item, "nlu: expected '- intent:' entries");
      // Synonyms, regexes and lookup tables describe entities, which routing does not use.
      if (!item["intent"]) continue;
      const std::string intent = Text(item["intent"], "intent");
      Check(CheckIntentName(intent, At(item["intent"])));
      const YAML::Node examples = item["examples"];
      if (!examples) Fail(item, "the intent '" + intent + "' has no examples");
      ReadExamples(examples, intent);
    }
    return std::move(parsed_);
  }

 private:
  // `examples: |` holds "- text" lines; a list of texts is accepted too.
  void ReadExamples(const YAML::Node& examples, const std::string& intent) {
    if (examples.IsSequence()) {
      for (const YAML::Node& example : examples) {
        const std::string text = example.IsMap() && example["text"] ? Text(example["text"], "text")
                                                                     : Text(example, "examples");
        Check(AddExample(parsed_, WithoutEntityMarkup(text), intent, At(example)));
      }
      return;
    }
    const std::string block = Text(examples, "examples");
    size_t line = 0;
    for (size_t start = 0; start <= block.size(); ++line) {
      size_t end = block.find('\n', start);
      if (end == std::string::npos) end = block.size();
      std::string_view row = TrimSpace(std::string_view(block).substr(start, end - start));
      start = end + 1;
      if (row.empty() || row.front() == '#') continue;
      if (row.front() != '-') Fail(examples, "the examples of '" + intent + "' are '- text' lines");
      // The block's text begins on the line after `examples: |`.
      Check(AddExample(parsed_, WithoutEntityMarkup(TrimSpace(row.substr(1))), intent, At(examples, line + 1)));
    }
  }

  ParsedIntents parsed_;
};

}  // namespace

Result<ParsedIntents> ParseIntentYaml(std::string_view text, std::string_view name) {
  if (Status bounded = CheckYamlBounds(text, kBounds); !bounded.ok()) {
    return InvalidArgument(std::string(name) + ": " + bounded.message());
  }
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& error) {
    return InvalidArgument(std::string(name) + ":" + std::to_string(error.mark.line + 1) +
                           ": not valid YAML: " + error.msg);
  }
  if (!root.IsMap()) return InvalidArgument(std::string(name) + ": expected a mapping with 'intents' or 'nlu'");
  try {
    ParsedIntents parsed = root["nlu"] ? RasaReader(name).Read(root["nlu"]) : CatalogReader(name).Read(root);
    if (parsed.catalog.intents.empty()) return InvalidArgument(std::string(name) + ": no intents");
    return parsed;
  } catch (const YamlError& error) {
    return error.status;
  } catch (const YAML::Exception& error) {
    return InvalidArgument(std::string(name) + ":" + std::to_string(error.mark.line + 1) + ": " + error.msg);
  }
}

}  // namespace troupe::chat::intents
