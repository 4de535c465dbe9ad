// Which turn runs when. Every conversation has its own first-in-first-out queue: turns of one
// conversation run one after another, in the order they were submitted, and turns of different
// conversations never wait on each other. A conversation's queue exists only while it has turns,
// so the table is as large as the work in flight, and no lock is held while a turn runs.
//
// Admission is where the limits are: turns admitted (running or waiting) on this node, per end
// user, and per provider (its upstream's capacity). Past any of them Submit refuses with
// kResourceExhausted naming the limit, and the caller answers 429 with Retry-After; nothing is
// queued without bound. Exclusive sections (a job's proactive message, an edit) queue like turns
// but are not counted against the limits: they are the operator's work, not a client's.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

#include "base/status.h"

namespace troupe::chat {

struct TurnLimits {
  int per_node = 2000;     // admitted turns on this node (0: no limit)
  int per_user = 8;        // admitted turns of one end user (0: no limit)
  int per_provider = 0;    // admitted turns per provider unless `providers` names it (0: no limit)
  std::map<std::string, int, std::less<>> providers;  // provider name -> its own limit
  int retry_after_seconds = 2;  // what a refusal tells the client to wait
};

// Who a turn is for, for the limits and the ordering. conversation_id 0: a turn of no conversation
// (a /v1 completion), which is counted but orders with nothing.
struct TurnKey {
  int64_t conversation_id = 0;
  int64_t user_id = 0;
  std::string provider;
};

class TurnQueue {
 public:
  // Called exactly once by a running turn when it is over; starts the conversation's next turn.
  using Finished = std::function<void()>;
  // How the queue starts a turn: `post` hands `run` to a worker (it must not run it inline).
  TurnQueue(TurnLimits limits, std::function<void(std::function<void()>)> post);
  ~TurnQueue();
  TurnQueue(const TurnQueue&) = delete;
  TurnQueue& operator=(const TurnQueue&) = delete;

  // A turn admitted but not yet queued: it counts against the limits until it is queued with Run
  // or dropped.
  class Ticket;
  // kResourceExhausted past a limit; kUnavailable once Close was called.
  Result<Ticket> Admit(const TurnKey& key);
  // Queues an admitted turn; `run` is started on a worker when the conversation's earlier turns
  // are over, and must call its Finished once.
  void Run(Ticket ticket, std::function<void(Finished)> run);
  // Admit and Run.
  Status Submit(const TurnKey& key, std::function<void(Finished)> run);

  // Waits, on the calling thread, until the conversation's earlier turns are over, and holds its
  // place until the returned guard goes: for sections that own their thread (jobs, edits).
  // kUnavailable once Close was called.
  class Exclusive;
  Result<std::unique_ptr<Exclusive>> Acquire(int64_t conversation_id);

  // Refuses new turns from now on; turns already admitted still run.
  void Close();
  // Waits (real time, at most `limit_ms`) until no turn is admitted; false when time ran out.
  bool WaitIdle(int64_t limit_ms) const;

  int admitted() const;  // running or waiting
  int waiting() const;   // admitted but behind an earlier turn of their conversation
  const TurnLimits& limits() const { return limits_; }

 private:
  struct State;
  Result<Ticket> Enter(const TurnKey& key, bool counted);

  TurnLimits limits_;
  std::shared_ptr<State> state_;
};

class TurnQueue::Ticket {
 public:
  Ticket(std::shared_ptr<State> state, TurnKey key, bool counted);
  ~Ticket();  // an unused ticket gives its place back
  Ticket(Ticket&& other) noexcept;
  Ticket& operator=(Ticket&&) = delete;
  Ticket(const Ticket&) = delete;
  Ticket& operator=(const Ticket&) = delete;

 private:
  friend class TurnQueue;
  std::shared_ptr<State> state_;  // null once used or moved from
  TurnKey key_;
  bool counted_ = true;
};

class TurnQueue::Exclusive {
 public:
  explicit Exclusive(Finished release) : release_(std::move(release)) {}
  ~Exclusive() {
    if (release_) release_();
  }
  Exclusive(const Exclusive&) = delete;
  Exclusive& operator=(const Exclusive&) = delete;

 private:
  Finished release_;
};

}  // namespace troupe::chat
