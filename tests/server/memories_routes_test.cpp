// Memories, message search, branching and listing conversations across users, over a real socket
// on SQLite and on a real PostgreSQL: what each kind of key may do, and the answers' shapes.
#include <gtest/gtest.h>

#include <cstdio>
#include <set>

#include "server/api_fixture.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

// Percent-encodes everything but unreserved characters, for query values.
std::string Encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += c;
    } else {
      char escaped[4];
      std::snprintf(escaped, sizeof escaped, "%%%02X", byte);
      out += escaped;
    }
  }
  return out;
}

class MemoryRoutesTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    api_ = std::make_unique<ApiServer>(GetParam());
    ASSERT_TRUE(api_->ok());
    admin_ = api_->MintKey({"admin"}).key;
    agent_ = api_->MintKey({"agent"}).key;
    studio_ = api_->MintKey({"studio"}).key;
    client_ = api_->MintKey({"client"}).key;
    alice_ = api_->MakeUser("alice");
    bob_ = api_->MakeUser("bob");
    character_ = api_->MakeCharacter("Host", true);
    conversation_ = api_->MakeConversation(alice_.id, character_.id);
    bobs_ = api_->MakeConversation(bob_.id, character_.id);
    path_ = "/api/v1/conversations/" + std::to_string(conversation_.id);
  }

  // As Alice's front end.
  ClientResponse AsAlice(const std::string& method, const std::string& target, const std::string& body = {}) {
    return api_->Call(method, target, client_, body, {{"X-Troupe-User", "alice"}});
  }

  store::Memory Remember(int64_t conversation_id, store::MemoryKind kind, const std::string& content,
                         std::optional<int64_t> covers = std::nullopt) {
    store::Memory memory;
    memory.conversation_id = conversation_id;
    memory.kind = kind;
    memory.content = content;
    memory.covers_until_message_id = covers;
    Result<store::Memory> created = api_->store().memories().Create(memory);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : store::Memory{};
  }

  std::unique_ptr<ApiServer> api_;
  std::string admin_, agent_, studio_, client_;
  store::User alice_, bob_;
  store::Character character_;
  store::Conversation conversation_, bobs_;
  std::string path_;
};

