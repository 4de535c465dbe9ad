// The fixture of the OpenAI-compatible provider's tests: a scripted server on loopback
// (fault_http_server.h) and a provider pointed at it whose retry waits are recorded and cut short.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fault_http_server.h"
#include "llm/openai_provider.h"
#include "test_events.h"

namespace troupe::llm {

// What a call started with Start reports, kept for the test thread to read once `done` counted it.
struct Reported {
  std::string streamed;
  std::optional<Result<ChatResult>> result;
  int done_calls = 0;
};

inline ChatCallbacks ReportInto(Reported& reported, testing::Events& done, testing::Events* first_delta = nullptr) {
  ChatCallbacks callbacks;
  callbacks.on_delta = [&reported, first_delta](std::string_view delta) {
    if (reported.streamed.empty() && first_delta != nullptr) first_delta->Add();
    reported.streamed += delta;
  };
  callbacks.on_done = [&reported, &done](Result<ChatResult> result) {
    reported.result = std::move(result);
    ++reported.done_calls;
    done.Add();
  };
  return callbacks;
}

class OpenAiProviderTest : public ::testing::Test {
 protected:
  // A provider for the server whose retry waits are recorded and cut to nothing (unless the test
  // sets its own retry_delay).
  std::unique_ptr<Provider> MakeProvider(OpenAiProviderOptions options = {}) {
    options.name = "remote";
    if (options.base_url.empty()) options.base_url = server_.BaseUrl();
    if (options.api_key.empty()) options.api_key = "sk-test-key";
    if (options.model.empty()) options.model = "test-model";
    options.backoff_base = std::chrono::milliseconds(400);
    if (!options.retry_delay) {
      options.retry_delay = [this](std::chrono::milliseconds requested) {
        std::lock_guard lock(waits_mutex_);
        waits_.push_back(requested);
        return std::chrono::milliseconds(0);
      };
    }
    Result<std::unique_ptr<Provider>> provider = MakeOpenAiProvider(std::move(options));
    EXPECT_TRUE(provider.ok()) << provider.status().ToString();
    return std::move(*provider);
  }

  static ChatRequest Hello() {
    ChatRequest request;
    request.messages = {{"system", "You are terse.", "", {}, ""}, {"user", "Say hello.", "alice", {}, ""}};
    request.sampling.max_tokens = 64;
    return request;
  }

  // Runs the request, collecting the deltas.
  Result<ChatResult> Run(Provider& provider, const ChatRequest& request) {
    ChatCallbacks callbacks;
    callbacks.on_delta = [this](std::string_view delta) { deltas_.emplace_back(delta); };
    return provider.Chat(request, callbacks);
  }

  std::string Joined() const {
    std::string all;
    for (const std::string& delta : deltas_) all += delta;
    return all;
  }

  std::vector<std::chrono::milliseconds> waits() {
    std::lock_guard lock(waits_mutex_);
    return waits_;
  }

  static testing::FaultHttpServer::Response Stream(std::vector<std::string> parts) {
    testing::FaultHttpServer::Response response;
    response.body_parts = std::move(parts);
    return response;
  }

  static testing::FaultHttpServer::Response Error(int status, std::string body) {
    testing::FaultHttpServer::Response response;
    response.status = status;
    response.content_type = "application/json";
    response.chunked = false;
    response.body_parts = {std::move(body)};
    return response;
  }

  testing::FaultHttpServer server_;
  std::vector<std::string> deltas_;
  std::mutex waits_mutex_;
  std::vector<std::chrono::milliseconds> waits_;
};

}  // namespace troupe::llm
