#include "server/api/event_hub.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <thread>

#include "server/http/sse_stream_internal.h"

namespace troupe::server {
namespace {

using ::testing::HasSubstr;

// What the connection would write for `stream` so far.
std::string Written(SseStream& stream) {
  std::deque<std::string> chunks;
  stream.state()->TakePending(chunks);
  std::string text;
  for (const std::string& chunk : chunks) text += chunk;
  return text;
}

LiveEvent MessageCreated(int64_t user_id, int64_t conversation_id) {
  return {"message.created", user_id, conversation_id,
          "{\"conversation_id\":" + std::to_string(conversation_id) + "}"};
}

TEST(EventHubTest, DeliversToTheUsersStreamsAndToWatchersOfEveryone) {
  EventHub hub;
  SseStream alice, bob, agent;
  hub.Subscribe(alice, {7});
  hub.Subscribe(bob, {8});
  hub.Subscribe(agent, {std::nullopt});
  EXPECT_EQ(hub.subscriber_count(), 3);

  EXPECT_EQ(hub.Publish(MessageCreated(7, 12)), 2);
  const std::string to_alice = Written(alice);
  EXPECT_THAT(to_alice, HasSubstr("event: message.created\n"));
  EXPECT_THAT(to_alice, HasSubstr("data: {\"conversation_id\":12}\n\n"));
  EXPECT_EQ(Written(bob), "");
  EXPECT_THAT(Written(agent), HasSubstr("\"conversation_id\":12"));
}

TEST(EventHubTest, EventIdsIncrease) {
  EventHub hub;
  SseStream stream;
  hub.Subscribe(stream, {std::nullopt});
  hub.Publish(MessageCreated(1, 1));
  hub.Publish(MessageCreated(1, 2));
  const std::string text = Written(stream);
  EXPECT_LT(text.find("id: 1\n"), text.find("id: 2\n"));
}

TEST(EventHubTest, CancelledStreamsAreUnsubscribed) {
  EventHub hub;
  SseStream gone, staying;
  hub.Subscribe(gone, {7});
  hub.Subscribe(staying, {7});
  gone.state()->Cancel("client disconnected");
  EXPECT_EQ(hub.subscriber_count(), 1);
  EXPECT_EQ(hub.Publish(MessageCreated(7, 1)), 1);
}

TEST(EventHubTest, ClosedStreamsArePrunedOnPublish) {
  EventHub hub;
  SseStream closed;
  hub.Subscribe(closed, {7});
  closed.state()->Detach();
  EXPECT_EQ(hub.Publish(MessageCreated(7, 1)), 0);
  EXPECT_EQ(hub.subscriber_count(), 0);
}

TEST(EventHubTest, StreamsMayOutliveTheHub) {
  SseStream stream;
  {
    EventHub hub;
    hub.Subscribe(stream, {7});
  }
  stream.state()->Cancel("client disconnected");  // the callback finds no hub and does nothing
  SUCCEED();
}

TEST(EventHubTest, ConcurrentPublishSubscribeAndCancel) {
  EventHub hub;
  std::vector<SseStream> streams(64);
  std::thread publisher([&] {
    for (int i = 0; i < 2000; ++i) hub.Publish(MessageCreated(i % 4, i));
  });
  for (size_t i = 0; i < streams.size(); ++i) {
    hub.Subscribe(streams[i], {static_cast<int64_t>(i % 4)});
    if (i % 2 == 0) streams[i].state()->Cancel("client disconnected");
  }
  publisher.join();
  EXPECT_EQ(hub.subscriber_count(), 32);
}

}  // namespace
}  // namespace troupe::server
