// The topic model end to end: planted topics over disjoint vocabularies are found, a seed gives the
// same model, coherence prefers the planted count, inference places a new message, cancellation
// stops; and a run over real chat (Topical-Chat) has the promised shape.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <random>
#include <set>

#include "analytics/lda_model.h"
#include "analytics/topic_coherence.h"
#include "analytics/topic_vocabulary.h"
#include "support/temp_dir.h"

namespace troupe::analytics {
namespace {

using ::testing::DoubleNear;
using ::testing::HasSubstr;

const std::vector<std::vector<std::string>> kTopicsPlantedWords = {
    {"pizza", "pasta", "salad", "burger", "sandwich", "noodle", "cheese", "bread", "soup", "curry", "taco", "dessert"},
    {"football", "soccer", "tennis", "hockey", "baseball", "goalkeeper", "stadium", "referee", "tournament",
     "basketball", "cricket", "volleyball"},
    {"rain", "snow", "storm", "thunder", "cloud", "sunshine", "humidity", "forecast", "drizzle", "blizzard",
     "tornado", "hurricane"},
    {"guitar", "piano", "violin", "drum", "melody", "concert", "orchestra", "album", "singer", "chorus", "lyric",
     "symphony"},
};

// Each message draws ten words from one planted topic, with chat filler the model must ignore.
std::vector<std::string> TopicsPlantedMessages(size_t per_topic) {
  std::mt19937 random(7);
  std::vector<std::string> messages;
  for (size_t n = 0; n < per_topic; ++n) {
    for (const std::vector<std::string>& words : kTopicsPlantedWords) {
      std::string message = "lol ok so";
      for (int i = 0; i < 10; ++i) message += " " + words[random() % words.size()];
      messages.push_back(message + " yeah!");
    }
  }
  return messages;
}

struct TopicsPlantedFixture {
  TopicCorpus corpus;
  LdaOptions options;
};

TopicsPlantedFixture TopicsPlanted() {
  TopicsPlantedFixture planted;
  TopicVocabularyOptions vocabulary;
  vocabulary.max_document_fraction = 0.5;
  planted.corpus = BuildTopicCorpus(TopicsPlantedMessages(60), vocabulary);
  planted.options.topics = 4;
  planted.options.iterations = 200;
  planted.options.seed = 42;
  return planted;
}

// The planted topic a word belongs to, or -1.
int TopicsPlantedTopicOf(const std::string& word) {
  for (size_t topic = 0; topic < kTopicsPlantedWords.size(); ++topic) {
    for (const std::string& planted : kTopicsPlantedWords[topic]) {
      if (planted == word) return static_cast<int>(topic);
    }
  }
  return -1;
}

// For each learned topic, the planted topic all of its top 12 words come from (-1 when mixed).
std::vector<int> TopicsLearnedToPlanted(const LdaModel& model, const TopicVocabulary& vocabulary) {
  std::vector<int> mapping;
  for (size_t topic = 0; topic < model.topic_count(); ++topic) {
    std::set<int> sources;
    for (int32_t word : model.TopWords(topic, 12)) sources.insert(TopicsPlantedTopicOf(vocabulary.display_word(word)));
    mapping.push_back(sources.size() == 1 ? *sources.begin() : -1);
  }
  return mapping;
}

TEST(LdaModelTest, RecoversPlantedTopicsOverDisjointVocabularies) {
  const TopicsPlantedFixture planted = TopicsPlanted();
  ASSERT_EQ(planted.corpus.vocabulary.size(), 48u);
  const Result<LdaModel> model = LdaModel::Train(planted.corpus.documents, planted.corpus.vocabulary.size(),
                                                 planted.options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::vector<int> mapping = TopicsLearnedToPlanted(*model, planted.corpus.vocabulary);
  EXPECT_EQ(std::set<int>(mapping.begin(), mapping.end()), (std::set<int>{0, 1, 2, 3}));
  for (size_t topic = 0; topic < 4; ++topic) {
    EXPECT_THAT(model->topic_shares()[topic], DoubleNear(0.25, 0.03));
    // A planted word carries about 1/12 of its topic; a word of another topic almost nothing.
    const int32_t own = model->TopWords(topic, 1)[0];
    EXPECT_GT(model->WordProbability(topic, own), 0.05);
  }
  EXPECT_THAT(std::accumulate(model->topic_shares().begin(), model->topic_shares().end(), 0.0), DoubleNear(1, 1e-12));
}

TEST(LdaModelTest, TheSameSeedGivesTheSameModel) {
  const TopicsPlantedFixture planted = TopicsPlanted();
  LdaOptions options = planted.options;
  options.iterations = 20;
  const size_t words = planted.corpus.vocabulary.size();
  const Result<LdaModel> first = LdaModel::Train(planted.corpus.documents, words, options);
  const Result<LdaModel> second = LdaModel::Train(planted.corpus.documents, words, options);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->topic_shares(), second->topic_shares());
  for (size_t topic = 0; topic < options.topics; ++topic) {
    EXPECT_EQ(first->TopWords(topic, words), second->TopWords(topic, words));
    for (int32_t word = 0; word < static_cast<int32_t>(words); ++word) {
      EXPECT_EQ(first->WordProbability(topic, word), second->WordProbability(topic, word));
    }
  }
  EXPECT_EQ(first->InferMixture(planted.corpus.documents[0], 10, 3),
            second->InferMixture(planted.corpus.documents[0], 10, 3));
}

TEST(LdaModelTest, InfersThePlantedTopicOfANewMessage) {
  const TopicsPlantedFixture planted = TopicsPlanted();
  const Result<LdaModel> model = LdaModel::Train(planted.corpus.documents, planted.corpus.vocabulary.size(),
                                                 planted.options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  const std::vector<int> mapping = TopicsLearnedToPlanted(*model, planted.corpus.vocabulary);
  const std::vector<std::string> messages = {"I'd love pizza and some cheese bread, then dessert",
                                             "the referee stopped the hockey tournament",
                                             "a blizzard after the storm, more snow in the forecast",
                                             "her album has a piano melody and a chorus"};
  for (size_t planted_topic = 0; planted_topic < messages.size(); ++planted_topic) {
    const std::vector<double> mixture = model->InferMixture(planted.corpus.vocabulary.Encode(messages[planted_topic]));
    ASSERT_EQ(mixture.size(), 4u);
    EXPECT_THAT(std::accumulate(mixture.begin(), mixture.end(), 0.0), DoubleNear(1, 1e-9));
    const size_t best = static_cast<size_t>(std::max_element(mixture.begin(), mixture.end()) - mixture.begin());
    EXPECT_EQ(mapping[best], static_cast<int>(planted_topic)) << messages[planted_topic];
    EXPECT_GT(mixture[best], 0.8) << messages[planted_topic];
  }
  const std::vector<double> nothing = model->InferMixture({});
  EXPECT_EQ(nothing, std::vector<double>(4, 0.25));
}

TEST(LdaModelTest, ProgressReportsEachSweepAndFalseCancels) {
  const TopicsPlantedFixture planted = TopicsPlanted();
  LdaOptions options = planted.options;
  std::vector<size_t> seen;
  options.progress = [&](const LdaProgress& progress) {
    EXPECT_EQ(progress.topics, 4u);
    EXPECT_EQ(progress.iterations, 200u);
    seen.push_back(progress.iteration);
    return progress.iteration < 3;
  };
  const Result<LdaModel> model = LdaModel::Train(planted.corpus.documents, planted.corpus.vocabulary.size(), options);
  EXPECT_EQ(model.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(model.status().message(), HasSubstr("cancelled"));
  EXPECT_EQ(seen, (std::vector<size_t>{1, 2, 3}));
}

TEST(LdaModelTest, RejectsInputItCannotModel) {
  auto field_of_bad = [](size_t topics, size_t iterations, double alpha, double beta) {
    LdaOptions options;
    options.topics = topics;
    options.iterations = iterations;
    options.alpha = alpha;
    options.beta = beta;
    return LdaModel::Train({{0, 1}}, 2, options).status().field();
  };
  EXPECT_EQ(field_of_bad(0, 5, 0.1, 0.01), "topics");
  EXPECT_EQ(field_of_bad(2, 0, 0.1, 0.01), "iterations");
  EXPECT_EQ(field_of_bad(2, 5, 0, 0.01), "alpha");
  EXPECT_EQ(field_of_bad(2, 5, 0.1, -1), "beta");
  EXPECT_EQ(field_of_bad(size_t{1} << 28, 5, 0.1, 0.01), "topics");  // too many counts
  const LdaOptions options;
  const Result<LdaModel> outside = LdaModel::Train({{0}, {0, 5}}, 2, options);
  EXPECT_THAT(outside.status().message(), HasSubstr("document 1: word id 5 is outside the vocabulary of 2"));
  EXPECT_THAT(LdaModel::Train({{}, {}}, 2, options).status().message(), HasSubstr("no words left"));
}

TEST(TopicCoherenceTest, CountsDocumentsAndScoresPairsAsDefined) {
  // Word 0 is in 3 of 4 documents, word 1 in 2 (both with 0), word 2 in 1 alone.
  const DocumentCooccurrence cooccurrence({{0, 1, 1}, {1, 0}, {2}, {0}, {}}, 3);
  EXPECT_EQ(cooccurrence.document_count(), 4u);
  EXPECT_EQ(cooccurrence.DocumentsWith(0), 3u);
  EXPECT_EQ(cooccurrence.DocumentsWithBoth(0, 1), 2u);
  EXPECT_EQ(cooccurrence.DocumentsWithBoth(1, 2), 0u);
  const TopicCoherence together = CoherenceOf({0, 1}, cooccurrence);
  EXPECT_THAT(together.umass, DoubleNear(std::log(3.0 / 3.0), 1e-12));
  EXPECT_THAT(together.npmi, DoubleNear(std::log((2.0 / 4) / ((3.0 / 4) * (2.0 / 4))) / -std::log(2.0 / 4), 1e-12));
  const TopicCoherence apart = CoherenceOf({0, 2}, cooccurrence);
  EXPECT_THAT(apart.umass, DoubleNear(std::log(1.0 / 3.0), 1e-12));
  EXPECT_EQ(apart.npmi, -1);
  EXPECT_EQ(CoherenceOf({0}, cooccurrence).npmi, 0);
}

TEST(TopicCoherenceTest, RanksThePlantedTopicCountAboveAWrongOne) {
  const TopicsPlantedFixture planted = TopicsPlanted();
  const Result<TopicCountChoice> by_npmi = ChooseTopicCount(
      planted.corpus.documents, planted.corpus.vocabulary.size(), {2, 4, 8}, planted.options, 10);
  ASSERT_TRUE(by_npmi.ok()) << by_npmi.status().ToString();
  ASSERT_EQ(by_npmi->candidates.size(), 3u);
  EXPECT_EQ(by_npmi->candidates[by_npmi->chosen].topics, 4u);
  EXPECT_EQ(by_npmi->model.topic_count(), 4u);
  EXPECT_EQ(by_npmi->coherence.size(), 4u);
  EXPECT_GT(by_npmi->candidates[1].mean_npmi, by_npmi->candidates[0].mean_npmi);
  EXPECT_GT(by_npmi->candidates[1].mean_umass, by_npmi->candidates[0].mean_umass);
  const Result<TopicCountChoice> by_umass =
      ChooseTopicCount(planted.corpus.documents, planted.corpus.vocabulary.size(), {2, 4}, planted.options, 10,
                       CoherenceMeasure::kUMass);
  ASSERT_TRUE(by_umass.ok()) << by_umass.status().ToString();
  EXPECT_EQ(by_umass->candidates[by_umass->chosen].topics, 4u);
  EXPECT_EQ(ChooseTopicCount(planted.corpus.documents, 48, {}, planted.options).status().field(), "topics");
}

// Topical-Chat's test "frequent" split (shared test data): every turn is a message.
std::vector<std::string> TopicsTopicalChatMessages() {
  const std::filesystem::path path = testing::SharedDir() / "testdata/datasets/dialogue/topical_chat/test_freq.json";
  std::ifstream file(path);
  EXPECT_TRUE(file) << "cannot open " << path;
  const nlohmann::json conversations = nlohmann::json::parse(file);
  std::vector<std::string> messages;
  for (const auto& [id, conversation] : conversations.items()) {
    for (const nlohmann::json& turn : conversation.at("content")) messages.push_back(turn.at("message"));
  }
  return messages;
}

TEST(LdaModelTest, FitsRealChatIntoTheRequestedShape) {
  const std::vector<std::string> messages = TopicsTopicalChatMessages();
  ASSERT_EQ(messages.size(), 11760u);
  TopicVocabularyOptions vocabulary;
  vocabulary.min_document_count = 5;
  vocabulary.max_vocabulary = 1500;  // of about 1,900 stems in 5 or more messages
  const TopicCorpus corpus = BuildTopicCorpus(messages, vocabulary);
  ASSERT_EQ(corpus.vocabulary.size(), 1500u);
  LdaOptions options;
  options.topics = 10;
  options.iterations = 30;
  const Result<LdaModel> model = LdaModel::Train(corpus.documents, corpus.vocabulary.size(), options);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_EQ(model->topic_count(), 10u);
  EXPECT_THAT(std::accumulate(model->topic_shares().begin(), model->topic_shares().end(), 0.0), DoubleNear(1, 1e-9));
  const DocumentCooccurrence cooccurrence(corpus.documents, corpus.vocabulary.size());
  const std::vector<TopicCoherence> coherence = ModelCoherence(*model, cooccurrence, 10);
  ASSERT_EQ(coherence.size(), 10u);
  for (size_t topic = 0; topic < 10; ++topic) {
    const std::vector<int32_t> top = model->TopWords(topic, 10);
    ASSERT_EQ(top.size(), 10u);
    EXPECT_EQ(std::set<int32_t>(top.begin(), top.end()).size(), 10u);
    for (int32_t word : top) EXPECT_FALSE(corpus.vocabulary.display_word(word).empty());
    EXPECT_GE(coherence[topic].npmi, -1);
    EXPECT_LE(coherence[topic].npmi, 1);
    EXPECT_LE(coherence[topic].umass, std::log(2.0));
  }
}

}  // namespace
}  // namespace troupe::analytics
