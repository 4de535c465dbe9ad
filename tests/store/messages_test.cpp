// Messages and feedback, on both backends.
#include "store_test_fixture.h"

#include <atomic>
#include <thread>

namespace troupe::store::testing {
namespace {


TEST_P(StoreTest, AppendBumpsConversationAtomically) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  clock_.Advance(500);
  Message message;
  message.conversation_id = conversation.id;
  message.role = MessageRole::kUser;
  message.content = "Hello \xF0\x9F\x91\x8B";
  message.stage = "greeting";
  message.prompt_tokens = 12;
  message.metadata_json = R"({"client":"web"})";
  ASSERT_OK_AND_ASSIGN(Message first, store_->messages().Append(message));
  EXPECT_GT(first.id, 0);

  Message reply;
  reply.conversation_id = conversation.id;
  reply.parent_id = first.id;
  reply.role = MessageRole::kAssistant;
  reply.content = "Hi!";
  reply.completion_tokens = 3;
  reply.latency_ms = 120;
  reply.sentiment = 0.5;
  reply.incomplete = true;
  ASSERT_OK_AND_ASSIGN(Message second, store_->messages().Append(reply));

  ASSERT_OK_AND_ASSIGN(Conversation bumped, store_->conversations().Get(conversation.id));
  EXPECT_EQ(bumped.message_count, 2);
  EXPECT_EQ(bumped.last_activity_at, clock_.NowMillis());

  ASSERT_OK_AND_ASSIGN(Message stored, store_->messages().Get(second.id));
  EXPECT_EQ(stored.parent_id, first.id);
  EXPECT_EQ(stored.role, MessageRole::kAssistant);
  EXPECT_EQ(stored.completion_tokens, 3);
  EXPECT_EQ(stored.latency_ms, 120);
  EXPECT_EQ(stored.sentiment, 0.5);
  EXPECT_TRUE(stored.incomplete);
  EXPECT_FALSE(stored.rating.has_value());
  ASSERT_OK_AND_ASSIGN(Message stored_first, store_->messages().Get(first.id));
  EXPECT_EQ(stored_first.content, "Hello \xF0\x9F\x91\x8B");
  EXPECT_EQ(stored_first.stage, "greeting");
  EXPECT_FALSE(stored_first.parent_id.has_value());
  EXPECT_FALSE(stored_first.incomplete);
}

TEST_P(StoreTest, AppendRejectsMissingReferences) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  Message message;
  message.conversation_id = 9999;
  Status no_conversation = store_->messages().Append(message).status();
  EXPECT_EQ(no_conversation.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_conversation.field(), "conversation_id");

  message.conversation_id = conversation.id;
  message.parent_id = 9999;
  Status no_parent = store_->messages().Append(message).status();
  EXPECT_EQ(no_parent.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_parent.field(), "parent_id");

  message.parent_id.reset();
  message.conversation_id = other.id;
  ASSERT_OK_AND_ASSIGN(Message elsewhere, store_->messages().Append(message));
  message.conversation_id = conversation.id;
  message.parent_id = elsewhere.id;
  EXPECT_EQ(store_->messages().Append(message).status().field(), "parent_id");

  message.parent_id.reset();
  message.metadata_json = "{";
  EXPECT_EQ(store_->messages().Append(message).status().field(), "metadata_json");
  message.metadata_json = "{}";
  message.rating = 5;
  EXPECT_EQ(store_->messages().Append(message).status().field(), "rating");

  // Nothing of the failed appends was counted.
  ASSERT_OK_AND_ASSIGN(Conversation unchanged, store_->conversations().Get(conversation.id));
  EXPECT_EQ(unchanged.message_count, 0);
}

TEST_P(StoreTest, AppendAfterLatestChainsMessagesEvenWhenAppendedAtOnce) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  Message message;
  message.conversation_id = conversation.id;
  message.parent_id = 12345;  // ignored
  ASSERT_OK_AND_ASSIGN(Message first, store_->messages().AppendAfterLatest(message));
  EXPECT_FALSE(first.parent_id.has_value());
  message.conversation_id = other.id;
  ASSERT_OK(store_->messages().AppendAfterLatest(message).status());
  message.conversation_id = conversation.id;
  ASSERT_OK_AND_ASSIGN(Message second, store_->messages().AppendAfterLatest(message));
  EXPECT_EQ(second.parent_id, first.id);

  // Appended from several threads at once, the messages still form one chain: no two share a parent.
  constexpr int kThreads = 4;
  constexpr int kEach = 10;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        Message m;
        m.conversation_id = conversation.id;
        m.content = "burst";
        if (!store_->messages().AppendAfterLatest(m).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(std::vector<Message> all, store_->messages().Latest(conversation.id, 1000));
  ASSERT_EQ(all.size(), static_cast<size_t>(2 + kThreads * kEach));
  EXPECT_FALSE(all.front().parent_id.has_value());
  for (size_t i = 1; i < all.size(); ++i) EXPECT_EQ(all[i].parent_id, all[i - 1].id) << "message " << all[i].id;

  message.conversation_id = 9999;
  Status no_conversation = store_->messages().AppendAfterLatest(message).status();
  EXPECT_EQ(no_conversation.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_conversation.field(), "conversation_id");
}

