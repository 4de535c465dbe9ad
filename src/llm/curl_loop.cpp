#include "llm/curl_loop.h"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace troupe::llm {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A safety net only: queued work and timers wake the loop themselves.
constexpr milliseconds kLongestPoll{1000};

void InitializeCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

}  // namespace

struct CurlLoop::State {
  // A change asked for from any thread, applied on the loop thread in the order asked.
  struct Command {
    enum class Kind { kAdd, kRemove, kTimer, kCancelTimer, kTask };
    Kind kind = Kind::kTask;
    Id id = 0;
    CURL* easy = nullptr;
    TransferDone done;
    Clock::time_point due;
    std::function<void()> task;
  };
  struct Transfer {
    CURL* easy = nullptr;
    TransferDone done;
  };

  CURLM* multi = nullptr;
  std::thread thread;
  std::thread::id loop_thread;  // set before any work can reach the thread
  std::atomic<Id> next_id{1};

  std::mutex mutex;  // guards the three below, and orders curl_multi_wakeup before the cleanup
  std::vector<Command> queued;
  bool stop_requested = false;
  bool closed = false;  // the loop takes no more work

  // The loop thread's own.
  std::unordered_map<Id, Transfer> transfers;
  std::unordered_map<CURL*, Id> transfer_of;
  std::map<std::pair<Clock::time_point, Id>, std::function<void()>> timers;  // by due time
  std::unordered_map<Id, Clock::time_point> timer_due;

  bool OnLoopThread() const { return std::this_thread::get_id() == loop_thread; }

  bool Queue(Command command) {
    std::lock_guard lock(mutex);
    if (closed) return false;
    queued.push_back(std::move(command));
    curl_multi_wakeup(multi);
    return true;
  }

  void Run() {
    while (!ApplyQueued()) {
      FireDueTimers();
      int running = 0;
      curl_multi_perform(multi, &running);
      ReapFinished();
      curl_multi_poll(multi, nullptr, 0, MillisUntilNextWork(), nullptr);
    }
    StopEverything();
  }

  // Applies what was queued; true once a stop was asked for and everything queued is done (the
  // loop is then closed to new work).
  bool ApplyQueued() {
    for (;;) {
      std::vector<Command> batch;
      bool stopping = false;
      {
        std::lock_guard lock(mutex);
        batch.swap(queued);
        stopping = stop_requested;
        if (stopping && batch.empty()) {
          closed = true;
          return true;
        }
      }
      for (Command& command : batch) Apply(command);
      // Work queued by this batch woke the loop; while stopping it is drained here instead.
      if (!stopping) return false;
    }
  }

  void Apply(Command& command) {
    switch (command.kind) {
      case Command::Kind::kAdd:
        if (curl_multi_add_handle(multi, command.easy) != CURLM_OK) {
          command.done(End::kFinished, CURLE_FAILED_INIT);
          return;
        }
        transfer_of[command.easy] = command.id;
        transfers.emplace(command.id, Transfer{command.easy, std::move(command.done)});
        return;
      case Command::Kind::kRemove: {
        const auto found = transfers.find(command.id);
        if (found == transfers.end()) return;  // it ended first
        TransferDone done = std::move(found->second.done);
        Forget(found);
        done(End::kRemoved, CURLE_OK);
        return;
      }
      case Command::Kind::kTimer:
        timers.emplace(std::pair{command.due, command.id}, std::move(command.task));
        timer_due.emplace(command.id, command.due);
        return;
      case Command::Kind::kCancelTimer:
        EraseTimer(command.id);
        return;
      case Command::Kind::kTask:
        command.task();
        return;
    }
  }

  // Takes a transfer out of the multi handle and the books; curl may close its connection.
  void Forget(std::unordered_map<Id, Transfer>::iterator transfer) {
    curl_multi_remove_handle(multi, transfer->second.easy);
    transfer_of.erase(transfer->second.easy);
    transfers.erase(transfer);
  }

  void EraseTimer(Id timer) {
    const auto due = timer_due.find(timer);
    if (due == timer_due.end()) return;
    timers.erase(std::pair{due->second, timer});
    timer_due.erase(due);
  }

  void FireDueTimers() {
    const Clock::time_point now = Clock::now();
    // One at a time from the front: a timer may cancel others.
    while (!timers.empty() && timers.begin()->first.first <= now) {
      auto node = timers.extract(timers.begin());
      timer_due.erase(node.key().second);
      node.mapped()();
    }
  }

