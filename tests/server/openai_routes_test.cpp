// The OpenAI-compatible endpoint over a real socket. Characters answer through real providers: the
// local engine on stories260K (its context is small: prompts stay short), and Troupe's own
// OpenAI-compatible client talking to a scripted endpoint on loopback (fault_http_server), which
// shows exactly what reached the provider and lets the provider answer with tool calls or fail.
// Last, that client talks to this endpoint itself, as another Troupe would.
#include "server/openai_routes_fixture.h"

namespace troupe::server::testing {
namespace {

TEST_F(OpenAiRoutesTest, ModelsArePublishedCharacters) {
  ClientResponse list = server_->Call("GET", "/v1/models", key_);
  ASSERT_EQ(list.status, 200) << list.body;
  EXPECT_EQ(list.Json()["object"], "list");
  std::vector<std::string> ids;
  const json listed = list.Json();  // a range-for over a temporary's member would dangle
  for (const json& model : listed["data"]) {
    ids.push_back(model["id"].get<std::string>());
    EXPECT_EQ(model["object"], "model");
    EXPECT_EQ(model["owned_by"], "troupe");
    EXPECT_TRUE(model["created"].is_number_integer());
  }
  EXPECT_THAT(ids, ::testing::UnorderedElementsAre("lily", "relay", "slow", "ghost"));
  EXPECT_EQ(server_->Call("GET", "/v1/models/lily", key_).Json()["id"], "lily");
  EXPECT_EQ(server_->Call("GET", "/v1/models/" + std::to_string(lily_.id), key_).Json()["id"], "lily");
  ExpectOpenAiError(server_->Call("GET", "/v1/models/draft", key_), 404, "invalid_request_error", "model",
                    "model_not_found");
  ExpectOpenAiError(server_->Call("GET", "/v1/models/99999999999999999999999", key_), 404, "invalid_request_error",
                    "model", "model_not_found");
}

TEST_F(OpenAiRoutesTest, StreamingAndNonStreamingAgree) {
  const json request = {{"model", "lily"}, {"messages", kMessages}, {"temperature", 0}, {"max_tokens", 24}};
  ClientResponse whole = Post(request);
  ASSERT_EQ(whole.status, 200) << whole.body;
  const json completion = whole.Json();
  EXPECT_EQ(completion["object"], "chat.completion");
  EXPECT_EQ(completion["model"], "lily");
  EXPECT_EQ(completion["id"].get<std::string>().rfind("chatcmpl-", 0), 0u);
  EXPECT_TRUE(completion["created"].is_number_integer());
  EXPECT_EQ(completion["choices"].size(), 1u);
  EXPECT_EQ(completion["choices"][0]["index"], 0);
  EXPECT_EQ(completion["choices"][0]["message"]["role"], "assistant");
  EXPECT_FALSE(completion["choices"][0]["message"].contains("tool_calls"));
  const std::string content = completion["choices"][0]["message"]["content"];
  EXPECT_FALSE(content.empty());
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "length");

  json streamed_request = request;
  streamed_request["stream_options"] = {{"include_usage", true}};
  const std::vector<std::string> data = Stream(streamed_request);
  ASSERT_GE(data.size(), 5u);
  EXPECT_EQ(data.back(), "[DONE]");
  std::string joined;
  json finish, usage;
  int content_chunks = 0;
  for (size_t i = 0; i + 1 < data.size(); ++i) {
    const json chunk = json::parse(data[i]);
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["id"], json::parse(data[0])["id"]);
    EXPECT_EQ(chunk["model"], "lily");
    if (chunk.contains("usage")) {
      EXPECT_EQ(i + 2, data.size()) << "the usage chunk comes last";
      EXPECT_TRUE(chunk["choices"].empty());
      usage = chunk["usage"];
      continue;
    }
    const json& choice = chunk["choices"][0];
    EXPECT_EQ(choice["delta"].contains("role"), i == 0);
    if (i == 0) {
      EXPECT_EQ(choice["delta"]["role"], "assistant");
    }
    if (choice["delta"].contains("content") && i > 0) {
      joined += choice["delta"]["content"].get<std::string>();
      ++content_chunks;
    }
    if (!choice["finish_reason"].is_null()) {
      EXPECT_TRUE(finish.is_null()) << "one finish_reason";
      finish = choice["finish_reason"];
    }
  }
  EXPECT_GT(content_chunks, 1);
  EXPECT_EQ(joined, content);
  EXPECT_EQ(finish, "length");
  EXPECT_EQ(usage, completion["usage"]);