TEST_P(MemoryRoutesTest, ClientsPinTheirOwnMemories) {
  ClientResponse created = AsAlice("POST", path_ + "/memories", R"({"content":"My name is pronounced AH-da"})");
  ASSERT_EQ(created.status, 201) << created.body;
  const json pinned = created.Json();
  EXPECT_EQ(pinned["kind"], "pinned");
  EXPECT_EQ(pinned["conversation_id"], conversation_.id);
  EXPECT_EQ(pinned["content"], "My name is pronounced AH-da");
  EXPECT_TRUE(pinned["covers_until_message_id"].is_null());
  EXPECT_EQ(pinned.size(), 7u) << pinned;  // exactly the Memory schema's fields
  const std::string memory_path = path_ + "/memories/" + std::to_string(pinned["id"].get<int64_t>());

  ClientResponse edited = AsAlice("PATCH", memory_path, R"({"content":"Call me Ada"})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_EQ(edited.Json()["content"], "Call me Ada");
  json listed = AsAlice("GET", path_ + "/memories").Json();
  ASSERT_EQ(listed["data"].size(), 1u) << listed;
  EXPECT_EQ(listed["data"][0]["content"], "Call me Ada");

  // Bad bodies name the field; nothing is written.
  ExpectApiError(AsAlice("POST", path_ + "/memories", "{}"), 400, "invalid_argument", "content");
  ExpectApiError(AsAlice("POST", path_ + "/memories", R"({"content":"  "})"), 400, "invalid_argument", "content");
  ExpectApiError(AsAlice("POST", path_ + "/memories", json{{"content", std::string(20000, 'x')}}.dump()), 400,
                 "invalid_argument", "content");
  ExpectApiError(AsAlice("POST", path_ + "/memories", R"({"content":"x","kind":"summary"})"), 400,
                 "invalid_argument", "kind");
  ExpectApiError(AsAlice("PATCH", memory_path, R"({"content":""})"), 400, "invalid_argument", "content");
  ExpectApiError(AsAlice("GET", path_ + "/memories?kind=dream"), 400, "invalid_argument", "kind");
  EXPECT_EQ(AsAlice("GET", path_ + "/memories").Json()["data"].size(), 1u);

  // Bob's conversation and its memories do not exist for Alice.
  const store::Memory bobs_memory = Remember(bobs_.id, store::MemoryKind::kPinned, "Bob's secret");
  const std::string bobs_path = "/api/v1/conversations/" + std::to_string(bobs_.id);
  ExpectApiError(AsAlice("GET", bobs_path + "/memories"), 404, "not_found");
  ExpectApiError(AsAlice("POST", bobs_path + "/memories", R"({"content":"x"})"), 404, "not_found");
  ExpectApiError(AsAlice("PATCH", bobs_path + "/memories/" + std::to_string(bobs_memory.id), R"({"content":"x"})"),
                 404, "not_found");
  // Nor through her own conversation's path.
  ExpectApiError(AsAlice("DELETE", path_ + "/memories/" + std::to_string(bobs_memory.id)), 404, "not_found");
  ExpectApiError(AsAlice("PATCH", path_ + "/memories/" + std::to_string(bobs_memory.id), R"({"content":"x"})"), 404,
                 "not_found");
  ASSERT_TRUE(api_->store().memories().Get(bobs_memory.id).ok());

  ClientResponse deleted = AsAlice("DELETE", memory_path);
  EXPECT_EQ(deleted.status, 204) << deleted.body;
  ExpectApiError(AsAlice("DELETE", memory_path), 404, "not_found");
  EXPECT_TRUE(AsAlice("GET", path_ + "/memories").Json()["data"].empty());
}

TEST_P(MemoryRoutesTest, SummariesAndFactsAreForAgentsToCorrect) {
  const store::Message said = api_->MakeMessage(conversation_.id, "I grew up by the sea");
  const store::Memory summary = Remember(conversation_.id, store::MemoryKind::kSummary, "Ada grew up inland", said.id);
  const store::Memory fact = Remember(conversation_.id, store::MemoryKind::kFact, "Ada grew up inland", said.id);
  Remember(conversation_.id, store::MemoryKind::kPinned, "Speak softly");
  const std::string summary_path = path_ + "/memories/" + std::to_string(summary.id);
  const std::string fact_path = path_ + "/memories/" + std::to_string(fact.id);

  // The end user sees them but may not change them.
  json seen = AsAlice("GET", path_ + "/memories").Json();
  ASSERT_EQ(seen["data"].size(), 3u) << seen;
  EXPECT_EQ(seen["data"][0]["kind"], "summary");
  EXPECT_EQ(seen["data"][0]["covers_until_message_id"], said.id);
  ExpectApiError(AsAlice("PATCH", summary_path, R"({"content":"Ada grew up by the sea"})"), 403,
                 "permission_denied");
  ExpectApiError(AsAlice("DELETE", fact_path), 403, "permission_denied");

  ClientResponse corrected = api_->Call("PATCH", summary_path, agent_, R"({"content":"Ada grew up by the sea"})");
  ASSERT_EQ(corrected.status, 200) << corrected.body;
  EXPECT_EQ(corrected.Json()["kind"], "summary");
  EXPECT_EQ(corrected.Json()["covers_until_message_id"], said.id);  // unchanged by a text edit
  Result<store::Memory> latest = api_->store().memories().LatestSummary(conversation_.id);
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->content, "Ada grew up by the sea");
  EXPECT_EQ(api_->Call("DELETE", fact_path, admin_).status, 204);

  json summaries = api_->Call("GET", path_ + "/memories?kind=summary", agent_).Json();
  ASSERT_EQ(summaries["data"].size(), 1u) << summaries;
  EXPECT_EQ(summaries["data"][0]["id"], summary.id);
  // Agents may pin notes too; studio keys have no business here.
  EXPECT_EQ(api_->Call("POST", path_ + "/memories", agent_, R"({"content":"Escalated once"})").status, 201);
  EXPECT_EQ(api_->Call("GET", path_ + "/memories", studio_).status, 403);
}

