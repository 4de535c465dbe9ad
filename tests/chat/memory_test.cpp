// Long-term memory against a real SQLite store and the real local engine (stories260K, 512 tokens
// of context, so a long history needs several summariser calls): which messages are folded, how
// the summary, pinned notes and recalled messages reach the prompt, the summary job's bookkeeping.
#include "chat/memory.h"

#include <gtest/gtest.h>

#include <mutex>

#include "chat/runtime.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using nlohmann::json;
using ::troupe::testing::SharedDir;
using ::troupe::testing::TempDir;

// The real provider, keeping a copy of every request it was asked (to read the prompt back).
class RecordingProvider : public llm::Provider {
 public:
  explicit RecordingProvider(std::unique_ptr<llm::Provider> inner) : inner_(std::move(inner)) {}
  const llm::ProviderInfo& info() const override { return inner_->info(); }
  std::shared_ptr<llm::ChatCall> Start(llm::ChatRequest request, llm::ChatCallbacks callbacks) override {
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request.messages);
    }
    return inner_->Start(std::move(request), std::move(callbacks));
  }
  int64_t CountTokens(std::string_view text) const override { return inner_->CountTokens(text); }
  int64_t CountChatTokens(const std::vector<llm::ChatMessage>& messages) const override {
    return inner_->CountChatTokens(messages);
  }
  std::vector<std::string> TurnEndStrings() const override { return inner_->TurnEndStrings(); }

  std::vector<std::vector<llm::ChatMessage>> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::string LastSystemText() const {
    std::lock_guard lock(mutex_);
    std::string text;
    if (requests_.empty()) return text;
    for (const llm::ChatMessage& message : requests_.back()) {
      if (message.role == "system") text += message.content + "\n";
    }
    return text;
  }
  std::string LastPromptText() const {
    std::lock_guard lock(mutex_);
    std::string text;
    if (requests_.empty()) return text;
    for (const llm::ChatMessage& message : requests_.back()) text += message.content + "\n";
    return text;
  }

 private:
  std::unique_ptr<llm::Provider> inner_;
  mutable std::mutex mutex_;
  std::vector<std::vector<llm::ChatMessage>> requests_;
};

constexpr char kPlainFlow[] = R"(
name: plain
start: talk
stages:
  talk:
    prompt: "Chat with {{user}}."
    sampling: {temperature: 0, max_tokens: 12}
    reply: {split: none}
)";

class MemoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    options.clock = &clock_;
    store_ = std::move(store::Store::Open(options)).value();
    ASSERT_TRUE(store_->Migrate().ok());

    static std::shared_ptr<llm::LocalModel> model = llm::LocalModel::Load(SharedDir() / "models/stories260K.gguf").value();
    llm::LocalProviderOptions provider_options;
    provider_options.context_length = 512;
    provider_ = std::make_unique<RecordingProvider>(llm::MakeLocalProvider(model, provider_options).value());

    RuntimeOptions runtime_options;
    runtime_options.clock = &clock_;
    runtime_options.summary.threshold = 6;
    runtime_options.summary.keep_recent = 4;
    runtime_options.summary.max_summary_tokens = 40;
    runtime_options.on_job_enqueued = [this] { ++jobs_announced_; };
    runtime_ = std::make_unique<ChatRuntime>(
        *store_, [this](std::string_view) -> Result<llm::Provider*> { return provider_.get(); }, runtime_options);

    store::User user;
    user.external_id = "tim";
    user.display_name = "Tim";
    user_ = *store_->users().Create(user);
    store::Character character;
    character.name = "Lily";
    character.description = "A girl who loves stories.";
    character.flow = kPlainFlow;
    character_ = *store_->characters().Create(character);
    store::Conversation conversation;
    conversation.user_id = user_.id;
    conversation.character_id = character_.id;
    conversation_ = store_->conversations().Create(conversation)->id;
  }

  store::Message Append(store::MessageRole role, std::string text) {
    store::Message message;
    message.conversation_id = conversation_;
    message.role = role;
    message.content = std::move(text);
    clock_.Advance(1000);
    return *store_->messages().Append(std::move(message));
  }

  void Say(const std::string& text) {
    ASSERT_TRUE(runtime_->AddUserMessage(conversation_, text).ok());
    clock_.Advance(1000);
    TurnOptions options;
    options.typing_delays = false;
    Result<TurnOutcome> outcome = runtime_->Reply(conversation_, options, {});
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  }

  std::vector<store::Job> SummaryJobs() {
    store::JobQuery query;
    query.kind = std::string(kSummarizeJob);
    return store_->jobs().List(query)->items;
  }

  TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<RecordingProvider> provider_;
  std::unique_ptr<ChatRuntime> runtime_;
  store::User user_;
  store::Character character_;
  int64_t conversation_ = 0;
  int jobs_announced_ = 0;
};

store::Message Message(int64_t id, store::MessageRole role, std::string content, std::string metadata = "{}") {
  store::Message message;
  message.id = id;
  message.role = role;
  message.content = std::move(content);
  message.metadata_json = std::move(metadata);
  return message;
}

