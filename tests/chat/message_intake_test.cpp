// The intake that stores users' messages many at once: a burst handed over while it writes is
// stored in one transaction, every caller hears once, order per caller holds, a bad message fails
// alone, and Close stores what it was given. A real SQLite store.
#include "chat/message_intake.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

#include "store/store.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::testing::TempDir;

class MessageIntakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreOptions options;
    options.url = "sqlite://" + (dir_ / "troupe.db").string();
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate().ok());
  }

  int64_t MakeConversation(const std::string& user_name) {
    store::User user;
    user.external_id = user_name;
    const int64_t user_id = store_->users().Create(user)->id;
    store::Character character;
    character.name = "Lily";
    const int64_t character_id = store_->characters().Create(character)->id;
    store::Conversation conversation;
    conversation.user_id = user_id;
    conversation.character_id = character_id;
    return store_->conversations().Create(conversation)->id;
  }

  static store::Message UserMessage(int64_t conversation_id, std::string content) {
    store::Message message;
    message.conversation_id = conversation_id;
    message.role = store::MessageRole::kUser;
    message.content = std::move(content);
    return message;
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(MessageIntakeTest, ABurstHandedOverDuringAWriteIsStoredInOneTransaction) {
  const int64_t conversation = MakeConversation("u1");
  MessageIntake intake(store_->messages());
  std::promise<void> release;
  std::shared_future<void> released = release.get_future().share();
  std::promise<Result<store::Message>> first;
  // The first message's callback holds the intake's thread until the burst below is queued.
  intake.Submit(UserMessage(conversation, "first"), [&first, released](Result<store::Message> stored) {
    first.set_value(std::move(stored));
    released.wait();
  });
  Result<store::Message> first_stored = first.get_future().get();
  ASSERT_TRUE(first_stored.ok()) << first_stored.status().ToString();

  constexpr int kBurst = 20;
  std::vector<std::promise<Result<store::Message>>> burst(kBurst);
  for (int i = 0; i < kBurst; ++i) {
    intake.Submit(UserMessage(conversation, "m" + std::to_string(i)),
                  [&burst, i](Result<store::Message> stored) { burst[i].set_value(std::move(stored)); });
  }
  release.set_value();
  int64_t previous_id = first_stored->id;
  for (int i = 0; i < kBurst; ++i) {
    Result<store::Message> stored = burst[i].get_future().get();
    ASSERT_TRUE(stored.ok()) << stored.status().ToString();
    EXPECT_EQ(stored->content, "m" + std::to_string(i));
    EXPECT_GT(stored->id, previous_id);  // in the order handed over, each after the one before
    EXPECT_EQ(stored->parent_id, previous_id);
    previous_id = stored->id;
  }
  EXPECT_EQ(intake.batches(), 2);
  EXPECT_EQ(store_->conversations().Get(conversation)->message_count, 1 + kBurst);
}

TEST_F(MessageIntakeTest, ManyCallersEachHearOnceInTheirOrderAndABadMessageFailsAlone) {
  const int64_t a = MakeConversation("a");
  const int64_t b = MakeConversation("b");
  MessageIntake intake(store_->messages(), 8);  // small batches, so callers' messages interleave
  constexpr int kCallers = 4;
  constexpr int kEach = 40;
  std::mutex mutex;
  std::map<std::string, Result<store::Message>> heard;  // by content
  std::atomic<int> calls{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      for (int i = 0; i < kEach; ++i) {
        const std::string content = std::to_string(c) + "-" + std::to_string(i);
        const int64_t conversation = i == 7 ? 987654 : (c % 2 == 0 ? a : b);  // one unknown each
        intake.Submit(UserMessage(conversation, content), [&, content](Result<store::Message> stored) {
          ++calls;
          std::lock_guard lock(mutex);
          heard.emplace(content, std::move(stored));
        });
      }
    });
  }
  for (std::thread& caller : callers) caller.join();
  intake.Close();
  ASSERT_EQ(calls.load(), kCallers * kEach);
  ASSERT_EQ(heard.size(), static_cast<size_t>(kCallers * kEach));
  for (int c = 0; c < kCallers; ++c) {
    int64_t previous_id = 0;
    for (int i = 0; i < kEach; ++i) {
      const Result<store::Message>& stored = heard.at(std::to_string(c) + "-" + std::to_string(i));
      if (i == 7) {
        EXPECT_EQ(stored.status().code(), StatusCode::kNotFound);
        continue;
      }
      ASSERT_TRUE(stored.ok()) << stored.status().ToString();
      EXPECT_GT(stored->id, previous_id) << "caller " << c << " message " << i;
      previous_id = stored->id;
    }
  }
  // Each conversation's messages form one chain, and none of the failed ones was stored.
  for (int64_t conversation : {a, b}) {
    Result<std::vector<store::Message>> all = store_->messages().Latest(conversation, 1000);
    ASSERT_TRUE(all.ok());
    ASSERT_EQ(all->size(), static_cast<size_t>(kCallers / 2 * (kEach - 1)));
    for (size_t i = 1; i < all->size(); ++i) EXPECT_EQ((*all)[i].parent_id, (*all)[i - 1].id);
  }
  EXPECT_GT(intake.batches(), 0);
}

TEST_F(MessageIntakeTest, CloseStoresWhatItWasGivenAndRefusesTheRest) {
  const int64_t conversation = MakeConversation("u1");
  MessageIntake intake(store_->messages());
  std::atomic<int> stored_count{0};
  for (int i = 0; i < 10; ++i) {
    intake.Submit(UserMessage(conversation, "before"), [&](Result<store::Message> stored) {
      if (stored.ok()) ++stored_count;
    });
  }
  intake.Close();
  EXPECT_EQ(stored_count.load(), 10);
  std::optional<Status> refused;
  intake.Submit(UserMessage(conversation, "after"),
                [&refused](Result<store::Message> stored) { refused = stored.status(); });
  ASSERT_TRUE(refused.has_value());  // told at once, on this thread
  EXPECT_EQ(refused->code(), StatusCode::kUnavailable);
  EXPECT_EQ(store_->conversations().Get(conversation)->message_count, 10);
  intake.Close();  // idempotent
}

}  // namespace
}  // namespace troupe::chat
