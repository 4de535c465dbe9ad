// Turns in flight together: the per-conversation queue and its limits, a second message to a busy
// conversation, typing pauses that hold no thread, cancellation and shutdown. A real SQLite store
// and the real runtime; the provider is scripted so the test decides when each reply advances, and
// the clock is manual so every pause ends when the test says.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>

#include "base/task_pool.h"
#include "chat/runtime.h"
#include "chat/turn_queue.h"
#include "scripted_provider.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::chat::testing::ScriptedProvider;
using ::troupe::testing::TempDir;

// --- the queue alone ------------------------------------------------------------------------

TEST(TurnQueueTest, TurnsOfOneConversationRunInOrderAndOthersDoNotWait) {
  TaskPool pool("test", 2, 0);
  TurnQueue queue({}, [&pool](std::function<void()> task) { pool.Post(std::move(task)); });
  std::mutex mutex;
  std::vector<std::string> ran;
  std::vector<TurnQueue::Finished> open;  // turns started and not yet finished
  std::condition_variable changed;
  const auto turn = [&](std::string name) {
    return [&, name](TurnQueue::Finished finished) {
      std::lock_guard lock(mutex);
      ran.push_back(name);
      open.push_back(std::move(finished));
      changed.notify_all();
    };
  };
  ASSERT_TRUE(queue.Submit({1, 7, "p"}, turn("a1")).ok());
  ASSERT_TRUE(queue.Submit({1, 7, "p"}, turn("a2")).ok());
  ASSERT_TRUE(queue.Submit({2, 8, "p"}, turn("b1")).ok());
  {
    std::unique_lock lock(mutex);
    ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60), [&] { return ran.size() == 2; }));
    // b1 started although a1 is still running; a2 waits behind a1.
    EXPECT_NE(std::find(ran.begin(), ran.end(), "a1"), ran.end());
    EXPECT_NE(std::find(ran.begin(), ran.end(), "b1"), ran.end());
  }
  EXPECT_EQ(queue.admitted(), 3);
  EXPECT_EQ(queue.waiting(), 1);
  TurnQueue::Finished first_a;
  {
    std::lock_guard lock(mutex);
    const size_t a1 = static_cast<size_t>(std::find(ran.begin(), ran.end(), "a1") - ran.begin());
    first_a = open[a1];
  }
  first_a();
  first_a();  // a second call is ignored
  std::unique_lock lock(mutex);
  ASSERT_TRUE(changed.wait_for(lock, std::chrono::seconds(60), [&] { return ran.size() == 3; }));
  EXPECT_EQ(ran.back(), "a2");
  for (const TurnQueue::Finished& finished : open) finished();  // a1's second call is ignored too
  lock.unlock();
  EXPECT_TRUE(queue.WaitIdle(60'000));
  pool.Stop(TaskPool::StopMode::kDrain);
}

TEST(TurnQueueTest, LimitsRefuseNamingTheLimitAndADroppedTicketGivesItsPlaceBack) {
  TurnLimits limits;
  limits.per_node = 3;
  limits.per_user = 2;
  limits.providers["small"] = 1;
  TurnQueue queue(limits, [](std::function<void()>) {});
  Result<TurnQueue::Ticket> user_first = queue.Admit({1, 7, "big"});
  Result<TurnQueue::Ticket> user_second = queue.Admit({2, 7, "big"});
  ASSERT_TRUE(user_first.ok() && user_second.ok());
  Result<TurnQueue::Ticket> user_third = queue.Admit({3, 7, "big"});
  ASSERT_EQ(user_third.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(user_third.status().message().find("one user"), std::string::npos);

  Result<TurnQueue::Ticket> small = queue.Admit({4, 8, "small"});
  ASSERT_TRUE(small.ok());
  // The node's limit (3) is reached before the provider's is looked at.
  Result<TurnQueue::Ticket> node_full = queue.Admit({5, 9, "big"});
  EXPECT_NE(node_full.status().message().find("this node"), std::string::npos);
  {
    TurnQueue::Ticket dropped = std::move(*user_second);
  }
  Result<TurnQueue::Ticket> small_again = queue.Admit({6, 9, "small"});
  ASSERT_EQ(small_again.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(small_again.status().message().find("provider 'small'"), std::string::npos);
  EXPECT_TRUE(queue.Admit({6, 9, "big"}).ok());  // the place user 7 gave back
  queue.Close();
  EXPECT_EQ(queue.Admit({7, 10, "big"}).status().code(), StatusCode::kUnavailable);
}

// --- the runtime ----------------------------------------------------------------------------

constexpr char kPlainFlow[] = R"(
name: plain
start: talk
stages:
  talk:
    prompt: "Talk with {{user}}."
    reply: {split: none, typing_chars_per_second: 0}
)";

// Replies split at blank lines, each later part shown after a typing pause (10 characters/s).
constexpr char kTypingFlow[] = R"(
name: typing
start: talk
stages:
  talk:
    prompt: "Talk with {{user}}."
    reply: {split: paragraph, typing_chars_per_second: 10}
)";

class ConcurrentTurnsTest : public ::testing::Test {
 protected:
  void Start(RuntimeOptions options = {}) {
    store::StoreOptions store_options;
    store_options.url = "sqlite://" + (dir_ / "troupe.db").string();
    store_options.clock = &clock_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(store_options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate().ok());
    options.clock = &clock_;
    runtime_ = std::make_unique<ChatRuntime>(
        *store_, [this](std::string_view) -> Result<llm::Provider*> { return &provider_; }, options);
  }

  int64_t MakeUser(const std::string& name) {
    store::User user;
    user.external_id = name;
    user.display_name = name;
    return store_->users().Create(user)->id;
  }

  int64_t MakeConversation(int64_t user_id, const char* flow) {
    store::Character character;
    character.name = "Lily";
    character.description = "A friend.";
    character.flow = flow;
    const int64_t character_id = store_->characters().Create(character)->id;
    store::Conversation conversation;
    conversation.user_id = user_id;
    conversation.character_id = character_id;
    return store_->conversations().Create(conversation)->id;
  }

  // What one posted turn reported, filled from the runtime's threads.
  struct Posted {
    std::mutex mutex;
    std::vector<TurnEvent> events;
    std::promise<Result<TurnOutcome>> done;
    std::shared_ptr<TurnHandle> handle;
    store::Message message;
  };

  std::shared_ptr<Posted> Post(int64_t conversation, const std::string& text, bool typing = true) {
    auto posted = std::make_shared<Posted>();
    TurnOptions options;
    options.typing_delays = typing;
    Result<PostedMessage> result = runtime_->PostMessage(
        conversation, text, options,
        [posted](const TurnEvent& event) {
          std::lock_guard lock(posted->mutex);
          posted->events.push_back(event);
        },
        [posted](Result<TurnOutcome> outcome) { posted->done.set_value(std::move(outcome)); });
    EXPECT_TRUE(result.ok()) << result.status().ToString();
    if (result.ok()) {
      posted->handle = result->turn;
      posted->message = result->message;
    }
    return posted;
  }

  std::vector<store::Message> Messages(int64_t conversation) {
    return store_->messages().List(conversation, {"", 500})->items;
  }

  static std::string LastUserText(const llm::ChatRequest& request) {
    for (auto it = request.messages.rbegin(); it != request.messages.rend(); ++it) {
      if (it->role == "user") return it->content;
    }
    return "";
  }

  TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  ScriptedProvider provider_;  // outlives the runtime, which ends its turns on the way out
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ChatRuntime> runtime_;
};

TEST_F(ConcurrentTurnsTest, ASecondMessageIsStoredAtOnceAndAnsweredAfterTheFirstReply) {
  Start();
  const int64_t conversation = MakeConversation(MakeUser("tim"), kPlainFlow);
  std::shared_ptr<Posted> first = Post(conversation, "first question");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  std::shared_ptr<Posted> second = Post(conversation, "second question");
  // Stored and acknowledged while the first reply is still being written; its reply waits.
  EXPECT_GT(second->message.id, first->message.id);
  EXPECT_EQ(Messages(conversation).size(), 2u);
  EXPECT_EQ(provider_.calls(), 1u);
  EXPECT_EQ(runtime_->turns_in_flight(), 2);
  {
    std::lock_guard lock(second->mutex);
    ASSERT_FALSE(second->events.empty());
    EXPECT_TRUE(std::holds_alternative<UserMessageEvent>(second->events.front()));
  }

  provider_.Write(0, "First answer.");
  provider_.End(0);
  ASSERT_TRUE(first->done.get_future().get().ok());
  ASSERT_TRUE(provider_.WaitForCalls(2));
  // The second reply's prompt holds the first exchange and ends with the second question.
  const llm::ChatRequest& request = provider_.call(1)->request;
  EXPECT_EQ(LastUserText(request), "second question");
  bool saw_first_answer = false;
  for (const llm::ChatMessage& message : request.messages) saw_first_answer |= message.content == "First answer.";
  EXPECT_TRUE(saw_first_answer);
  provider_.Write(1, "Second answer.");
  provider_.End(1);
  ASSERT_TRUE(second->done.get_future().get().ok());
  const std::vector<store::Message> messages = Messages(conversation);
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[2].content, "First answer.");
  EXPECT_EQ(messages[3].content, "Second answer.");
}

