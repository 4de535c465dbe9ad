// The authorization matrix: every API route, called by every kind of caller (no key, a revoked
// key, each scope, client keys on their own and on another end user's resources, a bound key
// naming someone else), answers exactly as docs/api.md says.
#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "chat/reply_media.h"
#include "server/api_fixture.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

// What a route answers per caller class. Revoked keys answer like no key; a key bound to an end
// user answers like a client key; a bound key naming another user gets 403 (public routes: 200).
struct Expected {
  int none;
  int admin;
  int studio;
  int agent;
  int client_own;
  int client_other;
};

struct World {
  explicit World(ApiServer& api) : api(api) {
    alice = api.MakeUser("alice");
    bob = api.MakeUser("bob");
    published = api.MakeCharacter("Published", true);
    draft = api.MakeCharacter("Draft", false);
  }
  int64_t UserId(const std::string& owner) const { return owner == "alice" ? alice.id : bob.id; }
  // A fresh conversation of `owner` with one message, so mutating rows never share state.
  std::pair<int64_t, int64_t> Conversation(const std::string& owner) {
    store::Conversation conversation = api.MakeConversation(UserId(owner), published.id);
    store::Message message = api.MakeMessage(conversation.id, "hello");
    return {conversation.id, message.id};
  }

  ApiServer& api;
  store::User alice, bob;
  store::Character published, draft;
};

struct Row {
  std::string method;
  // The target and body for a caller acting on `owner`'s resources.
  std::function<std::string(World&, const std::string& owner)> target;
  std::function<std::string(World&, const std::string& owner, bool as_client)> body;
  Expected expected;
};

// A complete character draft, as a generation job returns one.
constexpr const char* kAuthDraft =
    R"({"brief":{"theme":"a lighthouse","audience":"adults","role":"mascot"},"steps":{)"
    R"("concept":{"name":"Ada","age":30,"role":"keeper","setting":"a lighthouse","pitch":"A keeper.","traits":["calm"]},)"
    R"("background":{"backstory":"Ada keeps the light.","personality":"Calm.","likes":["tea"],"dislikes":["fog"]},)"
    R"("speech":{"catchphrases":["Steady."],"vocabulary":["beacon"],"sentence_style":"Short.",)"
    R"("example_dialogues":[{"user":"Hi","character":"Evening."}]},)"
    R"("greetings":{"first_message":"Welcome.","alternates":["Tea?"]},)"
    R"("image":{"prompt":"portrait","negative_prompt":"blurry"}},"stale":[]})";

std::string Id(int64_t id) { return std::to_string(id); }
auto Fixed(std::string target) {
  return [target](World&, const std::string&) { return target; };
}
auto NoBody() {
  return [](World&, const std::string&, bool) { return std::string(); };
}
auto Body(std::string body) {
  return [body](World&, const std::string&, bool) { return body; };
}

// A new rule segment, so mutating rows never share one. Its name starts with a digit, so the
// coverage check below reads it as a path parameter.
std::string FreshSegmentPath(World& w, const std::string& tail = "") {
  static int next = 0;
  store::Segment segment;
  segment.name = "7seg-" + std::to_string(++next);
  segment.definition_json = R"({"rules":{"all":[{"field":"conversations","op":">","value":0}]}})";
  EXPECT_TRUE(w.api.store().segments().Create(segment).ok());
  return "/api/v1/segments/" + segment.name + tail;
}

