// The OpenAPI document against the routes, both ways: every route the server answers is
// documented, and every documented operation, called for real with ids and a valid body,
// answers with the documented status and fields.
#include <gtest/gtest.h>

#include <set>

#include "chat/card_png.h"
#include "chat/reply_media.h"
#include "server/api_fixture.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

// Substitutes real ids into a route template and gives a valid body, so each documented operation
// can be called for real.
struct Probe {
  std::string target;
  std::string body;
};

// A complete character draft, as the studio's generation job returns one.
json ProbeDraft() {
  return {{"brief", {{"theme", "a lighthouse"}, {"audience", "adults"}, {"role", "mascot"}}},
          {"steps",
           {{"concept",
             {{"name", "Ada"}, {"age", 30}, {"role", "keeper"}, {"setting", "a lighthouse"}, {"pitch", "A keeper."},
              {"traits", {"calm"}}}},
            {"background", {{"backstory", "Ada keeps the light."}, {"personality", "Calm."}, {"likes", {"tea"}},
                            {"dislikes", {"fog"}}}},
            {"speech", {{"catchphrases", {"Steady."}}, {"vocabulary", {"beacon"}}, {"sentence_style", "Short."},
                        {"example_dialogues", {{{"user", "Hi"}, {"character", "Evening."}}}}}},
            {"greetings", {{"first_message", "Welcome."}, {"alternates", {"Tea?"}}}},
            {"image", {{"prompt", "portrait"}, {"negative_prompt", "blurry"}}}}},
          {"stale", json::array()}};
}

