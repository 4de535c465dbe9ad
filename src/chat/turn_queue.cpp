// Per-conversation turn queues and admission limits (turn_queue.h).
#include "chat/turn_queue.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

namespace troupe::chat {

namespace {

struct Pending {
  TurnKey key;
  bool counted = true;
  std::function<void(TurnQueue::Finished)> run;
};

}  // namespace

struct TurnQueue::State {
  std::function<void(std::function<void()>)> post;
  mutable std::mutex mutex;
  mutable std::condition_variable idle;
  bool closed = false;
  int admitted = 0;
  int waiting = 0;
  std::unordered_map<int64_t, int> per_user;
  std::map<std::string, int, std::less<>> per_provider;
  // Conversations with a turn running: the turns waiting behind it, in order.
  std::unordered_map<int64_t, std::deque<Pending>> conversations;

  // Counts `pending` in (+1) or out (-1) of the limits it is counted against. Under the mutex.
  void Count(const Pending& pending, int delta) {
    if (!pending.counted) return;
    admitted += delta;
    if ((per_user[pending.key.user_id] += delta) == 0) per_user.erase(pending.key.user_id);
    const auto provider = per_provider.find(pending.key.provider);
    if (provider == per_provider.end()) {
      per_provider.emplace(pending.key.provider, delta);
    } else if ((provider->second += delta) == 0) {
      per_provider.erase(provider);
    }
  }

  // Runs the turn on a worker, and when it finishes, the conversation's next.
  static void Start(const std::shared_ptr<State>& state, Pending pending) {
    auto once = std::make_shared<std::atomic<bool>>(false);
    Finished finished = [state, key = pending.key, counted = pending.counted, once] {
      if (once->exchange(true)) return;
      std::unique_lock lock(state->mutex);
      state->Count(Pending{key, counted, {}}, -1);
      std::optional<Pending> next;
      if (key.conversation_id != 0) {
        const auto queue = state->conversations.find(key.conversation_id);
        if (queue != state->conversations.end()) {
          if (queue->second.empty()) {
            state->conversations.erase(queue);
          } else {
            next = std::move(queue->second.front());
            queue->second.pop_front();
            --state->waiting;
          }
        }
      }
      if (state->admitted == 0) state->idle.notify_all();
      lock.unlock();
      if (next) Start(state, std::move(*next));
    };
    state->post([run = std::move(pending.run), finished = std::move(finished)]() mutable { run(std::move(finished)); });
  }
};

namespace {

std::string Refusal(std::string_view what, int limit) {
  return std::string(what) + " (" + std::to_string(limit) + ") are already running or waiting; retry shortly";
}

}  // namespace

TurnQueue::TurnQueue(TurnLimits limits, std::function<void(std::function<void()>)> post)
    : limits_(std::move(limits)), state_(std::make_shared<State>()) {
  state_->post = std::move(post);
}

TurnQueue::~TurnQueue() = default;

Status TurnQueue::Submit(const TurnKey& key, std::function<void(Finished)> run) {
  TROUPE_ASSIGN_OR_RETURN(Ticket ticket, Admit(key));
  Run(std::move(ticket), std::move(run));
  return Status::Ok();
}

Result<TurnQueue::Ticket> TurnQueue::Admit(const TurnKey& key) { return Enter(key, true); }

Result<TurnQueue::Ticket> TurnQueue::Enter(const TurnKey& key, bool counted) {
  std::lock_guard lock(state_->mutex);
  if (state_->closed) return Status(StatusCode::kUnavailable, "the chat runtime is shutting down");
  if (counted) {
    if (limits_.per_node > 0 && state_->admitted >= limits_.per_node) {
      return Status(StatusCode::kResourceExhausted, Refusal("as many turns as this node takes", limits_.per_node));
    }
    if (limits_.per_user > 0 && key.user_id != 0) {
      const auto user = state_->per_user.find(key.user_id);
      if (user != state_->per_user.end() && user->second >= limits_.per_user) {
        return Status(StatusCode::kResourceExhausted, Refusal("as many turns as one user may have", limits_.per_user));
      }
    }
    const auto named = limits_.providers.find(key.provider);
    const int provider_limit = named != limits_.providers.end() ? named->second : limits_.per_provider;
    if (provider_limit > 0) {
      const auto in_use = state_->per_provider.find(key.provider);
      if (in_use != state_->per_provider.end() && in_use->second >= provider_limit) {
        return Status(StatusCode::kResourceExhausted,
                      Refusal("as many turns as provider '" + key.provider + "' takes", provider_limit));
      }
    }
  }
  state_->Count(Pending{key, counted, {}}, +1);
  return Ticket(state_, key, counted);
}

void TurnQueue::Run(Ticket ticket, std::function<void(Finished)> run) {
  std::shared_ptr<State> state = std::move(ticket.state_);
  Pending pending{ticket.key_, ticket.counted_, std::move(run)};
  std::unique_lock lock(state->mutex);
  if (pending.key.conversation_id != 0) {
    const auto [busy, inserted] = state->conversations.try_emplace(pending.key.conversation_id);
    if (!inserted) {
      busy->second.push_back(std::move(pending));
      ++state->waiting;
      return;
    }
  }
  lock.unlock();
  State::Start(state, std::move(pending));
}

TurnQueue::Ticket::Ticket(std::shared_ptr<State> state, TurnKey key, bool counted)
    : state_(std::move(state)), key_(std::move(key)), counted_(counted) {}

TurnQueue::Ticket::Ticket(Ticket&& other) noexcept
    : state_(std::move(other.state_)), key_(std::move(other.key_)), counted_(other.counted_) {}

TurnQueue::Ticket::~Ticket() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->Count(Pending{key_, counted_, {}}, -1);
  if (state_->admitted == 0) state_->idle.notify_all();
}

Result<std::unique_ptr<TurnQueue::Exclusive>> TurnQueue::Acquire(int64_t conversation_id) {
  auto granted = std::make_shared<std::promise<Finished>>();
  std::future<Finished> release = granted->get_future();
  TROUPE_ASSIGN_OR_RETURN(Ticket ticket, Enter(TurnKey{conversation_id, 0, ""}, false));
  Run(std::move(ticket), [granted](Finished finished) { granted->set_value(std::move(finished)); });
  return std::make_unique<Exclusive>(release.get());
}

void TurnQueue::Close() {
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
}

bool TurnQueue::WaitIdle(int64_t limit_ms) const {
  std::unique_lock lock(state_->mutex);
  return state_->idle.wait_for(lock, std::chrono::milliseconds(limit_ms), [&] { return state_->admitted == 0; });
}

int TurnQueue::admitted() const {
  std::lock_guard lock(state_->mutex);
  return state_->admitted;
}

int TurnQueue::waiting() const {
  std::lock_guard lock(state_->mutex);
  return state_->waiting;
}

}  // namespace troupe::chat