  // Without include_usage there is no usage chunk.
  for (const std::string& line : Stream(request)) EXPECT_THAT(line, ::testing::Not(HasSubstr("\"usage\"")));
}

TEST_F(OpenAiRoutesTest, UsageCountsTheModelsTokens) {
  json request = {{"model", "lily"}, {"messages", kMessages}, {"temperature", 0}, {"max_completion_tokens", 9}};
  const json short_one = Post(request).Json();
  EXPECT_EQ(short_one["usage"]["completion_tokens"], 9);
  EXPECT_EQ(short_one["choices"][0]["finish_reason"], "length");
  const int64_t prompt_tokens = short_one["usage"]["prompt_tokens"];
  EXPECT_EQ(short_one["usage"]["total_tokens"], prompt_tokens + 9);

  // The prompt is exactly what the local model counts for the messages the character's prompt
  // became: the relay (the same card through another provider) shows those messages.
  upstream_.Enqueue({200, "text/event-stream", {}, StreamOf({"Hi"})});
  json relayed = request;
  relayed["model"] = "relay";
  ASSERT_EQ(Post(relayed).status, 200);
  std::vector<llm::ChatMessage> sent;
  const json upstream_request = UpstreamRequest(0);
  for (const json& message : upstream_request["messages"]) {
    sent.push_back({message["role"].get<std::string>(), message["content"].get<std::string>(), "", {}, ""});
  }
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_EQ(sent[1].content, "Tell me a story about a cat.");
  EXPECT_EQ(local_->CountChatTokens(sent), prompt_tokens);

  // A longer conversation costs more prompt tokens.
  request["messages"] = {{{"role", "user"}, {"content", "Hello."}},
                         {{"role", "assistant"}, {"content", "Hi! Do you like stories?"}},
                         {{"role", "user"}, {"content", "Tell me a story about a cat."}}};
  EXPECT_GT(Post(request).Json()["usage"]["prompt_tokens"].get<int64_t>(), prompt_tokens);
}

