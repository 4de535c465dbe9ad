// Characters and conversations, on both backends.
#include <nlohmann/json.hpp>

#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

Character FullCharacter() {
  Character c;
  c.name = "Seraphina";
  c.description = "A guardian of the forest";
  c.personality = "kind";
  c.scenario = "glade";
  c.first_mes = "Hello, traveller.";
  c.mes_example = "<START>";
  c.creator_notes = "notes";
  c.system_prompt = "You are Seraphina.";
  c.post_history_instructions = "Stay in character.";
  c.alternate_greetings = {"Hi!", "Welcome \xE2\x9C\xA8"};
  c.character_book_json = R"({"entries":[{"keys":["forest"],"content":"old"}]})";
  c.tags = {"fantasy", "Guardian"};
  c.creator = "me";
  c.character_version = "1.2";
  c.extensions_json = R"({"depth_prompt":{"depth":4}})";
  c.nickname = "Sera";
  c.creator_notes_multilingual_json = R"({"fr":"notes"})";
  c.source = {"https://example.com/card"};
  c.group_only_greetings = {"Hello, all."};
  c.assets_json = R"([{"type":"icon","uri":"ccdefault:"}])";
  c.creation_date = 1700000000;
  c.modification_date = 1700000500;
  c.flow = "stages: []";
  c.avatar = "avatars/sera.png";
  c.published = true;
  return c;
}

CharacterQuery Query(std::string search, std::string tag = "", std::optional<bool> published = std::nullopt,
                     PageRequest page = {}) {
  CharacterQuery query;
  query.search = std::move(search);
  query.tag = std::move(tag);
  query.published = published;
  query.page = std::move(page);
  return query;
}

// jsonb may respace and reorder; the content must be equal.
void ExpectSameJson(const std::string& actual, const std::string& expected) {
  if (expected.empty()) {
    EXPECT_EQ(actual, "");
    return;
  }
  EXPECT_EQ(nlohmann::json::parse(actual), nlohmann::json::parse(expected)) << actual;
}

TEST_P(StoreTest, CharacterRoundTripsEveryField) {
  const Character input = FullCharacter();
  ASSERT_OK_AND_ASSIGN(Character created, store_->characters().Create(input));
  EXPECT_EQ(created.slug, "seraphina");
  EXPECT_EQ(created.version, 1);
  ASSERT_OK_AND_ASSIGN(Character c, store_->characters().GetBySlug("seraphina"));
  EXPECT_EQ(c.id, created.id);
  EXPECT_EQ(c.name, input.name);
  EXPECT_EQ(c.description, input.description);
  EXPECT_EQ(c.personality, input.personality);
  EXPECT_EQ(c.scenario, input.scenario);
  EXPECT_EQ(c.first_mes, input.first_mes);
  EXPECT_EQ(c.mes_example, input.mes_example);
  EXPECT_EQ(c.creator_notes, input.creator_notes);
  EXPECT_EQ(c.system_prompt, input.system_prompt);
  EXPECT_EQ(c.post_history_instructions, input.post_history_instructions);
  EXPECT_EQ(c.alternate_greetings, input.alternate_greetings);
  ExpectSameJson(c.character_book_json, input.character_book_json);
  EXPECT_EQ(c.tags, input.tags);
  EXPECT_EQ(c.creator, input.creator);
  EXPECT_EQ(c.character_version, input.character_version);
  ExpectSameJson(c.extensions_json, input.extensions_json);
  EXPECT_EQ(c.nickname, input.nickname);
  ExpectSameJson(c.creator_notes_multilingual_json, input.creator_notes_multilingual_json);
  EXPECT_EQ(c.source, input.source);
  EXPECT_EQ(c.group_only_greetings, input.group_only_greetings);
  ExpectSameJson(c.assets_json, input.assets_json);
  EXPECT_EQ(c.creation_date, input.creation_date);
  EXPECT_EQ(c.modification_date, input.modification_date);
  EXPECT_EQ(c.flow, input.flow);
  EXPECT_EQ(c.avatar, input.avatar);
  EXPECT_TRUE(c.published);
  EXPECT_EQ(c.created_at, clock_.NowMillis());

  // Optional documents left empty stay empty.
  ASSERT_OK_AND_ASSIGN(Character bare, store_->characters().Get(MakeCharacter("Bare").id));
  EXPECT_EQ(bare.character_book_json, "");
  EXPECT_EQ(bare.assets_json, "");
  EXPECT_FALSE(bare.creation_date.has_value());
  EXPECT_FALSE(bare.published);
}

