// Character generation end to end: on the local engine with the shared stories260K model (every
// step's schema is taken by the engine and every reply parses and validates: structure only, never
// prose), and against a scripted OpenAI-compatible server on loopback (the request carries
// response_format json_schema with the step's schema; bad replies are retried, then refused).
#include "studio/character_generator.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../llm/fault_http_server.h"
#include "llm/json_schema_check.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "llm/openai_provider.h"
#include "studio/candidate_diversity.h"
#include "studio/card_assembly.h"
#include "support/temp_dir.h"

namespace troupe::studio {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

GenerationBrief GeneratorTestBrief() {
  return GenerationBrief{"a lighthouse keeper on a stormy coast", "adults who like cosy mysteries",
                         CharacterRole::kCompanion, {}};
}

class LocalGenerationTest : public ::testing::Test {
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

  GeneratorOptions Options() const {
    GeneratorOptions options;
    options.limits = LimitsForContext(provider_->info().context_length);
    options.seed = 7;
    return options;
  }

  static inline std::shared_ptr<llm::LocalModel> model_;
  std::unique_ptr<llm::Provider> provider_;
};

TEST_F(LocalGenerationTest, EveryStepsSchemaIsInTheEnginesSubset) {
  for (CharacterStep step : kCharacterSteps) {
    for (const TextLimits& limits : {TextLimits{}, LimitsForContext(512)}) {
      EXPECT_TRUE(llm::CheckJsonSchema(StepSchema(step, limits), StepName(step)).ok()) << StepName(step);
    }
  }
}

TEST_F(LocalGenerationTest, EveryStepsReplyParsesAndValidates) {
  std::vector<GenerationProgress> progress;
  GeneratorOptions options = Options();
  options.on_progress = [&progress](const GenerationProgress& report) { progress.push_back(report); };
  CharacterGenerator generator(*provider_, options);
  Result<CharacterDraft> draft = generator.Generate(GeneratorTestBrief());
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  EXPECT_TRUE(draft->Complete());
  for (CharacterStep step : kCharacterSteps) {
    const std::string& reply = draft->replies[static_cast<size_t>(step)];
    EXPECT_TRUE(llm::CheckAgainstSchema(StepSchema(step, options.limits), reply, StepName(step)).ok()) << reply;
  }
  EXPECT_FALSE(draft->concept_step->name.empty());
  EXPECT_GE(draft->concept_step->age, 1);
  EXPECT_FALSE(draft->speech->example_dialogues.empty());
  ASSERT_GE(progress.size(), kCharacterSteps.size());
  EXPECT_EQ(progress.front().step, CharacterStep::kConcept);
  EXPECT_EQ(progress.back().step, CharacterStep::kImage);
  EXPECT_EQ(progress.back().step_number, 5);

  Result<chat::ImportedCard> card = AssembleCard(*draft);
  ASSERT_TRUE(card.ok()) << card.status().ToString();
  EXPECT_EQ(card->character.name, draft->concept_step->name);
}

TEST_F(LocalGenerationTest, RerunningAStepMarksTheLaterOnesStale) {
  CharacterGenerator generator(*provider_, Options());
  Result<CharacterDraft> draft = generator.Generate(GeneratorTestBrief());
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  ASSERT_TRUE(generator.RerunStep(*draft, CharacterStep::kBackground).ok());
  EXPECT_THAT(draft->stale, ElementsAre(CharacterStep::kSpeech, CharacterStep::kGreetings, CharacterStep::kImage));
  EXPECT_FALSE(draft->Complete());
  EXPECT_EQ(AssembleCard(*draft).status().code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE(generator.RefreshStale(*draft).ok());
  EXPECT_TRUE(draft->stale.empty());
  EXPECT_TRUE(draft->Complete());
}

TEST_F(LocalGenerationTest, SeveralCandidatesComeWithTheirPairwiseReport) {
  CharacterGenerator generator(*provider_, Options());
  Result<CandidateBatch> batch = GenerateCandidates(generator, GeneratorTestBrief(), 3, false);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  ASSERT_EQ(batch->candidates.size(), 3u);
  EXPECT_EQ(batch->diversity.pairs.size(), 3u);
  for (const CharacterDraft& candidate : batch->candidates) EXPECT_TRUE(candidate.Complete());
}

TEST_F(LocalGenerationTest, ASetCancelFlagStopsBeforeTheFirstStep) {
  std::atomic<bool> cancel{true};
  GeneratorOptions options = Options();
  options.cancel = &cancel;
  CharacterGenerator generator(*provider_, options);
  Result<CharacterDraft> draft = generator.Generate(GeneratorTestBrief());
  ASSERT_FALSE(draft.ok());
  EXPECT_THAT(draft.status().message(), HasSubstr("cancelled"));
}

// --- The remote path -------------------------------------------------------------------------

const char* const kGeneratorRemoteReplies[] = {
    R"({"name":"Ada Quill","age":34,"role":"companion","setting":"a lighthouse on a stormy coast","pitch":"A keeper who collects sea stories.","traits":["patient","curious"]})",
    R"({"backstory":"Ada has kept the lighthouse for ten years.","personality":"Calm and dry-witted.","likes":["tea"],"dislikes":["fog horns"]})",
    R"({"catchphrases":["Steady as the light."],"vocabulary":["beacon"],"sentence_style":"Short, calm sentences.","example_dialogues":[{"user":"Hi!","character":"Evening. Mind the steps."}]})",
    R"({"first_message":"Welcome to the lighthouse. I'm Ada.","alternates":["Storm's coming. Tea?"]})",
    R"({"prompt":"portrait of a lighthouse keeper, oil painting","negative_prompt":"blurry"})",
};

class RemoteGenerationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    llm::OpenAiProviderOptions options;
    options.name = "remote";
    options.base_url = server_.BaseUrl();
    options.model = "test-model";
    options.max_retries = 0;
    Result<std::unique_ptr<llm::Provider>> provider = llm::MakeOpenAiProvider(options);
    ASSERT_TRUE(provider.ok()) << provider.status().ToString();
    provider_ = std::move(*provider);
  }