TEST_P(StoreTest, AppendAllAfterLatestStoresABatchAndFailsOnlyTheBadMessages) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  auto message = [](int64_t conversation_id, std::string content) {
    Message m;
    m.conversation_id = conversation_id;
    m.content = std::move(content);
    m.parent_id = 4242;  // ignored, as by AppendAfterLatest
    return m;
  };
  ASSERT_OK_AND_ASSIGN(Message earlier, store_->messages().AppendAfterLatest(message(conversation.id, "earlier")));
  std::vector<Message> batch{message(conversation.id, "one"), message(9999, "nobody's"),
                             message(other.id, "elsewhere"), message(conversation.id, "two")};
  batch.push_back(message(conversation.id, "bad rating"));
  batch.back().rating = 7;
  std::vector<Result<Message>> results = store_->messages().AppendAllAfterLatest(std::move(batch));
  ASSERT_EQ(results.size(), 5u);
  ASSERT_OK(results[0].status());
  EXPECT_EQ(results[0]->parent_id, earlier.id);
  EXPECT_EQ(results[1].status().code(), StatusCode::kNotFound);
  EXPECT_EQ(results[1].status().field(), "conversation_id");
  ASSERT_OK(results[2].status());
  EXPECT_FALSE(results[2]->parent_id.has_value());
  ASSERT_OK(results[3].status());
  EXPECT_EQ(results[3]->parent_id, results[0]->id);  // the batch's own earlier message
  EXPECT_EQ(results[4].status().code(), StatusCode::kInvalidArgument);

  // What was stored is what the results say, counted once each; the failures left nothing.
  ASSERT_OK_AND_ASSIGN(std::vector<Message> stored, store_->messages().Latest(conversation.id, 10));
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[1].content, "one");
  EXPECT_EQ(stored[2].content, "two");
  EXPECT_EQ(stored[2].id, results[3]->id);
  ASSERT_OK_AND_ASSIGN(Conversation counted, store_->conversations().Get(conversation.id));
  EXPECT_EQ(counted.message_count, 3);
  ASSERT_OK_AND_ASSIGN(Conversation counted_other, store_->conversations().Get(other.id));
  EXPECT_EQ(counted_other.message_count, 1);
  EXPECT_TRUE(store_->messages().AppendAllAfterLatest({}).empty());
}

TEST_P(StoreTest, MessagesListLatestAndPatch) {
  const Conversation conversation = MakeConversation(MakeUser().id, MakeCharacter().id);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    Message message;
    message.conversation_id = conversation.id;
    message.content = "m" + std::to_string(i);
    ASSERT_OK_AND_ASSIGN(Message appended, store_->messages().Append(message));
    ids.push_back(appended.id);
    message.conversation_id = other.id;
    ASSERT_OK(store_->messages().Append(message).status());
  }
  std::vector<int64_t> listed;
  PageRequest request{.cursor = "", .limit = 4};
  do {
    ASSERT_OK_AND_ASSIGN(Page<Message> page, store_->messages().List(conversation.id, request));
    for (const Message& message : page.items) listed.push_back(message.id);
    request.cursor = page.next_cursor;
  } while (!request.cursor.empty());
  EXPECT_EQ(listed, ids);

  ASSERT_OK_AND_ASSIGN(std::vector<Message> latest, store_->messages().Latest(conversation.id, 3));
  ASSERT_EQ(latest.size(), 3u);
  EXPECT_EQ(latest[0].content, "m3");
  EXPECT_EQ(latest[2].content, "m5");
  ASSERT_OK_AND_ASSIGN(latest, store_->messages().Latest(conversation.id, 0));
  EXPECT_TRUE(latest.empty());

  clock_.Advance(50);
  MessagePatch patch;
  patch.content = "edited";
  patch.sentiment = -0.75;
  patch.rating = -1;
  patch.incomplete = true;
  patch.completion_tokens = 99;
  patch.metadata_json = R"({"edited":true})";
  ASSERT_OK_AND_ASSIGN(Message patched, store_->messages().Patch(ids[0], patch));
  EXPECT_EQ(patched.content, "edited");
  EXPECT_EQ(patched.sentiment, -0.75);
  EXPECT_EQ(patched.rating, -1);
  EXPECT_TRUE(patched.incomplete);
  EXPECT_EQ(patched.completion_tokens, 99);
  EXPECT_EQ(patched.updated_at, clock_.NowMillis());

  MessagePatch only_content;
  only_content.content = "again";
  ASSERT_OK_AND_ASSIGN(Message partly, store_->messages().Patch(ids[0], only_content));
  EXPECT_EQ(partly.rating, -1);  // untouched fields stay
  EXPECT_EQ(store_->messages().Patch(9999, only_content).status().code(), StatusCode::kNotFound);
  MessagePatch bad;
  bad.sentiment = 3;
  EXPECT_EQ(store_->messages().Patch(ids[0], bad).status().field(), "sentiment");
}

