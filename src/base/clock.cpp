// Clocks and their timers (clock.h).
#include "base/clock.h"
#include "base/thread_name.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>

namespace troupe {
namespace {

// Timers waiting, ordered by when they are due and then by when they were set.
class TimerTable {
 public:
  using Key = std::pair<int64_t, Clock::TimerId>;

  Clock::TimerId Add(int64_t due, std::function<void()> task) {
    const Clock::TimerId id = ++last_id_;
    waiting_.emplace(Key{due, id}, std::move(task));
    due_of_.emplace(id, due);
    return id;
  }
  bool Remove(Clock::TimerId id) {
    const auto found = due_of_.find(id);
    if (found == due_of_.end()) return false;
    waiting_.erase(Key{found->second, id});
    due_of_.erase(found);
    return true;
  }
  // The earliest timer's due time, when there is one.
  bool Earliest(int64_t& due) const {
    if (waiting_.empty()) return false;
    due = waiting_.begin()->first.first;
    return true;
  }
  // Takes the earliest timer when it is due by `now`.
  bool TakeDue(int64_t now, std::function<void()>& task) {
    if (waiting_.empty() || waiting_.begin()->first.first > now) return false;
    auto first = waiting_.begin();
    task = std::move(first->second);
    due_of_.erase(first->first.second);
    waiting_.erase(first);
    return true;
  }
  void Clear() {
    waiting_.clear();
    due_of_.clear();
  }
  size_t size() const { return waiting_.size(); }
  Clock::TimerId last_id() const { return last_id_; }

 private:
  Clock::TimerId last_id_ = 0;
  std::map<Key, std::function<void()>> waiting_;
  std::unordered_map<Clock::TimerId, int64_t> due_of_;
};

// A timer's task must not take its thread down with it.
void RunTask(std::function<void()>& task) {
  try {
    task();
  } catch (...) {  // NOLINT(bugprone-empty-catch): nothing to tell; the owner of the task reports
  }
}

int64_t SteadyMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

bool Clock::SleepFor(int64_t delay_ms, const std::atomic<bool>* stop, int64_t poll_ms) const {
  struct Wake {
    std::mutex mutex;
    std::condition_variable rung;
    bool fired = false;
  };
  const auto stopped = [stop] { return stop != nullptr && stop->load(); };
  int64_t left = std::max<int64_t>(delay_ms, 0);
  while (left > 0 && !stopped()) {
    const int64_t slice = stop == nullptr ? left : std::min(left, std::max<int64_t>(poll_ms, 1));
    auto wake = std::make_shared<Wake>();
    After(slice, [wake] {
      std::lock_guard lock(wake->mutex);
      wake->fired = true;
      wake->rung.notify_all();
    });
    std::unique_lock lock(wake->mutex);
    wake->rung.wait(lock, [&] { return wake->fired; });
    left -= slice;
  }
  return !stopped();
}

// --- SystemClock -----------------------------------------------------------------------------

struct SystemClock::Timers {
  std::mutex mutex;
  std::condition_variable changed;
  TimerTable table;  // due times in steady milliseconds
  bool stopping = false;
  std::thread thread;

