// Experiments in the runtime, on a real SQLite store: variants parse with errors that name their
// field, the split is stable per user and follows the weights, a conversation started while its
// character runs an experiment is assigned a variant, and each kind of variant changes what the
// turn plays: the flow (stories260K on the local engine), the system prompt the provider receives,
// or the whole character.
#include "chat/experiments.h"

#include <gtest/gtest.h>

#include <future>
#include <set>

#include "chat/runtime.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "scripted_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::chat::testing::ScriptedProvider;
using ::troupe::testing::SharedDir;
using ::troupe::testing::TempDir;

constexpr char kControlFlow[] = R"(
name: control
start: ice_breaker
stages:
  ice_breaker:
    prompt: "Say hello to {{user}}."
    sampling: {temperature: 0, max_tokens: 8}
    reply: {split: none, typing_chars_per_second: 0}
)";

constexpr char kVariantFlow[] = R"(
name: variant
start: warm_welcome
stages:
  warm_welcome:
    prompt: "Welcome {{user}} warmly."
    sampling: {temperature: 0, max_tokens: 8}
    reply: {split: none, typing_chars_per_second: 0}
)";

constexpr char kRomanticFlow[] = R"(
name: romance
start: date
stages:
  date:
    romance: romantic
    prompt: "Flirt with {{user}}."
)";

class ExperimentsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    options.clock = &clock_;
    store_ = std::move(store::Store::Open(options)).value();
    ASSERT_TRUE(store_->Migrate().ok());
  }

  store::Character MakeCharacter(const std::string& name, const std::string& flow,
                                 const std::string& extensions = "{}") {
    store::Character character;
    character.name = name;
    character.description = "A character of the experiment tests.";
    character.system_prompt = "You are " + name + ", the original.";
    character.flow = flow;
    character.extensions_json = extensions;
    return store_->characters().Create(character).value();
  }

  int64_t MakeUser(const std::string& external_id) {
    store::User user;
    user.external_id = external_id;
    return store_->users().Create(user).value().id;
  }

  store::ExperimentRecord RunningExperiment(int64_t character_id, const std::string& kind,
                                            const std::string& variants_json) {
    store::ExperimentRecord experiment;
    experiment.character_id = character_id;
    experiment.name = "test";
    experiment.kind = kind;
    experiment.metric = "length";
    experiment.variants_json = variants_json;
    EXPECT_TRUE(CheckExperiment(*store_, experiment).ok()) << CheckExperiment(*store_, experiment).ToString();
    store::ExperimentRecord created = store_->experiments().Create(experiment).value();
    return store_->experiments().Start(created.id).value();
  }

  // A conversation for a new user whose variant is `wanted` (users are tried in turn).
  StartedConversation ConversationInVariant(int64_t character_id, int wanted) {
    for (int attempt = 0; attempt < 64; ++attempt) {
      store::Conversation conversation;
      conversation.user_id = MakeUser("user-" + std::to_string(next_user_++));
      conversation.character_id = character_id;
      StartedConversation started = StartConversation(*store_, conversation).value();
      if (started.assignment && started.assignment->variant == wanted) return started;
    }
    ADD_FAILURE() << "no user landed in variant " << wanted;
    return {};
  }

  TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<store::Store> store_;
  int next_user_ = 0;
};

TEST_F(ExperimentsTest, VariantsParseWithErrorsThatNameTheirField) {
  Result<std::vector<ExperimentVariant>> parsed =
      ParseVariants(ExperimentKind::kPrompt, R"([{"name":"control"},{"name":"warm","weight":3,"system_prompt":"Be warm."}])");
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  ASSERT_EQ(parsed->size(), 2u);
  EXPECT_EQ((*parsed)[1].weight, 3);
  EXPECT_EQ((*parsed)[1].system_prompt, "Be warm.");
  EXPECT_EQ(VariantsToJson(*parsed), R"([{"name":"control","weight":1.0},{"name":"warm","weight":3.0,"system_prompt":"Be warm."}])");

  struct Case {
    ExperimentKind kind;
    const char* json;
    const char* field;
  };
  const Case cases[] = {
      {ExperimentKind::kPrompt, R"([{"name":"only"}])", "variants"},
      {ExperimentKind::kPrompt, R"({"name":"x"})", "variants"},
      {ExperimentKind::kPrompt, R"([{"name":"a"},{"name":"a"}])", "variants[1].name"},
      {ExperimentKind::kPrompt, R"([{"name":"a"},{"weight":2}])", "variants[1].name"},
      {ExperimentKind::kPrompt, R"([{"name":"a"},{"name":"b","weight":0}])", "variants[1].weight"},
      {ExperimentKind::kFlow, R"([{"name":"a"},{"name":"b","system_prompt":"x"}])", "variants[1].system_prompt"},
      {ExperimentKind::kCharacter, R"([{"name":"a"},{"name":"b","character_id":"7"}])", "variants[1].character_id"},
      {ExperimentKind::kPrompt, R"([{"name":"a"},{"name":"b","system_prompt":""}])", "variants[1].system_prompt"},
      {ExperimentKind::kPrompt, R"([{"name":"a"},"b"])", "variants[1]"},
  };
  for (const Case& c : cases) {
    Result<std::vector<ExperimentVariant>> refused = ParseVariants(c.kind, c.json);
    ASSERT_FALSE(refused.ok()) << c.json;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_EQ(refused.status().field(), c.field) << c.json << ": " << refused.status().ToString();
  }
}