  void Reply(const std::string& content) {
    testing::FaultHttpServer::Response response;
    response.body_parts = testing::StreamOf({content});
    server_.Enqueue(std::move(response));
  }

  testing::FaultHttpServer server_;
  std::unique_ptr<llm::Provider> provider_;
};

TEST_F(RemoteGenerationTest, EachStepAsksForItsSchemaAndReadsTheReply) {
  for (const char* reply : kGeneratorRemoteReplies) Reply(reply);
  CharacterGenerator generator(*provider_, GeneratorOptions{});
  Result<CharacterDraft> draft = generator.Generate(GeneratorTestBrief());
  ASSERT_TRUE(draft.ok()) << draft.status().ToString();
  EXPECT_EQ(draft->concept_step->name, "Ada Quill");
  EXPECT_EQ(draft->concept_step->age, 34);
  EXPECT_EQ(draft->image->negative_prompt, "blurry");
  const std::vector<testing::FaultHttpServer::Request> requests = server_.requests();
  ASSERT_EQ(requests.size(), kCharacterSteps.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    const nlohmann::json body = nlohmann::json::parse(requests[i].body);
    const CharacterStep step = kCharacterSteps[i];
    EXPECT_EQ(body["response_format"]["type"], "json_schema") << requests[i].body;
    EXPECT_EQ(body["response_format"]["json_schema"]["name"], "character_" + std::string(StepName(step)));
    EXPECT_EQ(body["response_format"]["json_schema"]["schema"], nlohmann::json::parse(StepSchema(step, TextLimits{})));
  }
  // The later prompts quote what the earlier steps made.
  EXPECT_THAT(nlohmann::json::parse(requests[3].body).dump(), HasSubstr("Ada Quill"));
}

TEST_F(RemoteGenerationTest, ABadReplyIsAskedForAgain) {
  Reply("not json at all");
  Reply(R"({"name":"Ada","age":900,"role":"x","setting":"y","pitch":"z","traits":["a"]})");
  Reply(std::string("```json\n") + kGeneratorRemoteReplies[0] + "\n```");
  CharacterGenerator generator(*provider_, GeneratorOptions{});
  CharacterDraft draft;
  draft.brief = GeneratorTestBrief();
  Status status = generator.RunStep(draft, CharacterStep::kConcept);
  ASSERT_TRUE(status.ok()) << status.ToString();
  EXPECT_EQ(draft.concept_step->name, "Ada Quill");
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(RemoteGenerationTest, RepliesThatNeverValidateEndWithAnErrorNamingTheStep) {
  for (int i = 0; i < 2; ++i) Reply(R"({"name":"Ada","age":34})");
  GeneratorOptions options;
  options.attempts_per_step = 2;
  CharacterGenerator generator(*provider_, options);
  CharacterDraft draft;
  draft.brief = GeneratorTestBrief();
  Status status = generator.RunStep(draft, CharacterStep::kConcept);
  EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("concept: no valid reply after 2 attempts"));
  EXPECT_THAT(status.field(), HasSubstr("concept"));
  EXPECT_FALSE(draft.concept_step.has_value());
}