  void ReapFinished() {
    int left = 0;
    while (CURLMsg* message = curl_multi_info_read(multi, &left)) {
      if (message->msg != CURLMSG_DONE) continue;
      const CURLcode code = message->data.result;
      const auto id = transfer_of.find(message->easy_handle);
      if (id == transfer_of.end()) continue;
      const auto transfer = transfers.find(id->second);
      TransferDone done = std::move(transfer->second.done);
      Forget(transfer);
      done(End::kFinished, code);
    }
  }

  int MillisUntilNextWork() {
    milliseconds wait = kLongestPoll;
    long curl_wants = -1;
    if (curl_multi_timeout(multi, &curl_wants) == CURLM_OK && curl_wants >= 0) {
      wait = std::min(wait, milliseconds(curl_wants));
    }
    if (!timers.empty()) {
      const auto until = std::chrono::ceil<milliseconds>(timers.begin()->first.first - Clock::now());
      wait = std::clamp(until, milliseconds(0), wait);
    }
    return static_cast<int>(wait.count());
  }

  // The loop is closed: no command can be queued any more.
  void StopEverything() {
    std::vector<TransferDone> ended;
    for (auto& [id, transfer] : transfers) {
      curl_multi_remove_handle(multi, transfer.easy);
      ended.push_back(std::move(transfer.done));
    }
    transfers.clear();
    transfer_of.clear();
    for (TransferDone& done : ended) done(End::kStopped, CURLE_OK);
    timers.clear();
    timer_due.clear();
  }
};

CurlLoop::CurlLoop() : state_(std::make_unique<State>()) {
  InitializeCurlOnce();
  state_->multi = curl_multi_init();
  // Without a multi handle the loop cannot run: it starts closed, and every call refuses work.
  if (state_->multi == nullptr) {
    state_->closed = true;
    return;
  }
  state_->thread = std::thread([state = state_.get()] { state->Run(); });
  state_->loop_thread = state_->thread.get_id();
}

CurlLoop::~CurlLoop() { Shutdown(); }

CurlLoop::Id CurlLoop::Add(CURL* easy, TransferDone done) {
  State::Command command;
  command.kind = State::Command::Kind::kAdd;
  command.id = state_->next_id++;
  command.easy = easy;
  command.done = std::move(done);
  const Id id = command.id;
  return state_->Queue(std::move(command)) ? id : 0;
}

void CurlLoop::Remove(Id transfer) {
  if (transfer == 0) return;
  State::Command command;
  command.kind = State::Command::Kind::kRemove;
  command.id = transfer;
  state_->Queue(std::move(command));
}

CurlLoop::Id CurlLoop::After(milliseconds delay, std::function<void()> fire) {
  State::Command command;
  command.kind = State::Command::Kind::kTimer;
  command.id = state_->next_id++;
  command.due = Clock::now() + std::max(delay, milliseconds(0));
  command.task = std::move(fire);
  const Id id = command.id;
  return state_->Queue(std::move(command)) ? id : 0;
}

void CurlLoop::CancelTimer(Id timer) {
  if (timer == 0) return;
  // On the loop thread the timer goes now, so it cannot fire in this turn's FireDueTimers; the
  // queued cancellation still catches one whose kTimer command is not applied yet.
  if (state_->OnLoopThread()) state_->EraseTimer(timer);
  State::Command command;
  command.kind = State::Command::Kind::kCancelTimer;
  command.id = timer;
  state_->Queue(std::move(command));
}

bool CurlLoop::Post(std::function<void()> task) {
  State::Command command;
  command.kind = State::Command::Kind::kTask;
  command.task = std::move(task);
  return state_->Queue(std::move(command));
}

void CurlLoop::Shutdown() {
  State& state = *state_;
  if (state.thread.joinable()) {
    assert(!state.OnLoopThread() && "CurlLoop::Shutdown on the loop thread would wait for itself");
    {
      std::lock_guard lock(state.mutex);
      state.stop_requested = true;
      curl_multi_wakeup(state.multi);
    }
    state.thread.join();
  }
  if (state.multi != nullptr) {
    curl_multi_cleanup(state.multi);
    state.multi = nullptr;
  }
}

}  // namespace troupe::llm
