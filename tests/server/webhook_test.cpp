// Webhook delivery against a real HTTP server on loopback, from a real SQLite store's job queue
// through the job runner: the body and headers a receiver gets, the signature, and retries after
// a failed delivery.
#include "server/services/webhook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "../llm/fault_http_server.h"
#include "server/services/job_runner.h"
#include "server/api_fixture.h"
#include "support/temp_dir.h"

namespace troupe::server {
namespace {

using nlohmann::json;
using ::troupe::testing::FaultHttpServer;

FaultHttpServer::Response Answer(int status, std::string body = "") {
  FaultHttpServer::Response response;
  response.status = status;
  response.content_type = "text/plain";
  response.chunked = false;
  response.body_parts = {std::move(body)};
  return response;
}

TEST(WebhookSignatureTest, IsHmacSha256OfTimestampDotBody) {
  // Reference: printf '%s' '1790000000.{"hello":"world"}' | openssl dgst -sha256 -hmac s3cret
  EXPECT_EQ(WebhookSignature("s3cret", "1790000000", R"({"hello":"world"})"),
            "sha256=f93287d69cf54cae00ff7d9f3ec5088a4fd27d3f4be6c08034e219a05ced555d");
}

class WebhookTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenSqliteStore(dir_.path());
    ASSERT_NE(store_, nullptr);
    webhook_.url = receiver_.BaseUrl() + "/hooks/troupe";
    webhook_.secret = "s3cret";
    webhook_.clock = &clock_;
  }

  ::troupe::testing::TempDir dir_;
  ManualClock clock_{1'790'000'000'000};
  std::unique_ptr<store::Store> store_;
  FaultHttpServer receiver_;
  WebhookOptions webhook_;
};

TEST_F(WebhookTest, DeliversASignedEventWithItsDeliveryId) {
  receiver_.Enqueue(Answer(204));
  Result<store::Job> job = EnqueueWebhookEvent(*store_, "message.proactive",
                                               {{"conversation_id", 7}, {"message", {{"id", 9}, {"content", "Hi!"}}}});
  ASSERT_TRUE(job.ok()) << job.status().ToString();
  Result<json> delivered = DeliverWebhookEvent(*job, webhook_);
  ASSERT_TRUE(delivered.ok()) << delivered.status().ToString();
  EXPECT_EQ((*delivered)["status"], 204);

  const std::vector<FaultHttpServer::Request> requests = receiver_.requests();
  ASSERT_EQ(requests.size(), 1u);
  const FaultHttpServer::Request& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/hooks/troupe");
  EXPECT_EQ(request.headers.at("content-type"), "application/json");
  EXPECT_EQ(request.headers.at("x-troupe-event"), "message.proactive");
  EXPECT_EQ(request.headers.at("x-troupe-delivery"), std::to_string(job->id));
  EXPECT_EQ(request.headers.at("x-troupe-timestamp"), "1790000000");
  EXPECT_EQ(request.headers.at("x-troupe-signature"), WebhookSignature("s3cret", "1790000000", request.body));
  json body = json::parse(request.body);
  EXPECT_EQ(body["id"], job->id);
  EXPECT_EQ(body["type"], "message.proactive");
  EXPECT_EQ(body["data"]["message"]["content"], "Hi!");
  EXPECT_TRUE(body["created_at"].is_number_integer());

  // Without a secret nothing is signed.
  receiver_.Enqueue(Answer(200));
  webhook_.secret.clear();
  ASSERT_TRUE(DeliverWebhookEvent(*job, webhook_).ok());
  EXPECT_EQ(receiver_.requests().back().headers.count("x-troupe-signature"), 0u);
}

TEST_F(WebhookTest, AFailedDeliverySaysWhyAndTheRunnerRetriesIt) {
  receiver_.Enqueue(Answer(503, "busy, come back later"));
  Result<store::Job> job = EnqueueWebhookEvent(*store_, "message.proactive", {{"conversation_id", 1}});
  ASSERT_TRUE(job.ok());
  Result<json> refused = DeliverWebhookEvent(*job, webhook_);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("answered 503: busy, come back later"), std::string::npos)
      << refused.status().ToString();

  WebhookOptions nowhere = webhook_;
  nowhere.url = "http://127.0.0.1:1/hook";  // nothing listens on port 1
  EXPECT_EQ(DeliverWebhookEvent(*job, nowhere).status().code(), StatusCode::kUnavailable);

  // Through the runner: the first attempt meets a 500, the retry is delivered.
  receiver_.Enqueue(Answer(500));
  receiver_.Enqueue(Answer(200));
  JobRunnerOptions options;
  options.workers = 1;
  options.poll_interval_ms = 20;
  options.retry_delay_ms = 0;
  JobRunner runner(*store_, options);
  runner.Register(std::string(kWebhookJob), [this](const store::Job& queued, JobContext&) {
    return DeliverWebhookEvent(queued, webhook_);
  });
  store::JobQuery query;
  query.kind = std::string(kWebhookJob);
  const size_t before = receiver_.requests().size();
  runner.Start();
  // Up to a minute: a bound that only a hang reaches, never a slow machine.
  for (int i = 0; i < 6000 && runner.completed() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  runner.Stop();
  ASSERT_EQ(runner.completed(), 1);
  Result<store::Job> done = store_->jobs().Get(job->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, store::JobStatus::kSucceeded);
  EXPECT_EQ(done->attempts, 2);
  EXPECT_EQ(receiver_.requests().size(), before + 2);
}

}  // namespace
}  // namespace troupe::server