TEST_F(ExperimentsTest, TheSplitIsStablePerUserAndFollowsTheWeights) {
  std::vector<ExperimentVariant> variants(2);
  variants[0].name = "control";
  variants[1].name = "treatment";
  variants[1].weight = 3;
  int treated = 0;
  constexpr int kUsers = 20'000;
  for (int user = 1; user <= kUsers; ++user) {
    const int variant = PickVariant(42, user, variants);
    ASSERT_EQ(variant, PickVariant(42, user, variants));
    treated += variant;
  }
  EXPECT_NEAR(static_cast<double>(treated) / kUsers, 0.75, 0.015);

  // Another experiment splits the same users independently of this one.
  int agree = 0;
  variants[1].weight = 1;
  for (int user = 1; user <= kUsers; ++user) agree += PickVariant(42, user, variants) == PickVariant(43, user, variants);
  EXPECT_NEAR(static_cast<double>(agree) / kUsers, 0.5, 0.02);
}

TEST_F(ExperimentsTest, CheckRefusesAFlowVariantAMinorMayNotPlayAndUnknownCharacters) {
  const store::Character minor = MakeCharacter("Pip", kControlFlow, R"({"troupe":{"age":12}})");
  store::ExperimentRecord experiment;
  experiment.character_id = minor.id;
  experiment.name = "romance for a minor";
  experiment.kind = "flow";
  experiment.metric = "return";
  experiment.variants_json = nlohmann::json::array({{{"name", "control"}}, {{"name", "b"}, {"flow", kRomanticFlow}}}).dump();
  Status refused = CheckExperiment(*store_, experiment);
  EXPECT_EQ(refused.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(refused.field(), "variants[1].flow");

  experiment.kind = "character";
  experiment.variants_json = R"([{"name":"control"},{"name":"other","character_id":424242}])";
  refused = CheckExperiment(*store_, experiment);
  EXPECT_EQ(refused.code(), StatusCode::kNotFound);
  EXPECT_EQ(refused.field(), "variants[1].character_id");

  experiment.metric = "happiness";
  EXPECT_EQ(CheckExperiment(*store_, experiment).field(), "metric");
  experiment.metric = "length";
  experiment.kind = "mood";
  EXPECT_EQ(CheckExperiment(*store_, experiment).field(), "kind");
}

TEST_F(ExperimentsTest, ConversationsAreAssignedOnlyWhileTheExperimentRuns) {
  const store::Character lily = MakeCharacter("Lily", kControlFlow);
  const int64_t user = MakeUser("tim");
  store::Conversation conversation;
  conversation.user_id = user;
  conversation.character_id = lily.id;
  StartedConversation before = StartConversation(*store_, conversation).value();
  EXPECT_FALSE(before.assignment.has_value());

  const store::ExperimentRecord experiment =
      RunningExperiment(lily.id, "prompt", R"([{"name":"control"},{"name":"warm","system_prompt":"Be warm."}])");
  StartedConversation first = StartConversation(*store_, conversation).value();
  StartedConversation second = StartConversation(*store_, conversation).value();
  ASSERT_TRUE(first.assignment.has_value());
  ASSERT_TRUE(second.assignment.has_value());
  EXPECT_EQ(first.assignment->experiment_id, experiment.id);
  EXPECT_EQ(first.assignment->variant, second.assignment->variant);  // the same user, the same variant
  EXPECT_EQ(store_->experiments().AssignmentOf(first.conversation.id).value()->variant, first.assignment->variant);

  ASSERT_TRUE(store_->experiments().Stop(experiment.id).ok());
  EXPECT_FALSE(StartConversation(*store_, conversation).value().assignment.has_value());
  // The assigned conversations keep their variant after the stop.
  EXPECT_TRUE(store_->experiments().AssignmentOf(first.conversation.id).value().has_value());
}

class ExperimentTurnsTest : public ExperimentsTest {
 protected:
  std::unique_ptr<ChatRuntime> RuntimeWith(llm::Provider* provider) {
    RuntimeOptions options;
    options.clock = &clock_;
    return std::make_unique<ChatRuntime>(
        *store_, [provider](std::string_view) -> Result<llm::Provider*> { return provider; }, options);
  }
};

TEST_F(ExperimentTurnsTest, AFlowVariantMovesTheConversationAlongItsOwnFlow) {
  static std::shared_ptr<llm::LocalModel> model = llm::LocalModel::Load(SharedDir() / "models/stories260K.gguf").value();
  llm::LocalProviderOptions provider_options;
  provider_options.context_length = 256;
  std::unique_ptr<llm::Provider> provider = llm::MakeLocalProvider(model, provider_options).value();
  std::unique_ptr<ChatRuntime> runtime = RuntimeWith(provider.get());

  const store::Character lily = MakeCharacter("Lily", kControlFlow);
  RunningExperiment(lily.id, "flow",
                    nlohmann::json::array({{{"name", "control"}}, {{"name", "warm"}, {"flow", kVariantFlow}}}).dump());
  const int64_t control = ConversationInVariant(lily.id, 0).conversation.id;
  const int64_t warm = ConversationInVariant(lily.id, 1).conversation.id;
  for (int64_t conversation : {control, warm}) {
    ASSERT_TRUE(runtime->AddUserMessage(conversation, "Hello there").ok());
    Result<TurnOutcome> replied = runtime->Reply(conversation, {}, {});
    ASSERT_TRUE(replied.ok()) << replied.status().ToString();
    ASSERT_FALSE(replied->messages.empty());
  }
  EXPECT_EQ(store_->conversations().Get(control)->stage, "ice_breaker");
  EXPECT_EQ(store_->conversations().Get(warm)->stage, "warm_welcome");
  EXPECT_EQ(store_->messages().List(warm, {"", 10})->items.back().stage, "warm_welcome");
}

// The system message the provider receives for a conversation of variant `wanted`.
std::string SystemPromptSent(ChatRuntime& runtime, ScriptedProvider& provider, size_t call, int64_t conversation) {
  EXPECT_TRUE(runtime.AddUserMessage(conversation, "Hello there").ok());
  std::promise<void> finished;
  TurnRequest request;
  request.conversation_id = conversation;
  EXPECT_TRUE(runtime.StartTurn(request, {}, {}, [&](Result<TurnOutcome>) { finished.set_value(); }).ok());
  EXPECT_TRUE(provider.WaitForCalls(call + 1));
  const std::vector<llm::ChatMessage> messages = provider.call(call)->request.messages;
  provider.Write(call, "Hi.");
  provider.End(call);
  finished.get_future().wait();
  return messages.empty() ? "" : messages.front().content;
}

TEST_F(ExperimentTurnsTest, APromptVariantIsTheSystemPromptTheProviderReceives) {
  ScriptedProvider provider;
  std::unique_ptr<ChatRuntime> runtime = RuntimeWith(&provider);
  const store::Character lily = MakeCharacter("Lily", kControlFlow);
  RunningExperiment(lily.id, "prompt", R"([{"name":"control"},{"name":"warm","system_prompt":"You are Lily, warmer than ever."}])");
  const std::string control = SystemPromptSent(*runtime, provider, 0, ConversationInVariant(lily.id, 0).conversation.id);
  const std::string warm = SystemPromptSent(*runtime, provider, 1, ConversationInVariant(lily.id, 1).conversation.id);
  EXPECT_NE(control.find("You are Lily, the original."), std::string::npos) << control;
  EXPECT_EQ(warm.find("the original"), std::string::npos) << warm;
  EXPECT_NE(warm.find("You are Lily, warmer than ever."), std::string::npos) << warm;
}

TEST_F(ExperimentTurnsTest, ACharacterVariantPlaysTheOtherCharacter) {
  ScriptedProvider provider;
  std::unique_ptr<ChatRuntime> runtime = RuntimeWith(&provider);
  const store::Character lily = MakeCharacter("Lily", kControlFlow);
  const store::Character rose = MakeCharacter("Rose", kVariantFlow);
  RunningExperiment(lily.id, "character",
                    nlohmann::json::array({{{"name", "control"}}, {{"name", "rose"}, {"character_id", rose.id}}}).dump());
  const int64_t conversation = ConversationInVariant(lily.id, 1).conversation.id;
  const std::string sent = SystemPromptSent(*runtime, provider, 0, conversation);
  EXPECT_NE(sent.find("You are Rose, the original."), std::string::npos) << sent;
  EXPECT_EQ(store_->conversations().Get(conversation)->character_id, lily.id);  // still Lily's conversation
  EXPECT_EQ(store_->conversations().Get(conversation)->stage, "warm_welcome");   // on Rose's flow
}

}  // namespace
}  // namespace troupe::chat
