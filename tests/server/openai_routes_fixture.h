// The fixture of the OpenAI-compatible endpoint's tests (openai_routes_test.cpp,
// openai_response_format_test.cpp): a real server whose characters answer through the local engine
// on stories260K ("lily") and through Troupe's OpenAI-compatible client talking to a scripted
// endpoint on loopback ("relay"), which shows exactly what reached the provider.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "llm/fault_http_server.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "llm/openai_provider.h"
#include "server/api_fixture.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using ::troupe::testing::DataLine;
using ::troupe::testing::FaultHttpServer;
using ::troupe::testing::StreamOf;

inline std::shared_ptr<llm::LocalModel> Stories() {
  static std::shared_ptr<llm::LocalModel> model(
      llm::LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value());
  return model;
}

// The real provider, holding its first delta back until the request is cancelled: generation is
// then certainly still running when the client leaves, and the call's end shows what the
// cancellation did. Everything else is the inner provider's.
class HoldUntilCancelled : public llm::Provider {
 public:
  explicit HoldUntilCancelled(llm::Provider& inner) : inner_(inner) {}

  const llm::ProviderInfo& info() const override { return inner_.info(); }
  int64_t CountTokens(std::string_view text) const override { return inner_.CountTokens(text); }
  int64_t CountChatTokens(const std::vector<llm::ChatMessage>& messages) const override {
    return inner_.CountChatTokens(messages);
  }
  std::vector<std::string> TurnEndStrings() const override { return inner_.TurnEndStrings(); }

  // The first delta waits (on the engine's thread) until the call is cancelled, by either way.
  struct HeldCall final : llm::ChatCall {
    std::mutex mutex;
    std::weak_ptr<llm::ChatCall> inner;  // guarded by mutex; the provider holds it while it runs
    std::atomic<bool> cancelled{false};
    void Cancel() override {
      cancelled = true;
      std::lock_guard lock(mutex);
      if (auto running = inner.lock()) running->Cancel();
    }
    void Attach(const std::shared_ptr<llm::ChatCall>& call) {
      std::lock_guard lock(mutex);
      inner = call;
      if (cancelled) call->Cancel();
    }
  };

  std::shared_ptr<llm::ChatCall> Start(llm::ChatRequest request, llm::ChatCallbacks callbacks) override {
    auto call = std::make_shared<HeldCall>();
    const std::atomic<bool>* request_cancel = request.cancel;
    auto first = std::make_shared<bool>(true);
    llm::ChatCallbacks held;
    held.on_delta = [call_weak = std::weak_ptr<HeldCall>(call), request_cancel, first,
                     on_delta = callbacks.on_delta](std::string_view delta) {
      on_delta(delta);
      if (!std::exchange(*first, false)) return;
      // Bounded so a server that never cancels fails the test instead of hanging it.
      const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
      const auto cancelled = [&] {
        auto call = call_weak.lock();
        return (call && call->cancelled.load()) || (request_cancel != nullptr && request_cancel->load());
      };
      while (!cancelled() && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    };
    // Holds the wrapper alive while the inner call runs, as providers keep their calls.
    held.on_done = [this, call, on_done = std::move(callbacks.on_done)](Result<llm::ChatResult> result) {
      {
        std::lock_guard lock(mutex_);
        finished_ = result;
        done_.notify_all();
      }
      on_done(std::move(result));
    };
    call->Attach(inner_.Start(std::move(request), std::move(held)));
    return call;
  }

  std::optional<Result<llm::ChatResult>> WaitForCall() {
    std::unique_lock lock(mutex_);
    done_.wait_for(lock, std::chrono::seconds(90), [&] { return finished_.has_value(); });
    return finished_;
  }

 private:
  llm::Provider& inner_;
  std::mutex mutex_;  // guards finished_
  std::condition_variable done_;
  std::optional<Result<llm::ChatResult>> finished_;
};

class OpenAiRoutesTest : public ::testing::Test {
 protected:
  OpenAiRoutesTest() {
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, UnlimitedOptions(), [this](store::Store&, ApiOptions& api) {
      llm::LocalProviderOptions local;
      local.context_length = 512;
      local_ = llm::MakeLocalProvider(Stories(), local).value();
      held_ = std::make_unique<HoldUntilCancelled>(*local_);
      llm::OpenAiProviderOptions remote;
      remote.name = "upstream";
      remote.base_url = upstream_.BaseUrl();
      remote.model = "upstream-model";
      remote.max_retries = 0;
      upstream_provider_ = std::move(llm::MakeOpenAiProvider(remote)).value();
      api.providers = [this](std::string_view name) -> Result<llm::Provider*> {
        if (name.empty()) return local_.get();
        if (name == "upstream") return upstream_provider_.get();
        if (name == "held") return static_cast<llm::Provider*>(held_.get());
        return Status(StatusCode::kNotFound, "no provider named '" + std::string(name) + "'", "provider");
      };
    });
    lily_ = AddCharacter("lily", "", true);
    AddCharacter("relay", "upstream", true);
    AddCharacter("slow", "held", true);
    AddCharacter("ghost", "nowhere", true);
    AddCharacter("draft", "", false);
    key_ = server_->MintKey({"client"}, server_->MakeUser("sam").id).key;
  }
  ~OpenAiRoutesTest() override {
    server_.reset();  // first: its handlers start calls on the providers
  }