TEST_F(OpenAiRoutesTest, StopStringsEndTheReply) {
  const json request = {{"model", "lily"}, {"messages", kMessages}, {"temperature", 0}, {"max_tokens", 40}};
  const std::string full = Post(request).Json()["choices"][0]["message"]["content"];
  ASSERT_GT(full.size(), 10u);
  const std::string stop = full.substr(6, 3);
  json stopped_request = request;
  stopped_request["stop"] = json::array({"zzzz-never", stop});
  const json stopped = Post(stopped_request).Json();
  EXPECT_EQ(stopped["choices"][0]["message"]["content"], full.substr(0, full.find(stop)));
  EXPECT_EQ(stopped["choices"][0]["finish_reason"], "stop");

  std::string streamed;
  for (const std::string& line : Stream(stopped_request)) {
    if (line == "[DONE]") break;
    const json chunk = json::parse(line);
    if (!chunk["choices"].empty()) streamed += chunk["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(streamed, full.substr(0, full.find(stop)));
}

TEST_F(OpenAiRoutesTest, ErrorsComeInOpenAisShape) {
  auto bad = [&](json body, const std::string& param) {
    SCOPED_TRACE(body.dump());
    ExpectOpenAiError(Post(body), 400, "invalid_request_error", param);
  };
  bad({{"messages", kMessages}}, "model");
  bad({{"model", "lily"}, {"messages", json::array()}}, "messages");
  bad({{"model", "lily"}, {"messages", kMessages}, {"n", 2}}, "n");
  bad({{"model", "lily"}, {"messages", kMessages}, {"temperature", 5}}, "temperature");
  bad({{"model", "lily"}, {"messages", kMessages}, {"top_p", "high"}}, "top_p");
  bad({{"model", "lily"}, {"messages", kMessages}, {"max_tokens", 0}}, "max_tokens");
  bad({{"model", "lily"}, {"messages", kMessages}, {"stop", {"a", "b", "c", "d", "e"}}}, "stop");
  bad({{"model", "lily"}, {"messages", kMessages}, {"stream", "yes"}}, "stream");
  bad({{"model", "lily"}, {"messages", kMessages}, {"logprobs", true}}, "logprobs");
  bad({{"model", "lily"}, {"messages", kMessages}, {"response_format", {{"type", "xml"}}}}, "response_format.type");
  bad({{"model", "lily"}, {"messages", kMessages}, {"response_format", {{"type", "json_schema"}}}},
      "response_format.json_schema");
  // A schema the local engine cannot enforce: the provider says so, naming the field.
  bad({{"model", "lily"},
       {"messages", kMessages},
       {"response_format",
        {{"type", "json_schema"}, {"json_schema", {{"name", "n"}, {"schema", {{"type", "integer"}, {"minimum", 3}}}}}}}},
      "response_format");
  bad({{"model", "lily"}, {"messages", {{{"role", "wizard"}, {"content", "hi"}}}}}, "messages[0].role");
  bad({{"model", "lily"}, {"messages", {{{"role", "user"}}}}}, "messages[0].content");
  bad({{"model", "lily"},
       {"messages", {{{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}}}}}}},
      "messages[0].content[0]");
  bad({{"model", "lily"}, {"messages", {{{"role", "tool"}, {"content", "42"}}}}}, "messages[0].tool_call_id");
  bad({{"model", "lily"},
       {"messages", kMessages},
       {"tools", {{{"type", "function"}, {"function", {{"name", "has space"}}}}}}},
      "tools[0].function.name");
  bad({{"model", "lily"},
       {"messages", kMessages},
       {"tools", {{{"type", "function"}, {"function", {{"name", "get_weather"}}}}}},
       {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_time"}}}}}},
      "tool_choice");
  // A conversation the model's context cannot hold.
  std::string long_text;
  for (int i = 0; i < 400; ++i) long_text += "The cat sat on the mat and looked at the moon. ";
  ClientResponse too_long = Post({{"model", "lily"}, {"messages", {{{"role", "user"}, {"content", long_text}}}}});
  ExpectOpenAiError(too_long, 400, "invalid_request_error", "messages", "context_length_exceeded");

  ExpectOpenAiError(Post({{"model", "nobody"}, {"messages", kMessages}}), 404, "invalid_request_error", "model",
                    "model_not_found");
  ExpectOpenAiError(Post({{"model", "draft"}, {"messages", kMessages}}), 404, "invalid_request_error", "model",
                    "model_not_found");
  // The character's provider is not configured: the server's trouble, not the request's.
  ExpectOpenAiError(Post({{"model", "ghost"}, {"messages", kMessages}}), 503, "server_error", nullptr);

  ClientResponse anonymous = server_->Call("POST", "/v1/chat/completions", "", json{{"model", "lily"}}.dump());
  ExpectOpenAiError(anonymous, 401, "invalid_request_error", nullptr, "invalid_api_key");
  EXPECT_THAT(anonymous.Header("www-authenticate"), HasSubstr("Bearer"));
  ExpectOpenAiError(server_->Call("GET", "/v1/models", "trp_not-a-real-key"), 401, "invalid_request_error", nullptr,
                    "invalid_api_key");
}

TEST_F(OpenAiRoutesTest, UnknownFieldsAreIgnored) {
  ClientResponse response = Post({{"model", "lily"},
                                  {"messages", kMessages},
                                  {"max_tokens", 4},
                                  {"user", "end-user-7"},
                                  {"parallel_tool_calls", false},
                                  {"metadata", {{"from", "a newer client"}}},
                                  {"store", false}});
  EXPECT_EQ(response.status, 200) << response.body;
}

TEST_F(OpenAiRoutesTest, ClientSystemMessagesJoinTheCharactersSystemBlock) {
  upstream_.Enqueue({200, "text/event-stream", {}, StreamOf({"Bonjour"})});
  const json request = {{"model", "relay"},
                        {"messages",
                         {{{"role", "system"}, {"content", "Answer in French."}},
                          {{"role", "developer"}, {"content", {{{"type", "text"}, {"text", "Keep it short."}}}}},
                          {{"role", "user"}, {"content", "Hello."}, {"name", "Marie"}},
                          {{"role", "assistant"}, {"content", "Bonjour !"}},
                          {{"role", "system"}, {"content", "Marie looks tired."}},
                          {{"role", "user"}, {"content", "Tell me a story."}, {"name", "Marie"}}}}};
  ClientResponse response = Post(request);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "Bonjour");

  const json sent = UpstreamRequest(0)["messages"];
  ASSERT_EQ(sent.size(), 5u) << sent.dump(1);
  EXPECT_EQ(sent[0]["role"], "system");
  const std::string system = sent[0]["content"];
  EXPECT_THAT(system, HasSubstr("A girl who loves stories."));
  EXPECT_THAT(system, HasSubstr("never write Marie's lines"));  // {{user}} is the user's name
  EXPECT_EQ(system.substr(system.size() - std::string("Answer in French.\n\nKeep it short.").size()),
            "Answer in French.\n\nKeep it short.");
  EXPECT_EQ(sent[1], (json{{"role", "user"}, {"content", "Hello."}}));
  EXPECT_EQ(sent[2], (json{{"role", "assistant"}, {"content", "Bonjour !"}}));
  EXPECT_EQ(sent[3], (json{{"role", "system"}, {"content", "Marie looks tired."}}));
  EXPECT_EQ(sent[4], (json{{"role", "user"}, {"content", "Tell me a story."}}));
}

TEST_F(OpenAiRoutesTest, SamplingStopsAndToolsReachTheProvider) {
  upstream_.Enqueue({200, "text/event-stream", {}, StreamOf({"Sunny", " in Oslo."}, 31)});
  const json tool = {{"type", "function"},
                     {"function",
                      {{"name", "get_weather"},
                       {"description", "Weather for a city"},
                       {"parameters", {{"type", "object"}, {"properties", {{"city", {{"type", "string"}}}}}}}}}};
  ClientResponse response = Post({{"model", "relay"},
                                  {"messages", kMessages},
                                  {"temperature", 0.25},
                                  {"top_p", 0.5},
                                  {"frequency_penalty", 0.75},
                                  {"presence_penalty", -0.5},
                                  {"seed", 7},
                                  {"max_completion_tokens", 33},
                                  {"stop", "THE END"},
                                  {"tools", {tool}},
                                  {"tool_choice", {{"type", "function"}, {"function", {{"name", "get_weather"}}}}}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json completion = response.Json();
  EXPECT_EQ(completion["choices"][0]["message"]["content"], "Sunny in Oslo.");
  EXPECT_EQ(completion["usage"], (json{{"prompt_tokens", 31}, {"completion_tokens", 2}, {"total_tokens", 33}}));

  const json sent = UpstreamRequest(0);
  EXPECT_EQ(sent["model"], "upstream-model");
  EXPECT_EQ(sent["temperature"], 0.25);
  EXPECT_EQ(sent["top_p"], 0.5);
  EXPECT_EQ(sent["frequency_penalty"], 0.75);
  EXPECT_EQ(sent["presence_penalty"], -0.5);
  EXPECT_EQ(sent["seed"], 7);
  EXPECT_EQ(sent["max_tokens"], 33);
  ASSERT_TRUE(sent["stop"].is_array());
  EXPECT_EQ(sent["stop"][0], "THE END");
  EXPECT_EQ(sent["tools"], json::array({tool}));
  EXPECT_EQ(sent["tool_choice"], (json{{"type", "function"}, {"function", {{"name", "get_weather"}}}}));
}

// What the scripted endpoint sends for a model that calls get_weather for Oslo.
std::vector<std::string> ToolCallStream() {
  return {
      DataLine(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})"),
      DataLine(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":\"Oslo\"}"}}]},"finish_reason":null}]})"),
      DataLine(R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"),
      ::troupe::testing::UsageChunk(40, 12),
      DataLine("[DONE]")};
}