// The topics of a period read users' messages by time and character: assistant messages, other
// characters' conversations and messages outside [from, to) stay out; pages follow ids.
TEST_P(StoreTest, UserTextsOfAPeriodAndCharacter) {
  const int64_t pip = MakeCharacter("Pip").id;
  const Conversation mine = MakeConversation(MakeUser().id, pip);
  const Conversation other = MakeConversation(MakeUser("user-2").id, MakeCharacter("B").id);
  const auto append = [&](const Conversation& conversation, MessageRole role, const std::string& text) {
    Message message;
    message.conversation_id = conversation.id;
    message.role = role;
    message.content = text;
    Result<Message> appended = store_->messages().Append(message);
    EXPECT_TRUE(appended.ok());
    return appended.ok() ? appended->id : 0;
  };
  const int64_t start = clock_.NowMillis();
  append(mine, MessageRole::kUser, "too early");
  clock_.Advance(1000);
  const int64_t first = append(mine, MessageRole::kUser, "hello pip");
  append(mine, MessageRole::kAssistant, "hello you");
  const int64_t elsewhere = append(other, MessageRole::kUser, "hello b");
  clock_.Advance(1000);
  const int64_t second = append(mine, MessageRole::kUser, "bye pip");
  clock_.Advance(1000);
  append(mine, MessageRole::kUser, "too late");

  const auto texts = [&](MessageTextQuery query, int limit) {
    std::vector<int64_t> ids;
    PageRequest request{.cursor = "", .limit = limit};
    do {
      Result<Page<MessageText>> page = store_->messages().ListUserTexts(query, request);
      EXPECT_TRUE(page.ok()) << page.status().ToString();
      if (!page.ok()) break;
      for (const MessageText& text : page->items) ids.push_back(text.id);
      request.cursor = page->next_cursor;
    } while (!request.cursor.empty());
    return ids;
  };
  MessageTextQuery period{.from_ms = start + 1000, .to_ms = start + 3000, .character_id = std::nullopt};
  EXPECT_EQ(texts(period, 1), (std::vector<int64_t>{first, elsewhere, second}));
  period.character_id = pip;
  EXPECT_EQ(texts(period, 50), (std::vector<int64_t>{first, second}));
  ASSERT_OK_AND_ASSIGN(Page<MessageText> page, store_->messages().ListUserTexts(period, PageRequest{}));
  EXPECT_EQ(page.items[0].content, "hello pip");
  EXPECT_EQ(page.items[0].conversation_id, mine.id);
  EXPECT_EQ(page.items[1].created_at, start + 2000);

  Result<Page<MessageText>> reversed =
      store_->messages().ListUserTexts(MessageTextQuery{.from_ms = 5, .to_ms = 5, .character_id = std::nullopt}, {});
  ASSERT_FALSE(reversed.ok());
  EXPECT_EQ(reversed.status().field(), "to_ms");
}

