// The steps' schemas, prompts and parsers. Schemas are built here rather than kept as text so
// their bounds follow TextLimits; every property is required so a parse never guesses defaults.
#include "studio/character_steps.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>

#include "llm/json_schema_check.h"

namespace troupe::studio {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::array<std::string_view, 4> kCharacterRoleNames = {"companion", "advisor", "mascot", "support"};
constexpr std::array<std::string_view, kCharacterSteps.size()> kCharacterStepNames = {"concept", "background", "speech",
                                                                            "greetings", "image"};
constexpr int64_t kConceptMaxAge = 150;

size_t CharacterStepIndex(CharacterStep step) { return static_cast<size_t>(step); }

Json StepTextSchema(int max_chars) { return Json{{"type", "string"}, {"minLength", 1}, {"maxLength", max_chars}}; }

Json StepListSchema(int max_chars, int max_items) {
  return Json{{"type", "array"}, {"items", StepTextSchema(max_chars)}, {"minItems", 1}, {"maxItems", max_items}};
}

// The subset has no minimum/maximum, so the ages a character may have are listed: the engine then
// cannot generate 0 or a 16-digit age.
Json StepAgeSchema() {
  Json ages = Json::array();
  for (int64_t age = 1; age <= kConceptMaxAge; ++age) ages.push_back(age);
  return Json{{"type", "integer"}, {"enum", ages}};
}

Json StepObjectSchema(const std::vector<std::pair<std::string, Json>>& properties) {
  Json schema{{"type", "object"}, {"properties", Json::object()}, {"required", Json::array()},
              {"additionalProperties", false}};
  for (const auto& [name, property] : properties) {
    schema["properties"][name] = property;
    schema["required"].push_back(name);
  }
  return schema;
}

Json StepSchemaJson(CharacterStep step, const TextLimits& limits) {
  const int items = std::max(1, limits.list_items);
  switch (step) {
    case CharacterStep::kConcept:
      return StepObjectSchema({{"name", StepTextSchema(limits.short_text)},
                               {"age", StepAgeSchema()},
                               {"role", StepTextSchema(limits.short_text)},
                               {"setting", StepTextSchema(limits.short_text)},
                               {"pitch", StepTextSchema(limits.long_text)},
                               {"traits", StepListSchema(limits.short_text, items)}});
    case CharacterStep::kBackground:
      return StepObjectSchema({{"backstory", StepTextSchema(limits.long_text)},
                               {"personality", StepTextSchema(limits.long_text)},
                               {"likes", StepListSchema(limits.short_text, items)},
                               {"dislikes", StepListSchema(limits.short_text, items)}});
    case CharacterStep::kSpeech: {
      Json exchange = StepObjectSchema(
          {{"user", StepTextSchema(limits.long_text)}, {"character", StepTextSchema(limits.long_text)}});
      return StepObjectSchema({{"catchphrases", StepListSchema(limits.short_text, items)},
                               {"vocabulary", StepListSchema(limits.short_text, items)},
                               {"sentence_style", StepTextSchema(limits.long_text)},
                               {"example_dialogues", Json{{"type", "array"},
                                                          {"items", exchange},
                                                          {"minItems", 1},
                                                          {"maxItems", std::max(1, limits.dialogues)}}}});
    }
    case CharacterStep::kGreetings:
      return StepObjectSchema({{"first_message", StepTextSchema(limits.long_text)},
                               {"alternates", StepListSchema(limits.long_text, items)}});
    case CharacterStep::kImage:
      return StepObjectSchema(
          {{"prompt", StepTextSchema(limits.long_text)}, {"negative_prompt", StepTextSchema(limits.long_text)}});
  }
  return Json::object();
}

std::vector<std::string> StepStrings(const Json& list) {
  std::vector<std::string> strings;
  for (const Json& item : list) strings.push_back(item.get<std::string>());
  return strings;
}

// What the earlier steps made, as the model should read it: compact JSON per step, the whole cut to
// `max_chars` at a UTF-8 boundary.
std::string StepContext(const CharacterDraft& draft, CharacterStep step, size_t max_chars) {
  std::string context;
  for (CharacterStep earlier : kCharacterSteps) {
    if (earlier == step) break;
    context += std::string(StepName(earlier)) + ": " + draft.replies[CharacterStepIndex(earlier)] + "\n";
  }
  if (context.size() > max_chars) {
    size_t cut = max_chars;
    while (cut > 0 && (static_cast<unsigned char>(context[cut]) & 0xC0) == 0x80) --cut;
    context.resize(cut);
  }
  return context;
}

std::string_view StepInstruction(CharacterStep step) {
  switch (step) {
    case CharacterStep::kConcept:
      return "Invent the character's concept: a name, an age in years, the role, the setting, a one-line pitch and "
             "a few traits.";
    case CharacterStep::kBackground:
      return "Write the character's background story and personality, with likes and dislikes. Keep the name, age "
             "and setting of the concept.";
    case CharacterStep::kSpeech:
      return "Describe how the character speaks: catchphrases, favourite words, sentence style, and short example "
             "exchanges between the user and the character.";
    case CharacterStep::kGreetings:
      return "Write the character's first message to a new user and a few alternate greetings, in the character's "
             "own voice.";
    case CharacterStep::kImage:
      return "Write a prompt for an image generator that portrays the character, and a negative prompt.";
  }
  return "";
}

// Rules a schema cannot state, and the typed value. Throws nlohmann's exceptions on a shape the
// schema check let through only if the schema and this parse disagree (a bug), caught by the caller.
Status StoreStep(CharacterDraft& draft, CharacterStep step, const Json& value) {
  switch (step) {
    case CharacterStep::kConcept: {
      ConceptStep concept_step;
      concept_step.name = value.at("name").get<std::string>();
      const Json& age = value.at("age");
      // A whole number written as 1e3, or one too large for int64, parses as a float or an unsigned.
      if (!age.is_number_integer() || (age.is_number_unsigned() && age.get<uint64_t>() > uint64_t{kConceptMaxAge})) {
        return InvalidArgument("concept: the age must be a whole number 1.." + std::to_string(kConceptMaxAge),
                               "concept.age");
      }
      concept_step.age = age.get<int64_t>();
      concept_step.role = value.at("role").get<std::string>();
      concept_step.setting = value.at("setting").get<std::string>();
      concept_step.pitch = value.at("pitch").get<std::string>();
      concept_step.traits = StepStrings(value.at("traits"));
      if (std::all_of(concept_step.name.begin(), concept_step.name.end(),
                      [](unsigned char c) { return std::isspace(c) != 0; })) {
        return InvalidArgument("concept: the name is blank", "concept.name");
      }
      if (concept_step.age < 1 || concept_step.age > kConceptMaxAge) {
        return InvalidArgument("concept: the age must be 1.." + std::to_string(kConceptMaxAge) + ", got " +
                                   std::to_string(concept_step.age),
                               "concept.age");
      }
      draft.concept_step = std::move(concept_step);
      return Status::Ok();
    }
    case CharacterStep::kBackground:
      draft.background = BackgroundStep{value.at("backstory").get<std::string>(),
                                        value.at("personality").get<std::string>(), StepStrings(value.at("likes")),
                                        StepStrings(value.at("dislikes"))};
      return Status::Ok();
    case CharacterStep::kSpeech: {
      SpeechStep speech;
      speech.catchphrases = StepStrings(value.at("catchphrases"));
      speech.vocabulary = StepStrings(value.at("vocabulary"));
      speech.sentence_style = value.at("sentence_style").get<std::string>();
      for (const Json& exchange : value.at("example_dialogues")) {
        speech.example_dialogues.push_back(
            {exchange.at("user").get<std::string>(), exchange.at("character").get<std::string>()});
      }
      draft.speech = std::move(speech);
      return Status::Ok();
    }
    case CharacterStep::kGreetings:
      draft.greetings = GreetingsStep{value.at("first_message").get<std::string>(), StepStrings(value.at("alternates"))};
      return Status::Ok();
    case CharacterStep::kImage:
      draft.image = ImageStep{value.at("prompt").get<std::string>(), value.at("negative_prompt").get<std::string>()};
      return Status::Ok();
  }
  return Status::Ok();
}

// Remote models sometimes wrap JSON in a Markdown fence even when asked for JSON.
std::string_view StepUnfenced(std::string_view reply) {
  auto trim = [](std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
    return text;
  };
  std::string_view text = trim(reply);
  if (text.substr(0, 3) != "```" || text.size() < 6 || text.substr(text.size() - 3) != "```") return text;
  text.remove_suffix(3);
  const size_t line_end = text.find('\n');
  return line_end == std::string_view::npos ? std::string_view{} : trim(text.substr(line_end + 1));
}

}  // namespace

