// Word-level rules over ASCII-lower-cased tokens: letters and digits in runs (bytes from 0x80 count
// as letters, so names in other scripts stay whole), everything else a separator. "I'm" becomes
// "i" "m" and "25-year-old" becomes "25" "year" "old", which is what the rules look for.
#include "studio/consistency_check.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace troupe::studio {
namespace {

struct ConsistencyToken {
  std::string lower;
  bool capitalized = false;
  bool digits = false;
};

struct ConsistencyText {
  CharacterStep step;
  std::string field;
  std::string text;
};

bool ConsistencyWordByte(unsigned char c) { return std::isalnum(c) != 0 || c >= 0x80; }

std::vector<ConsistencyToken> ConsistencyTokens(const std::string& text) {
  std::vector<ConsistencyToken> tokens;
  for (size_t i = 0; i < text.size();) {
    if (!ConsistencyWordByte(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    ConsistencyToken token;
    token.capitalized = std::isupper(static_cast<unsigned char>(text[i])) != 0;
    token.digits = true;
    for (; i < text.size() && ConsistencyWordByte(static_cast<unsigned char>(text[i])); ++i) {
      const unsigned char c = static_cast<unsigned char>(text[i]);
      token.digits = token.digits && std::isdigit(c) != 0;
      token.lower.push_back(static_cast<char>(std::tolower(c)));
    }
    tokens.push_back(std::move(token));
  }
  return tokens;
}

bool ConsistencyIs(const std::vector<ConsistencyToken>& tokens, size_t at, std::string_view word) {
  return at < tokens.size() && tokens[at].lower == word;
}

// "I am" or "I'm" ending just before `at`.
bool ConsistencyAfterIAm(const std::vector<ConsistencyToken>& tokens, size_t at) {
  return at >= 2 && tokens[at - 2].lower == "i" && (tokens[at - 1].lower == "am" || tokens[at - 1].lower == "m");
}

// Ages the text states, as digits.
std::vector<std::string> StatedAges(const std::vector<ConsistencyToken>& tokens) {
  static const std::set<std::string> kUnits = {"minutes", "minute", "hours", "hour", "days", "day", "weeks",
                                               "months", "percent", "times", "miles", "km", "feet", "meters",
                                               "steps", "points", "dollars", "euros", "cm", "kg", "pounds"};
  std::vector<std::string> ages;
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].digits || tokens[i].lower.size() > 3) continue;
    const bool years_old = (ConsistencyIs(tokens, i + 1, "year") || ConsistencyIs(tokens, i + 1, "years")) &&
                           ConsistencyIs(tokens, i + 2, "old");
    const bool aged = i >= 1 && (tokens[i - 1].lower == "aged" || tokens[i - 1].lower == "age");
    const bool i_am = ConsistencyAfterIAm(tokens, i) && (i + 1 >= tokens.size() || !kUnits.count(tokens[i + 1].lower));
    if (years_old || aged || i_am) ages.push_back(tokens[i].lower);
  }
  return ages;
}

// Names the character gives itself: "my name is X", "call me X", "I'm X" (X capitalized).
std::vector<std::string> ClaimedNames(const std::vector<ConsistencyToken>& tokens) {
  static const std::set<std::string> kNotNames = {"i", "a", "an", "the", "so", "not", "here", "just", "very",
                                                  "sorry", "glad", "happy", "sure", "back", "really", "always"};
  std::vector<std::string> names;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const bool name_is = i >= 3 && tokens[i - 3].lower == "my" && tokens[i - 2].lower == "name" &&
                         tokens[i - 1].lower == "is";
    const bool call_me = i >= 2 && tokens[i - 2].lower == "call" && tokens[i - 1].lower == "me";
    const bool i_am = ConsistencyAfterIAm(tokens, i) && tokens[i].capitalized;
    if ((name_is || call_me || i_am) && !tokens[i].digits && !kNotNames.count(tokens[i].lower)) {
      names.push_back(tokens[i].lower);
    }
  }
  return names;
}

// The name a message signs with: a last line "- X", "— X", "~X".
std::string SignatureName(const std::string& text) {
  size_t end = text.find_last_not_of(" \t\r\n");
  if (end == std::string::npos) return "";
  const size_t line_start = text.find_last_of('\n', end);
  std::string line = text.substr(line_start == std::string::npos ? 0 : line_start + 1, end + 1 - (line_start == std::string::npos ? 0 : line_start + 1));
  line.erase(0, line.find_first_not_of(" \t"));
  for (std::string_view dash : {"-", "~", "\xE2\x80\x94", "\xE2\x80\x93"}) {
    if (line.rfind(dash, 0) == 0) {
      const std::vector<ConsistencyToken> tokens = ConsistencyTokens(line.substr(dash.size()));
      if (!tokens.empty() && !tokens.front().digits) return tokens.front().lower;
    }
  }
  return "";
}

