// Runs real programs for tests: the troupe binary, helper processes, database tools.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace troupe::testing {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs `argv` to completion with `extra_environment` added to (or overriding) the environment,
// capturing stdout and stderr. Fails the test if it does not finish within `timeout`.
ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_environment = {},
                         std::chrono::seconds timeout = std::chrono::seconds(60));

// A program left running in the background, e.g. `troupe serve`. Its output is read on demand.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& argv,
                    const std::map<std::string, std::string>& extra_environment = {});
  ~BackgroundProcess();  // SIGKILLs the process if it still runs
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Reads stderr until a line containing `text` arrives; false on timeout or exit.
  bool WaitForStderr(const std::string& text, std::chrono::milliseconds timeout);
  // Reads stdout until a line containing `text` arrives; false on timeout or exit.
  bool WaitForStdout(const std::string& text, std::chrono::milliseconds timeout);
  void Signal(int signal_number);
  // Waits for exit, draining output; fails the test after `timeout`.
  ProcessResult Wait(std::chrono::milliseconds timeout);

  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  bool WaitFor(const std::string& text, bool on_stderr, std::chrono::milliseconds timeout);
  void Drain(int timeout_ms);

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  bool exited_ = false;
  int status_ = 0;
};

// The troupe executable in the build tree.
std::string TroupeBinary();

}  // namespace troupe::testing