std::string_view RoleName(CharacterRole role) { return kCharacterRoleNames[static_cast<size_t>(role)]; }

Result<CharacterRole> ParseRole(std::string_view text, std::string_view field) {
  for (size_t i = 0; i < kCharacterRoleNames.size(); ++i) {
    if (text == kCharacterRoleNames[i]) return static_cast<CharacterRole>(i);
  }
  return InvalidArgument(std::string(field) + " must be companion, advisor, mascot or support, got '" + Excerpt(text) + "'",
                         std::string(field));
}

Status CheckBrief(const GenerationBrief& brief) {
  for (const auto& [field, text] : {std::pair<std::string, const std::string*>{"theme", &brief.theme},
                                    std::pair<std::string, const std::string*>{"audience", &brief.audience}}) {
    if (std::all_of(text->begin(), text->end(), [](unsigned char c) { return std::isspace(c) != 0; })) {
      return InvalidArgument(field + " must not be blank", field);
    }
    if (text->size() > kMaxBriefTextChars) {
      return InvalidArgument(field + " is longer than " + std::to_string(kMaxBriefTextChars) + " characters", field);
    }
    try {
      (void)Json(*text).dump();
    } catch (const nlohmann::json::exception&) {
      return InvalidArgument(field + " is not valid UTF-8", field);
    }
  }
  return Status::Ok();
}