TEST(FoldableMessagesTest, LeavesTheRecentOnesCoveredOnesAndSupersededReplies) {
  std::vector<store::Message> history;
  for (int64_t id = 1; id <= 10; ++id) {
    history.push_back(Message(id, id % 2 ? store::MessageRole::kUser : store::MessageRole::kAssistant,
                              "m" + std::to_string(id), id == 4 ? R"({"superseded_by": 5})" : "{}"));
  }
  std::vector<int64_t> ids;
  for (const store::Message& m : FoldableMessages(history, 2, 3)) ids.push_back(m.id);
  EXPECT_EQ(ids, (std::vector<int64_t>{3, 5, 6, 7}));
  EXPECT_EQ(FoldableMessages(history, std::nullopt, 10).size(), 0u);
  EXPECT_EQ(FoldableMessages(history, std::nullopt, 0).size(), 9u);
  EXPECT_TRUE(FoldableMessages(history, 10, 0).empty());
}

TEST(TranscriptTest, OneLinePerMessageNamedBySpeaker) {
  std::vector<store::Message> messages = {Message(1, store::MessageRole::kUser, "Hi\nthere "),
                                          Message(2, store::MessageRole::kAssistant, "Hello!"),
                                          Message(3, store::MessageRole::kAgent, "A human here.")};
  EXPECT_EQ(Transcript(messages, "Lily", "Tim"), "Tim: Hi there\nLily: Hello!\nLily (agent): A human here.");
}

