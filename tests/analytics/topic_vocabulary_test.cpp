#include "analytics/topic_vocabulary.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "analytics/stop_words.h"

namespace troupe::analytics {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::vector<std::string> TopicVocabularyStems(const TopicVocabulary& vocabulary) {
  std::vector<std::string> stems;
  for (size_t id = 0; id < vocabulary.size(); ++id) stems.push_back(vocabulary.stem(static_cast<int32_t>(id)));
  return stems;
}

TEST(TopicStopWordsTest, CoversFunctionWordsContractionsAndChatFiller) {
  for (const char* word : {"the", "and", "don't", "i'm", "lol", "ok", "okay", "yeah", "haha", "gonna", "hmm"}) {
    EXPECT_TRUE(IsStopWord(word)) << word;
  }
  for (const char* word : {"pizza", "football", "music", "movie", "The", ""}) EXPECT_FALSE(IsStopWord(word)) << word;
}

TEST(TopicTermsTest, DropsStopWordsNumbersAndSingleLettersThenStems) {
  std::vector<std::string> stems;
  std::vector<std::string> surfaces;
  for (const TopicTerm& term : TopicTerms("LOL the Players were PLAYING 42 x games!!", {})) {
    stems.push_back(term.stem);
    surfaces.push_back(term.surface);
  }
  EXPECT_THAT(stems, ElementsAre("player", "play", "game"));
  EXPECT_THAT(surfaces, ElementsAre("players", "playing", "games"));
}

TEST(TopicTermsTest, OptionsKeepStopWordsOrSurfaceForms) {
  TopicVocabularyOptions options;
  options.remove_stop_words = false;
  options.stem = false;
  std::vector<std::string> stems;
  for (const TopicTerm& term : TopicTerms("lol the players", options)) stems.push_back(term.stem);
  EXPECT_THAT(stems, ElementsAre("lol", "the", "players"));
}

TEST(TopicVocabularyTest, PrunesRareAndCommonStemsAndKeepsIdsAlphabetical) {
  const std::vector<std::string> messages = {
      "pizza guitar weather", "pizza guitar", "pizza guitar", "pizza soccer", "pizza rare", "lol",
  };
  TopicVocabularyOptions options;
  options.min_document_count = 2;     // drops "rare", "soccer" and "weather"
  options.max_document_fraction = 0.6;  // "pizza" is in 5 of 6 messages: dropped
  const TopicCorpus corpus = BuildTopicCorpus(messages, options);
  EXPECT_THAT(TopicVocabularyStems(corpus.vocabulary), ElementsAre("guitar"));
  ASSERT_EQ(corpus.documents.size(), messages.size());
  EXPECT_THAT(corpus.documents[0], ElementsAre(0));
  EXPECT_THAT(corpus.documents[3], IsEmpty());
  EXPECT_THAT(corpus.documents[5], IsEmpty());
  EXPECT_EQ(corpus.token_count, 3u);
  EXPECT_EQ(corpus.vocabulary.document_count(0), 3u);

  options.max_document_fraction = 1.0;
  options.min_document_count = 1;
  EXPECT_THAT(TopicVocabularyStems(BuildTopicCorpus(messages, options).vocabulary),
              ElementsAre("guitar", "pizza", "rare", "soccer", "weather"));
}

TEST(TopicVocabularyTest, CapKeepsTheStemsInMostMessages) {
  const std::vector<std::string> messages = {"apple banana cherry", "apple banana", "apple date", "cherry date"};
  TopicVocabularyOptions options;
  options.min_document_count = 1;
  options.max_document_fraction = 1.0;
  options.max_vocabulary = 3;  // apple 3, banana 2, cherry 2, date 2: ties go alphabetically
  EXPECT_THAT(TopicVocabularyStems(BuildTopicCorpus(messages, options).vocabulary),
              ElementsAre("appl", "banana", "cherri"));
}

TEST(TopicVocabularyTest, ShowsEachStemAsItsMostFrequentSurfaceWordAndEncodesNewText) {
  const std::vector<std::string> messages = {"playing games", "played games", "playing chess", "chess game"};
  TopicVocabularyOptions options;
  options.max_document_fraction = 1.0;
  const TopicCorpus corpus = BuildTopicCorpus(messages, options);
  ASSERT_THAT(TopicVocabularyStems(corpus.vocabulary), ElementsAre("chess", "game", "play"));
  EXPECT_EQ(corpus.vocabulary.display_word(0), "chess");
  EXPECT_EQ(corpus.vocabulary.display_word(1), "games");
  EXPECT_EQ(corpus.vocabulary.display_word(2), "playing");
  EXPECT_THAT(corpus.vocabulary.Encode("Yeah, she PLAYS chess and unknownword games"), ElementsAre(2, 0, 1));
  EXPECT_EQ(corpus.vocabulary.Find("pizza"), -1);
}

}  // namespace
}  // namespace troupe::analytics