  void Run() {
    std::unique_lock lock(mutex);
    while (!stopping) {
      int64_t due = 0;
      if (!table.Earliest(due)) {
        changed.wait(lock);
        continue;
      }
      const int64_t now = SteadyMillis();
      if (due > now) {
        changed.wait_for(lock, std::chrono::milliseconds(due - now));
        continue;
      }
      std::function<void()> task;
      if (!table.TakeDue(now, task)) continue;
      lock.unlock();
      RunTask(task);
      task = nullptr;  // whatever it holds goes before the lock is taken again
      lock.lock();
    }
  }
};

SystemClock::SystemClock() : timers_(std::make_unique<Timers>()) {}

SystemClock::~SystemClock() {
  {
    std::lock_guard lock(timers_->mutex);
    timers_->stopping = true;
    timers_->table.Clear();
  }
  timers_->changed.notify_all();
  if (timers_->thread.joinable()) timers_->thread.join();
}

int64_t SystemClock::NowMillis() const {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

Clock::TimerId SystemClock::After(int64_t delay_ms, std::function<void()> task) const {
  std::lock_guard lock(timers_->mutex);
  if (!timers_->thread.joinable() && !timers_->stopping) {
    timers_->thread = std::thread([timers = timers_.get()] {
      NameCurrentThread("timers");
      timers->Run();
    });
  }
  const int64_t due = SteadyMillis() + std::max<int64_t>(delay_ms, 0);
  int64_t earliest = 0;
  // The thread sleeps until the earliest timer; it needs waking only when this one comes sooner.
  // Deadlines set and cancelled around every read and write are rarely the earliest, so most
  // timers cost no wake-up.
  const bool sooner = !timers_->table.Earliest(earliest) || due < earliest;
  const TimerId id = timers_->table.Add(due, std::move(task));
  if (sooner) timers_->changed.notify_all();
  return id;
}

bool SystemClock::Cancel(TimerId id) const {
  std::lock_guard lock(timers_->mutex);
  return timers_->table.Remove(id);
}

const SystemClock& SystemClock::Instance() {
  static const SystemClock clock;
  return clock;
}

// --- ManualClock -----------------------------------------------------------------------------

struct ManualClock::Timers {
  mutable std::mutex mutex;
  mutable std::condition_variable changed;
  TimerTable table;  // due times in this clock's milliseconds
};

ManualClock::ManualClock(int64_t start_millis) : now_(start_millis), timers_(std::make_unique<Timers>()) {}

ManualClock::~ManualClock() = default;

int64_t ManualClock::NowMillis() const { return now_.load(); }

Clock::TimerId ManualClock::After(int64_t delay_ms, std::function<void()> task) const {
  std::lock_guard lock(timers_->mutex);
  const TimerId id = timers_->table.Add(now_.load() + std::max<int64_t>(delay_ms, 0), std::move(task));
  timers_->changed.notify_all();
  return id;
}

bool ManualClock::Cancel(TimerId id) const {
  std::lock_guard lock(timers_->mutex);
  const bool removed = timers_->table.Remove(id);
  timers_->changed.notify_all();
  return removed;
}

void ManualClock::Advance(int64_t millis) { Set(now_.load() + millis); }

void ManualClock::Set(int64_t millis) {
  // Time steps from timer to timer, so a task sees the time it was due at and a timer it sets is
  // due relative to that.
  for (;;) {
    std::function<void()> task;
    {
      std::lock_guard lock(timers_->mutex);
      int64_t due = 0;
      if (!timers_->table.Earliest(due) || due > millis) break;
      if (due > now_.load()) now_ = due;
      timers_->table.TakeDue(due, task);
      timers_->changed.notify_all();
    }
    RunTask(task);
  }
  now_ = millis;
}

size_t ManualClock::pending_timers() const {
  std::lock_guard lock(timers_->mutex);
  return timers_->table.size();
}

size_t ManualClock::timers_set() const {
  std::lock_guard lock(timers_->mutex);
  return static_cast<size_t>(timers_->table.last_id());
}

bool ManualClock::WaitForTimersSet(size_t count, int64_t limit_ms) const {
  std::unique_lock lock(timers_->mutex);
  return timers_->changed.wait_for(lock, std::chrono::milliseconds(limit_ms),
                                   [&] { return timers_->table.last_id() >= count; });
}

bool ManualClock::WaitForPendingTimers(size_t count, int64_t limit_ms) const {
  std::unique_lock lock(timers_->mutex);
  return timers_->changed.wait_for(lock, std::chrono::milliseconds(limit_ms),
                                   [&] { return timers_->table.size() >= count; });
}

}  // namespace troupe
