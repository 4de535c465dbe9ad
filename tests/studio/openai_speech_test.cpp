// The OpenAI-compatible speech client against a real HTTP server on loopback: the request it sends,
// the audio it returns, and every way an endpoint can fail it.
#include "studio/openai_speech.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "llm/fault_http_server.h"
#include "speech_test_audio.h"
#include "studio/audio_encoding.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;
using ::troupe::testing::FaultHttpServer;

FaultHttpServer::Response SpeechAnswer(int status, std::string body, std::string content_type = "audio/ogg") {
  FaultHttpServer::Response response;
  response.status = status;
  response.content_type = std::move(content_type);
  response.body_parts = {std::move(body)};
  response.chunked = false;
  return response;
}

std::string SpeechTestOpus(int64_t milliseconds) {
  Result<std::string> opus = EncodeOggOpus(testing::ToneAudio(24000, milliseconds));
  EXPECT_TRUE(opus.ok());
  return opus.ok() ? *opus : "";
}

std::unique_ptr<OpenAiSpeech> SpeechTestLoopback(const FaultHttpServer& server, int64_t timeout_ms = 30'000) {
  OpenAiSpeechOptions options;
  options.base_url = server.BaseUrl();
  options.api_key = "sk-test";
  options.allow_private = true;  // the test's endpoint is on loopback
  options.timeout_ms = timeout_ms;
  Result<std::unique_ptr<OpenAiSpeech>> speech = OpenAiSpeech::Create(options);
  EXPECT_TRUE(speech.ok()) << speech.status().ToString();
  return speech.ok() ? std::move(speech).value() : nullptr;
}

SpeechRequest SpeechTestHelloRequest(AudioFormat format = AudioFormat::kOpus) {
  SpeechRequest request;
  request.text = "Hello, how can I help?";
  request.voice = "nova";
  request.words_per_minute = 210;
  request.format = format;
  return request;
}

TEST(OpenAiSpeechTest, PostsTheRequestAndReturnsTheAudio) {
  FaultHttpServer server;
  const std::string opus = SpeechTestOpus(1800);
  server.Enqueue(SpeechAnswer(200, opus));
  auto speech = SpeechTestLoopback(server);
  ASSERT_NE(speech, nullptr);
  Result<SpeechAudio> audio = speech->Synthesize(SpeechTestHelloRequest());
  ASSERT_TRUE(audio.ok()) << audio.status().ToString();
  EXPECT_EQ(audio->bytes, opus);
  EXPECT_EQ(audio->mime_type, "audio/ogg");
  EXPECT_NEAR(static_cast<double>(audio->duration_ms), 1800.0, 3.0);

  const std::vector<FaultHttpServer::Request> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  const FaultHttpServer::Request& request = requests[0];
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/v1/audio/speech");
  EXPECT_EQ(request.headers.at("authorization"), "Bearer sk-test");
  const nlohmann::json body = nlohmann::json::parse(request.body);
  EXPECT_EQ(body["model"], "tts-1");
  EXPECT_EQ(body["input"], "Hello, how can I help?");
  EXPECT_EQ(body["voice"], "nova");
  EXPECT_EQ(body["response_format"], "opus");
  EXPECT_DOUBLE_EQ(body["speed"].get<double>(), 1.2);  // 210 words per minute over the normal 175
}

TEST(OpenAiSpeechTest, WavAndMp3AnswersAreAccepted) {
  FaultHttpServer server;
  Result<std::string> wav = EncodeWav(testing::ToneAudio(24000, 500));
  ASSERT_TRUE(wav.ok());
  server.Enqueue(SpeechAnswer(200, *wav, "audio/wav"));
  server.Enqueue(SpeechAnswer(200, std::string("ID3\x04\x00\x00", 6) + std::string(100, '\0'), "audio/mpeg"));
  auto speech = SpeechTestLoopback(server);
  ASSERT_NE(speech, nullptr);
  Result<SpeechAudio> wav_audio = speech->Synthesize(SpeechTestHelloRequest(AudioFormat::kWav));
  ASSERT_TRUE(wav_audio.ok()) << wav_audio.status().ToString();
  EXPECT_EQ(wav_audio->duration_ms, 500);
  Result<SpeechAudio> mp3_audio = speech->Synthesize(SpeechTestHelloRequest(AudioFormat::kMp3));
  ASSERT_TRUE(mp3_audio.ok()) << mp3_audio.status().ToString();
  EXPECT_EQ(mp3_audio->mime_type, "audio/mpeg");
  EXPECT_EQ(mp3_audio->duration_ms, 0);
  EXPECT_EQ(nlohmann::json::parse(server.requests()[1].body)["response_format"], "mp3");
}