std::string_view StepName(CharacterStep step) { return kCharacterStepNames[CharacterStepIndex(step)]; }

Result<CharacterStep> ParseStep(std::string_view text, std::string_view field) {
  for (CharacterStep step : kCharacterSteps) {
    if (text == StepName(step)) return step;
  }
  return InvalidArgument(std::string(field) + " must be concept, background, speech, greetings or image, got '" +
                             Excerpt(text) + "'",
                         std::string(field));
}

TextLimits LimitsForContext(int64_t context_tokens) {
  if (context_tokens >= 4096) return TextLimits{};
  if (context_tokens >= 2048) return TextLimits{60, 360, 4, 2, 1000};
  if (context_tokens >= 1024) return TextLimits{40, 160, 3, 1, 400};
  return TextLimits{8, 24, 1, 1, 60};
}

bool CharacterDraft::Has(CharacterStep step) const {
  switch (step) {
    case CharacterStep::kConcept: return concept_step.has_value();
    case CharacterStep::kBackground: return background.has_value();
    case CharacterStep::kSpeech: return speech.has_value();
    case CharacterStep::kGreetings: return greetings.has_value();
    case CharacterStep::kImage: return image.has_value();
  }
  return false;
}

bool CharacterDraft::Complete() const {
  return stale.empty() && std::all_of(kCharacterSteps.begin(), kCharacterSteps.end(),
                                      [this](CharacterStep step) { return Has(step); });
}

std::string StepSchema(CharacterStep step, const TextLimits& limits) { return StepSchemaJson(step, limits).dump(); }

Result<std::vector<llm::ChatMessage>> StepPrompt(const CharacterDraft& draft, CharacterStep step,
                                                 const TextLimits& limits) {
  for (CharacterStep earlier : kCharacterSteps) {
    if (earlier == step) break;
    if (!draft.Has(earlier)) {
      return Status(StatusCode::kFailedPrecondition,
                    std::string(StepName(step)) + " needs the " + std::string(StepName(earlier)) + " step first",
                    std::string(StepName(earlier)));
    }
  }
  std::string system = "You create characters for a chat service. Answer with JSON only. ";
  system += StepInstruction(step);
  std::string user = "Theme: " + draft.brief.theme + "\nAudience: " + draft.brief.audience +
                     "\nRole: " + std::string(RoleName(draft.brief.role)) + "\n";
  if (step == CharacterStep::kConcept && !draft.brief.different_from.empty()) {
    user += "Make someone different from:";
    for (const std::string& name : draft.brief.different_from) user += " " + name + ";";
    user += "\n";
  }
  user += StepContext(draft, step, static_cast<size_t>(std::max(0, limits.context_chars)));
  return std::vector<llm::ChatMessage>{{"system", system, "", {}, ""}, {"user", user, "", {}, ""}};
}

Status ApplyStepReply(CharacterDraft& draft, CharacterStep step, std::string_view reply, const TextLimits& limits) {
  const std::string field(StepName(step));
  const std::string_view text = StepUnfenced(reply);
  const Json schema = StepSchemaJson(step, limits);
  Json value = Json::parse(text, nullptr, false);
  if (value.is_discarded()) return InvalidArgument(field + ": the reply is not JSON", field);
  // Said plainly before the schema check, whose message would list all 150 ages of the enum.
  if (step == CharacterStep::kConcept && value.is_object() && value.contains("age")) {
    const Json& age = value["age"];
    if (!age.is_number_integer() || age.get<int64_t>() < 1 || age.get<int64_t>() > kConceptMaxAge ||
        (age.is_number_unsigned() && age.get<uint64_t>() > uint64_t{kConceptMaxAge})) {
      return InvalidArgument("concept: the age must be a whole number 1.." + std::to_string(kConceptMaxAge),
                             "concept.age");
    }
  }
  Status valid = llm::CheckAgainstSchema(schema.dump(), text, field);
  if (!valid.ok()) return valid;
  CharacterDraft updated = draft;
  try {
    TROUPE_RETURN_IF_ERROR(StoreStep(updated, step, value));
  } catch (const nlohmann::json::exception& error) {
    return InvalidArgument(field + ": " + error.what(), field);
  }
  updated.replies[CharacterStepIndex(step)] = value.dump();
  updated.stale.erase(step);
  for (CharacterStep later : kCharacterSteps) {
    if (CharacterStepIndex(later) > CharacterStepIndex(step) && updated.Has(later)) updated.stale.insert(later);
  }
  draft = std::move(updated);
  return Status::Ok();
}

}  // namespace troupe::studio