std::vector<Row> Rows() {
  const Expected everyone_reads{401, 200, 200, 200, 200, 200};
  const Expected studio_writes_create{401, 201, 201, 403, 403, 403};
  const Expected studio_writes{401, 200, 200, 403, 403, 403};
  const Expected admin_only{401, 200, 403, 403, 403, 403};
  const Expected admin_creates{401, 201, 403, 403, 403, 403};
  const Expected own_reads{401, 200, 403, 200, 200, 404};
  const Expected studio_jobs{401, 200, 200, 403, 403, 403};
  const Expected kStudioQueued{401, 202, 202, 403, 403, 403};
  // The chat routes need the runtime, which this server does not run: allowed callers get 503
  // (chat_routes_test drives them with a real model).
  // Studio keys too: the playground, where a draft character is tried before it is published.
  const Expected own_chats{401, 503, 503, 403, 503, 404};
  const Expected conversation_reads{401, 200, 200, 200, 200, 404};
  auto in_experiment = [](std::string suffix, bool running) {
    return [suffix, running](World& w, const std::string&) {
      store::ExperimentRecord experiment;
      experiment.character_id = w.api.MakeCharacter("Tried", false).id;
      experiment.name = "auth";
      experiment.kind = "prompt";
      experiment.metric = "length";
      experiment.variants_json = R"([{"name":"control"},{"name":"b","system_prompt":"B."}])";
      Result<store::ExperimentRecord> created = w.api.store().experiments().Create(experiment);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      if (running) {
        EXPECT_TRUE(w.api.store().experiments().Start(created->id).ok());
      }
      return "/api/v1/studio/experiments/" + Id(created.ok() ? created->id : 0) + suffix;
    };
  };
  auto in_conversation = [](std::string suffix) {
    return [suffix](World& w, const std::string& owner) {
      auto [conversation, message] = w.Conversation(owner);
      std::string target = "/api/v1/conversations/" + Id(conversation) + suffix;
      if (size_t at = target.find("{message}"); at != std::string::npos) target.replace(at, 9, Id(message));
      return target;
    };
  };
  // A fresh campaign of the published character with one draft, for alice.
  auto in_campaign = [](std::string suffix) {
    return [suffix](World& w, const std::string&) {
      store::Campaign campaign;
      campaign.name = "Spring";
      campaign.character_id = w.published.id;
      campaign.segment = "vip";
      Result<store::Campaign> created = w.api.store().campaigns().Create(campaign);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      Result<store::CampaignMessage> draft = w.api.store().campaigns().AddDraft(created->id, w.alice.id, "Hi");
      EXPECT_TRUE(draft.ok()) << draft.status().ToString();
      std::string target = "/api/v1/campaigns/" + Id(created->id) + suffix;
      if (size_t at = target.find("{message}"); at != std::string::npos) target.replace(at, 9, Id(draft->id));
      return target;
    };
  };
  // A pinned memory in a fresh conversation of `owner`.
  auto in_pinned_memory = [] {
    return [](World& w, const std::string& owner) {
      store::Memory memory;
      memory.conversation_id = w.Conversation(owner).first;
      memory.content = "pinned";
      Result<store::Memory> created = w.api.store().memories().Create(memory);
      EXPECT_TRUE(created.ok()) << created.status().ToString();
      return "/api/v1/conversations/" + Id(memory.conversation_id) + "/memories/" +
             Id(created.ok() ? created->id : 0);
    };
  };
  return {
      {"POST", in_conversation("/messages"), Body(R"({"content":"hi"})"), own_chats},
      {"POST", in_conversation("/reply"), NoBody(), own_chats},
      {"POST", in_conversation("/open"), NoBody(), own_chats},
      {"POST", in_conversation("/messages/{message}/regenerate"), NoBody(), own_chats},
      {"PATCH", in_conversation("/messages/{message}"), Body(R"({"swipe":0})"), own_chats},
      {"POST", in_conversation("/branch"),
       [](World& w, const std::string& owner, bool) {
         return json{{"message_id", w.Conversation(owner).second}}.dump();
       },
       Expected{401, 404, 404, 403, 404, 404}},
      {"GET", in_conversation("/memories"), NoBody(), own_reads},
      {"POST", in_conversation("/memories"), Body(R"({"content":"remember me"})"), {401, 201, 403, 201, 201, 404}},
      {"PATCH", in_pinned_memory(), Body(R"({"content":"changed"})"), own_reads},
      {"DELETE", in_pinned_memory(), NoBody(), {401, 204, 403, 204, 204, 404}},
      {"GET", in_conversation("/search?q=hello"), NoBody(), {401, 200, 200, 200, 200, 404}},
      {"GET", in_conversation("/sentiment"), NoBody(), {401, 200, 200, 200, 200, 404}},
      {"GET", Fixed("/api/v1/openapi.json"), NoBody(), {200, 200, 200, 200, 200, 200}},
      // The live feed: a client's stream carries only its own end user's events (see api_test).
      {"GET", Fixed("/api/v1/events"), NoBody(), {401, 200, 200, 200, 200, 200}},
      {"GET", Fixed("/api/v1/characters"), NoBody(), everyone_reads},
      {"GET", Fixed("/v1/models"), NoBody(), everyone_reads},
      {"GET", [](World& w, const std::string&) { return "/v1/models/" + Id(w.published.id); }, NoBody(), everyone_reads},
      // No provider on this server: allowed callers get 503 in OpenAI's shape.
      {"POST", Fixed("/v1/chat/completions"),
       [](World& w, const std::string&, bool) {
         return json{{"model", w.published.slug}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}.dump();
       },
       Expected{401, 503, 503, 503, 503, 503}},
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id) + "/card"; },
       NoBody(), everyone_reads},
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id) + "/card.png"; },
       NoBody(), everyone_reads},
      {"POST", Fixed("/api/v1/characters"), Body(R"({"name":"New"})"), studio_writes_create},
      // `avatar` is the server's to set: naming a file (another character's) is refused for everyone.
      {"POST", Fixed("/api/v1/characters"),
       [](World& w, const std::string&, bool) {
         return json{{"name", "Thief"}, {"avatar", "avatars/" + Id(w.published.id) + "/published.png"}}.dump();
       },
       Expected{401, 400, 400, 403, 403, 403}},
      {"PATCH",
       [](World& w, const std::string&) {
         return "/api/v1/characters/" + Id(w.api.MakeCharacter("Borrower", false).id);
       },
       [](World& w, const std::string&, bool) {
         return json{{"version", 1}, {"avatar", "avatars/" + Id(w.published.id) + "/published.png"}}.dump();
       },
       Expected{401, 400, 400, 403, 403, 403}},
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id); },
       NoBody(), everyone_reads},
      // Unpublished characters do not exist for client keys.
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.draft.id); },
       NoBody(), {401, 200, 200, 200, 404, 404}},
      {"PATCH",
       [](World& w, const std::string&) {
         return "/api/v1/characters/" + Id(w.api.MakeCharacter("Patched", false).id);
       },
       Body(R"({"version":1,"description":"changed"})"), studio_writes},
      {"DELETE",
       [](World& w, const std::string&) {
         return "/api/v1/characters/" + Id(w.api.MakeCharacter("Doomed", false).id);
       },
       NoBody(), {401, 204, 204, 403, 403, 403}},
      {"GET", Fixed("/api/v1/users"), NoBody(), {401, 200, 403, 200, 403, 403}},
      {"POST", Fixed("/api/v1/users"),
       [](World&, const std::string&, bool) {
         static int next = 0;
         return R"({"external_id":"made-)" + std::to_string(++next) + "\"}";
       },
       admin_creates},
      {"GET", [](World& w, const std::string& owner) { return "/api/v1/users/" + Id(w.UserId(owner)); },
       NoBody(), own_reads},
      {"PATCH", [](World& w, const std::string& owner) { return "/api/v1/users/" + Id(w.UserId(owner)); },
       Body(R"({"display_name":"Renamed"})"), admin_only},
      // An end user's data: operators export anyone's, a client key its own end user's (their right
      // of access); only operators delete, each call a fresh user so the other rows keep theirs.
      {"GET", [](World& w, const std::string& owner) { return "/api/v1/users/" + Id(w.UserId(owner)) + "/export"; },
       NoBody(), {401, 200, 403, 403, 200, 404}},
      {"DELETE",
       [](World& w, const std::string&) {
         static int next = 0;
         return "/api/v1/users/" + Id(w.api.MakeUser("doomed-" + std::to_string(++next)).id);
       },
       NoBody(), admin_only},
      // Customers: profiles (studio writes, a client key reads its own), CSV import (a JSON body is
      // not a CSV: allowed callers get 415) and segments (studio).
      {"GET", [](World& w, const std::string& owner) { return "/api/v1/users/" + Id(w.UserId(owner)) + "/profile"; },
       NoBody(), {401, 200, 200, 403, 200, 404}},
      {"PUT", [](World& w, const std::string& owner) { return "/api/v1/users/" + Id(w.UserId(owner)) + "/profile"; },
       Body(R"({"profile":{"age":3}})"), studio_writes},
      {"PATCH", [](World& w, const std::string& owner) { return "/api/v1/users/" + Id(w.UserId(owner)) + "/profile"; },
       Body(R"({"profile":{"vip":true}})"), studio_writes},
      {"POST", Fixed("/api/v1/users/import"), Body(R"({"external_id":"x"})"), {401, 415, 415, 403, 403, 403}},
      {"POST", Fixed("/api/v1/segments"),
       [](World&, const std::string&, bool) {
         static int next = 0;
         return R"({"name":"made-)" + std::to_string(++next) +
                R"(","rules":{"all":[{"field":"handoffs","op":">","value":0}]}})";
       },
       studio_writes_create},
      {"GET", Fixed("/api/v1/segments"), NoBody(), studio_writes},
      {"GET", [](World& w, const std::string&) { return FreshSegmentPath(w); }, NoBody(), studio_writes},
      {"DELETE", [](World& w, const std::string&) { return FreshSegmentPath(w); }, NoBody(), studio_writes},
      {"POST", [](World& w, const std::string&) { return FreshSegmentPath(w, "/apply"); }, NoBody(), studio_writes},
      {"GET", [](World& w, const std::string&) { return FreshSegmentPath(w, "/members"); }, NoBody(), studio_writes},
      {"GET",
       [](World& w, const std::string& owner) { return "/api/v1/conversations?user_id=" + Id(w.UserId(owner)); },
       NoBody(), conversation_reads},
      {"POST", Fixed("/api/v1/conversations"),
       [](World& w, const std::string& owner, bool as_client) {
         json body = {{"character_id", w.published.id}};
         if (!as_client) body["user_id"] = w.UserId(owner);
         return body.dump();
       },
       {401, 201, 201, 403, 201, 201}},
      {"GET",
       [](World& w, const std::string& owner) { return "/api/v1/conversations/" + Id(w.Conversation(owner).first); },
       NoBody(), conversation_reads},
      {"POST",
       [](World& w, const std::string& owner) {
         return "/api/v1/conversations/" + Id(w.Conversation(owner).first) + "/close";
       },
       NoBody(), {401, 200, 200, 200, 200, 404}},
      {"GET",
       [](World& w, const std::string& owner) {
         return "/api/v1/conversations/" + Id(w.Conversation(owner).first) + "/messages";
       },
       NoBody(), conversation_reads},
      {"GET",
       [](World& w, const std::string& owner) {
         // A reply whose voice message is stored where the runtime keeps it.
         const int64_t conversation = w.Conversation(owner).first;
         store::Message voiced;
         voiced.conversation_id = conversation;
         voiced.role = store::MessageRole::kAssistant;
         voiced.content = "Hello.";
         voiced.metadata_json = R"({"media":[{"kind":"voice","mime_type":"audio/ogg","duration_ms":500}]})";
         Result<store::Message> stored = w.api.store().messages().Append(voiced);
         EXPECT_TRUE(stored.ok()) << stored.status().ToString();
         Result<std::filesystem::path> file = chat::MediaFilePath(std::filesystem::path(w.api.data_dir()) / "media",
                                                                  conversation, stored->id, 0, "audio/ogg");
         EXPECT_TRUE(file.ok() && chat::WriteMediaFile(*file, "OggS").ok());
         return "/api/v1/conversations/" + Id(conversation) + "/messages/" + Id(stored->id) + "/media/0";
       },
       NoBody(), conversation_reads},
      {"GET",
       [](World& w, const std::string& owner) {
         return "/api/v1/conversations/" + Id(w.Conversation(owner).first) + "/feedback";
       },
       NoBody(), conversation_reads},
      {"POST",
       [](World& w, const std::string& owner) {
         return "/api/v1/conversations/" + Id(w.Conversation(owner).first) + "/feedback";
       },
       Body(R"({"kind":"comment","comment":"lovely"})"), {401, 201, 201, 403, 201, 404}},
      // Handoff: the end user asks for a human or an agent takes over; only agents hand back and
      // write as a human (an active conversation has nothing to hand back: 412).
      {"POST", in_conversation("/handoff"), Body(R"({"reason":"help"})"), {401, 200, 403, 200, 200, 404}},
      {"POST", in_conversation("/handback"), NoBody(), {401, 412, 403, 412, 403, 403}},
      {"POST", in_conversation("/agent-messages"), Body(R"({"content":"hello"})"), {401, 412, 403, 412, 403, 403}},
      // The support desk: agents (and admins); assigning needs a handed-off conversation (412).
      {"PUT", Fixed("/api/v1/agents/me/presence"), Body(R"({"status":"away"})"), {401, 200, 403, 200, 403, 403}},
      {"GET", Fixed("/api/v1/agents"), NoBody(), {401, 200, 403, 200, 403, 403}},
      {"GET", Fixed("/api/v1/handoff-queue"), NoBody(), {401, 200, 403, 200, 403, 403}},
      {"POST", in_conversation("/assign"), NoBody(), {401, 412, 403, 412, 403, 403}},
      // The audit of tool calls: agents and the studio; it holds the operator's backend URLs.
      {"GET", in_conversation("/tool-calls"), NoBody(), {401, 200, 200, 200, 403, 403}},
      {"GET", Fixed("/api/v1/tool-calls"), NoBody(), {401, 200, 403, 200, 403, 403}},
      // The KPIs: agents and the studio. A routing review is an agent's (the message was not
      // routed: 412).
      {"GET", Fixed("/api/v1/kpis"), NoBody(), {401, 200, 200, 200, 403, 403}},
      {"PUT",
       [](World& w, const std::string& owner) {
         const auto [conversation, message] = w.Conversation(owner);
         return "/api/v1/conversations/" + Id(conversation) + "/messages/" + Id(message) + "/routing-review";
       },
       Body(R"({"intent":"billing"})"), {401, 412, 403, 412, 403, 403}},
      // Response templates: agents and the studio read a character's; agents render one for a
      // conversation, which needs the runtime (503 here).
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id) + "/templates"; },
       NoBody(), {401, 200, 200, 200, 403, 403}},
      {"POST", in_conversation("/templates/render"), Body(R"({"intent":"greet","name":"template_1"})"),
       {401, 503, 403, 503, 403, 403}},
      {"GET", Fixed("/api/v1/me"), NoBody(), {401, 200, 200, 200, 200, 200}},
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id) + "/avatar"; },
       NoBody(), everyone_reads},
      // A JSON body is not a PNG: allowed callers get 400.
      {"PUT", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id) + "/avatar"; },
       Body(R"({})"), {401, 400, 400, 403, 403, 403}},
      {"POST", Fixed("/api/v1/flows/check"), Body(R"({"flow":""})"), studio_writes},
      {"GET", Fixed("/api/v1/keys"), NoBody(), admin_only},
      {"POST", Fixed("/api/v1/keys"), Body(R"({"scopes":["studio"]})"), admin_creates},
      {"GET",
       [](World& w, const std::string&) { return "/api/v1/keys/" + Id(w.api.MintKey({"agent"}).record.id); },
       NoBody(), admin_only},
      {"DELETE",
       [](World& w, const std::string&) { return "/api/v1/keys/" + Id(w.api.MintKey({"agent"}).record.id); },
       NoBody(), admin_only},
      {"GET", Fixed("/api/v1/jobs"), NoBody(), studio_jobs},
      {"GET", [](World& w, const std::string&) { return "/api/v1/jobs/" + Id(w.api.MakeJob("summary").id); },
       NoBody(), studio_jobs},
      {"POST",
       [](World& w, const std::string&) { return "/api/v1/jobs/" + Id(w.api.MakeJob("summary").id) + "/cancel"; },
       NoBody(), studio_jobs},
      // Campaigns are the studio's; drafting and delivery need the campaign service, which this
      // server does not run (campaigns_routes_test drives them).
      {"POST", Fixed("/api/v1/campaigns"),
       [](World& w, const std::string&, bool) {
         return json{{"name", "Spring"}, {"character_id", w.published.id}, {"segment", "vip"}}.dump();
       },
       studio_writes_create},
      {"GET", Fixed("/api/v1/campaigns"), NoBody(), studio_jobs},
      {"GET", in_campaign(""), NoBody(), studio_jobs},
      {"POST", in_campaign("/draft"), NoBody(), Expected{401, 503, 503, 403, 403, 403}},
      {"POST", in_campaign("/cancel"), NoBody(), studio_jobs},
      {"GET", in_campaign("/messages"), NoBody(), studio_jobs},
      {"PATCH", in_campaign("/messages/{message}"), Body(R"({"status":"approved"})"), studio_jobs},
      {"POST", in_campaign("/approve"), NoBody(), studio_jobs},
      {"POST", in_campaign("/deliver"), NoBody(), Expected{401, 503, 503, 403, 403, 403}},
      {"GET", in_campaign("/stats"), NoBody(), studio_jobs},
      // The studio's pipelines queue jobs (no runner here to run them); a character without a flow
      // of its own has nothing to optimize.
      {"POST", Fixed("/api/v1/studio/characters/generate"),
       Body(R"({"theme":"a lighthouse","audience":"adults","role":"mascot"})"), kStudioQueued},
      {"POST", Fixed("/api/v1/studio/drafts"), Body(std::string(R"({"draft":)") + kAuthDraft + "}"),
       studio_writes_create},
      {"POST", Fixed("/api/v1/studio/drafts/steps"),
       Body(std::string(R"({"step":"image","draft":)") + kAuthDraft + "}"), kStudioQueued},
      {"POST", Fixed("/api/v1/studio/flows/generate"), Body(R"({"topic":"a pen pal","goal":"a letter"})"),
       kStudioQueued},
      {"POST", Fixed("/api/v1/studio/flows/optimize"),
       [](World& w, const std::string&, bool) { return json{{"character_id", w.published.id}}.dump(); },
       Expected{401, 412, 412, 403, 403, 403}},
      // Previews need the runtime's media, which this server does not run (studio_preview_routes_test
      // makes them).
      {"POST", Fixed("/api/v1/studio/previews/voice"), Body(R"({"text":"hi"})"), Expected{401, 503, 503, 403, 403, 403}},
      {"POST", Fixed("/api/v1/studio/previews/picture"), Body(R"({"prompt":"p"})"),
       Expected{401, 503, 503, 403, 403, 403}},
      {"POST", Fixed("/api/v1/studio/bias"),
       [](World& w, const std::string&, bool) { return json{{"character_id", w.published.id}}.dump(); },
       kStudioQueued},
      // The analytics dashboards: agents and the studio, like the KPIs; evaluation runs are the studio's.
      {"GET", Fixed("/api/v1/analytics/overview"), NoBody(), {401, 200, 200, 200, 403, 403}},
      {"GET", [](World& w, const std::string&) { return "/api/v1/characters/" + Id(w.published.id) + "/eval-runs"; },
       NoBody(), studio_jobs},
      {"GET",
       [](World& w, const std::string&) {
         store::EvalRunRecord run;
         run.character_id = w.published.id;
         run.dataset = "auth.jsonl";
         run.report_json = "{}";
         Result<store::EvalRunRecord> created = w.api.store().eval_runs().Create(run);
         EXPECT_TRUE(created.ok()) << created.status().ToString();
         return "/api/v1/eval-runs/" + Id(created.ok() ? created->id : 0);
       },
       NoBody(), studio_jobs},
      // Experiments are the studio's; each row gets a fresh draft of a fresh character (started for
      // stop), since start, stop and delete change it and a character runs one at a time.
      {"GET", Fixed("/api/v1/studio/experiments"), NoBody(), studio_jobs},
      {"POST", Fixed("/api/v1/studio/experiments"),
       [](World& w, const std::string&, bool) {
         return json{{"character_id", w.published.id}, {"name", "auth"}, {"kind", "prompt"}, {"metric", "length"},
                     {"variants", json::array({{{"name", "control"}}, {{"name", "b"}, {"system_prompt", "B."}}})}}
             .dump();
       },
       studio_writes_create},
      {"GET", in_experiment("", false), NoBody(), studio_jobs},
      {"GET", in_experiment("/report", false), NoBody(), studio_jobs},
      {"POST", in_experiment("/start", false), NoBody(), studio_jobs},
      {"POST", in_experiment("/stop", true), NoBody(), studio_jobs},
      {"DELETE", in_experiment("", false), NoBody(), Expected{401, 204, 204, 403, 403, 403}},
      // Outcome prediction: training is the studio's, reading models and predictions also the agents'.
      {"POST", Fixed("/api/v1/analytics/outcome-models"), Body(R"({"outcome":"handoff"})"), kStudioQueued},
      {"POST", Fixed("/api/v1/analytics/topics"), Body(R"({"topics":"3"})"), kStudioQueued},
      {"GET", Fixed("/api/v1/analytics/outcome-models"), NoBody(), {401, 200, 200, 200, 403, 403}},
      {"GET", in_conversation("/predictions"), NoBody(), {401, 200, 200, 200, 403, 403}},
  };
}