  // Every character has Lily's card, so prompts built for any of them are the same; `provider`
  // goes into extensions.troupe.provider.
  store::Character AddCharacter(const std::string& slug, const std::string& provider, bool published) {
    store::Character character;
    character.name = "Lily";
    character.slug = slug;
    character.description = "A girl who loves stories.";
    character.published = published;
    if (!provider.empty()) character.extensions_json = json{{"troupe", {{"provider", provider}}}}.dump();
    Result<store::Character> created = server_->store().characters().Create(character);
    EXPECT_TRUE(created.ok()) << created.status().ToString();
    return created.ok() ? *created : character;
  }

  ClientResponse Post(const json& body, const std::string& key = "") {
    return server_->Call("POST", "/v1/chat/completions", key.empty() ? key_ : key, body.dump());
  }

  // The `data:` payloads of a streamed completion, in order.
  std::vector<std::string> Stream(const json& body) {
    json streamed = body;
    streamed["stream"] = true;
    TestClient client(server_->port(), std::chrono::seconds(60));
    ClientResponse head = client.StartStream("POST", "/v1/chat/completions", streamed.dump(),
                                             {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
    EXPECT_EQ(head.status, 200) << head.body;
    EXPECT_THAT(head.Header("content-type"), HasSubstr("text/event-stream"));
    EXPECT_TRUE(client.ReadStreamToEnd());
    const std::string& text = client.stream_body();
    EXPECT_EQ(text.find("event:"), std::string::npos) << "OpenAI chunks carry no event names";
    std::vector<std::string> data;
    for (size_t at = text.find("data: "); at != std::string::npos; at = text.find("data: ", at + 1)) {
      data.push_back(text.substr(at + 6, text.find('\n', at) - at - 6));
    }
    return data;
  }

  // The JSON body of the i-th request the upstream endpoint received.
  json UpstreamRequest(size_t index) {
    const std::vector<FaultHttpServer::Request> requests = upstream_.requests();
    if (index >= requests.size()) return json();
    return json::parse(requests[index].body);
  }

  FaultHttpServer upstream_;
  std::unique_ptr<llm::Provider> local_;
  std::unique_ptr<HoldUntilCancelled> held_;
  std::unique_ptr<llm::Provider> upstream_provider_;
  std::unique_ptr<ApiServer> server_;
  store::Character lily_;
  std::string key_;
};

inline const json kMessages = json::array({{{"role", "user"}, {"content", "Tell me a story about a cat."}}});

inline void ExpectOpenAiError(const ClientResponse& response, int status, const std::string& type, const json& param,
                       const json& code = json()) {
  EXPECT_EQ(response.status, status) << response.body;
  const json error = response.Json()["error"];
  EXPECT_TRUE(error["message"].is_string() && !error["message"].get<std::string>().empty()) << response.body;
  EXPECT_EQ(error["type"], type) << response.body;
  EXPECT_EQ(error["param"], param) << response.body;
  EXPECT_EQ(error["code"], code) << response.body;
}

}  // namespace troupe::server::testing