// The first message moves this flow to its next stage. The move is stored with the turn's state
// write at the reply's end, not before the first token, and stored even when the reply fails.
constexpr char kMovingFlow[] = R"(
name: moving
start: hello
stages:
  hello:
    prompt: "Greet {{user}}."
    reply: {split: none, typing_chars_per_second: 0}
    transitions:
      - to: chat
        when: {messages_at_least: 1}
  chat:
    prompt: "Talk with {{user}}."
    reply: {split: none, typing_chars_per_second: 0}
)";

TEST_F(ConcurrentTurnsTest, TheFlowsMoveIsStoredAtTheReplysEndEvenWhenTheReplyFails) {
  Start();
  const int64_t conversation = MakeConversation(MakeUser("tim"), kMovingFlow);
  std::shared_ptr<Posted> first = Post(conversation, "hello there");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  // Mid-reply: the reply's prompt is the new stage's, the stored state not yet written.
  EXPECT_NE(provider_.call(0)->request.messages.front().content.find("Talk with tim"), std::string::npos);
  Result<store::Conversation> during = store_->conversations().Get(conversation);
  ASSERT_TRUE(during.ok());
  EXPECT_EQ(during->stage, "");
  provider_.Fail(0, Status(StatusCode::kUnavailable, "upstream went away"));
  EXPECT_FALSE(first->done.get_future().get().ok());
  Result<store::Conversation> after = store_->conversations().Get(conversation);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->stage, "chat");
  EXPECT_GT(after->affinity, 0.0);  // the message's warmth, in the same write
}