TEST_P(MemoryRoutesTest, SearchFindsMessagesOfOneConversation) {
  std::vector<int64_t> ids;
  for (const std::string text : {"I went running by the canal", "The canal was frozen", "Then we had soup",
                                 "My brother runs marathons"}) {
    ids.push_back(api_->MakeMessage(conversation_.id, text).id);
  }
  api_->MakeMessage(bobs_.id, "running in Bob's conversation");

  ClientResponse found = AsAlice("GET", path_ + "/search?q=" + Encode("who runs?"));
  ASSERT_EQ(found.status, 200) << found.body;
  json data = found.Json()["data"];
  ASSERT_EQ(data.size(), 2u) << found.body;
  for (const json& message : data) {
    EXPECT_EQ(message["conversation_id"], conversation_.id);
    EXPECT_TRUE(message["id"] == ids[0] || message["id"] == ids[3]) << message;
  }
  data = AsAlice("GET", path_ + "/search?q=" + Encode("frozen canal")).Json()["data"];
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0]["id"], ids[1]);  // both words beat one
  data = AsAlice("GET", path_ + "/search?q=canal&limit=1").Json()["data"];
  EXPECT_EQ(data.size(), 1u);
  data = AsAlice("GET", path_ + "/search?q=canal&before_message_id=" + std::to_string(ids[1])).Json()["data"];
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data[0]["id"], ids[0]);
  EXPECT_TRUE(AsAlice("GET", path_ + "/search?q=" + Encode("the of and")).Json()["data"].empty());

  for (const std::string& hostile : std::initializer_list<std::string>{"\"canal", "canal\" OR \"*", "NEAR(canal soup)", "(((", "canal:*",
                                    "'canal' | !soup", "conversation_id : " + std::to_string(bobs_.id)}) {
    ClientResponse answer = AsAlice("GET", path_ + "/search?q=" + Encode(hostile));
    ASSERT_EQ(answer.status, 200) << hostile << ": " << answer.body;
    const json found = answer.Json();  // a range-for over a temporary's member would dangle
    for (const json& message : found["data"]) EXPECT_EQ(message["conversation_id"], conversation_.id);
  }

  ExpectApiError(AsAlice("GET", path_ + "/search"), 400, "invalid_argument", "q");
  ExpectApiError(AsAlice("GET", path_ + "/search?q="), 400, "invalid_argument", "q");
  ExpectApiError(AsAlice("GET", path_ + "/search?q=" + std::string(1001, 'a')), 400, "invalid_argument", "q");
  ExpectApiError(AsAlice("GET", path_ + "/search?q=canal&limit=0"), 400, "invalid_argument", "limit");
  ExpectApiError(AsAlice("GET", path_ + "/search?q=canal&limit=101"), 400, "invalid_argument", "limit");
  ExpectApiError(AsAlice("GET", path_ + "/search?q=canal&limit=x"), 400, "invalid_argument", "limit");
  ExpectApiError(AsAlice("GET", path_ + "/search?q=canal&before_message_id=-1"), 400, "invalid_argument",
                 "before_message_id");
  ExpectApiError(AsAlice("GET", "/api/v1/conversations/" + std::to_string(bobs_.id) + "/search?q=running"), 404,
                 "not_found");
  EXPECT_EQ(api_->Call("GET", path_ + "/search?q=canal", studio_).Json()["data"].size(), 2u);
  EXPECT_EQ(api_->Call("GET", path_ + "/search?q=canal", agent_).Json()["data"].size(), 2u);
}

