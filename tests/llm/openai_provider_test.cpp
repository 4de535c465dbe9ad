// The OpenAI-compatible provider against a real HTTP server on loopback that streams, fails and
// stalls on cue (fault_http_server.h): what reaches the caller, what is retried and what is not,
// and what the server is sent.
#include "llm/openai_provider.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>

#include "fault_http_server.h"
#include "openai_provider_fixture.h"

namespace troupe::llm {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ContentChunk;
using testing::DataLine;
using testing::FaultHttpServer;
using testing::StreamOf;
using testing::UsageChunk;
using Response = FaultHttpServer::Response;
using std::chrono::milliseconds;

TEST_F(OpenAiProviderTest, StreamsDeltasWithUsageAndSendsAFaithfulRequest) {
  server_.Enqueue(Stream(StreamOf({"Hel", "lo", ", wor", "ld! ", "é✓"}, 21)));
  std::unique_ptr<Provider> provider = MakeProvider();
  ChatRequest request = Hello();
  request.sampling.temperature = 0.7;
  request.sampling.top_p = 0.9;
  request.sampling.seed = 42;
  request.stop = {"\nUser:", "A", "B", "C", "D"};
  Result<ChatResult> result = Run(*provider, request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "Hello, world! é✓");
  EXPECT_EQ(Joined(), result->content);
  EXPECT_EQ(deltas_.size(), 5u);
  EXPECT_EQ(result->finish_reason, FinishReason::kStop);
  EXPECT_EQ(result->usage.prompt_tokens, 21);
  EXPECT_EQ(result->usage.completion_tokens, 5);
  EXPECT_GT(result->total_ms, 0);
  EXPECT_LE(result->time_to_first_token_ms, result->total_ms);

  const std::vector<FaultHttpServer::Request> seen = server_.requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].target, "/v1/chat/completions");
  EXPECT_EQ(seen[0].headers.at("authorization"), "Bearer sk-test-key");
  EXPECT_EQ(seen[0].headers.at("content-type"), "application/json");
  EXPECT_EQ(seen[0].headers.at("accept"), "text/event-stream");
  const nlohmann::json body = nlohmann::json::parse(seen[0].body);
  EXPECT_EQ(body["model"], "test-model");
  EXPECT_EQ(body["stream"], true);
  EXPECT_EQ(body["stream_options"]["include_usage"], true);
  EXPECT_EQ(body["max_tokens"], 64);
  EXPECT_EQ(body["temperature"], 0.7);
  EXPECT_EQ(body["top_p"], 0.9);
  EXPECT_EQ(body["seed"], 42);
  EXPECT_FALSE(body.contains("top_k"));  // OpenAI refuses fields it does not know
  EXPECT_EQ(body["stop"].size(), 4u);    // and more than four stop strings
  EXPECT_EQ(body["messages"][1]["role"], "user");
  EXPECT_EQ(body["messages"][1]["content"], "Say hello.");
  EXPECT_EQ(body["messages"][1]["name"], "alice");
}

