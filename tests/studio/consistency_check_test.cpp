// The consistency rules, case by case: another name in a greeting or a signature, an age in the
// text that is not the concept's, and a setting no later step mentions.
#include "studio/consistency_check.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;

CharacterDraft ConsistentDraft() {
  CharacterDraft draft;
  draft.concept_step = ConceptStep{"Ada Quill", 34, "companion", "a lighthouse on a stormy coast", "pitch", {"calm"}};
  draft.background = BackgroundStep{"Ada, a 34-year-old keeper, has tended the lighthouse for ten years.",
                                    "Calm and dry.", {"tea"}, {"fog"}};
  draft.speech = SpeechStep{{"Steady as the light."}, {"beacon"}, "Short.", {{"How old are you?", "I'm 34, and the lamp is older."}}};
  draft.greetings = GreetingsStep{"Welcome! My name is Ada. I am here all night.\n- Ada", {"Storm's coming. Call me Ada."}};
  draft.image = ImageStep{"portrait of a lighthouse keeper", "blurry"};
  return draft;
}

TEST(ConsistencyCheckTest, AConsistentDraftHasNoFindings) {
  EXPECT_THAT(CheckConsistency(ConsistentDraft()), IsEmpty());
}

TEST(ConsistencyCheckTest, AnotherNameInTheFirstMessageIsAContradiction) {
  CharacterDraft draft = ConsistentDraft();
  draft.greetings->first_message = "Hello there, my name is Marta and I keep this light.";
  const std::vector<ConsistencyFinding> findings = CheckConsistency(draft);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, ConsistencyFinding::Severity::kContradiction);
  EXPECT_EQ(findings[0].step, CharacterStep::kGreetings);
  EXPECT_EQ(findings[0].field, "greetings.first_message");
  EXPECT_THAT(findings[0].message, HasSubstr("'marta'"));
}

TEST(ConsistencyCheckTest, ASignatureWithAnotherNameIsAContradiction) {
  CharacterDraft draft = ConsistentDraft();
  draft.greetings->alternates = {"See you at dawn.\n\xE2\x80\x94 Rosa"};
  const std::vector<ConsistencyFinding> findings = CheckConsistency(draft);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].field, "greetings.alternates[0]");
}

TEST(ConsistencyCheckTest, AnotherAgeInAnyFormIsAContradiction) {
  for (const std::string text : {"I am 25 and new here.", "I'm 25!", "She is a 25-year-old keeper.",
                                  "He is 25 years old.", "Aged 25, she took the job."}) {
    CharacterDraft draft = ConsistentDraft();
    draft.background->backstory = text + std::string(" The lighthouse is hers.");
    const std::vector<ConsistencyFinding> findings = CheckConsistency(draft);
    ASSERT_EQ(findings.size(), 1u) << text;
    EXPECT_EQ(findings[0].field, "background.backstory") << text;
    EXPECT_THAT(findings[0].message, HasSubstr("age 25")) << text;
  }
}

TEST(ConsistencyCheckTest, NumbersThatAreNotAgesAreNotFlagged) {
  CharacterDraft draft = ConsistentDraft();
  draft.background->backstory = "I'm 10 minutes from the lighthouse and climb 120 steps a day.";
  EXPECT_THAT(CheckConsistency(draft), IsEmpty());
}

TEST(ConsistencyCheckTest, ASettingNoLaterStepMentionsIsAWarning) {
  CharacterDraft draft = ConsistentDraft();
  draft.concept_step->setting = "a desert caravan";
  const std::vector<ConsistencyFinding> findings = CheckConsistency(draft);
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].severity, ConsistencyFinding::Severity::kWarning);
  EXPECT_EQ(findings[0].field, "concept.setting");
  EXPECT_EQ(SeverityName(findings[0].severity), "warning");
}

}  // namespace
}  // namespace troupe::studio
