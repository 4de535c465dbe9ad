#include "server/http/clock_timer.h"

#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <optional>

namespace troupe::server {

namespace net = boost::asio;
using std::chrono::milliseconds;

// What the clock's task and the post to the strand share with the timer. The mutex is held while
// on_fire runs, so a timer destroyed on another thread (a session can go on the server's control
// strand) waits for a running on_fire and stops every later one.
struct ClockTimer::Shared {
  std::mutex mutex;
  std::optional<net::any_io_executor> executor;  // guarded; gone with the timer, so nothing posts after
  uint64_t generation = 0;                       // guarded; every Arm and Cancel makes older fires stale
  Clock::TimerId clock_timer = 0;                // guarded
  std::function<void()> on_fire;                 // guarded

  // The clock's task: any thread, short, never blocks.
  static void Ring(const std::weak_ptr<Shared>& weak, uint64_t armed_as) {
    const std::shared_ptr<Shared> shared = weak.lock();
    if (!shared) return;
    std::lock_guard lock(shared->mutex);
    if (!shared->executor || shared->generation != armed_as) return;
    net::post(*shared->executor, [shared, armed_as] { shared->Fire(armed_as); });
  }

  // On the strand.
  void Fire(uint64_t armed_as) {
    std::lock_guard lock(mutex);
    if (!executor || generation != armed_as) return;
    clock_timer = 0;
    const std::function<void()> fire = std::move(on_fire);
    on_fire = nullptr;
    fire();
  }
};

ClockTimer::ClockTimer(const Clock& clock, net::any_io_executor executor)
    : clock_(clock), shared_(std::make_shared<Shared>()), signal_(executor) {
  shared_->executor = std::move(executor);
}

ClockTimer::~ClockTimer() {
  Cancel();
  std::lock_guard lock(shared_->mutex);
  shared_->executor.reset();
}

void ClockTimer::Arm(milliseconds delay, std::function<void()> on_fire) {
  Cancel();
  std::lock_guard lock(shared_->mutex);
  const uint64_t armed_as = ++shared_->generation;
  shared_->on_fire = std::move(on_fire);
  if (delay.count() <= 0) {
    // No wait is no timer: a ManualClock would hold even a zero wait until the test advanced it.
    net::post(*shared_->executor, [shared = shared_, armed_as] { shared->Fire(armed_as); });
    return;
  }
  shared_->clock_timer = clock_.After(delay.count(), [weak = std::weak_ptr<Shared>(shared_), armed_as] {
    Shared::Ring(weak, armed_as);
  });
}

void ClockTimer::Cancel() {
  Clock::TimerId pending = 0;
  std::function<void()> dropped;  // destroyed outside the lock
  {
    std::lock_guard lock(shared_->mutex);
    ++shared_->generation;
    pending = std::exchange(shared_->clock_timer, 0);
    dropped = std::move(shared_->on_fire);
    shared_->on_fire = nullptr;
  }
  if (pending != 0) clock_.Cancel(pending);
}

net::awaitable<bool> ClockTimer::Wait(milliseconds delay) {
  fired_ = false;
  signal_.expires_at(net::steady_timer::time_point::max());
  // `this` is safe here: on_fire runs under the shared mutex, which the destructor takes first.
  Arm(delay, [this] {
    fired_ = true;
    signal_.cancel();
  });
  boost::system::error_code woken;  // operation_aborted either way; fired_ says which
  co_await signal_.async_wait(net::redirect_error(net::use_awaitable, woken));
  Cancel();
  co_return fired_;
}

net::awaitable<void> ClockTimer::WaitForWake() {
  signal_.expires_at(net::steady_timer::time_point::max());
  boost::system::error_code woken;
  co_await signal_.async_wait(net::redirect_error(net::use_awaitable, woken));
}

void ClockTimer::Wake() { signal_.cancel(); }

}  // namespace troupe::server