TEST_F(OpenAiProviderTest, ToolDefinitionsGoOutAndToolCallDeltasComeBackWhole) {
  std::vector<std::string> parts = {
      DataLine(R"({"choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_abc","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]})"),
      DataLine(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"ci"}}]},"finish_reason":null}]})"),
      DataLine(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_def","type":"function","function":{"name":"get_time","arguments":"{}"}}]},"finish_reason":null}]})"),
      DataLine(R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"ty\":\"Oslo\"}"}}]},"finish_reason":null}]})"),
      DataLine(R"({"choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]})"),
      UsageChunk(50, 20),
      DataLine("[DONE]")};
  server_.Enqueue(Stream(parts));
  std::unique_ptr<Provider> provider = MakeProvider();
  ChatRequest request = Hello();
  request.tools = {{"get_weather", "Weather for a city",
                    R"({"type":"object","properties":{"city":{"type":"string"}},"required":["city"]})"},
                   {"get_time", "", R"({"type":"object","properties":{}})"}};
  request.tool_choice = "auto";
  request.messages.push_back({"assistant", "", "", {{"call_1", "get_time", "{}"}}, ""});
  request.messages.push_back({"tool", "12:00", "", {}, "call_1"});
  Result<ChatResult> result = Run(*provider, request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->finish_reason, FinishReason::kToolCalls);
  EXPECT_EQ(result->content, "");
  EXPECT_TRUE(deltas_.empty());
  ASSERT_EQ(result->tool_calls.size(), 2u);
  EXPECT_EQ(result->tool_calls[0].id, "call_abc");
  EXPECT_EQ(result->tool_calls[0].name, "get_weather");
  EXPECT_EQ(result->tool_calls[0].arguments_json, "{\"city\":\"Oslo\"}");
  EXPECT_EQ(result->tool_calls[1].name, "get_time");

  const nlohmann::json body = nlohmann::json::parse(server_.requests().at(0).body);
  EXPECT_EQ(body["tools"][0]["type"], "function");
  EXPECT_EQ(body["tools"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(body["tools"][0]["function"]["parameters"]["required"][0], "city");
  EXPECT_EQ(body["tool_choice"], "auto");
  const nlohmann::json& call_turn = body["messages"][2];
  EXPECT_TRUE(call_turn["content"].is_null());
  EXPECT_EQ(call_turn["tool_calls"][0]["function"]["arguments"], "{}");
  EXPECT_EQ(body["messages"][3]["tool_call_id"], "call_1");
}

TEST_F(OpenAiProviderTest, AServerErrorIsRetriedWithBackoffBeforeAnyToken) {
  server_.Enqueue(Error(500, R"({"error":{"message":"boom"}})"));
  server_.Enqueue(Error(503, "Service Unavailable"));
  server_.Enqueue(Stream(StreamOf({"fine"})));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "fine");
  EXPECT_EQ(server_.requests().size(), 3u);
  const std::vector<milliseconds> delays = waits();
  ASSERT_EQ(delays.size(), 2u);
  // About the base, then about twice it (jitter of +-20%).
  EXPECT_GE(delays[0].count(), 320);
  EXPECT_LE(delays[0].count(), 480);
  EXPECT_GE(delays[1].count(), 640);
  EXPECT_LE(delays[1].count(), 960);
}

TEST_F(OpenAiProviderTest, TooManyRequestsHonoursRetryAfter) {
  Response limited = Error(429, R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})");
  limited.headers = {{"Retry-After", "7"}};
  server_.Enqueue(limited);
  Response limited_ms = limited;
  limited_ms.headers = {{"retry-after-ms", "1500"}, {"Retry-After", "2"}};
  server_.Enqueue(limited_ms);
  server_.Enqueue(Stream(StreamOf({"ok"})));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "ok");
  EXPECT_THAT(waits(), ElementsAre(milliseconds(7000), milliseconds(1500)));
}

TEST_F(OpenAiProviderTest, RetriesRunOutWithTheServersMessage) {
  Response limited = Error(429, R"({"error":{"message":"You exceeded your current quota"}})");
  server_.SetDefault(limited);
  OpenAiProviderOptions options;
  options.max_retries = 2;
  std::unique_ptr<Provider> provider = MakeProvider(options);
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(result.status().message(), HasSubstr("provider remote: HTTP 429"));
  EXPECT_THAT(result.status().message(), HasSubstr("You exceeded your current quota"));
  EXPECT_THAT(result.status().message(), HasSubstr("after 3 attempts"));
  EXPECT_EQ(server_.requests().size(), 3u);
}

TEST_F(OpenAiProviderTest, ARetryAfterBeyondTheTimeLimitFailsAtOnce) {
  Response limited = Error(429, R"({"error":{"message":"slow down"}})");
  limited.headers = {{"Retry-After", "3600"}};
  server_.Enqueue(limited);
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kResourceExhausted);
  EXPECT_THAT(result.status().message(), HasSubstr("a retry in 3600 s would pass the call's time limit"));
  EXPECT_EQ(server_.requests().size(), 1u);
  EXPECT_TRUE(waits().empty());
}

