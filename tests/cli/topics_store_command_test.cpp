// `troupe analytics topics --from-store` through the real binary on SQLite and PostgreSQL: users'
// messages seeded three weeks apart through a store on a manual clock (weather talk early, billing
// talk late, another character's pizza talk), found by period and character, with each topic's
// weekly trend; names from the shared stories260K model under the schema (structure only); the
// feedback comments read instead with --source comments; and the errors of mixing the sources.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <nlohmann/json.hpp>

#include "cli_store_fixture.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using nlohmann::json;
using testing::ProcessResult;

constexpr int64_t kTopicsDayMs = 86'400'000;

class TopicsStoreCommandTest : public testing::CliStoreTest {
 protected:
  void SetUp() override {
    CliStoreTest::SetUp();
    if (HasFatalFailure()) return;
    const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count();
    clock_.Set(now - 20 * kTopicsDayMs);
    store::StoreOptions options;
    options.url = url_;
    options.clock = &clock_;
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    timed_ = std::move(opened).value();
    pip_ = MakeConversation("Pip");
    juno_ = MakeConversation("Juno");
    const std::vector<std::string> weather = {"rain", "sunny", "cloudy", "forecast", "storm", "windy"};
    const std::vector<std::string> billing = {"refund", "charge", "invoice", "payment", "billing", "receipt"};
    for (int i = 0; i < 24; ++i) Say(pip_, Words(weather, i));
    Say(juno_, "pizza pasta pizza pasta salad");
    clock_.Advance(9 * kTopicsDayMs);
    for (int i = 0; i < 24; ++i) Say(pip_, Words(i % 2 == 0 ? weather : billing, i));
    clock_.Advance(9 * kTopicsDayMs);
    for (int i = 0; i < 24; ++i) Say(pip_, Words(billing, i));
    Say(juno_, "pizza pasta pizza pasta salad");
  }

  static std::string Words(const std::vector<std::string>& words, int i) {
    std::string text;
    for (int w = 0; w < 4; ++w) text += words[static_cast<size_t>(i + w) % words.size()] + " ";
    return text;
  }

  int64_t MakeConversation(const std::string& name) {
    store::User user;
    user.external_id = "topics-" + name;
    Result<store::User> created_user = timed_->users().Create(user);
    EXPECT_TRUE(created_user.ok());
    store::Character character;
    character.name = name;
    Result<store::Character> created_character = timed_->characters().Create(character);
    EXPECT_TRUE(created_character.ok());
    store::Conversation conversation;
    conversation.user_id = created_user.ok() ? created_user->id : 0;
    conversation.character_id = created_character.ok() ? created_character->id : 0;
    Result<store::Conversation> created = timed_->conversations().Create(conversation);
    EXPECT_TRUE(created.ok());
    return created.ok() ? created->id : 0;
  }

