// Ctrl-C as a request to stop long work cleanly. While a StopOnInterrupt lives, SIGINT and SIGTERM
// set the interrupt flag, which generation, downloads and benchmarks poll as their cancel flag; a
// second signal before the flag is reset ends the process the default way, for work stuck where it
// cannot look at the flag. One instance at a time; the previous handlers come back with its end.
#pragma once

#include <signal.h>  // struct sigaction (POSIX)

#include <atomic>

namespace troupe::cli {

// The shell's exit status for a command stopped by Ctrl-C.
inline constexpr int kInterruptedExitCode = 130;

class StopOnInterrupt {
 public:
  StopOnInterrupt();
  ~StopOnInterrupt();
  StopOnInterrupt(const StopOnInterrupt&) = delete;
  StopOnInterrupt& operator=(const StopOnInterrupt&) = delete;

 private:
  struct sigaction previous_int_ = {};
  struct sigaction previous_term_ = {};
};

// The flag the handlers set, for a cancel pointer.
const std::atomic<bool>* InterruptFlag();
bool InterruptRequested();
// Clears the flag before the next piece of work (an interactive chat's next reply).
void ResetInterrupt();

}  // namespace troupe::cli