TEST_F(RemoteGenerationTest, ALaterStepNeedsTheEarlierOnes) {
  CharacterGenerator generator(*provider_, GeneratorOptions{});
  CharacterDraft draft;
  draft.brief = GeneratorTestBrief();
  Status status = generator.RunStep(draft, CharacterStep::kGreetings);
  EXPECT_EQ(status.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.field(), "concept");
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(RemoteGenerationTest, ANearCopyIsMadeOnceMoreToldTheNamesAlreadyMade) {
  for (int copy = 0; copy < 2; ++copy) {
    for (const char* reply : kGeneratorRemoteReplies) Reply(reply);
  }
  Reply(R"({"name":"Bram Okoro","age":41,"role":"companion","setting":"a night market","pitch":"A noodle cook.","traits":["loud","generous"]})");
  Reply(R"({"backstory":"Bram runs a noodle cart and knows every cook by name.","personality":"Loud and kind.","likes":["broth"],"dislikes":["rain"]})");
  for (size_t i = 2; i < kCharacterSteps.size(); ++i) Reply(kGeneratorRemoteReplies[i]);
  CharacterGenerator generator(*provider_, GeneratorOptions{});
  Result<CandidateBatch> batch = GenerateCandidates(generator, GeneratorTestBrief(), 2, true);
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ(batch->regenerated, 1);
  EXPECT_EQ(batch->candidates[1].concept_step->name, "Bram Okoro");
  ASSERT_EQ(batch->diversity.pairs.size(), 1u);
  EXPECT_FALSE(batch->diversity.pairs[0].near_copy) << batch->diversity.pairs[0].reason;
  const std::vector<testing::FaultHttpServer::Request> requests = server_.requests();
  ASSERT_EQ(requests.size(), 3 * kCharacterSteps.size());
  // The second candidate's concept and its remake are told the first one's name.
  EXPECT_THAT(requests[5].body, HasSubstr("different from: Ada Quill"));
  EXPECT_THAT(requests[10].body, HasSubstr("different from: Ada Quill"));
  EXPECT_THAT(requests[0].body, ::testing::Not(HasSubstr("different from")));
}

TEST(GenerationBriefTest, BlankOrBadBriefsAreRefusedByField) {
  GenerationBrief brief = GeneratorTestBrief();
  brief.theme = "  ";
  EXPECT_EQ(CheckBrief(brief).field(), "theme");
  brief = GeneratorTestBrief();
  brief.audience = std::string(kMaxBriefTextChars + 1, 'a');
  EXPECT_EQ(CheckBrief(brief).field(), "audience");
  brief.audience = "\xff\xfe";
  EXPECT_THAT(CheckBrief(brief).message(), HasSubstr("UTF-8"));
  EXPECT_EQ(ParseRole("pirate", "--role").status().field(), "--role");
  EXPECT_EQ(ParseRole("mascot", "--role").value(), CharacterRole::kMascot);
}

TEST(StepReplyTest, AnEditedStepReplacesTheOutputAndMarksLaterStepsStale) {
  CharacterDraft draft;
  draft.brief = GeneratorTestBrief();
  const TextLimits limits;
  for (size_t i = 0; i < kCharacterSteps.size(); ++i) {
    ASSERT_TRUE(ApplyStepReply(draft, kCharacterSteps[i], kGeneratorRemoteReplies[i], limits).ok()) << i;
  }
  EXPECT_TRUE(draft.Complete());
  Status edited = ApplyStepReply(draft, CharacterStep::kSpeech,
                                 R"({"catchphrases":["Aye."],"vocabulary":["gale"],"sentence_style":"Terse.",)"
                                 R"("example_dialogues":[{"user":"Hello","character":"Aye."}]})",
                                 limits);
  ASSERT_TRUE(edited.ok()) << edited.ToString();
  EXPECT_THAT(draft.stale, ElementsAre(CharacterStep::kGreetings, CharacterStep::kImage));
  Status bad = ApplyStepReply(draft, CharacterStep::kConcept, R"({"name":"  ","age":3,"role":"r","setting":"s",)"
                                                              R"("pitch":"p","traits":["t"]})",
                              limits);
  EXPECT_EQ(bad.field(), "concept.name");
  EXPECT_EQ(draft.concept_step->name, "Ada Quill");
}

}  // namespace
}  // namespace troupe::studio
