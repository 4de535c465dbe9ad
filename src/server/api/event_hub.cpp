#include "server/api/event_hub.h"

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

namespace troupe::server {

struct EventHub::State {
  struct Subscriber {
    uint64_t id;
    LiveEventFilter filter;
    SseStream stream;
  };

  mutable std::mutex mutex;  // guards by_user, everyone, count
  std::map<int64_t, std::vector<Subscriber>> by_user;
  std::vector<Subscriber> everyone;
  int count = 0;
  std::atomic<uint64_t> next_subscriber{1};
  std::atomic<uint64_t> next_event{1};

  std::vector<Subscriber>& ListFor(const LiveEventFilter& filter) {
    return filter.user_id ? by_user[*filter.user_id] : everyone;
  }

  void Remove(const LiveEventFilter& filter, uint64_t id) {
    std::lock_guard lock(mutex);
    std::vector<Subscriber>& list = ListFor(filter);
    for (auto it = list.begin(); it != list.end(); ++it) {
      if (it->id == id) {
        list.erase(it);
        --count;
        break;
      }
    }
    if (filter.user_id && list.empty()) by_user.erase(*filter.user_id);
  }
};

EventHub::EventHub() : state_(std::make_shared<State>()) {}
EventHub::~EventHub() = default;

void EventHub::Subscribe(SseStream stream, LiveEventFilter filter) {
  const uint64_t id = state_->next_subscriber++;
  {
    std::lock_guard lock(state_->mutex);
    state_->ListFor(filter).push_back({id, filter, stream});
    ++state_->count;
  }
  std::weak_ptr<State> weak = state_;
  stream.OnCancel([weak, filter, id] {
    if (auto state = weak.lock()) state->Remove(filter, id);
  });
}

int EventHub::Publish(const LiveEvent& event) {
  SseEvent wire;
  wire.event = event.type;
  wire.id = std::to_string(state_->next_event++);
  wire.data = event.data_json;

  std::vector<State::Subscriber> targets;
  {
    std::lock_guard lock(state_->mutex);
    auto user = state_->by_user.find(event.user_id);
    if (user != state_->by_user.end()) targets = user->second;
    targets.insert(targets.end(), state_->everyone.begin(), state_->everyone.end());
  }
  // Send outside the lock: a stream that overflows cancels itself, and its cancel callback takes
  // the lock to unsubscribe.
  int delivered = 0;
  for (State::Subscriber& subscriber : targets) {
    if (subscriber.stream.Send(wire)) {
      ++delivered;
    } else {
      state_->Remove(subscriber.filter, subscriber.id);  // closed without being cancelled
    }
  }
  return delivered;
}

int EventHub::subscriber_count() const {
  std::lock_guard lock(state_->mutex);
  return state_->count;
}

}  // namespace troupe::server