TEST(ApiOpenApiTest, DocumentListsEveryRouteAndEveryDocumentedRouteAnswers) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  const std::string admin = api.MintKey({"admin"}).key;
  ClientResponse response = api.Call("GET", "/api/v1/openapi.json", "");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.Header("content-type"), "application/json");
  json document = response.Json();
  ASSERT_TRUE(document.is_object()) << response.body;
  EXPECT_EQ(document["openapi"].get<std::string>().substr(0, 2), "3.");

  std::set<std::pair<std::string, std::string>> documented;
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      documented.emplace(upper, path);
      EXPECT_TRUE(operation.contains("operationId")) << path;
      EXPECT_TRUE(operation.contains("responses")) << path;
    }
  }
  std::set<std::pair<std::string, std::string>> served = {
      {"GET", "/healthz"}, {"GET", "/readyz"}, {"GET", "/metrics"}};
  for (const ApiRouteInfo& route : api.routes()) served.emplace(route.method, route.pattern);
  EXPECT_EQ(documented, served);

  // Every $ref resolves.
  std::function<void(const json&)> check_refs = [&](const json& node) {
    if (node.is_object()) {
      if (auto it = node.find("$ref"); it != node.end()) {
        const std::string ref = it->get<std::string>();
        const std::string name = ref.substr(ref.rfind('/') + 1);
        EXPECT_TRUE(document["components"]["schemas"].contains(name)) << ref;
      }
      for (const auto& [key, child] : node.items()) check_refs(child);
    } else if (node.is_array()) {
      for (const json& child : node) check_refs(child);
    }
  };
  check_refs(document);

  // Every documented operation answers (a real handler, not 404/405) when called with real ids.
  store::User user = api.MakeUser("probe");
  store::Character character = api.MakeCharacter("Probe", true);
  store::Character flowing = api.MakeCharacter("Flowing", true);
  flowing.flow = "start: a\nstages:\n  a:\n    prompt: Hi.\n";
  ASSERT_TRUE(api.store().characters().Update(flowing).ok());
  store::Conversation conversation = api.MakeConversation(user.id, character.id);
  store::Message message = api.MakeMessage(conversation.id, "hi");
  auto fill = [&](std::string path) {
    auto replace = [&path](const std::string& name, int64_t id) {
      const std::string token = "{" + name + "}";
      if (size_t at = path.find(token); at != std::string::npos) path.replace(at, token.size(), std::to_string(id));
    };
    replace("character_id", api.MakeCharacter("Spare", false).id);
    replace("user_id", user.id);
    replace("conversation_id", conversation.id);
    replace("key_id", api.MintKey({"agent"}).record.id);
    replace("job_id", api.MakeJob("probe").id);
    if (path.find("{memory_id}") != std::string::npos) {
      store::Memory memory;
      memory.conversation_id = conversation.id;
      memory.content = "probe";
      Result<store::Memory> created = api.store().memories().Create(memory);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      replace("memory_id", created.ok() ? created->id : 0);
    }
    // A reply with a picture, its file where the runtime keeps it, for the media route.
    if (path.find("{media_index}") != std::string::npos) {
      store::Message pictured;
      pictured.conversation_id = conversation.id;
      pictured.role = store::MessageRole::kAssistant;
      pictured.content = "Look!";
      pictured.metadata_json = R"({"media":[{"kind":"picture","mime_type":"image/png"}]})";
      Result<store::Message> created = api.store().messages().Append(pictured);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      if (created.ok()) {
        Result<std::filesystem::path> file = chat::MediaFilePath(std::filesystem::path(api.data_dir()) / "media",
                                                                 conversation.id, created->id, 0, "image/png");
        EXPECT_TRUE(file.ok() && chat::WriteMediaFile(*file, *chat::DefaultAvatarPng("Probe")).ok());
      }
      replace("message_id", created.ok() ? created->id : 0);
      if (size_t at = path.find("{media_index}"); at != std::string::npos) path.replace(at, 13, "0");
    }
    // A routed user message, as routing-review needs (a campaign's message_id is its draft, below).
    if (path.find("{message_id}") != std::string::npos && path.find("{campaign_id}") == std::string::npos) {
      store::Message routed;
      routed.conversation_id = conversation.id;
      routed.content = "probe";
      routed.metadata_json = R"({"routing":{"intent":"probe"}})";
      Result<store::Message> created = api.store().messages().Append(routed);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      replace("message_id", created.ok() ? created->id : 0);
    }
    if (size_t at = path.find("{segment_name}"); at != std::string::npos) path.replace(at, 14, "probe-segment");
    if (path.find("{campaign_id}") != std::string::npos) {
      // A fresh campaign with one draft each time: cancelCampaign would end a shared one.
      store::Campaign campaign;
      campaign.name = "Probe";
      campaign.character_id = character.id;
      campaign.segment = "probe";
      Result<store::Campaign> created = api.store().campaigns().Create(campaign);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      Result<store::CampaignMessage> draft = api.store().campaigns().AddDraft(created->id, user.id, "Hi");
      EXPECT_TRUE(draft.ok()) << draft.status().ToString();
      replace("campaign_id", created->id);
      replace("message_id", draft->id);
    }
    if (path.find("{eval_run_id}") != std::string::npos) {
      store::EvalRunRecord run;
      run.character_id = character.id;
      run.dataset = "probe.jsonl";
      run.report_json = R"({"cases":[]})";
      Result<store::EvalRunRecord> created = api.store().eval_runs().Create(run);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      replace("eval_run_id", created.ok() ? created->id : 0);
    }
    if (path.find("{experiment_id}") != std::string::npos) {
      // A fresh draft of a fresh character each time (started for stopExperiment): start, stop and
      // delete change it, and a character runs one experiment at a time.
      store::ExperimentRecord experiment;
      experiment.character_id = api.MakeCharacter("Tested", false).id;
      experiment.name = "probe";
      experiment.kind = "prompt";
      experiment.metric = "length";
      experiment.variants_json = R"([{"name":"control"},{"name":"b","system_prompt":"B."}])";
      Result<store::ExperimentRecord> created = api.store().experiments().Create(experiment);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      if (path.ends_with("/stop")) {
        EXPECT_TRUE(api.store().experiments().Start(created->id).ok());
      }
      replace("experiment_id", created.ok() ? created->id : 0);
    }
    EXPECT_EQ(path.find('{'), std::string::npos) << "unknown path parameter in " << path;
    return path;
  };
  const std::map<std::string, std::string> bodies = {
      {"createCharacter", R"({"name":"Probed"})"},
      {"updateCharacter", R"({"version":1,"published":true})"},
      {"createUser", R"({"external_id":"probed"})"},
      {"updateUser", R"({"segment":"x"})"},
      {"createConversation", json{{"user_id", user.id}, {"character_id", character.id}}.dump()},
      {"createFeedback", json{{"kind", "rating"}, {"message_id", message.id}, {"rating", 1}}.dump()},
      {"createKey", R"({"scopes":["agent"]})"},
      {"createMemory", R"({"content":"probe"})"},
      {"updateMemory", R"({"content":"probed"})"},
      {"postAgentMessage", R"({"content":"probe"})"},
      {"handoffConversation", R"({"reason":"probe"})"},
      {"setAgentPresence", R"({"status":"available"})"},
      {"checkFlow", R"({"flow":""})"},
      {"putRoutingReview", R"({"intent":"probe"})"},
      {"putUserProfile", R"({"profile":{"age":3}})"},
      {"patchUserProfile", R"({"profile":{"vip":true}})"},
      {"createSegment", R"({"name":"probed","rules":{"all":[{"field":"conversations","op":">","value":0}]}})"},
      {"createCampaign", json{{"name", "Probe"}, {"character_id", character.id}, {"segment", "probe"}}.dump()},
      {"reviewCampaignMessage", R"({"status":"approved","text":"Hello"})"},
      {"generateCharacters", R"({"theme":"a lighthouse","audience":"adults","role":"mascot"})"},
      {"saveCharacterDraft", json{{"draft", ProbeDraft()}}.dump()},
      {"rerunCharacterStep", json{{"draft", ProbeDraft()}, {"step", "image"}}.dump()},
      {"generateFlow", R"({"topic":"a pen pal","goal":"a whole letter"})"},
      {"optimizeFlow", json{{"character_id", flowing.id}}.dump()},
      {"reviewBias", json{{"character_id", character.id}}.dump()},
      {"trainOutcomeModel", R"({"outcome":"handoff"})"},
      {"findTopics", R"({"topics":"3"})"},
      {"createExperiment", json{{"character_id", character.id}, {"name", "probe"}, {"kind", "prompt"},
                                {"metric", "return"}, {"planned_trials", 100},
                                {"variants", json::array({{{"name", "control"}}, {{"name", "b"}, {"system_prompt", "B."}}})}}
                               .dump()},
  };
  store::Segment probe_segment;
  probe_segment.name = "probe-segment";
  probe_segment.definition_json = R"({"rules":{"all":[{"field":"age","op":">","value":1}]}})";
  ASSERT_TRUE(api.store().segments().Create(probe_segment).ok());
  // Operations that need a conversation in a given state get their own (the shared one is closed
  // by closeConversation on the way).
  const std::map<std::string, std::optional<store::ConversationStatus>> own_conversation = {
      {"handoffConversation", std::nullopt},
      {"handbackConversation", store::ConversationStatus::kHandedOff},
      {"postAgentMessage", store::ConversationStatus::kHandedOff},
      {"assignConversation", store::ConversationStatus::kHandedOff},
  };
  for (const auto& [path, operations] : document["paths"].items()) {
    for (const auto& [method, operation] : operations.items()) {
      std::string upper = method;
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      const std::string id = operation["operationId"];
      // Chat routes answer 503 without the runtime; chat_routes_test covers them with a model.
      if (operation["tags"].dump().find("\"chat\"") != std::string::npos) continue;
      // The OpenAI-compatible routes need a provider; openai_routes_test covers them with a model.
      if (operation["tags"].dump().find("\"openai\"") != std::string::npos) continue;
      // Drafting and delivery answer 503 without the campaign service; campaigns_routes_test covers them.
      if (id == "draftCampaign" || id == "deliverCampaign") continue;
      // Previews answer 503 without the runtime's media; studio_preview_routes_test covers them.
      if (id == "previewVoice" || id == "previewPicture") continue;
      auto body = bodies.find(id);
      const std::string query = id == "listConversations" ? "?user_id=" + std::to_string(user.id)
                                : id == "searchMessages"  ? "?q=hi"
                                                          : "";
      std::string target = fill(path) + query;
      // Deleting the shared user would take the conversation later operations use with it.
      if (id == "deleteUser") target = "/api/v1/users/" + std::to_string(api.MakeUser("doomed").id);
      if (id == "deleteSegment") {
        probe_segment.name = "doomed-segment";
        ASSERT_TRUE(api.store().segments().Create(probe_segment).ok());
        target = "/api/v1/segments/doomed-segment";
      }
      if (auto fresh = own_conversation.find(id); fresh != own_conversation.end()) {
        const store::Conversation own = api.MakeConversation(user.id, character.id);
        if (fresh->second) {
          ASSERT_TRUE(api.store().conversations().SetStatus(own.id, *fresh->second).ok());
        }
        const std::string shared = "/conversations/" + std::to_string(conversation.id) + "/";
        target.replace(target.find(shared), shared.size(), "/conversations/" + std::to_string(own.id) + "/");
      }
      ClientResponse answer =
          id == "putAvatar"
              ? api.Call(upper, target, admin, *chat::DefaultAvatarPng("Probe"), {{"Content-Type", "image/png"}})
          : id == "importUserProfiles"
              ? api.Call(upper, target, admin, "external_id,age\nprobe-csv,4\n", {{"Content-Type", "text/csv"}})
              : api.Call(upper, target, admin, body == bodies.end() ? "" : body->second);
      EXPECT_NE(answer.status, 404) << upper << " " << path << ": " << answer.body;
      EXPECT_NE(answer.status, 405) << upper << " " << path << ": " << answer.body;
      EXPECT_LT(answer.status, 300) << upper << " " << path << ": " << answer.body;

      // Responses carry exactly the fields their schema documents.
      const json& success = operation["responses"].begin().value();
      if (!success.contains("content") || !success["content"].contains("application/json")) continue;
      json schema = success["content"]["application/json"]["schema"];
      json value = answer.Json();
      if (schema.contains("properties") && schema["properties"].contains("data")) {
        schema = schema["properties"]["data"]["items"];
        if (value["data"].empty()) continue;
        value = value["data"][0];
      }
      if (!schema.contains("$ref")) continue;
      const std::string ref = schema["$ref"];
      const json& properties = document["components"]["schemas"][ref.substr(ref.rfind('/') + 1)]["properties"];
      std::set<std::string> expected_fields, actual_fields;
      for (const auto& [name, unused] : properties.items()) expected_fields.insert(name);
      for (const auto& [name, unused] : value.items()) actual_fields.insert(name);
      EXPECT_EQ(actual_fields, expected_fields) << upper << " " << path;
    }
  }
}

}  // namespace
}  // namespace troupe::server::testing