TEST_F(OpenAiProviderTest, ClientErrorsAreNotRetriedAndCarryTheServersMessage) {
  struct Case {
    int status;
    StatusCode code;
    std::string body;
    std::string message;
  };
  const std::vector<Case> cases = {
      {401, StatusCode::kUnauthenticated,
       R"({"error":{"message":"Incorrect API key provided: sk-test***","type":"invalid_request_error","code":"invalid_api_key"}})",
       "/chat/completions: Incorrect API key provided: sk-test*** (code invalid_api_key)"},
      {400, StatusCode::kInvalidArgument,
       R"({"error":{"message":"This model's maximum context length is 4097 tokens.","code":"context_length_exceeded"}})",
       "maximum context length is 4097 tokens"},
      {404, StatusCode::kNotFound, R"({"error":{"message":"The model `nope` does not exist"}})", "does not exist"},
  };
  for (const Case& each : cases) {
    FaultHttpServer server;
    server.Enqueue(Error(each.status, each.body));
    OpenAiProviderOptions options;
    options.base_url = server.BaseUrl();
    std::unique_ptr<Provider> provider = MakeProvider(options);
    Result<ChatResult> result = Run(*provider, Hello());
    ASSERT_FALSE(result.ok()) << each.status;
    EXPECT_EQ(result.status().code(), each.code) << each.status;
    EXPECT_THAT(result.status().message(), HasSubstr(each.message));
    EXPECT_THAT(result.status().message(),
                HasSubstr("HTTP " + std::to_string(each.status) + " from " + server.BaseUrl() + "/chat/completions"));
    EXPECT_EQ(server.requests().size(), 1u);
  }
  EXPECT_TRUE(waits().empty());
}

TEST_F(OpenAiProviderTest, AStreamCutAfterDeltasIsAnErrorAfterThoseDeltasWithoutRetry) {
  Response cut = Stream({ContentChunk("Once"), ContentChunk(" upon"), ContentChunk(" a")});
  cut.end = Response::End::kCut;
  server_.Enqueue(cut);
  server_.Enqueue(Stream(StreamOf({"never sent"})));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("provider remote: stream cut after 3 chunks (11 bytes of reply)"));
  EXPECT_EQ(Joined(), "Once upon a");
  EXPECT_EQ(server_.requests().size(), 1u);
}

TEST_F(OpenAiProviderTest, AStreamThatEndsWithoutFinishingIsCutToo) {
  Response closed = Stream({ContentChunk("Half"), ContentChunk(" a reply")});
  closed.chunked = false;  // the body ends cleanly, but no finish_reason and no [DONE] came
  closed.end = Response::End::kCut;
  server_.Enqueue(closed);
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("stream cut after 2 chunks"));
  EXPECT_THAT(result.status().message(), HasSubstr("closed before the end of the reply"));
  EXPECT_EQ(Joined(), "Half a reply");
}

TEST_F(OpenAiProviderTest, AStreamCutBeforeAnyTokenIsRetried) {
  Response cut = Stream({DataLine(R"({"choices":[{"index":0,"delta":{"role":"assistant"}}]})")});
  cut.end = Response::End::kCut;
  server_.Enqueue(cut);
  server_.Enqueue(Stream(StreamOf({"second", " try"})));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "second try");
  EXPECT_EQ(Joined(), "second try");
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(OpenAiProviderTest, GarbageLinesAreSkippedButGarbageDataIsAnError) {
  std::vector<std::string> parts = StreamOf({"a", "b"});
  parts.insert(parts.begin() + 1, ": keep-alive\n\nthis line is no field\n\n");
  server_.Enqueue(Stream(parts));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "ab");

  deltas_.clear();
  Response garbled = Stream({ContentChunk("x"), ContentChunk("y"), DataLine("{\"choices\": [tru"), ContentChunk("z")});
  server_.Enqueue(garbled);
  result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("stream cut after 2 chunks"));
  EXPECT_THAT(result.status().message(), HasSubstr("data that is not JSON"));
  EXPECT_EQ(Joined(), "xy");
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(OpenAiProviderTest, AnErrorEventMidStreamIsReported) {
  server_.Enqueue(Stream({ContentChunk("Par"), DataLine(R"({"error":{"message":"The server had an error while processing your request"}})")}));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInternal);
  EXPECT_THAT(result.status().message(), HasSubstr("had an error while processing"));
  EXPECT_EQ(Joined(), "Par");
}