TEST_P(StoreTest, CharacterSlugsAreDerivedAndUnique) {
  EXPECT_EQ(MakeCharacter("Seraphina the Bold!").slug, "seraphina-the-bold");
  EXPECT_EQ(MakeCharacter("Seraphina the Bold").slug, "seraphina-the-bold-2");
  EXPECT_EQ(MakeCharacter("seraphina   THE bold").slug, "seraphina-the-bold-3");
  EXPECT_EQ(MakeCharacter("\xE2\x9C\xA8").slug, "character");

  Character explicit_slug;
  explicit_slug.name = "Other";
  explicit_slug.slug = "seraphina-the-bold";
  Status taken = store_->characters().Create(explicit_slug).status();
  EXPECT_EQ(taken.code(), StatusCode::kConflict);
  EXPECT_EQ(taken.field(), "slug");
  explicit_slug.slug = "Bad Slug";
  EXPECT_EQ(store_->characters().Create(explicit_slug).status().field(), "slug");
}

TEST_P(StoreTest, CharacterJsonFieldsAreValidated) {
  for (const char* field : {"character_book_json", "extensions_json", "creator_notes_multilingual_json",
                            "assets_json"}) {
    Character c = FullCharacter();
    const std::string broken = "{\"unterminated";
    if (std::string(field) == "character_book_json") c.character_book_json = broken;
    if (std::string(field) == "extensions_json") c.extensions_json = broken;
    if (std::string(field) == "creator_notes_multilingual_json") c.creator_notes_multilingual_json = broken;
    if (std::string(field) == "assets_json") c.assets_json = "{}";  // must be an array
    Status status = store_->characters().Create(c).status();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << field;
    EXPECT_EQ(status.field(), field);
  }
  Character nameless;
  EXPECT_EQ(store_->characters().Create(nameless).status().field(), "name");
}

TEST_P(StoreTest, CharacterUpdateChecksVersion) {
  ASSERT_OK_AND_ASSIGN(Character c, store_->characters().Create(FullCharacter()));
  Character first = c;
  Character second = c;
  clock_.Advance(10);
  first.description = "changed by the first editor";
  first.tags = {"new"};
  ASSERT_OK_AND_ASSIGN(Character updated, store_->characters().Update(first));
  EXPECT_EQ(updated.version, 2);
  EXPECT_EQ(updated.description, "changed by the first editor");
  EXPECT_EQ(updated.tags, std::vector<std::string>{"new"});
  EXPECT_EQ(updated.created_at, c.created_at);
  EXPECT_EQ(updated.updated_at, c.created_at + 10);

  second.description = "lost update";
  Status stale = store_->characters().Update(second).status();
  EXPECT_EQ(stale.code(), StatusCode::kConflict);
  ASSERT_OK_AND_ASSIGN(Character stored, store_->characters().Get(c.id));
  EXPECT_EQ(stored.description, "changed by the first editor");

  Character ghost = updated;
  ghost.id = 9999;
  EXPECT_EQ(store_->characters().Update(ghost).status().code(), StatusCode::kNotFound);

  const Character other = MakeCharacter("Other");
  updated.slug = other.slug;
  Status slug_taken = store_->characters().Update(updated).status();
  EXPECT_EQ(slug_taken.code(), StatusCode::kConflict);
  EXPECT_EQ(slug_taken.field(), "slug");
}

TEST_P(StoreTest, CharacterDeleteRefusedWhileConversationsExist) {
  const User user = MakeUser();
  const Character busy = MakeCharacter("Busy");
  MakeConversation(user.id, busy.id);
  Status busy_delete = store_->characters().Delete(busy.id);
  EXPECT_EQ(busy_delete.code(), StatusCode::kConflict) << busy_delete.ToString();
  const Character idle = MakeCharacter("Idle");
  ASSERT_OK(store_->characters().Delete(idle.id));
  EXPECT_EQ(store_->characters().Get(idle.id).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->characters().Delete(idle.id).code(), StatusCode::kNotFound);
}

TEST_P(StoreTest, CharacterListFiltersAndPages) {
  Character a = FullCharacter();  // published, tags fantasy/Guardian, nickname Sera
  ASSERT_OK(store_->characters().Create(a).status());
  Character b;
  b.name = "Bob the Builder";
  b.tags = {"comedy"};
  ASSERT_OK(store_->characters().Create(b).status());
  Character c;
  c.name = "Carla";
  c.description = "A 100%_real detective";
  c.tags = {"mystery", "fantasy"};
  c.published = true;
  ASSERT_OK(store_->characters().Create(c).status());

  const auto names = [&](const CharacterQuery& query) {
    std::vector<std::string> out;
    Result<Page<Character>> page = store_->characters().List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    if (page.ok()) {
      for (const Character& character : page->items) out.push_back(character.name);
    }
    return out;
  };
  using Names = std::vector<std::string>;
  EXPECT_EQ(names({}), (Names{"Seraphina", "Bob the Builder", "Carla"}));
  EXPECT_EQ(names(Query("SERA")), Names{"Seraphina"});
  EXPECT_EQ(names(Query("builder")), Names{"Bob the Builder"});
  EXPECT_EQ(names(Query("guardian")), Names{"Seraphina"});  // matches description and tag
  EXPECT_EQ(names(Query("comedy")), Names{"Bob the Builder"});  // a tag
  EXPECT_EQ(names(Query("100%_r")), Names{"Carla"});  // LIKE wildcards are literal
  EXPECT_EQ(names(Query("0%x")), Names{});
  EXPECT_EQ(names(Query("", "fantasy")), (Names{"Seraphina", "Carla"}));
  EXPECT_EQ(names(Query("", "fant")), Names{});
  EXPECT_EQ(names(Query("", "", false)), Names{"Bob the Builder"});
  EXPECT_EQ(names(Query("", "fantasy", true, {"", 1})), Names{"Seraphina"});

  ASSERT_OK_AND_ASSIGN(Page<Character> first, store_->characters().List(Query("", "", std::nullopt, {"", 2})));
  ASSERT_EQ(first.items.size(), 2u);
  ASSERT_FALSE(first.next_cursor.empty());
  ASSERT_OK_AND_ASSIGN(Page<Character> rest,
                       store_->characters().List(Query("", "", std::nullopt, {first.next_cursor, 2})));
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].name, "Carla");
  EXPECT_TRUE(rest.next_cursor.empty());
}