TEST_F(OpenAiRoutesTest, ToolCallsComeBackInOpenAisShape) {
  const json request = {
      {"model", "relay"},
      {"messages", {{{"role", "user"}, {"content", "Weather in Oslo?"}}}},
      {"tools", {{{"type", "function"}, {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}}}}}}}}};
  upstream_.Enqueue({200, "text/event-stream", {}, ToolCallStream()});
  const json completion = Post(request).Json();
  const json& message = completion["choices"][0]["message"];
  EXPECT_TRUE(message["content"].is_null()) << completion.dump();
  ASSERT_EQ(message["tool_calls"].size(), 1u) << completion.dump();
  EXPECT_EQ(message["tool_calls"][0],
            (json{{"id", "call_abc"},
                  {"type", "function"},
                  {"function", {{"name", "get_weather"}, {"arguments", "{\"city\":\"Oslo\"}"}}}}));
  EXPECT_EQ(completion["choices"][0]["finish_reason"], "tool_calls");

  upstream_.Enqueue({200, "text/event-stream", {}, ToolCallStream()});
  json calls, finish;
  for (const std::string& line : Stream(request)) {
    if (line == "[DONE]") break;
    const json chunk = json::parse(line);
    const json& choice = chunk["choices"][0];
    if (choice["delta"].contains("tool_calls")) calls = choice["delta"]["tool_calls"];
    if (!choice["finish_reason"].is_null()) finish = choice["finish_reason"];
  }
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0]["index"], 0);
  EXPECT_EQ(calls[0]["id"], "call_abc");
  EXPECT_EQ(calls[0]["function"]["name"], "get_weather");
  EXPECT_EQ(calls[0]["function"]["arguments"], "{\"city\":\"Oslo\"}");
  EXPECT_EQ(finish, "tool_calls");

  // The client answers the call: the exchange reaches the provider whole.
  upstream_.Enqueue({200, "text/event-stream", {}, StreamOf({"It is snowing."})});
  json answered = request;
  answered["messages"].push_back({{"role", "assistant"}, {"content", nullptr}, {"tool_calls", message["tool_calls"]}});
  answered["messages"].push_back({{"role", "tool"}, {"tool_call_id", "call_abc"}, {"content", "-3 C, snow"}});
  ClientResponse response = Post(answered);
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.Json()["choices"][0]["message"]["content"], "It is snowing.");
  const json sent = UpstreamRequest(2)["messages"];
  ASSERT_EQ(sent.size(), 4u) << sent.dump(1);
  EXPECT_EQ(sent[2]["tool_calls"][0]["id"], "call_abc");
  EXPECT_EQ(sent[2]["tool_calls"][0]["function"]["arguments"], "{\"city\":\"Oslo\"}");
  EXPECT_EQ(sent[3]["role"], "tool");
  EXPECT_EQ(sent[3]["tool_call_id"], "call_abc");
  EXPECT_EQ(sent[3]["content"], "-3 C, snow");
}