TEST_F(OpenAiProviderTest, TinyPiecesAndCrLfLinesGiveTheSameReply) {
  std::string whole;
  for (const std::string& part : StreamOf({"Split ", "every", "where."})) whole += part;
  std::string crlf;
  for (char c : whole) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
  Response pieces;
  for (size_t i = 0; i < crlf.size(); i += 3) pieces.body_parts.push_back(crlf.substr(i, 3));
  server_.Enqueue(pieces);
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "Split everywhere.");
  EXPECT_EQ(result->usage.completion_tokens, 3);
}

TEST_F(OpenAiProviderTest, StopStringsAreEnforcedEvenWhenTheServerIgnoresThem) {
  server_.Enqueue(Stream(StreamOf({"Hi there.", "\nUs", "er: and", " more"})));
  std::unique_ptr<Provider> provider = MakeProvider();
  ChatRequest request = Hello();
  request.stop = {"\nUser:"};
  Result<ChatResult> result = Run(*provider, request);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "Hi there.");
  EXPECT_EQ(Joined(), "Hi there.");
  EXPECT_EQ(result->finish_reason, FinishReason::kStop);
}

TEST_F(OpenAiProviderTest, AWholeJsonAnswerIsUnderstood) {
  Response whole;
  whole.content_type = "application/json; charset=utf-8";
  whole.body_parts = {
      R"({"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"Not streamed."},"finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":3}})"};
  server_.Enqueue(whole);
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->content, "Not streamed.");
  EXPECT_EQ(Joined(), "Not streamed.");
  EXPECT_EQ(result->finish_reason, FinishReason::kLength);
  EXPECT_EQ(result->usage.prompt_tokens, 9);
}

TEST_F(OpenAiProviderTest, UsageIsEstimatedWhenTheServerSendsNone) {
  server_.Enqueue(Stream({ContentChunk("twelve bytes"), ContentChunk("", "stop"), DataLine("[DONE]")}));
  std::unique_ptr<Provider> provider = MakeProvider();
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->usage.completion_tokens, 3);
  EXPECT_EQ(result->usage.prompt_tokens, provider->CountChatTokens(Hello().messages));
  EXPECT_GT(result->usage.prompt_tokens, 0);
}

TEST_F(OpenAiProviderTest, CancellingStopsTheStreamAndKeepsWhatArrived) {
  Response stalled = Stream({ContentChunk("one"), ContentChunk(" two")});
  stalled.end = Response::End::kStall;
  server_.Enqueue(stalled);
  std::unique_ptr<Provider> provider = MakeProvider();
  std::atomic<bool> cancel{false};
  ChatRequest request = Hello();
  request.cancel = &cancel;
  ChatCallbacks callbacks;
  std::string received;
  callbacks.on_delta = [&](std::string_view delta) {
    received += delta;
    if (received == "one two") {
      // Cancel from another thread, as the server does when a client leaves.
      std::thread([&cancel] { cancel.store(true); }).join();
    }
  };
  Result<ChatResult> result = provider->Chat(request, callbacks);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result->finish_reason, FinishReason::kCancelled);
  EXPECT_EQ(result->content, "one two");
}