TEST_P(StoreTest, ConversationCreateNamesMissingParent) {
  const User user = MakeUser();
  const Character character = MakeCharacter();
  Conversation orphan;
  orphan.user_id = 9999;
  orphan.character_id = character.id;
  Status no_user = store_->conversations().Create(orphan).status();
  EXPECT_EQ(no_user.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_user.field(), "user_id");
  orphan.user_id = user.id;
  orphan.character_id = 9999;
  Status no_character = store_->conversations().Create(orphan).status();
  EXPECT_EQ(no_character.code(), StatusCode::kNotFound);
  EXPECT_EQ(no_character.field(), "character_id");
  orphan.character_id = character.id;
  orphan.metadata_json = "nope";
  EXPECT_EQ(store_->conversations().Create(orphan).status().field(), "metadata_json");
}

TEST_P(StoreTest, ConversationStateStatusAndListing) {
  const User user = MakeUser();
  const User other = MakeUser("user-2");
  const Character character = MakeCharacter();
  std::vector<int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(MakeConversation(user.id, character.id).id);
    clock_.Advance(100);
  }
  MakeConversation(other.id, character.id);
  // Same activity time for two conversations: the id breaks the tie.
  clock_.Set(clock_.NowMillis() + 1000);
  Message message;
  message.conversation_id = ids[1];
  ASSERT_OK(store_->messages().Append(message).status());
  message.conversation_id = ids[3];
  ASSERT_OK(store_->messages().Append(message).status());

  std::vector<int64_t> listed;
  PageRequest request{.cursor = "", .limit = 2};
  do {
    ASSERT_OK_AND_ASSIGN(Page<Conversation> page, store_->conversations().ListForUser(user.id, request));
    for (const Conversation& conversation : page.items) listed.push_back(conversation.id);
    request.cursor = page.next_cursor;
  } while (!request.cursor.empty());
  EXPECT_EQ(listed, (std::vector<int64_t>{ids[3], ids[1], ids[4], ids[2], ids[0]}));

  ASSERT_OK_AND_ASSIGN(Conversation conversation, store_->conversations().Get(ids[0]));
  conversation.stage = "greeting";
  conversation.mood = "curious";
  conversation.affinity = 0.25;
  conversation.title = "First chat";
  conversation.metadata_json = R"({"k":1})";
  ASSERT_OK_AND_ASSIGN(Conversation updated, store_->conversations().UpdateState(conversation));
  EXPECT_EQ(updated.stage, "greeting");
  EXPECT_DOUBLE_EQ(updated.affinity, 0.25);
  EXPECT_EQ(updated.title, "First chat");
  conversation.id = 9999;
  EXPECT_EQ(store_->conversations().UpdateState(conversation).status().code(), StatusCode::kNotFound);

  ASSERT_OK(store_->conversations().SetStatus(ids[2], ConversationStatus::kHandedOff));
  ASSERT_OK_AND_ASSIGN(Conversation handed, store_->conversations().Get(ids[2]));
  EXPECT_EQ(handed.status, ConversationStatus::kHandedOff);
  EXPECT_EQ(store_->conversations().SetStatus(9999, ConversationStatus::kClosed).code(), StatusCode::kNotFound);

  // Active and idle since before the appends: ids 0 and 4 of this user, plus the other user's.
  ASSERT_OK_AND_ASSIGN(std::vector<Conversation> idle,
                       store_->conversations().ListIdle(ConversationStatus::kActive, clock_.NowMillis(), 10));
  std::vector<int64_t> idle_ids;
  for (const Conversation& c : idle) idle_ids.push_back(c.id);
  EXPECT_EQ(idle_ids, (std::vector<int64_t>{ids[0], ids[4], ids[4] + 1}));
  ASSERT_OK_AND_ASSIGN(idle, store_->conversations().ListIdle(ConversationStatus::kActive, clock_.NowMillis(), 1));
  EXPECT_EQ(idle.size(), 1u);
}

}  // namespace
}  // namespace troupe::store::testing