std::vector<ConsistencyText> LaterTexts(const CharacterDraft& draft) {
  std::vector<ConsistencyText> texts;
  if (draft.background) {
    texts.push_back({CharacterStep::kBackground, "background.backstory", draft.background->backstory});
    texts.push_back({CharacterStep::kBackground, "background.personality", draft.background->personality});
  }
  if (draft.speech) {
    for (size_t i = 0; i < draft.speech->catchphrases.size(); ++i) {
      texts.push_back({CharacterStep::kSpeech, "speech.catchphrases[" + std::to_string(i) + "]",
                       draft.speech->catchphrases[i]});
    }
    for (size_t i = 0; i < draft.speech->example_dialogues.size(); ++i) {
      texts.push_back({CharacterStep::kSpeech, "speech.example_dialogues[" + std::to_string(i) + "].character",
                       draft.speech->example_dialogues[i].character});
    }
  }
  if (draft.greetings) {
    texts.push_back({CharacterStep::kGreetings, "greetings.first_message", draft.greetings->first_message});
    for (size_t i = 0; i < draft.greetings->alternates.size(); ++i) {
      texts.push_back({CharacterStep::kGreetings, "greetings.alternates[" + std::to_string(i) + "]",
                       draft.greetings->alternates[i]});
    }
  }
  if (draft.image) texts.push_back({CharacterStep::kImage, "image.prompt", draft.image->prompt});
  return texts;
}

void CheckSetting(const ConceptStep& concept_step, const std::vector<ConsistencyText>& texts,
                  std::vector<ConsistencyFinding>& findings) {
  static const std::set<std::string> kCommon = {"with", "from", "into", "that", "this", "their", "there", "where",
                                                "near", "small", "town", "city", "world", "place", "land"};
  std::set<std::string> words;
  for (const ConsistencyToken& token : ConsistencyTokens(concept_step.setting)) {
    if (token.lower.size() >= 4 && !token.digits && !kCommon.count(token.lower)) words.insert(token.lower);
  }
  if (words.empty() || texts.empty()) return;
  for (const ConsistencyText& text : texts) {
    for (const ConsistencyToken& token : ConsistencyTokens(text.text)) {
      if (words.count(token.lower)) return;
    }
  }
  findings.push_back({ConsistencyFinding::Severity::kWarning, CharacterStep::kConcept, "concept.setting",
                      "no later step mentions the setting '" + concept_step.setting + "'"});
}

}  // namespace

std::string_view SeverityName(ConsistencyFinding::Severity severity) {
  return severity == ConsistencyFinding::Severity::kWarning ? "warning" : "contradiction";
}

std::vector<ConsistencyFinding> CheckConsistency(const CharacterDraft& draft) {
  std::vector<ConsistencyFinding> findings;
  if (!draft.concept_step) return findings;
  const ConceptStep& concept_step = *draft.concept_step;
  std::set<std::string> own_names;
  for (const ConsistencyToken& token : ConsistencyTokens(concept_step.name)) own_names.insert(token.lower);
  const std::string age = std::to_string(concept_step.age);
  const std::vector<ConsistencyText> texts = LaterTexts(draft);
  for (const ConsistencyText& text : texts) {
    const std::vector<ConsistencyToken> tokens = ConsistencyTokens(text.text);
    std::vector<std::string> names = ClaimedNames(tokens);
    const std::string signature = SignatureName(text.text);
    if (!signature.empty()) names.push_back(signature);
    for (const std::string& name : names) {
      if (own_names.count(name)) continue;
      findings.push_back({ConsistencyFinding::Severity::kContradiction, text.step, text.field,
                          "the character calls itself '" + name + "' but the concept's name is '" +
                              concept_step.name + "'"});
      break;
    }
    for (const std::string& stated : StatedAges(tokens)) {
      if (stated == age) continue;
      findings.push_back({ConsistencyFinding::Severity::kContradiction, text.step, text.field,
                          "the text gives the age " + stated + " but the concept's age is " + age});
      break;
    }
  }
  CheckSetting(concept_step, texts, findings);
  std::stable_sort(findings.begin(), findings.end(), [](const ConsistencyFinding& a, const ConsistencyFinding& b) {
    return static_cast<int>(a.step) < static_cast<int>(b.step);
  });
  return findings;
}

}  // namespace troupe::studio