TEST_F(OpenAiProviderTest, AnUnreachableEndpointIsRetriedThenUnavailable) {
  int port = 0;
  {
    FaultHttpServer closed;  // a port that was free a moment ago and has no listener now
    port = std::stoi(closed.BaseUrl().substr(std::string("http://127.0.0.1:").size()));
  }
  OpenAiProviderOptions options;
  options.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  options.max_retries = 1;
  std::unique_ptr<Provider> provider = MakeProvider(options);
  Result<ChatResult> result = Run(*provider, Hello());
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(result.status().message(), HasSubstr("provider remote: cannot reach http://127.0.0.1:"));
  EXPECT_THAT(result.status().message(), HasSubstr("after 2 attempts"));
  EXPECT_EQ(waits().size(), 1u);
}

TEST_F(OpenAiProviderTest, AzureDeploymentsUseApiVersionAndApiKeyHeader) {
  server_.Enqueue(Stream(StreamOf({"azure"})));
  OpenAiProviderOptions options;
  options.base_url = server_.BaseUrl() + "/openai/deployments/gpt4o/";
  options.api_version = "2024-06-01";
  options.api_key = "azure-key";
  std::unique_ptr<Provider> provider = MakeProvider(options);
  ASSERT_TRUE(Run(*provider, Hello()).ok());
  const FaultHttpServer::Request seen = server_.requests().at(0);
  EXPECT_EQ(seen.target, "/v1/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01");
  EXPECT_EQ(seen.headers.at("api-key"), "azure-key");
  EXPECT_EQ(seen.headers.count("authorization"), 0u);
}

TEST_F(OpenAiProviderTest, ConcurrentCallsEachGetTheirOwnReply) {
  for (int i = 0; i < 6; ++i) server_.Enqueue(Stream(StreamOf({"same ", "reply"})));
  std::unique_ptr<Provider> provider = MakeProvider();
  std::vector<std::thread> threads;
  std::vector<std::string> contents(6);
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      std::string streamed;
      ChatCallbacks callbacks;
      callbacks.on_delta = [&streamed](std::string_view delta) { streamed += delta; };
      Result<ChatResult> result = provider->Chat(Hello(), callbacks);
      contents[static_cast<size_t>(i)] = result.ok() && result->content == streamed ? streamed : result.status().ToString();
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const std::string& content : contents) EXPECT_EQ(content, "same reply");
  EXPECT_EQ(server_.requests().size(), 6u);
}

TEST(OpenAiProviderOptionsTest, BadOptionsAreRefused) {
  OpenAiProviderOptions options;
  options.name = "x";
  options.base_url = "ftp://host/v1";
  Result<std::unique_ptr<Provider>> provider = MakeOpenAiProvider(options);
  ASSERT_FALSE(provider.ok());
  EXPECT_EQ(provider.status().field(), "base_url");
  options.base_url = "http://host/v1";
  options.idle_timeout = milliseconds(0);
  EXPECT_EQ(MakeOpenAiProvider(options).status().field(), "idle_timeout");
  options.idle_timeout = milliseconds(1000);
  options.api_key = "sk-1\r\nX-Injected: 1";
  EXPECT_EQ(MakeOpenAiProvider(options).status().field(), "api_key");
  options.api_key = "sk-1";
  options.api_version = "2024-06-01&x=1";
  EXPECT_EQ(MakeOpenAiProvider(options).status().field(), "api_version");
  options.api_version = "2024-06-01-preview";
  EXPECT_TRUE(MakeOpenAiProvider(options).ok());
}

TEST(EstimateTokensTest, AboutFourBytesPerTokenRoundedUp) {
  EXPECT_EQ(EstimateTokens(""), 0);
  EXPECT_EQ(EstimateTokens("a"), 1);
  EXPECT_EQ(EstimateTokens("abcd"), 1);
  EXPECT_EQ(EstimateTokens("abcde"), 2);
}

}  // namespace
}  // namespace troupe::llm
