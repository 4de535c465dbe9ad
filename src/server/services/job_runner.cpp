#include "server/services/job_runner.h"

#include "base/thread_name.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <spdlog/spdlog.h>

namespace troupe::server {

std::string DefaultJobWorkerId() {
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) != 0) host[0] = '\0';
  return std::string(host[0] != '\0' ? host : "troupe") + ":" + std::to_string(getpid());
}

struct JobRunner::State : std::enable_shared_from_this<JobRunner::State> {
  store::Store& store;
  JobRunnerOptions options;
  const Clock& clock;
  std::map<std::string, Handler> handlers;
  std::vector<std::string> kinds;

  struct Periodic {
    std::string name;
    int64_t interval_ms;
    std::function<void()> task;
    int64_t next_at = 0;
    bool running = false;
  };
  std::vector<Periodic> periodic;  // guarded by mutex

  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  uint64_t wake_generation = 0;
  std::vector<std::thread> threads;
  std::atomic<int64_t> completed{0};
  std::atomic<int64_t> failed{0};
  int64_t next_release_at = 0;  // guarded by mutex

  State(store::Store& store, JobRunnerOptions options)
      : store(store),
        options(std::move(options)),
        clock(this->options.clock != nullptr ? *this->options.clock : SystemClock::Instance()) {}

  class Context final : public JobContext {
   public:
    Context(State& state, store::Job& job, std::string worker) : state_(state), job_(job), worker_(worker) {}
    bool ReportProgress(double progress) override {
      if (Stopping()) return false;
      Result<bool> cancel = state_.store.jobs().ReportProgress(job_.id, worker_, progress);
      if (!Heard(cancel)) return false;
      job_.progress = std::clamp(progress, 0.0, 1.0);
      state_.Changed(job_);
      return true;
    }
    bool SaveCheckpoint(const std::string& checkpoint_json) override {
      if (Stopping()) return false;
      Result<bool> cancel = state_.store.jobs().SaveCheckpoint(job_.id, worker_, checkpoint_json);
      if (!Heard(cancel)) return false;
      job_.checkpoint_json = checkpoint_json;
      return true;
    }
    bool cancelled() const { return cancelled_; }
    bool lost() const { return lost_; }
    bool interrupted() const { return interrupted_; }

   private:
    bool Stopping() {
      std::lock_guard lock(state_.mutex);
      interrupted_ = interrupted_ || state_.stopping;
      return interrupted_;
    }
    // Whether the handler may go on after the store answered a heartbeat.
    bool Heard(const Result<bool>& cancel) {
      if (!cancel.ok()) {
        spdlog::warn("job {} ({}): heartbeat not recorded: {}", job_.id, job_.kind, cancel.status().ToString());
        lost_ = cancel.status().code() == StatusCode::kConflict;
        return !lost_;
      }
      cancelled_ = *cancel;
      return !cancelled_;
    }

    State& state_;
    store::Job& job_;
    std::string worker_;
    bool cancelled_ = false;
    bool lost_ = false;
    bool interrupted_ = false;
  };

  void Changed(const store::Job& job) {
    if (!options.on_change) return;
    try {
      options.on_change(job);
    } catch (const std::exception& error) {
      spdlog::error("job {}: the change observer threw: {}", job.id, error.what());
    }
  }

  // Tells the observer how a job this runner finished now stands in the store.
  void ChangedInStore(int64_t id) {
    if (!options.on_change) return;
    if (Result<store::Job> now = store.jobs().Get(id); now.ok()) Changed(*now);
  }

  // One due periodic task, marked running; nullptr when none is due.
  Periodic* TakeDuePeriodic() {
    const int64_t now = clock.NowMillis();
    for (Periodic& task : periodic) {
      if (!task.running && now >= task.next_at) {
        task.running = true;
        return &task;
      }
    }
    return nullptr;
  }

  void RunPeriodic(Periodic& task) {
    try {
      task.task();
    } catch (const std::exception& error) {
      spdlog::error("periodic task {} failed: {}", task.name, error.what());
    }
    std::lock_guard lock(mutex);
    task.running = false;
    task.next_at = clock.NowMillis() + task.interval_ms;
  }

  void ReleaseExpiredLeases() {
    {
      std::lock_guard lock(mutex);
      const int64_t now = clock.NowMillis();
      if (now < next_release_at) return;
      next_release_at = now + options.lease_ms / 4 + 1;
    }
    Result<int> released = store.jobs().ReleaseExpired(options.lease_ms);
    if (!released.ok()) {
      spdlog::warn("releasing expired job leases failed: {}", released.status().ToString());
    } else if (*released > 0) {
      spdlog::warn("released {} job(s) whose worker stopped sending heartbeats", *released);
    }
  }