TEST_F(MemoryTest, WriteSummaryFoldsALongHistoryInSeveralCallsThatFitTheContext) {
  std::vector<store::Message> messages;
  for (int i = 0; i < 40; ++i) {
    messages.push_back(Append(i % 2 ? store::MessageRole::kAssistant : store::MessageRole::kUser,
                              "Message number " + std::to_string(i) + ": the cat sat on the mat and looked at the "
                              "big red ball in the garden behind the old house."));
  }
  std::vector<double> fractions;
  SummaryPolicy policy;
  policy.max_summary_tokens = 40;
  Result<std::string> summary = WriteSummary(*provider_, "Lily", "Tim", "Tim has a cat.", messages, policy,
                                             [&](double done) {
                                               fractions.push_back(done);
                                               return true;
                                             });
  ASSERT_TRUE(summary.ok()) << summary.status().ToString();
  EXPECT_FALSE(summary->empty());
  // 40 messages of ~30 tokens do not fit one 512-token prompt: several calls, each within it.
  const auto requests = provider_->requests();
  ASSERT_GE(requests.size(), 3u);
  EXPECT_EQ(requests.size(), fractions.size());
  for (const auto& request : requests) EXPECT_LE(provider_->CountChatTokens(request) + 40, 512);
  EXPECT_NE(requests.front().at(1).content.find("Tim has a cat."), std::string::npos);
  EXPECT_NE(requests.front().at(1).content.find("Tim: Message number 0:"), std::string::npos);
  // Each call builds on the previous call's summary; every message is read once, in order.
  std::string all;
  for (const auto& request : requests) all += request.at(1).content;
  size_t position = 0;
  for (int i = 0; i < 40; ++i) {
    const size_t found = all.find("Message number " + std::to_string(i) + ":", position);
    ASSERT_NE(found, std::string::npos) << i;
    position = found;
  }
  for (size_t i = 1; i < fractions.size(); ++i) EXPECT_GT(fractions[i], fractions[i - 1]);
  EXPECT_DOUBLE_EQ(fractions.back(), 1.0);

  // A progress callback that says stop ends the work.
  Result<std::string> stopped =
      WriteSummary(*provider_, "Lily", "Tim", "", messages, policy, [](double) { return false; });
  EXPECT_EQ(stopped.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(stopped.status().message().find("cancelled"), std::string::npos);
}

TEST_F(MemoryTest, PinnedMemoriesAndRecalledMessagesReachThePrompt) {
  store::Memory pinned;
  pinned.conversation_id = conversation_;
  pinned.kind = store::MemoryKind::kPinned;
  pinned.content = "Tim is allergic to peanuts.";
  ASSERT_TRUE(store_->memories().Create(pinned).ok());
  store::Memory fact;
  fact.conversation_id = conversation_;
  fact.kind = store::MemoryKind::kFact;
  fact.content = "Tim's sister is called Anna.";
  ASSERT_TRUE(store_->memories().Create(fact).ok());

  Say("My grandmother grows tomatoes in her greenhouse.");
  // Recall searches only before the oldest message in the prompt: nothing to recall yet.
  EXPECT_NE(provider_->LastSystemText().find("Tim is allergic to peanuts."), std::string::npos);
  json metadata = json::parse(store_->messages().Latest(conversation_, 1)->at(0).metadata_json);
  EXPECT_EQ(metadata["prompt"]["pinned_memories"], 1);
  EXPECT_EQ(metadata["prompt"]["recalled"], 0);

  // A summary covering the first turn takes its place in the prompt.
  std::vector<store::Message> so_far = store_->messages().Latest(conversation_, 10).value();
  store::Memory summary;
  summary.conversation_id = conversation_;
  summary.kind = store::MemoryKind::kSummary;
  summary.content = "Tim told Lily about his grandmother.";
  summary.covers_until_message_id = so_far.back().id;
  ASSERT_TRUE(store_->memories().Create(summary).ok());

  Say("Does Anna like the greenhouse tomatoes?");
  const std::string system = provider_->LastSystemText();
  EXPECT_NE(system.find("Tim told Lily about his grandmother."), std::string::npos);
  // The covered turn is gone from the history but comes back by search, as does the fact.
  EXPECT_NE(system.find("Tim: My grandmother grows tomatoes in her greenhouse."), std::string::npos) << system;
  EXPECT_NE(system.find("Tim's sister is called Anna."), std::string::npos) << system;
  metadata = json::parse(store_->messages().Latest(conversation_, 1)->at(0).metadata_json);
  EXPECT_TRUE(metadata["prompt"]["summary"].get<bool>());
  EXPECT_GE(metadata["prompt"]["recalled"].get<int>(), 2);
  size_t user_turns = 0;
  const std::vector<std::vector<llm::ChatMessage>> requests = provider_->requests();  // a copy: iterate a named one
  for (const llm::ChatMessage& message : requests.back()) {
    if (message.role == "user") {
      ++user_turns;
      EXPECT_EQ(message.content.find("grows tomatoes"), std::string::npos);
    }
  }
  EXPECT_EQ(user_turns, 1u);
}

TEST_F(MemoryTest, TurnsEnqueueOneSummaryJobThatFoldsAllButTheRecentMessages) {
  for (int i = 0; i < 4; ++i) Say("Tell me about the moon number " + std::to_string(i) + ".");
  // 8 messages: 4 foldable beyond the 4 kept, under the threshold of 6.
  EXPECT_TRUE(SummaryJobs().empty());
  EXPECT_EQ(jobs_announced_, 0);
  Say("And the stars?");
  // 10 messages: 6 foldable. One job; the turns that come while it waits add none.
  std::vector<store::Job> jobs = SummaryJobs();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs_announced_, 1);
  Say("And the sun?");
  Say("And the clouds?");
  EXPECT_EQ(SummaryJobs().size(), 1u);

  std::vector<double> progress;
  Result<json> result = runtime_->RunJob(jobs[0], [&](double done) {
    progress.push_back(done);
    return true;
  });
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_TRUE((*result)["written"].get<bool>());
  EXPECT_DOUBLE_EQ(progress.back(), 1.0);
  Result<store::Memory> summary = store_->memories().LatestSummary(conversation_);
  ASSERT_TRUE(summary.ok());
  EXPECT_FALSE(summary->content.empty());
  // Everything but the newest four messages (14 now) is covered.
  std::vector<store::Message> all = store_->messages().Latest(conversation_, 100).value();
  ASSERT_EQ(all.size(), 14u);
  EXPECT_EQ(*summary->covers_until_message_id, all[all.size() - 5].id);
  EXPECT_EQ((*result)["covers_until_message_id"], all[all.size() - 5].id);

  // Run again (a duplicate job): nothing left to fold.
  Result<json> again = runtime_->RunJob(jobs[0], {});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE((*again)["written"].get<bool>());

  // The next turn's prompt carries the summary and only the uncovered messages.
  Say("Goodnight!");
  json metadata = json::parse(store_->messages().Latest(conversation_, 1)->at(0).metadata_json);
  EXPECT_TRUE(metadata["prompt"]["summary"].get<bool>());
  EXPECT_LE(metadata["prompt"]["history"].get<int>(), 5);
  EXPECT_NE(provider_->LastSystemText().find(summary->content), std::string::npos);
}

// A conversation deleted since its job was queued (with its user): the job is done, not failed
// and retried. A payload naming none is the job's fault.
TEST_F(MemoryTest, SummaryJobsForAConversationThatIsGoneWriteNothing) {
  store::Job job;
  job.id = 1;
  job.kind = std::string(kSummarizeJob);
  job.payload_json = R"({"conversation_id": 9999})";
  Result<json> gone = runtime_->RunJob(job, {});
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(*gone, (json{{"written", false}, {"conversation_deleted", true}}));
  job.kind = std::string(kProactiveJob);
  gone = runtime_->RunJob(job, {});
  ASSERT_TRUE(gone.ok()) << gone.status().ToString();
  EXPECT_EQ(*gone, (json{{"written", false}, {"conversation_deleted", true}}));
  job.kind = std::string(kSummarizeJob);
  job.payload_json = R"({"conversation": 1})";
  EXPECT_EQ(runtime_->RunJob(job, {}).status().field(), "payload.conversation_id");
}

}  // namespace
}  // namespace troupe::chat