  void Say(int64_t conversation_id, const std::string& text) {
    store::Message message;
    message.conversation_id = conversation_id;
    message.role = store::MessageRole::kUser;
    message.content = text;
    ASSERT_TRUE(timed_->messages().Append(message).ok());
    message.role = store::MessageRole::kAssistant;
    message.content = "pizza pasta reply";  // never counted: only users' messages are read
    ASSERT_TRUE(timed_->messages().Append(message).ok());
    clock_.Advance(60'000);
  }

  ManualClock clock_;
  std::unique_ptr<store::Store> timed_;
  int64_t pip_ = 0;
  int64_t juno_ = 0;
};

TEST_P(TopicsStoreCommandTest, FindsACharactersTopicsOfAPeriodAndTheirTrends) {
  const ProcessResult result =
      Troupe({"analytics", "topics", "--from-store", "--character", "pip", "--topics", "2", "--trends", "--json",
              "--min-documents", "2", "--max-document-fraction", "0.9", "--iterations", "200"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const json report = json::parse(result.out);
  EXPECT_EQ(report["messages"], 72);
  ASSERT_EQ(report["topics"].size(), 2u);
  ASSERT_EQ(report["weeks"].size(), 3u);
  int weeks_messages = 0;
  for (const json& week : report["weeks"]) weeks_messages += week["messages"].get<int>();
  EXPECT_EQ(weeks_messages, 72);
  double rising = 0;
  double falling = 0;
  const std::set<std::string> billing = {"refund", "charge", "invoice", "payment", "billing", "receipt"};
  for (const json& topic : report["topics"]) {
    const double slope = topic["slope_per_week"];
    EXPECT_THAT(topic["words"].dump(), ::testing::Not(HasSubstr("pizza")));
    // A topic is known by its most probable word (the vocabulary is small enough that every
    // word shows up in both lists further down).
    (billing.count(topic["words"][0].get<std::string>()) ? rising : falling) = slope;
  }
  EXPECT_GT(rising, 0.3);
  EXPECT_LT(falling, -0.3);

  const ProcessResult table = Troupe({"analytics", "topics", "--from-store", "--topics", "3", "--trends",
                                      "--min-documents", "2", "--iterations", "50"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("messages=74 "));  // Juno's two count without --character
  EXPECT_THAT(table.out, HasSubstr("trend: "));
  EXPECT_THAT(table.out, ::testing::ContainsRegex("week [0-9]{4}-[0-9]{2}-[0-9]{2} messages=[0-9]+ shares"));
}

// Pip's users complain about waiting and praise the voice in their feedback; Juno's leave two
// comments; none of it is what they said in the chat (weather, billing, pizza).
TEST_P(TopicsStoreCommandTest, SourceCommentsReadsTheFeedbackComments) {
  const std::vector<std::string> waiting = {"slow", "waiting", "queue", "delay", "loading", "minutes"};
  const std::vector<std::string> voice = {"voice", "lovely", "calm", "warm", "gentle", "friendly"};
  const auto leave = [this](int64_t conversation_id, const std::string& kind, const std::string& text) {
    store::FeedbackEvent event;
    event.conversation_id = conversation_id;
    event.kind = kind;
    event.comment = text;
    if (kind == "csat") event.rating = 3;
    ASSERT_TRUE(timed_->feedback().Record(event).ok());
    clock_.Advance(60'000);
  };
  for (int i = 0; i < 16; ++i) leave(pip_, i % 4 == 0 ? "csat" : "comment", Words(i % 2 == 0 ? waiting : voice, i));
  leave(pip_, "csat", "");  // a rating without text is no comment
  leave(juno_, "report", Words(waiting, 1));
  leave(juno_, "comment", Words(voice, 2));

  const ProcessResult pip = Troupe({"analytics", "topics", "--from-store", "--source", "comments", "--character", "pip",
                                    "--topics", "2", "--trends", "--json", "--min-documents", "2",
                                    "--max-document-fraction", "0.9", "--iterations", "100"});
  ASSERT_EQ(pip.exit_code, 0) << pip.err;
  const json report = json::parse(pip.out);
  EXPECT_EQ(report["messages"], 16);
  std::set<std::string> comment_words(waiting.begin(), waiting.end());
  comment_words.insert(voice.begin(), voice.end());
  for (const json& topic : report["topics"]) {
    for (const json& word : topic["words"]) {
      EXPECT_EQ(comment_words.count(word.get<std::string>()), 1u) << "not a comment's word: " << topic.dump();
    }
  }
  const ProcessResult everyone = Troupe({"analytics", "topics", "--from-store", "--source", "comments", "--topics",
                                         "2", "--min-documents", "2", "--iterations", "20"});
  ASSERT_EQ(everyone.exit_code, 0) << everyone.err;
  EXPECT_THAT(everyone.out, HasSubstr("messages=18 "));
  const ProcessResult messages = Troupe({"analytics", "topics", "--from-store", "--source", "messages", "--topics",
                                         "2", "--min-documents", "2", "--iterations", "20"});
  ASSERT_EQ(messages.exit_code, 0) << messages.err;
  EXPECT_THAT(messages.out, HasSubstr("messages=74 "));
}

TEST_P(TopicsStoreCommandTest, NamesTopicsWithTheConfiguredModel) {
  std::vector<std::string> args = {"analytics", "topics", "--from-store", "--character", "pip", "--topics", "2",
                                   "--name-topics", "--json", "--min-documents", "2", "--iterations", "50",
                                   "--database", url_};
  args.insert(args.begin(), testing::TroupeBinary());
  const ProcessResult result = testing::RunProcess(
      args, {{"TROUPE_DATA", dir_.path().string()}, {"TROUPE_LOG_LEVEL", "warn"},
             {"TROUPE_MODEL_PATH", (testing::SharedDir() / "models/stories260K.gguf").string()}});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.err, HasSubstr("naming 2 topics"));
  // Parsed first: a range-for over a temporary's member would read it after it is gone.
  const json output = json::parse(result.out);
  for (const json& topic : output["topics"]) {
    EXPECT_TRUE(topic["name_from_model"].get<bool>()) << topic.dump();
    EXPECT_FALSE(topic["name"].get<std::string>().empty());
  }
}

TEST_P(TopicsStoreCommandTest, SourcesAndPeriodsAreCheckedFirst) {
  const ProcessResult both = Troupe({"analytics", "topics", "--from-store", "--input", "x.jsonl", "--topics", "2"});
  EXPECT_EQ(both.exit_code, 1);
  EXPECT_THAT(both.err, HasSubstr("give --input FILE or --from-store, one of them"));
  const ProcessResult trends = Troupe({"analytics", "topics", "--input", "x.jsonl", "--topics", "2", "--trends"});
  EXPECT_EQ(trends.exit_code, 1);
  EXPECT_THAT(trends.err, HasSubstr("--trends needs --from-store"));
  const ProcessResult day = Troupe({"analytics", "topics", "--from-store", "--from", "2026-13-01", "--topics", "2"});
  EXPECT_EQ(day.exit_code, 1);
  EXPECT_THAT(day.err, HasSubstr("--from"));
  const ProcessResult source = Troupe({"analytics", "topics", "--from-store", "--source", "tweets", "--topics", "2"});
  EXPECT_EQ(source.exit_code, 1);
  EXPECT_THAT(source.err, HasSubstr("--source must be messages or comments"));
  const ProcessResult file_source =
      Troupe({"analytics", "topics", "--input", "x.jsonl", "--source", "comments", "--topics", "2"});
  EXPECT_EQ(file_source.exit_code, 1);
  EXPECT_THAT(file_source.err, HasSubstr("--source needs --from-store"));
  const ProcessResult nobody = Troupe({"analytics", "topics", "--from-store", "--character", "nobody", "--topics", "2"});
  EXPECT_EQ(nobody.exit_code, 1);
  EXPECT_THAT(nobody.err, HasSubstr("nobody"));
}

INSTANTIATE_TEST_SUITE_P(Backends, TopicsStoreCommandTest,
                         ::testing::Values(testing::CliBackend::kSqlite, testing::CliBackend::kPostgres),
                         testing::CliBackendName);

}  // namespace
}  // namespace troupe