struct Caller {
  std::string name;
  std::string key;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string owner;  // whose resources the row targets
  bool as_client;
  std::function<int(const Expected&)> expected;
};

TEST(ApiAuthorizationTest, EveryRouteForEveryCaller) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  World world(api);

  MintedTestKey revoked = api.MintKey({"admin"});
  ASSERT_TRUE(api.store().api_keys().Revoke(revoked.record.id).ok());
  const std::string admin = api.MintKey({"admin"}).key;
  const std::string studio = api.MintKey({"studio"}).key;
  const std::string agent = api.MintKey({"agent"}).key;
  const std::string client = api.MintKey({"client"}).key;
  const std::string bound_to_bob = api.MintKey({"client"}, world.bob.id).key;
  const std::vector<std::pair<std::string, std::string>> as_alice = {{"X-Troupe-User", "alice"}};

  const std::vector<Caller> callers = {
      {"no key", "", {}, "alice", false, [](const Expected& e) { return e.none; }},
      {"revoked key", revoked.key, {}, "alice", false, [](const Expected& e) { return e.none; }},
      {"admin", admin, {}, "alice", false, [](const Expected& e) { return e.admin; }},
      {"studio", studio, {}, "alice", false, [](const Expected& e) { return e.studio; }},
      {"agent", agent, {}, "alice", false, [](const Expected& e) { return e.agent; }},
      {"client on own", client, as_alice, "alice", true, [](const Expected& e) { return e.client_own; }},
      {"client on other's", client, as_alice, "bob", true,
       [](const Expected& e) { return e.client_other; }},
      {"bound key on own", bound_to_bob, {}, "bob", true, [](const Expected& e) { return e.client_own; }},
      {"bound key on other's", bound_to_bob, {}, "alice", true,
       [](const Expected& e) { return e.client_other; }},
      {"bound key naming another user", bound_to_bob, as_alice, "bob", true,
       [](const Expected& e) { return e.none == 200 ? 200 : 403; }},
  };

  std::set<std::pair<std::string, std::string>> covered;
  for (const Row& row : Rows()) {
    for (const Caller& caller : callers) {
      const std::string target = row.target(world, caller.owner);
      const std::string body = row.body(world, caller.owner, caller.as_client);
      ClientResponse response = api.Call(row.method, target, caller.key, body, caller.headers);
      EXPECT_EQ(response.status, caller.expected(row.expected))
          << row.method << " " << target << " as " << caller.name << ": " << response.body;
      if (response.status == 401) {
        EXPECT_EQ(response.Header("www-authenticate").rfind("Bearer", 0), 0u) << target;
      }
    }
    // Which route template this row exercised, for the coverage check below.
    std::string path = row.target(world, "alice");
    path = path.substr(0, path.find('?'));
    covered.emplace(row.method, path);
  }

  // Every registered route has a row: compare templates with the ids stripped.
  auto shape = [](const std::string& path) {
    std::string out;
    size_t i = 0;
    while (i < path.size()) {
      if (path[i] == '{' || std::isdigit(static_cast<unsigned char>(path[i]))) {
        out += "{}";
        while (i < path.size() && path[i] != '/') ++i;
      } else {
        out += path[i++];
      }
    }
    return out;
  };
  std::set<std::pair<std::string, std::string>> covered_shapes;
  for (const auto& [method, path] : covered) covered_shapes.emplace(method, shape(path));
  for (const ApiRouteInfo& route : api.routes()) {
    EXPECT_TRUE(covered_shapes.count({route.method, shape(route.pattern)}))
        << "no matrix row for " << route.method << " " << route.pattern;
  }
}

