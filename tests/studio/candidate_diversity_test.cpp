// The diversity check on hand-written candidates: near-copies (the same name, the same traits, or
// nearly the same backstory) are flagged with a reason; different characters are not.
#include "studio/candidate_diversity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace troupe::studio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

CharacterDraft DiversityCandidate(const std::string& name, std::vector<std::string> traits, const std::string& backstory) {
  CharacterDraft draft;
  draft.concept_step = ConceptStep{name, 30, "companion", "a harbour town", "pitch", std::move(traits)};
  draft.background = BackgroundStep{backstory, "", {"tea"}, {"noise"}};
  return draft;
}

const std::string kDiversityKeeperStory =
    "Ada has kept the old lighthouse for ten years, logging every ship and every storm in a leather book.";

TEST(CandidateDiversityTest, NearCopiesAreFlaggedWithTheirReasons) {
  std::vector<CharacterDraft> candidates = {
      DiversityCandidate("Ada Quill", {"patient", "curious", "dry"}, kDiversityKeeperStory),
      DiversityCandidate("ada quill", {"Patient", "Curious", "Dry"},
                         "Ada has kept the old lighthouse for ten years, logging every ship and every storm in a leather notebook."),
  };
  const DiversityReport report = CheckDiversity(candidates);
  ASSERT_EQ(report.pairs.size(), 1u);
  const CandidatePair& pair = report.pairs[0];
  EXPECT_TRUE(pair.same_name);
  EXPECT_DOUBLE_EQ(pair.trait_overlap, 1.0);
  EXPECT_GT(pair.text_similarity, 0.8);
  EXPECT_TRUE(pair.near_copy);
  EXPECT_THAT(pair.reason, HasSubstr("same name"));
  EXPECT_THAT(pair.reason, HasSubstr("traits overlap 1.00"));
  EXPECT_THAT(report.near_copies, ElementsAre(1u));
}

TEST(CandidateDiversityTest, DifferentCharactersAreNotFlagged) {
  std::vector<CharacterDraft> candidates = {
      DiversityCandidate("Ada Quill", {"patient", "curious", "dry"}, kDiversityKeeperStory),
      DiversityCandidate("Bram Okoro", {"loud", "generous", "curious"},
                         "Bram runs a noodle cart at the night market and knows every cook by their first name."),
  };
  const DiversityReport report = CheckDiversity(candidates);
  ASSERT_EQ(report.pairs.size(), 1u);
  EXPECT_FALSE(report.pairs[0].same_name);
  EXPECT_DOUBLE_EQ(report.pairs[0].trait_overlap, 0.2);  // one of five distinct traits shared
  EXPECT_LT(report.pairs[0].text_similarity, 0.8);
  EXPECT_FALSE(report.pairs[0].near_copy);
  EXPECT_THAT(report.near_copies, IsEmpty());
}

TEST(CandidateDiversityTest, EveryPairIsReportedAndEachCopyOnce) {
  std::vector<CharacterDraft> candidates = {
      DiversityCandidate("Ada", {"a"}, kDiversityKeeperStory),
      DiversityCandidate("Bram", {"b"}, "Bram sells noodles at the night market."),
      DiversityCandidate("ADA", {"c"}, "A clockmaker in the mountains."),
      DiversityCandidate("Ada", {"d"}, "A pilot of small planes."),
  };
  const DiversityReport report = CheckDiversity(candidates);
  ASSERT_EQ(report.pairs.size(), 6u);
  EXPECT_EQ(report.pairs[1].first, 0u);
  EXPECT_EQ(report.pairs[1].second, 2u);
  EXPECT_THAT(report.near_copies, ElementsAre(2u, 3u));
}

TEST(CandidateDiversityTest, TrigramCosineIsOneForTheSameTextAndZeroForNothingShared) {
  EXPECT_NEAR(TrigramCosine("The Lighthouse!", "the   lighthouse"), 1.0, 1e-12);
  EXPECT_EQ(TrigramCosine("abc", "xyz"), 0.0);
  EXPECT_EQ(TrigramCosine("", "anything"), 0.0);
}

}  // namespace
}  // namespace troupe::studio