TEST_P(StoreTest, FeedbackRatingLandsOnMessage) {
  const User user = MakeUser();
  const Conversation conversation = MakeConversation(user.id, MakeCharacter().id);
  const Conversation other = MakeConversation(user.id, MakeCharacter("B").id);
  Message message;
  message.conversation_id = conversation.id;
  message.role = MessageRole::kAssistant;
  ASSERT_OK_AND_ASSIGN(Message reply, store_->messages().Append(message));

  FeedbackEvent rating;
  rating.conversation_id = conversation.id;
  rating.message_id = reply.id;
  rating.user_id = user.id;
  rating.kind = "rating";
  rating.rating = 1;
  ASSERT_OK_AND_ASSIGN(FeedbackEvent recorded, store_->feedback().Record(rating));
  EXPECT_GT(recorded.id, 0);
  ASSERT_OK_AND_ASSIGN(Message rated, store_->messages().Get(reply.id));
  EXPECT_EQ(rated.rating, 1);

  FeedbackEvent comment;
  comment.conversation_id = conversation.id;
  comment.kind = "comment";
  comment.comment = "lovely";
  ASSERT_OK(store_->feedback().Record(comment).status());

  // A message of another conversation is not found there, and nothing is written.
  rating.conversation_id = other.id;
  rating.rating = -1;
  Status wrong = store_->feedback().Record(rating).status();
  EXPECT_EQ(wrong.code(), StatusCode::kNotFound);
  EXPECT_EQ(wrong.field(), "message_id");
  ASSERT_OK_AND_ASSIGN(rated, store_->messages().Get(reply.id));
  EXPECT_EQ(rated.rating, 1);

  rating.conversation_id = 9999;
  EXPECT_EQ(store_->feedback().Record(rating).status().field(), "conversation_id");
  rating.conversation_id = conversation.id;
  rating.user_id = 9999;
  EXPECT_EQ(store_->feedback().Record(rating).status().field(), "user_id");
  FeedbackEvent unrated;
  unrated.conversation_id = conversation.id;
  unrated.kind = "rating";
  EXPECT_EQ(store_->feedback().Record(unrated).status().field(), "rating");

  ASSERT_OK_AND_ASSIGN(Page<FeedbackEvent> page,
                       store_->feedback().ListForConversation(conversation.id, {.cursor = "", .limit = 1}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].kind, "rating");
  EXPECT_EQ(page.items[0].rating, 1);
  EXPECT_EQ(page.items[0].user_id, user.id);
  ASSERT_OK_AND_ASSIGN(page, store_->feedback().ListForConversation(conversation.id, {page.next_cursor, 50}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].comment, "lovely");
  EXPECT_FALSE(page.items[0].message_id.has_value());
}

}  // namespace
}  // namespace troupe::store::testing

namespace troupe::store::testing {
namespace {

TEST_P(StoreTest, BranchCopiesTheConversationUpToAMessage) {
  Store& store = *store_;
  User user;
  user.external_id = "brancher";
  user = *store.users().Create(user);
  Character character;
  character.name = "Brancher";
  character = *store.characters().Create(character);
  Conversation source;
  source.user_id = user.id;
  source.character_id = character.id;
  source.title = "talk";
  source = *store.conversations().Create(source);
  source.stage = "friendly";
  source.mood = "calm";
  source.affinity = 0.4;
  source = *store.conversations().UpdateState(source);
  std::vector<Message> written;
  for (int i = 0; i < 4; ++i) {
    Message message;
    message.conversation_id = source.id;
    message.role = i % 2 == 0 ? MessageRole::kUser : MessageRole::kAssistant;
    message.content = "message " + std::to_string(i);
    if (!written.empty()) message.parent_id = written.back().id;
    message.metadata_json = R"({"n":)" + std::to_string(i) + "}";
    written.push_back(*store.messages().Append(message));
  }

  Result<Conversation> branch = store.conversations().Branch(source.id, written[2].id);
  ASSERT_TRUE(branch.ok()) << branch.status().ToString();
  EXPECT_NE(branch->id, source.id);
  EXPECT_EQ(branch->user_id, user.id);
  EXPECT_EQ(branch->stage, "friendly");
  EXPECT_EQ(branch->mood, "calm");
  EXPECT_DOUBLE_EQ(branch->affinity, 0.4);
  EXPECT_EQ(branch->title, "talk (branch)");
  EXPECT_EQ(branch->message_count, 3);
  // PostgreSQL may respace the JSON: look for the parts.
  EXPECT_NE(branch->metadata_json.find("branched_from"), std::string::npos) << branch->metadata_json;
  EXPECT_NE(branch->metadata_json.find("\"message_id\": " + std::to_string(written[2].id)) == std::string::npos &&
                branch->metadata_json.find("\"message_id\":" + std::to_string(written[2].id)) == std::string::npos,
            true)
      << branch->metadata_json;

  std::vector<Message> copies = store.messages().List(branch->id, {"", 50})->items;
  ASSERT_EQ(copies.size(), 3u);
  for (size_t i = 0; i < copies.size(); ++i) {
    EXPECT_EQ(copies[i].content, written[i].content);
    EXPECT_EQ(copies[i].role, written[i].role);
    EXPECT_NE(copies[i].id, written[i].id);
    EXPECT_EQ(copies[i].parent_id, i == 0 ? std::optional<int64_t>() : std::optional<int64_t>(copies[i - 1].id));
  }
  // The source is untouched.
  EXPECT_EQ(store.messages().List(source.id, {"", 50})->items.size(), 4u);
  EXPECT_EQ(store.conversations().Get(source.id)->message_count, 4);

  Result<Conversation> wrong = store.conversations().Branch(source.id, copies[0].id);
  EXPECT_EQ(wrong.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(wrong.status().field(), "message_id");
  EXPECT_EQ(store.conversations().Branch(987654, written[0].id).status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace troupe::store::testing
