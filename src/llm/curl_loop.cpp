#include "llm/curl_loop.h"

#include "base/thread_name.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace troupe::llm {
namespace {

// curl's own timeouts only; the loop's timers are on the troupe::Clock.
using SteadyClock = std::chrono::steady_clock;
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
    enum class Kind { kAdd, kRemove, kTimer, kTimerDue, kCancelTimer, kTask };
    Kind kind = Kind::kTask;
    Id id = 0;
    CURL* easy = nullptr;
    TransferDone done;
    milliseconds delay{0};
    std::function<void()> task;
  };
  struct Transfer {
    CURL* easy = nullptr;
    TransferDone done;
  };
  struct Timer {
    std::function<void()> fire;
    Clock::TimerId clock_timer = 0;  // 0 for a timer due at once
  };
  // What a clock's task reaches: the loop until Shutdown, nothing after. The task may run on the
  // clock's thread at any moment, so it holds this rather than the loop.
  struct Relay {
    std::mutex mutex;
    State* state = nullptr;  // guarded
  };

  explicit State(const Clock& clock_in) : clock(clock_in) {}

  const Clock& clock;
  const std::shared_ptr<Relay> relay = std::make_shared<Relay>();
  CURLM* multi = nullptr;
  // curl's socket interface over epoll: a wake-up costs in proportion to the sockets that are
  // ready, not to the transfers in flight (curl_multi_poll looks at every one each time).
  int epoll_fd = -1;
  int wake_fd = -1;  // an eventfd: other threads write to it to wake the loop
  std::optional<SteadyClock::time_point> curl_due;  // when curl wants socket_action(TIMEOUT); loop's own
  std::thread thread;
  std::thread::id loop_thread;  // set before any work can reach the thread
  std::atomic<Id> next_id{1};

  std::mutex mutex;  // guards the three below, and orders a wake-up before the cleanup
  std::vector<Command> queued;
  bool stop_requested = false;
  bool closed = false;  // the loop takes no more work

  // The loop thread's own.
  std::unordered_map<Id, Transfer> transfers;
  std::unordered_map<CURL*, Id> transfer_of;
  std::unordered_map<Id, Timer> timers;

  bool OnLoopThread() const { return std::this_thread::get_id() == loop_thread; }

  bool Queue(Command command) {
    std::lock_guard lock(mutex);
    if (closed) return false;
    queued.push_back(std::move(command));
    Wake();
    return true;
  }

  void Wake() const {
    const uint64_t one = 1;
    // A full counter (never in practice) still leaves the loop woken, so the result can be ignored.
    [[maybe_unused]] const ssize_t written = write(wake_fd, &one, sizeof one);
  }

  // CURLMOPT_SOCKETFUNCTION: curl says which sockets to watch for what.
  static int OnSocket(CURL*, curl_socket_t socket, int what, void* user, void*) {
    auto* state = static_cast<State*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(state->epoll_fd, EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    epoll_event event{};
    event.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    event.data.fd = socket;
    if (epoll_ctl(state->epoll_fd, EPOLL_CTL_MOD, socket, &event) != 0) {
      epoll_ctl(state->epoll_fd, EPOLL_CTL_ADD, socket, &event);
    }
    return 0;
  }

  // CURLMOPT_TIMERFUNCTION: when curl next wants to be called with CURL_SOCKET_TIMEOUT.
  static int OnTimer(CURLM*, long timeout_ms, void* user) {  // NOLINT(google-runtime-int): curl's type
    auto* state = static_cast<State*>(user);
    if (timeout_ms < 0) {
      state->curl_due.reset();
    } else {
      state->curl_due = SteadyClock::now() + milliseconds(timeout_ms);
    }
    return 0;
  }

  bool SetUpEvents() {
    epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epoll_fd < 0 || wake_fd < 0) return false;
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wake_fd;
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, wake_fd, &event) != 0) return false;
    curl_multi_setopt(multi, CURLMOPT_SOCKETFUNCTION, &State::OnSocket);
    curl_multi_setopt(multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi, CURLMOPT_TIMERFUNCTION, &State::OnTimer);
    curl_multi_setopt(multi, CURLMOPT_TIMERDATA, this);
    return true;
  }

  void CloseEvents() {
    if (epoll_fd >= 0) close(epoll_fd);
    if (wake_fd >= 0) close(wake_fd);
    epoll_fd = wake_fd = -1;
  }

  // What curl asked for by now: its timeout when due, then every socket epoll found ready.
  void WaitAndDrive() {
    int running = 0;
    if (curl_due && *curl_due <= SteadyClock::now()) {
      curl_due.reset();
      curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running);
      ReapFinished();
    }
    constexpr int kBatch = 256;
    epoll_event ready[kBatch];
    const int count = epoll_wait(epoll_fd, ready, kBatch, MillisUntilNextWork());
    for (int i = 0; i < count; ++i) {
      const int fd = ready[i].data.fd;
      if (fd == wake_fd) {
        uint64_t drained = 0;
        [[maybe_unused]] const ssize_t read_bytes = read(wake_fd, &drained, sizeof drained);
        continue;
      }
      const uint32_t events = ready[i].events;
      const int mask = ((events & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) | ((events & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                       ((events & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
      curl_multi_socket_action(multi, fd, mask, &running);
    }
    ReapFinished();
  }

  void Run() {
    while (!ApplyQueued()) WaitAndDrive();
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
        SetTimer(command);
        return;
      case Command::Kind::kTimerDue: {
        const auto found = timers.find(command.id);
        if (found == timers.end()) return;  // cancelled after the clock ran its task
        const std::function<void()> fire = std::move(found->second.fire);
        timers.erase(found);
        fire();
        return;
      }
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

  // The clock's task only queues kTimerDue; the timer fires when the loop applies it, so a timer
  // cancelled on the loop thread before then never fires.
  void SetTimer(Command& command) {
    Timer& timer = timers[command.id];
    timer.fire = std::move(command.task);
    if (command.delay.count() <= 0) {
      Command due;
      due.kind = Command::Kind::kTimerDue;
      due.id = command.id;
      Queue(std::move(due));
      return;
    }
    timer.clock_timer = clock.After(command.delay.count(), [relay = relay, id = command.id] {
      std::lock_guard lock(relay->mutex);
      if (relay->state == nullptr) return;
      Command due;
      due.kind = Command::Kind::kTimerDue;
      due.id = id;
      relay->state->Queue(std::move(due));
    });
  }

  void EraseTimer(Id timer) {
    const auto found = timers.find(timer);
    if (found == timers.end()) return;
    if (found->second.clock_timer != 0) clock.Cancel(found->second.clock_timer);
    timers.erase(found);
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

  // Only curl's own timeout: the clock's timers wake the loop through the queue.
  int MillisUntilNextWork() {
    milliseconds wait = kLongestPoll;
    if (curl_due) {
      const auto until = std::chrono::ceil<milliseconds>(*curl_due - SteadyClock::now());
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
    for (const auto& [id, timer] : timers) {
      if (timer.clock_timer != 0) clock.Cancel(timer.clock_timer);
    }
    timers.clear();
  }
};

CurlLoop::CurlLoop(const Clock& clock) : state_(std::make_unique<State>(clock)) {
  InitializeCurlOnce();
  state_->relay->state = state_.get();
  state_->multi = curl_multi_init();
  // Without a multi handle or its events the loop cannot run: it starts closed, and every call
  // refuses work.
  if (state_->multi == nullptr || !state_->SetUpEvents()) {
    state_->closed = true;
    return;
  }
  state_->thread = std::thread([state = state_.get()] {
    NameCurrentThread("curl");
    state->Run();
  });
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
  command.delay = delay;
  command.task = std::move(fire);
  const Id id = command.id;
  if (state_->OnLoopThread()) {
    // Set at once, so the clock has the timer by the time the loop's current work is seen to be
    // done (a test's ManualClock may be advanced right after).
    {
      std::lock_guard lock(state_->mutex);
      if (state_->closed) return 0;
    }
    state_->SetTimer(command);
    return id;
  }
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
      state.Wake();
    }
    state.thread.join();
  }
  {
    // A clock task running now finishes first; later ones find no loop.
    std::lock_guard lock(state.relay->mutex);
    state.relay->state = nullptr;
  }
  if (state.multi != nullptr) {
    curl_multi_cleanup(state.multi);  // may still tell OnSocket of sockets it closes
    state.multi = nullptr;
  }
  state.CloseEvents();
}

}  // namespace troupe::llm