TEST_F(OpenAiRoutesTest, AProviderFailingMidStreamEndsWithAnErrorChunkThenDone) {
  FaultHttpServer::Response cut;
  const std::vector<std::string> whole = StreamOf({"Once", " upon"});
  cut.body_parts = {whole[0], whole[1], whole[2]};  // the role chunk and two deltas, then nothing
  cut.end = FaultHttpServer::Response::End::kCut;
  upstream_.Enqueue(cut);
  const std::vector<std::string> data = Stream({{"model", "relay"}, {"messages", kMessages}});
  ASSERT_GE(data.size(), 3u);
  EXPECT_EQ(data.back(), "[DONE]");
  const json error = json::parse(data[data.size() - 2]);
  ASSERT_TRUE(error.contains("error")) << data[data.size() - 2];
  EXPECT_EQ(error["error"]["type"], "server_error");
  EXPECT_THAT(error["error"]["message"].get<std::string>(), HasSubstr("the character's language model failed (request r-"));
  EXPECT_THAT(error["error"]["message"].get<std::string>(), Not(HasSubstr("cut")));
  std::string delivered;
  for (size_t i = 0; i + 2 < data.size(); ++i) {
    delivered += json::parse(data[i])["choices"][0]["delta"].value("content", "");
  }
  EXPECT_EQ(delivered, "Once upon");
}

