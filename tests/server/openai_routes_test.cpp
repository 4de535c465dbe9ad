// The OpenAI-compatible endpoint over a real socket with the local engine (stories260K): models,
// non-streaming and streaming completions in OpenAI's shapes, errors in OpenAI's error shape.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "engine/engine.h"
#include "llm/local_provider.h"
#include "server/api_fixture.h"
#include "server/background_pool.h"
#include "support/temp_dir.h"

namespace troupe::server::testing {
namespace {

using nlohmann::json;

class OpenAiRoutesTest : public ::testing::Test {
 protected:
  OpenAiRoutesTest() {
    server_ = std::make_unique<ApiServer>(Backend::kSqlite, UnlimitedOptions(), [this](store::Store&, ApiOptions& api) {
      static std::shared_ptr<engine::Model> model(
          engine::Model::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf"));
      llm::LocalProviderOptions options;
      options.context_length = 512;
      provider_ = llm::MakeLocalProvider(model, options);
      api.providers = [this](std::string_view name) -> Result<llm::Provider*> {
        if (!name.empty()) return Status(StatusCode::kNotFound, "no provider " + std::string(name), "provider");
        return provider_.get();
      };
      api.run_in_background = [this](std::function<void()> task) { return pool_.Post(std::move(task)); };
    });
    store::Character lily;
    lily.name = "Lily";
    lily.slug = "lily";
    lily.description = "A girl who loves stories.";
    lily.published = true;
    lily_ = *server_->store().characters().Create(lily);
    store::Character draft;
    draft.name = "Draft";
    EXPECT_TRUE(server_->store().characters().Create(draft).ok());
    key_ = server_->MintKey({"client"}, server_->MakeUser("sam").id).key;
  }
  ~OpenAiRoutesTest() override {
    server_.reset();
    pool_.Stop();
  }

  ClientResponse Post(const json& body) {
    return server_->Call("POST", "/v1/chat/completions", key_, body.dump());
  }

  BackgroundPool pool_{2, 16};
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<ApiServer> server_;
  store::Character lily_;
  std::string key_;
};

const json kMessages = json::array({{{"role", "user"}, {"content", "Tell me a story about a cat."}}});

TEST_F(OpenAiRoutesTest, ModelsArePublishedCharacters) {
  ClientResponse list = server_->Call("GET", "/v1/models", key_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Json()["object"], "list");
  ASSERT_EQ(list.Json()["data"].size(), 1u);
  EXPECT_EQ(list.Json()["data"][0]["id"], "lily");
  EXPECT_EQ(list.Json()["data"][0]["object"], "model");
  EXPECT_EQ(list.Json()["data"][0]["owned_by"], "troupe");
  EXPECT_EQ(server_->Call("GET", "/v1/models/lily", key_).Json()["id"], "lily");
  EXPECT_EQ(server_->Call("GET", "/v1/models/" + std::to_string(lily_.id), key_).Json()["id"], "lily");
  ClientResponse missing = server_->Call("GET", "/v1/models/draft", key_);
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Json()["error"]["code"], "model_not_found");
}

TEST_F(OpenAiRoutesTest, StreamingAndNonStreamingAgree) {
  const json request = {{"model", "lily"}, {"messages", kMessages}, {"temperature", 0}, {"max_tokens", 24}};
  ClientResponse whole = Post(request);
  ASSERT_EQ(whole.status, 200) << whole.body;
  const json completion = whole.Json();
  EXPECT_EQ(completion["object"], "chat.completion");
  EXPECT_EQ(completion["model"], "lily");
  EXPECT_EQ(completion["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_EQ(completion["choices"][0]["index"], 0);
  EXPECT_EQ(completion["choices"][0]["message"]["role"], "assistant");
  const std::string content = completion["choices"][0]["message"]["content"];
  EXPECT_FALSE(content.empty());
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(completion["usage"]["completion_tokens"], 24);
  EXPECT_EQ(completion["usage"]["total_tokens"].get<int>(),
            completion["usage"]["prompt_tokens"].get<int>() + completion["usage"]["completion_tokens"].get<int>());

  json streamed_request = request;
  streamed_request["stream"] = true;
  streamed_request["stream_options"] = {{"include_usage", true}};
  TestClient client(server_->port(), std::chrono::seconds(60));
  ClientResponse head = client.StartStream("POST", "/v1/chat/completions", streamed_request.dump(),
                                           {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
  ASSERT_EQ(head.status, 200) << head.body;
  ASSERT_TRUE(client.ReadStreamToEnd());
  std::vector<std::string> data;
  const std::string& body = client.stream_body();
  for (size_t at = body.find("data: "); at != std::string::npos; at = body.find("data: ", at + 1)) {
    data.push_back(body.substr(at + 6, body.find('\n', at) - at - 6));
  }
  ASSERT_GE(data.size(), 4u);
  EXPECT_EQ(data.back(), "[DONE]");
  EXPECT_EQ(body.find("event:"), std::string::npos);  // OpenAI chunks carry no event names
  std::string joined;
  json finish, usage;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    const json chunk = json::parse(data[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], json::parse(data[0])["id"]);
    if (chunk.contains("usage")) {
      usage = chunk["usage"];
      EXPECT_TRUE(chunk["choices"].empty());
      continue;
    }
    const json& choice = chunk["choices"][0];
    if (i == 0) {
      EXPECT_EQ(choice["delta"]["role"], "assistant");
    }
    if (choice["delta"].contains("content")) joined += choice["delta"]["content"].get<std::string>();
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  EXPECT_EQ(joined, content);
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(usage, completion["usage"]);
}

TEST_F(OpenAiRoutesTest, StopStringsEndTheReply) {
  const json request = {{"model", "lily"}, {"messages", kMessages}, {"temperature", 0}, {"max_tokens", 40}};
  const std::string full = Post(request).Json()["choices"][0]["message"]["content"];
  ASSERT_GT(full.size(), 10u);
  const std::string stop = full.substr(6, 3);
  json stopped_request = request;
  stopped_request["stop"] = stop;
  const json stopped = Post(stopped_request).Json();
  const std::string text = stopped["choices"][0]["message"]["content"];
  EXPECT_EQ(text, full.substr(0, full.find(stop)));
  EXPECT_EQ(stopped["choices"][0]["finish_reason"], "stop");
}

TEST_F(OpenAiRoutesTest, ErrorsComeInOpenAisShape) {
  auto expect = [&](const json& body, int status, const std::string& param) {
    ClientResponse response = Post(body);
    EXPECT_EQ(response.status, status) << body.dump() << " -> " << response.body;
    const json error = response.Json()["error"];
    EXPECT_TRUE(error["message"].is_string()) << response.body;
    EXPECT_TRUE(error.contains("type")) << response.body;
    if (!param.empty()) {
      EXPECT_EQ(error["param"], param) << response.body;
    }
  };
  expect({{"model", "nobody"}, {"messages", kMessages}}, 404, "model");
  expect({{"model", "lily"}, {"messages", json::array()}}, 400, "messages");
  expect({{"model", "lily"}, {"messages", kMessages}, {"n", 2}}, 400, "n");
  expect({{"model", "lily"}, {"messages", kMessages}, {"temperature", 5}}, 400, "temperature");
  expect({{"model", "lily"}, {"messages", {{{"role", "wizard"}, {"content", "hi"}}}}}, 400, "messages[0].role");
  expect({{"messages", kMessages}}, 400, "model");
  EXPECT_EQ(server_->Call("POST", "/v1/chat/completions", "", json{{"model", "lily"}}.dump()).status, 401);
}

}  // namespace
}  // namespace troupe::server::testing