TEST_F(ConcurrentTurnsTest, MessagesPostedFromManyThreadsAreAnsweredInOrderOneReplyPerBurst) {
  RuntimeOptions options;
  options.limits.per_user = 0;
  Start(options);
  const int64_t conversation = MakeConversation(MakeUser("tim"), kPlainFlow);
  std::vector<std::thread> posters;
  std::mutex mutex;
  std::vector<std::shared_ptr<Posted>> all;
  for (int t = 0; t < 4; ++t) {
    posters.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        std::shared_ptr<Posted> posted = Post(conversation, "message " + std::to_string(t) + "." + std::to_string(i));
        std::lock_guard lock(mutex);
        all.push_back(posted);
      }
    });
  }
  for (std::thread& poster : posters) poster.join();
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a->message.id < b->message.id; });
  std::vector<std::future<Result<TurnOutcome>>> done;
  for (const auto& posted : all) done.push_back(posted->done.get_future());
  const auto all_done = [&] {
    return std::all_of(done.begin(), done.end(),
                       [](auto& f) { return f.wait_for(std::chrono::milliseconds(0)) == std::future_status::ready; });
  };
  // Each reply the provider is asked for is ended before the next can start: never two at once,
  // and each answers a later message than the one before.
  std::vector<int64_t> answered;
  size_t ended = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!all_done() && std::chrono::steady_clock::now() < give_up) {
    if (provider_.calls() == ended) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
      continue;
    }
    ASSERT_EQ(provider_.calls(), ended + 1) << "turns of one conversation never overlap";
    const std::string asked = LastUserText(provider_.call(ended)->request);
    const auto message = std::find_if(all.begin(), all.end(), [&](const auto& p) { return p->message.content == asked; });
    ASSERT_NE(message, all.end()) << asked;
    if (!answered.empty()) {
      EXPECT_GT((*message)->message.id, answered.back());
    }
    answered.push_back((*message)->message.id);
    provider_.Write(ended, "answer " + std::to_string(ended));
    provider_.End(ended++);
  }
  ASSERT_TRUE(all_done());
  for (auto& outcome : done) EXPECT_TRUE(outcome.get().ok());
  ASSERT_FALSE(answered.empty());
  EXPECT_EQ(answered.back(), all.back()->message.id) << "the last message is answered";
  // Every message and every reply is stored, in the order written.
  const std::vector<store::Message> messages = Messages(conversation);
  EXPECT_EQ(messages.size(), all.size() + answered.size());
}