TEST_F(OpenAiRoutesTest, ProviderRefusalsAreTheServersTrouble) {
  FaultHttpServer::Response unauthorized;
  unauthorized.status = 401;
  unauthorized.content_type = "application/json";
  // What a real upstream says about a wrong key: it echoes the key.
  unauthorized.body_parts = {
      R"({"error":{"message":"Incorrect API key provided: Bearer sk-live-0123456789abcdef","type":"invalid_request_error"}})"};
  unauthorized.chunked = false;
  upstream_.Enqueue(unauthorized);
  // The client's own key is fine: a wrong key in the server's provider configuration is a 503, and
  // the end user learns nothing of the upstream (its URL, what it echoed) but the request id.
  ClientResponse refused = Post({{"model", "relay"}, {"messages", kMessages}});
  ExpectOpenAiError(refused, 503, "server_error", nullptr);
  const std::string told = refused.Json()["error"]["message"];
  EXPECT_EQ(told, "the character's language model is not available right now (request " +
                      refused.Header("x-request-id") + ")");
  // Every scope but admin is told the same.
  for (const char* scope : {"studio", "agent"}) {
    upstream_.Enqueue(unauthorized);
    ClientResponse other = Post({{"model", "relay"}, {"messages", kMessages}}, server_->MintKey({scope}).key);
    ExpectOpenAiError(other, 503, "server_error", nullptr);
    EXPECT_EQ(other.Json()["error"]["message"], "the character's language model is not available right now (request " +
                                                    other.Header("x-request-id") + ")")
        << scope;
  }

  // An administrator gets the detail, with the credential masked.
  upstream_.Enqueue(unauthorized);
  const std::string admin = server_->MintKey({"admin"}).key;
  ClientResponse detailed = Post({{"model", "relay"}, {"messages", kMessages}}, admin);
  ExpectOpenAiError(detailed, 503, "server_error", nullptr);
  const std::string detail = detailed.Json()["error"]["message"];
  EXPECT_THAT(detail, HasSubstr("HTTP 401 from http://127.0.0.1:"));
  EXPECT_THAT(detail, HasSubstr("Incorrect API key provided: Bearer ***"));
  EXPECT_THAT(detail, Not(HasSubstr("0123456789abcdef")));
  EXPECT_THAT(detail, HasSubstr("(request " + detailed.Header("x-request-id") + ")"));

  FaultHttpServer::Response busy = unauthorized;
  busy.status = 429;
  busy.body_parts = {R"({"error":{"message":"Slow down","type":"rate_limit_error"}})"};
  upstream_.Enqueue(busy);
  ExpectOpenAiError(Post({{"model", "relay"}, {"messages", kMessages}}), 429, "rate_limit_error", nullptr,
                    "rate_limit_exceeded");
}

TEST_F(OpenAiRoutesTest, ClientLeavingMidStreamStopsGeneration) {
  json request = {{"model", "slow"}, {"messages", kMessages}, {"temperature", 0}, {"max_tokens", 200},
                  {"stream", true}};
  {
    TestClient client(server_->port(), std::chrono::seconds(60));
    ClientResponse head = client.StartStream("POST", "/v1/chat/completions", request.dump(),
                                             {{"Authorization", "Bearer " + key_}, {"Content-Type", "application/json"}});
    ASSERT_EQ(head.status, 200) << head.body;
    const std::string events = client.ReadEvents(2);  // the role chunk and the first content chunk
    ASSERT_THAT(events, HasSubstr("\"content\":\""));
    client.Close();
  }
  std::optional<Result<llm::ChatResult>> call = held_->WaitForCall();
  ASSERT_TRUE(call.has_value()) << "the generation never ended";
  ASSERT_TRUE(call->ok()) << call->status().ToString();
  EXPECT_EQ((*call)->finish_reason, llm::FinishReason::kCancelled);
  EXPECT_LT((*call)->usage.completion_tokens, 10) << "generation ran on after the client left";

  // The provider serves the next request as before.
  request["model"] = "lily";
  request["max_tokens"] = 5;
  request.erase("stream");
  EXPECT_EQ(Post(request).Json()["usage"]["completion_tokens"], 5);
}