TEST(OpenAiSpeechTest, AnAnswerThatIsNotTheAskedFormatIsRefused) {
  FaultHttpServer server;
  server.Enqueue(SpeechAnswer(200, "<html>a captive portal</html>", "text/html"));
  server.Enqueue(SpeechAnswer(200, SpeechTestOpus(300)));  // Opus when WAV was asked for
  auto speech = SpeechTestLoopback(server);
  ASSERT_NE(speech, nullptr);
  Result<SpeechAudio> html = speech->Synthesize(SpeechTestHelloRequest());
  EXPECT_EQ(html.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(html.status().message(), HasSubstr("not opus audio"));
  Result<SpeechAudio> opus_for_wav = speech->Synthesize(SpeechTestHelloRequest(AudioFormat::kWav));
  EXPECT_THAT(opus_for_wav.status().message(), HasSubstr("not wav audio"));
}

TEST(OpenAiSpeechTest, HttpErrorsCarryTheEndpointsMessage) {
  FaultHttpServer server;
  server.Enqueue(SpeechAnswer(401, R"({"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}})",
                              "application/json"));
  server.Enqueue(SpeechAnswer(503, "overloaded", "text/plain"));
  server.Enqueue(SpeechAnswer(302, "", "text/plain"));
  auto speech = SpeechTestLoopback(server);
  ASSERT_NE(speech, nullptr);
  Result<SpeechAudio> unauthorized = speech->Synthesize(SpeechTestHelloRequest());
  EXPECT_EQ(unauthorized.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(unauthorized.status().message(), HasSubstr("(401): Incorrect API key provided"));
  Result<SpeechAudio> overloaded = speech->Synthesize(SpeechTestHelloRequest());
  EXPECT_EQ(overloaded.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(overloaded.status().message(), HasSubstr("503: overloaded"));
  Result<SpeechAudio> redirected = speech->Synthesize(SpeechTestHelloRequest());
  EXPECT_EQ(redirected.status().code(), StatusCode::kPermissionDenied);
}

TEST(OpenAiSpeechTest, OnlyAllowedHostsAndPublicAddressesAreCalled) {
  FaultHttpServer server;
  OpenAiSpeechOptions options;
  options.base_url = server.BaseUrl();
  options.allowed_hosts = {"api.openai.com"};
  options.allow_private = true;
  Result<std::unique_ptr<OpenAiSpeech>> other_host = OpenAiSpeech::Create(options);
  EXPECT_EQ(other_host.status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(other_host.status().field(), "base_url");
  EXPECT_THAT(other_host.status().message(), HasSubstr("'127.0.0.1'"));

  // The host is allowed, but it is a loopback address and private ones are not.
  options.allowed_hosts = {};
  options.allow_private = false;
  Result<std::unique_ptr<OpenAiSpeech>> loopback = OpenAiSpeech::Create(options);
  ASSERT_TRUE(loopback.ok()) << loopback.status().ToString();
  Result<SpeechAudio> refused = (*loopback)->Synthesize(SpeechTestHelloRequest());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  EXPECT_THAT(refused.status().message(), HasSubstr("127.0.0.1, a private or local address"));
  EXPECT_TRUE(server.requests().empty());
}

TEST(OpenAiSpeechTest, BadOptionsNameTheirField) {
  OpenAiSpeechOptions options;
  options.base_url = "ftp://speech.example.com/v1";
  EXPECT_EQ(OpenAiSpeech::Create(options).status().field(), "base_url");
  options.base_url = "https://user:secret@speech.example.com/v1";
  EXPECT_EQ(OpenAiSpeech::Create(options).status().field(), "base_url");
  options.base_url = "https://speech.example.com/v1";
  options.timeout_ms = 0;
  EXPECT_EQ(OpenAiSpeech::Create(options).status().field(), "timeout_ms");
}

TEST(OpenAiSpeechTest, AnOversizedAnswerIsCut) {
  FaultHttpServer server;
  server.Enqueue(SpeechAnswer(200, SpeechTestOpus(3000)));
  OpenAiSpeechOptions options;
  options.base_url = server.BaseUrl();
  options.allow_private = true;
  options.max_response_bytes = 1000;
  Result<std::unique_ptr<OpenAiSpeech>> speech = OpenAiSpeech::Create(options);
  ASSERT_TRUE(speech.ok());
  EXPECT_EQ((*speech)->Synthesize(SpeechTestHelloRequest()).status().code(), StatusCode::kPayloadTooLarge);
}

TEST(OpenAiSpeechTest, ASilentEndpointTimesOut) {
  FaultHttpServer server;
  FaultHttpServer::Response silent = SpeechAnswer(200, "");
  silent.stall_before_headers = true;
  server.Enqueue(silent);
  auto speech = SpeechTestLoopback(server, 200);
  ASSERT_NE(speech, nullptr);
  EXPECT_EQ(speech->Synthesize(SpeechTestHelloRequest()).status().code(), StatusCode::kDeadlineExceeded);
}

TEST(OpenAiSpeechTest, CancellingStopsAWaitingCall) {
  FaultHttpServer server;
  FaultHttpServer::Response silent = SpeechAnswer(200, "");
  silent.stall_before_headers = true;
  server.Enqueue(silent);
  // A long timeout: only the cancellation can end the call early.
  auto speech = SpeechTestLoopback(server, 120'000);
  ASSERT_NE(speech, nullptr);
  std::atomic<bool> cancelled{false};
  std::thread canceller([&] {
    server.WaitForRequests(1);
    cancelled = true;
  });
  SpeechRequest request = SpeechTestHelloRequest();
  request.cancelled = &cancelled;
  Result<SpeechAudio> audio = speech->Synthesize(request);
  canceller.join();
  EXPECT_EQ(audio.status().code(), StatusCode::kUnavailable);
  EXPECT_THAT(audio.status().message(), HasSubstr("cancelled"));
}

TEST(OpenAiSpeechTest, TheRequestIsCheckedBeforeAnythingIsSent) {
  FaultHttpServer server;
  auto speech = SpeechTestLoopback(server);
  ASSERT_NE(speech, nullptr);
  SpeechRequest empty = SpeechTestHelloRequest();
  empty.text = "";
  EXPECT_EQ(speech->Synthesize(empty).status().field(), "text");
  EXPECT_TRUE(server.requests().empty());
}

}  // namespace
}  // namespace troupe::studio
