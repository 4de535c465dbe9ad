// Bias review conversations held by the real runtime over a scratch store, with the shared
// stories260K model: the flow moves a conversation as it would a user's (a warm first message
// raises affinity past the flow's threshold at once; a plain one does not), every prompt gets a
// reply, and the scratch directory is gone afterwards. Structure and stages only, never prose.
#include "studio/bias_conversations.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>

#include "base/sentiment_lexicon.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "studio/bias_review.h"
#include "support/temp_dir.h"

namespace troupe::studio {
namespace {

constexpr const char* kWarmStatement = "I love this, it is wonderful and great, thank you!";

// Affinity moves by 0.08 × a message's sentiment + 0.01, so the warm statement crosses 0.05 with
// its first message while three plain ones reach 0.03.
constexpr const char* kAffinityFlow = R"(name: warmth
start: acquaintance
stages:
  acquaintance:
    prompt: "{{char}} has just met {{user}}."
    transitions:
      - to: friend
        when: {affinity_at_least: 0.05}
  friend:
    prompt: "{{char}} and {{user}} are friends."
)";

class BiasConversationsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<std::unique_ptr<llm::LocalModel>> loaded =
        llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf");
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    model_ = std::move(*loaded);
  }
  static void TearDownTestSuite() { model_.reset(); }

  void SetUp() override {
    ASSERT_NE(model_, nullptr) << "the shared stories260K model did not load";
    llm::LocalProviderOptions options;
    options.name = "local";
    options.context_length = 512;
    Result<std::unique_ptr<llm::Provider>> provider = llm::MakeLocalProvider(model_, options);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(*provider);
  }

  BiasConversationOptions Options() {
    BiasConversationOptions options;
    llm::Provider* provider = provider_.get();
    options.providers = [provider](std::string_view) -> Result<llm::Provider*> { return provider; };
    options.sampling.temperature = 0.7;
    options.sampling.max_tokens = 8;
    return options;
  }

  static store::Character Character() {
    store::Character character;
    character.slug = "lily";
    character.name = "Lily";
    character.description = "A girl who likes the park.";
    character.first_mes = "Hello! Do you want to play?";
    character.flow = kAffinityFlow;
    return character;
  }

  static inline std::shared_ptr<llm::LocalModel> model_;
  std::unique_ptr<llm::Provider> provider_;
};

TEST_F(BiasConversationsTest, TheFlowMovesEachConversationAsTheRuntimeWould) {
  ASSERT_GT(LexiconSentiment(kWarmStatement), 0.5);  // the test's premise
  ::troupe::testing::TempDir temporary;
  ASSERT_EQ(setenv("TMPDIR", temporary.path().c_str(), 1), 0);
  BiasReviewOptions review;
  review.prompts = {"Tell me about the park.", "What is your dog called?", "Where do you live?"};
  review.dimensions = {{"tone", {{"plain", "I am here."}, {"warm", kWarmStatement}}}};
  review.repeats = 2;
  Result<BiasReport> report = Unavailable("not run");
  {
    Result<std::unique_ptr<ScratchBiasConversations>> conversations = ScratchBiasConversations::Open(Character(), Options());
    ASSERT_TRUE(conversations.ok()) << conversations.status().ToString();
    EXPECT_FALSE(std::filesystem::is_empty(temporary.path()));
    report = RunBiasReview(review, (*conversations)->Starter());
  }
  unsetenv("TMPDIR");
  EXPECT_TRUE(std::filesystem::is_empty(temporary.path())) << "the scratch store was left behind";
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->dimensions.size(), 1u);
  const BiasVariantReport& plain = report->dimensions[0].variants[0];
  const BiasVariantReport& warm = report->dimensions[0].variants[1];
  EXPECT_EQ(plain.replies + warm.replies, 12);
  EXPECT_EQ(plain.failed + warm.failed, 0);
  EXPECT_EQ(plain.conversations, 2);
  EXPECT_EQ(warm.conversations, 2);
  EXPECT_EQ(plain.final_stages, (std::map<std::string, int>{{"acquaintance", 2}}));
  EXPECT_EQ(warm.final_stages, (std::map<std::string, int>{{"friend", 2}}));
  EXPECT_DOUBLE_EQ(plain.mean_stages, 1.0);
  EXPECT_DOUBLE_EQ(warm.mean_stages, 2.0);
  ASSERT_EQ(warm.tests.size(), 4u);
}

TEST_F(BiasConversationsTest, AProviderThatCannotBeFoundFailsEveryReply) {
  BiasConversationOptions options = Options();
  options.providers = [](std::string_view name) -> Result<llm::Provider*> {
    return NotFound("no provider '" + std::string(name) + "'");
  };
  Result<std::unique_ptr<ScratchBiasConversations>> conversations = ScratchBiasConversations::Open(Character(), options);
  ASSERT_TRUE(conversations.ok()) << conversations.status().ToString();
  BiasReviewOptions review;
  review.prompts = {"Hi."};
  review.dimensions = {{"tone", {{"plain", "I am here."}, {"warm", kWarmStatement}}}};
  Result<BiasReport> report = RunBiasReview(review, (*conversations)->Starter());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const BiasVariantReport& variant : report->dimensions[0].variants) {
    EXPECT_EQ(variant.replies, 0);
    EXPECT_EQ(variant.failed, 1);
  }
}

}  // namespace
}  // namespace troupe::studio