// Troupe's OpenAI-compatible client provider (src/llm) talking to this endpoint, as another Troupe
// (or anything built on that client) would.
TEST_F(OpenAiRoutesTest, TheOpenAiCompatibleProviderIsAClientOfThisEndpoint) {
  llm::OpenAiProviderOptions options;
  options.name = "troupe";
  options.base_url = "http://127.0.0.1:" + std::to_string(server_->port()) + "/v1";
  options.api_key = key_;
  options.model = "lily";
  options.max_retries = 0;
  Result<std::unique_ptr<llm::Provider>> made = llm::MakeOpenAiProvider(options);
  ASSERT_TRUE(made.ok()) << made.status().ToString();
  llm::Provider& client = **made;

  const json direct =
      Post({{"model", "lily"}, {"messages", kMessages}, {"temperature", 0}, {"seed", 3}, {"max_tokens", 20}}).Json();
  llm::ChatRequest request;
  request.messages = {{"user", "Tell me a story about a cat.", "", {}, ""}};
  request.sampling.temperature = 0;
  request.sampling.seed = 3;
  request.sampling.max_tokens = 20;
  std::string deltas;
  llm::ChatCallbacks callbacks;
  callbacks.on_delta = [&](std::string_view text) { deltas += text; };
  Result<llm::ChatResult> result = client.Chat(request, callbacks);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, direct["choices"][0]["message"]["content"]);
  EXPECT_EQ(deltas, result->content);
  EXPECT_EQ(result->finish_reason, llm::FinishReason::kLength);
  EXPECT_EQ(result->usage.prompt_tokens, direct["usage"]["prompt_tokens"]);
  EXPECT_EQ(result->usage.completion_tokens, 20);

  // Stop strings, enforced by the endpoint (and by the client too).
  const std::string stop = result->content.substr(5, 3);
  request.stop = {stop};
  Result<llm::ChatResult> stopped = client.Chat(request, {});
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_EQ(stopped->content, result->content.substr(0, result->content.find(stop)));
  EXPECT_EQ(stopped->finish_reason, llm::FinishReason::kStop);

  // The endpoint's errors arrive as the provider's codes.
  request.model = "no-such-character";
  Result<llm::ChatResult> missing = client.Chat(request, {});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound) << missing.status().ToString();
  EXPECT_THAT(missing.status().message(), HasSubstr("does not exist"));
  options.api_key = "trp_wrong";
  Result<llm::ChatResult> refused = (*llm::MakeOpenAiProvider(options))->Chat(request, {});
  EXPECT_EQ(refused.status().code(), StatusCode::kUnauthenticated) << refused.status().ToString();
}

// A server with rate limiting on: over the limit, /v1 answers 429 in OpenAI's shape.
TEST(OpenAiRateLimitTest, OverTheLimitIsA429InOpenAisShape) {
  ApiOptions options;
  options.rate_limit_per_second = 0.001;
  options.rate_limit_burst = 1;
  ApiServer server(Backend::kSqlite, options);
  const std::string key = server.MintKey({"client"}, server.MakeUser("sam").id).key;
  EXPECT_EQ(server.Call("GET", "/v1/models", key).status, 200);
  ClientResponse limited = server.Call("GET", "/v1/models", key);
  ExpectOpenAiError(limited, 429, "rate_limit_error", nullptr, "rate_limit_exceeded");
  EXPECT_FALSE(limited.Header("retry-after").empty());
}

}  // namespace
}  // namespace troupe::server::testing
