#include "cli/interrupt.h"

namespace troupe::cli {
namespace {

std::atomic<bool> interrupt_requested{false};

extern "C" void OnInterruptSignal(int signal_number) {
  if (interrupt_requested.exchange(true)) {
    ::signal(signal_number, SIG_DFL);
    ::raise(signal_number);
  }
}

}  // namespace

StopOnInterrupt::StopOnInterrupt() {
  interrupt_requested.store(false);
  struct sigaction action = {};
  action.sa_handler = OnInterruptSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, &previous_int_);
  sigaction(SIGTERM, &action, &previous_term_);
}

StopOnInterrupt::~StopOnInterrupt() {
  sigaction(SIGINT, &previous_int_, nullptr);
  sigaction(SIGTERM, &previous_term_, nullptr);
}

const std::atomic<bool>* InterruptFlag() { return &interrupt_requested; }

bool InterruptRequested() { return interrupt_requested.load(); }

void ResetInterrupt() { interrupt_requested.store(false); }

}  // namespace troupe::cli