TEST_P(MemoryRoutesTest, BranchCarriesMessagesAndMemoriesAndAnnouncesTheConversation) {
  const store::Message first = api_->MakeMessage(conversation_.id, "Where shall we go?");
  const store::Message second = api_->MakeMessage(conversation_.id, "To the mountains");
  const store::Message third = api_->MakeMessage(conversation_.id, "No, the sea");
  Remember(conversation_.id, store::MemoryKind::kPinned, "Afraid of heights");
  Remember(conversation_.id, store::MemoryKind::kSummary, "They chose the sea", third.id);

  TestClient stream(api_->port());
  ASSERT_EQ(stream.StartStream("/api/v1/events", {{"Authorization", "Bearer " + client_}, {"X-Troupe-User", "alice"}})
                .status,
            200);
  ASSERT_NE(stream.ReadEvents(1).find("event: ready"), std::string::npos);

  ClientResponse branched = AsAlice("POST", path_ + "/branch", json{{"message_id", second.id}}.dump());
  ASSERT_EQ(branched.status, 201) << branched.body;
  const json branch = branched.Json();
  EXPECT_EQ(branch["user_id"], alice_.id);
  EXPECT_EQ(branch["message_count"], 2);
  EXPECT_EQ(branch["metadata"]["branched_from"]["conversation_id"], conversation_.id);
  EXPECT_EQ(branch["metadata"]["branched_from"]["message_id"], second.id);
  const std::string branch_path = "/api/v1/conversations/" + std::to_string(branch["id"].get<int64_t>());
  json messages = AsAlice("GET", branch_path + "/messages").Json()["data"];
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(messages[0]["content"], first.content);
  EXPECT_EQ(messages[1]["content"], second.content);
  json memories = AsAlice("GET", branch_path + "/memories").Json()["data"];
  ASSERT_EQ(memories.size(), 1u) << memories;  // the summary covered a message after the branch point
  EXPECT_EQ(memories[0]["content"], "Afraid of heights");
  EXPECT_EQ(AsAlice("GET", branch_path + "/search?q=mountains").Json()["data"].size(), 1u);

  const std::string events = stream.ReadEvents(2);
  EXPECT_NE(events.find("event: conversation.created"), std::string::npos) << events;
  EXPECT_NE(events.find("\"id\":" + std::to_string(branch["id"].get<int64_t>())), std::string::npos) << events;

  ExpectApiError(AsAlice("POST", path_ + "/branch", json{{"message_id", 999999}}.dump()), 404, "not_found",
                 "message_id");
}

TEST_P(MemoryRoutesTest, ConversationsListAcrossUsersForNonClientKeys) {
  const store::Character other_character = api_->MakeCharacter("Guide", true);
  const store::Conversation with_guide = api_->MakeConversation(bob_.id, other_character.id);
  ASSERT_TRUE(api_->store().conversations().SetStatus(bobs_.id, store::ConversationStatus::kHandedOff).ok());

  auto ids = [&](const std::string& key, const std::string& query, const std::string& user = "") {
    std::vector<std::pair<std::string, std::string>> headers;
    if (!user.empty()) headers.emplace_back("X-Troupe-User", user);
    ClientResponse response = api_->Call("GET", "/api/v1/conversations" + query, key, "", headers);
    EXPECT_EQ(response.status, 200) << query << ": " << response.body;
    std::set<int64_t> found;
    const json body = response.Json();
    for (const json& conversation : body["data"]) found.insert(conversation["id"].get<int64_t>());
    return found;
  };
  const std::set<int64_t> everyone = {conversation_.id, bobs_.id, with_guide.id};
  EXPECT_EQ(ids(admin_, ""), everyone);
  EXPECT_EQ(ids(agent_, ""), everyone);
  EXPECT_EQ(ids(agent_, "?status=handed_off"), std::set<int64_t>{bobs_.id});
  EXPECT_EQ(ids(agent_, "?character_id=" + std::to_string(other_character.id)), std::set<int64_t>{with_guide.id});
  EXPECT_EQ(ids(agent_, "?status=active&user_id=" + std::to_string(bob_.id)), std::set<int64_t>{with_guide.id});
  EXPECT_EQ(ids(agent_, "?user_id=" + std::to_string(alice_.id)), std::set<int64_t>{conversation_.id});
  // A client key always lists its own end user's, filters or not.
  EXPECT_EQ(ids(client_, "", "bob"), (std::set<int64_t>{bobs_.id, with_guide.id}));
  EXPECT_EQ(ids(client_, "?status=active", "bob"), std::set<int64_t>{with_guide.id});

  ExpectApiError(api_->Call("GET", "/api/v1/conversations?status=open", agent_), 400, "invalid_argument", "status");
  ExpectApiError(api_->Call("GET", "/api/v1/conversations?character_id=x", agent_), 400, "invalid_argument",
                 "character_id");
  ExpectApiError(api_->Call("GET", "/api/v1/conversations?user_id=999999", agent_), 404, "not_found");
  // Studio keys see conversations too (their playground, and later the analytics).
  EXPECT_EQ(api_->Call("GET", "/api/v1/conversations", studio_).status, 200);
}

INSTANTIATE_TEST_SUITE_P(Backends, MemoryRoutesTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::server::testing