TEST_F(ConcurrentTurnsTest, TypingPausesAreTimersThatHoldNoWorker) {
  RuntimeOptions options;
  options.worker_threads = 1;
  Start(options);
  const int64_t busy = MakeConversation(MakeUser("tim"), kTypingFlow);
  const int64_t other = MakeConversation(MakeUser("ann"), kPlainFlow);
  std::shared_ptr<Posted> paused = Post(busy, "tell me two things");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.Write(0, "One.\n\nAnd a second thing.");
  provider_.End(0);
  // The first part is stored; the second waits on the clock (17 characters at 10/s).
  ASSERT_TRUE(clock_.WaitForPendingTimers(1));
  // The runtime's one worker is free meanwhile: another conversation's turn runs to its end.
  std::shared_ptr<Posted> meanwhile = Post(other, "hello");
  ASSERT_TRUE(provider_.WaitForCalls(2));
  provider_.Write(1, "Hi.");
  provider_.End(1);
  ASSERT_TRUE(meanwhile->done.get_future().get().ok());
  std::future<Result<TurnOutcome>> outcome = paused->done.get_future();
  EXPECT_EQ(outcome.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout);
  ASSERT_EQ(Messages(busy).size(), 2u);  // the user's message and the first part

  clock_.Advance(2'000);
  Result<TurnOutcome> finished = outcome.get();
  ASSERT_TRUE(finished.ok()) << finished.status().ToString();
  ASSERT_EQ(finished->messages.size(), 2u);
  EXPECT_EQ(finished->messages[1].content, "And a second thing.");
  EXPECT_FALSE(finished->incomplete);
}

TEST_F(ConcurrentTurnsTest, CancellingMidPauseStoresTheRestAtOnce) {
  Start();
  const int64_t conversation = MakeConversation(MakeUser("tim"), kTypingFlow);
  std::shared_ptr<Posted> posted = Post(conversation, "tell me two things");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.Write(0, "One.\n\nAnd a second thing.");
  provider_.End(0);
  ASSERT_TRUE(clock_.WaitForPendingTimers(1));
  posted->handle->Cancel();  // no clock movement: the pause is cut short
  Result<TurnOutcome> outcome = posted->done.get_future().get();
  ASSERT_TRUE(outcome.ok());
  // The model had finished: every part is whole, only the pause was skipped.
  ASSERT_EQ(outcome->messages.size(), 2u);
  EXPECT_EQ(outcome->messages.back().content, "And a second thing.");
  EXPECT_FALSE(outcome->messages.back().incomplete);
  EXPECT_EQ(clock_.pending_timers(), 0u);
}

TEST_F(ConcurrentTurnsTest, CancellingMidReplyCancelsTheProviderCallAndKeepsWhatWasWritten) {
  Start();
  const int64_t conversation = MakeConversation(MakeUser("tim"), kPlainFlow);
  std::shared_ptr<Posted> posted = Post(conversation, "a long story please");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.Write(0, "Once upon a time");
  posted->handle->Cancel();
  ASSERT_TRUE(provider_.WaitForCancel(0));
  Result<TurnOutcome> outcome = posted->done.get_future().get();
  ASSERT_TRUE(outcome.ok());
  EXPECT_TRUE(outcome->incomplete);
  ASSERT_EQ(outcome->messages.size(), 1u);
  EXPECT_EQ(outcome->messages[0].content, "Once upon a time");
  EXPECT_TRUE(outcome->messages[0].incomplete);
  std::lock_guard lock(posted->mutex);
  ASSERT_TRUE(std::holds_alternative<DoneEvent>(posted->events.back()));
  EXPECT_TRUE(std::get<DoneEvent>(posted->events.back()).incomplete);
}

// A message moves the conversation's affinity (its tone, plus every exchange's warmth). The reply's
// turn writes that with its own state, at the reply's end: so it counts once, after the reply, and
// also when the reply failed or was cancelled.
TEST_F(ConcurrentTurnsTest, AMessageCountsTowardsAffinityWhenItsReplyEndsHoweverItEnds) {
  Start();
  const int64_t conversation = MakeConversation(MakeUser("tim"), kPlainFlow);
  const auto affinity = [&] { return store_->conversations().Get(conversation)->affinity; };
  double before = affinity();

  // The first turn enters the flow's start stage, and that state write carries the message too.
  std::shared_ptr<Posted> first = Post(conversation, "Hello there.");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.End(0);
  ASSERT_TRUE(first->done.get_future().get().ok());
  EXPECT_GT(affinity(), before);
  before = affinity();

  std::shared_ptr<Posted> answered = Post(conversation, "I love this, thank you so much!");
  ASSERT_TRUE(provider_.WaitForCalls(2));
  EXPECT_EQ(affinity(), before);  // not before the reply ends
  provider_.Write(1, "Glad you do.");
  provider_.End(1);
  Result<TurnOutcome> outcome = answered->done.get_future().get();
  ASSERT_TRUE(outcome.ok());
  EXPECT_GT(affinity(), before);
  EXPECT_EQ(outcome->conversation.affinity, affinity());  // "done" carries the state as stored
  before = affinity();

  std::shared_ptr<Posted> failed = Post(conversation, "Thank you, that was wonderful.");
  ASSERT_TRUE(provider_.WaitForCalls(3));
  provider_.Fail(2, Status(StatusCode::kUnavailable, "upstream down"));
  EXPECT_FALSE(failed->done.get_future().get().ok());
  EXPECT_GT(affinity(), before);
  before = affinity();

  std::shared_ptr<Posted> cancelled = Post(conversation, "You are great, thanks!");
  ASSERT_TRUE(provider_.WaitForCalls(4));
  cancelled->handle->Cancel();
  ASSERT_TRUE(provider_.WaitForCancel(3));
  ASSERT_TRUE(cancelled->done.get_future().get().ok());
  EXPECT_GT(affinity(), before);
}

// What another writer stores during a reply (a handoff's metadata) survives the reply's state write.
TEST_F(ConcurrentTurnsTest, TheRepliesStateWriteKeepsWhatWasWrittenDuringTheReply) {
  Start();
  const int64_t conversation = MakeConversation(MakeUser("tim"), kPlainFlow);
  std::shared_ptr<Posted> first = Post(conversation, "Hello there.");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  provider_.End(0);
  ASSERT_TRUE(first->done.get_future().get().ok());
  const double before = store_->conversations().Get(conversation)->affinity;

  std::shared_ptr<Posted> second = Post(conversation, "Thank you, that is lovely!");
  ASSERT_TRUE(provider_.WaitForCalls(2));
  store::Conversation during = *store_->conversations().Get(conversation);
  during.metadata_json = R"({"handoff": {"requested_by": "agent"}})";
  ASSERT_TRUE(store_->conversations().UpdateState(during).ok());
  provider_.End(1);
  ASSERT_TRUE(second->done.get_future().get().ok());
  const store::Conversation after = *store_->conversations().Get(conversation);
  EXPECT_NE(after.metadata_json.find("handoff"), std::string::npos) << after.metadata_json;
  EXPECT_GT(after.affinity, before);
}

TEST_F(ConcurrentTurnsTest, PastAUsersLimitATurnIsRefusedAndItsMessageNotStored) {
  RuntimeOptions options;
  options.limits.per_user = 1;
  Start(options);
  const int64_t tim = MakeUser("tim");
  const int64_t first = MakeConversation(tim, kPlainFlow);
  const int64_t second = MakeConversation(tim, kPlainFlow);
  std::shared_ptr<Posted> running = Post(first, "hello");
  ASSERT_TRUE(provider_.WaitForCalls(1));
  Result<PostedMessage> refused = runtime_->PostMessage(second, "me too", {}, {}, [](Result<TurnOutcome>) {});
  ASSERT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(Messages(second).empty());
  // Another user is not held back by Tim's limit.
  std::shared_ptr<Posted> other = Post(MakeConversation(MakeUser("ann"), kPlainFlow), "hi");
  ASSERT_TRUE(provider_.WaitForCalls(2));
  provider_.End(0);
  provider_.End(1);
  ASSERT_TRUE(running->done.get_future().get().ok());
  ASSERT_TRUE(other->done.get_future().get().ok());
  // Once Tim has heard his turn is done, his place is free.
  EXPECT_TRUE(runtime_->PostMessage(second, "now?", {}, {}, [](Result<TurnOutcome>) {}).ok());
  ASSERT_TRUE(provider_.WaitForCalls(3));
  provider_.End(2);
}

TEST_F(ConcurrentTurnsTest, ShutdownWithAHundredTurnsInFlightStoresEveryPartialReply) {
  RuntimeOptions options;
  options.limits.per_user = 0;
  Start(options);
  const int64_t user = MakeUser("tim");
  std::vector<int64_t> conversations;
  std::vector<std::shared_ptr<Posted>> posted;
  for (int i = 0; i < 100; ++i) {
    conversations.push_back(MakeConversation(user, kPlainFlow));
    posted.push_back(Post(conversations.back(), "story " + std::to_string(i)));
  }
  ASSERT_TRUE(provider_.WaitForCalls(100));
  // Calls come in whatever order the workers reached them; each writes the start of its story.
  for (size_t k = 0; k < 100; ++k) {
    provider_.Write(k, "It began " + LastUserText(provider_.call(k)->request).substr(6));
  }
  runtime_->Shutdown();
  EXPECT_EQ(runtime_->turns_in_flight(), 0);
  for (size_t i = 0; i < 100; ++i) {
    std::future<Result<TurnOutcome>> done = posted[i]->done.get_future();
    ASSERT_EQ(done.wait_for(std::chrono::milliseconds(0)), std::future_status::ready) << i;
    Result<TurnOutcome> outcome = done.get();
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    EXPECT_TRUE(outcome->incomplete);
    const std::vector<store::Message> messages = Messages(conversations[i]);
    ASSERT_EQ(messages.size(), 2u) << i;
    EXPECT_EQ(messages[1].content, "It began " + std::to_string(i));
    EXPECT_TRUE(messages[1].incomplete);
  }
  // After shutdown nothing new is taken.
  Result<PostedMessage> late = runtime_->PostMessage(conversations[0], "hello?", {}, {}, [](Result<TurnOutcome>) {});
  EXPECT_EQ(late.status().code(), StatusCode::kUnavailable);
}

}  // namespace
}  // namespace troupe::chat