  // Claims and runs one job; false when none was ready.
  bool RunOneJob(const std::string& worker) {
    if (kinds.empty()) return false;
    Result<std::optional<store::Job>> claimed = store.jobs().Claim(worker, kinds);
    if (!claimed.ok()) {
      spdlog::warn("claiming a job failed: {}", claimed.status().ToString());
      return false;
    }
    if (!claimed->has_value()) return false;
    store::Job job = std::move(**claimed);
    Changed(job);
    Context context(*this, job, worker);
    Result<nlohmann::json> result = Status(StatusCode::kInternal, "no handler");
    try {
      result = handlers.at(job.kind)(job, context);
    } catch (const std::exception& error) {
      result = Status(StatusCode::kInternal, std::string("the handler threw: ") + error.what());
    }
    if (context.lost()) return true;  // another worker owns it now
    Record(job, worker, context, result);
    ChangedInStore(job.id);
    return true;
  }

  // Stores how an attempt ended.
  void Record(const store::Job& job, const std::string& worker, const Context& context,
              const Result<nlohmann::json>& result) {
    if (context.cancelled()) {
      if (Status status = store.jobs().MarkCancelled(job.id, worker); !status.ok()) {
        spdlog::warn("job {}: recording the cancellation failed: {}", job.id, status.ToString());
      }
      return;
    }
    if (context.interrupted()) {
      spdlog::info("job {} ({}) stopped by the shutdown; back in the queue", job.id, job.kind);
      if (Status status = store.jobs().Requeue(job.id, worker); !status.ok()) {
        spdlog::warn("job {}: putting it back in the queue failed: {}", job.id, status.ToString());
      }
      return;
    }
    if (result.ok()) {
      if (Status status = store.jobs().Complete(job.id, worker, result->dump()); !status.ok()) {
        spdlog::warn("job {} ({}): recording the result failed: {}", job.id, job.kind, status.ToString());
      }
      ++completed;
      return;
    }
    spdlog::warn("job {} ({}) attempt {} failed: {}", job.id, job.kind, job.attempts, result.status().ToString());
    // Bad input or a state the job cannot change fails for good: another attempt would fail alike.
    const StatusCode code = result.status().code();
    const bool retryable = code != StatusCode::kInvalidArgument && code != StatusCode::kFailedPrecondition &&
                           code != StatusCode::kNotFound;
    if (Status status = store.jobs().Fail(job.id, worker, result.status().ToString(), options.retry_delay_ms, retryable);
        !status.ok()) {
      spdlog::warn("job {}: recording the failure failed: {}", job.id, status.ToString());
    }
    ++failed;
  }

  void WakeWorkers() {
    {
      std::lock_guard lock(mutex);
      ++wake_generation;
    }
    wake.notify_all();
  }

  void Work(int index) {
    const std::string worker = options.worker_id + "/" + std::to_string(index);
    uint64_t seen_generation = 0;
    for (;;) {
      Periodic* due = nullptr;
      {
        std::lock_guard lock(mutex);
        if (stopping) return;
        due = TakeDuePeriodic();
      }
      if (due != nullptr) RunPeriodic(*due);
      ReleaseExpiredLeases();
      bool ran = RunOneJob(worker);
      if (ran) continue;
      std::unique_lock lock(mutex);
      if (stopping) return;
      if (wake_generation != seen_generation) {
        seen_generation = wake_generation;
        continue;
      }
      const Clock::TimerId poll = clock.After(options.poll_interval_ms, [weak = weak_from_this()] {
        if (std::shared_ptr<State> state = weak.lock()) state->WakeWorkers();
      });
      wake.wait(lock, [&] { return stopping || wake_generation != seen_generation; });
      seen_generation = wake_generation;
      lock.unlock();
      clock.Cancel(poll);
    }
  }
};

JobRunner::JobRunner(store::Store& store, JobRunnerOptions options)
    : state_(std::make_shared<State>(store, std::move(options))) {
  if (state_->options.worker_id.empty()) state_->options.worker_id = DefaultJobWorkerId();
  if (state_->options.workers < 1) state_->options.workers = 1;
}

JobRunner::~JobRunner() { Stop(); }

void JobRunner::Register(std::string kind, Handler handler) {
  state_->kinds.push_back(kind);
  state_->handlers.emplace(std::move(kind), std::move(handler));
}

void JobRunner::AddPeriodic(std::string name, int64_t interval_ms, std::function<void()> task) {
  state_->periodic.push_back({std::move(name), interval_ms, std::move(task),
                              state_->clock.NowMillis() + interval_ms, false});
}

void JobRunner::Start() {
  for (int i = 0; i < state_->options.workers; ++i) {
    state_->threads.emplace_back([this, i] {
      NameCurrentThread("jobs");
      state_->Work(i);
    });
  }
}

void JobRunner::Wake() { state_->WakeWorkers(); }

void JobRunner::Stop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stopping = true;
  }
  state_->wake.notify_all();
  for (std::thread& thread : state_->threads) {
    if (thread.joinable()) thread.join();
  }
  state_->threads.clear();
}

int64_t JobRunner::completed() const { return state_->completed; }
int64_t JobRunner::failed() const { return state_->failed; }

}  // namespace troupe::server