TEST(ApiAuthorizationTest, MalformedAndUnknownKeysAre401WithoutSayingWhichPartFailed) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  MintedTestKey real = api.MintKey({"admin"});
  std::string wrong_secret = real.key;
  wrong_secret.back() = wrong_secret.back() == 'a' ? 'b' : 'a';
  for (const std::string& header :
       {std::string("Basic abc"), std::string("Bearer"), std::string("Bearer nonsense"),
        "Bearer " + wrong_secret, std::string("Bearer trp_aaaaaaaaaaaa_") + std::string(43, 'x')}) {
    TestClient client(api.port());
    ClientResponse response = client.Send("GET", "/api/v1/characters", "", {{"Authorization", header}});
    ExpectApiError(response, 401, "unauthenticated");
    EXPECT_FALSE(response.Header("www-authenticate").empty());
  }
  EXPECT_EQ(api.Call("GET", "/api/v1/characters", real.key).status, 200);
}

TEST(ApiAuthorizationTest, ClientKeyWithoutEndUserIsToldToNameOne) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  const std::string client = api.MintKey({"client"}).key;
  ExpectApiError(api.Call("GET", "/api/v1/conversations", client), 400, "invalid_argument",
                 "X-Troupe-User");
  // First sight creates the end user; the second call finds the same one.
  ClientResponse first = api.Call("GET", "/api/v1/conversations", client, "", {{"X-Troupe-User", "zoe"}});
  EXPECT_EQ(first.status, 200) << first.body;
  Result<store::User> zoe = api.store().users().GetByExternalId("zoe");
  ASSERT_TRUE(zoe.ok());
  ClientResponse again = api.Call("GET", "/api/v1/users/" + std::to_string(zoe->id), client, "",
                                  {{"X-Troupe-User", "zoe"}});
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(again.Json()["external_id"], "zoe");
}

TEST(ApiAuthorizationTest, ClientKeysListOnlyPublishedCharactersAndTheirOwnConversations) {
  ApiServer api;
  ASSERT_TRUE(api.ok());
  World world(api);
  world.Conversation("alice");
  world.Conversation("bob");
  const std::string client = api.MintKey({"client"}).key;
  const std::vector<std::pair<std::string, std::string>> as_alice = {{"X-Troupe-User", "alice"}};

  json characters = api.Call("GET", "/api/v1/characters", client, "", as_alice).Json();
  ASSERT_EQ(characters["data"].size(), 1u) << characters;
  EXPECT_EQ(characters["data"][0]["name"], "Published");
  ExpectApiError(api.Call("GET", "/api/v1/characters?published=false", client, "", as_alice), 400,
                 "invalid_argument", "published");

  json conversations = api.Call("GET", "/api/v1/conversations", client, "", as_alice).Json();
  ASSERT_EQ(conversations["data"].size(), 1u) << conversations;
  EXPECT_EQ(conversations["data"][0]["user_id"], world.alice.id);

  // Starting a conversation with an unpublished character looks like a missing one.
  ExpectApiError(api.Call("POST", "/api/v1/conversations", client,
                          json{{"character_id", world.draft.id}}.dump(), as_alice),
                 404, "not_found", "character_id");
  // user_id is not the client's to choose.
  ExpectApiError(api.Call("POST", "/api/v1/conversations", client,
                          json{{"character_id", world.published.id}, {"user_id", world.bob.id}}.dump(),
                          as_alice),
                 400, "invalid_argument", "user_id");
}

}  // namespace
}  // namespace troupe::server::testing
