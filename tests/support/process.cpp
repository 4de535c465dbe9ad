#include "support/process.h"

#include "support/temp_dir.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <thread>

extern char** environ;

namespace troupe::testing {
namespace {

pid_t Spawn(const std::vector<std::string>& argv, const std::map<std::string, std::string>& extra,
            int& out_fd, int& err_fd) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe: " << std::strerror(errno);
    return -1;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);

  std::map<std::string, std::string> environment;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string text(*entry);
    const size_t equals = text.find('=');
    if (equals != std::string::npos) environment[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& [name, value] : extra) environment[name] = value;
  std::vector<std::string> environment_text;
  for (const auto& [name, value] : environment) environment_text.push_back(name + "=" + value);
  std::vector<char*> envp;
  for (auto& text : environment_text) envp.push_back(text.data());
  envp.push_back(nullptr);
  std::vector<std::string> args = argv;
  std::vector<char*> arg_pointers;
  for (auto& arg : args) arg_pointers.push_back(arg.data());
  arg_pointers.push_back(nullptr);

  pid_t pid = -1;
  const int error = posix_spawnp(&pid, args[0].c_str(), &actions, nullptr, arg_pointers.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (error != 0) {
    ADD_FAILURE() << "cannot start " << args[0] << ": " << std::strerror(error);
    close(out_pipe[0]);
    close(err_pipe[0]);
    return -1;
  }
  out_fd = out_pipe[0];
  err_fd = err_pipe[0];
  return pid;
}

// Reads what is available from the open descriptors into their buffers, waiting up to
// timeout_ms for the first byte. Closes and resets a descriptor at end of file.
void ReadAvailable(int& out_fd, int& err_fd, std::string& out, std::string& err, int timeout_ms) {
  pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
  if (poll(fds, 2, timeout_ms) <= 0) return;
  char buffer[8192];
  for (int i = 0; i < 2; ++i) {
    if (fds[i].fd < 0 || (fds[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    const ssize_t read_bytes = read(fds[i].fd, buffer, sizeof buffer);
    int& fd = i == 0 ? out_fd : err_fd;
    if (read_bytes <= 0) {
      close(fd);
      fd = -1;
    } else {
      (i == 0 ? out : err).append(buffer, static_cast<size_t>(read_bytes));
    }
  }
}

ProcessResult ResultFrom(int status, std::string out, std::string err) {
  ProcessResult result;
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = std::move(out);
  result.err = std::move(err);
  return result;
}

}  // namespace

ProcessResult RunProcess(const std::vector<std::string>& argv,
                         const std::map<std::string, std::string>& extra_environment,
                         std::chrono::seconds timeout) {
  BackgroundProcess process(argv, extra_environment);
  return process.Wait(std::chrono::duration_cast<std::chrono::milliseconds>(timeout));
}

BackgroundProcess::BackgroundProcess(const std::vector<std::string>& argv,
                                     const std::map<std::string, std::string>& extra_environment) {
  pid_ = Spawn(argv, extra_environment, out_fd_, err_fd_);
}

BackgroundProcess::~BackgroundProcess() {
  if (pid_ > 0 && !exited_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
  }
  if (out_fd_ >= 0) close(out_fd_);
  if (err_fd_ >= 0) close(err_fd_);
}

void BackgroundProcess::Drain(int timeout_ms) {
  if (out_fd_ < 0 && err_fd_ < 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(timeout_ms, 10)));
    return;
  }
  ReadAvailable(out_fd_, err_fd_, out_, err_, timeout_ms);
}

bool BackgroundProcess::WaitFor(const std::string& text, bool on_stderr, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if ((on_stderr ? err_ : out_).find(text) != std::string::npos) return true;
    if (out_fd_ < 0 && err_fd_ < 0) return false;  // the process closed its output: it is gone
    Drain(50);
  }
  return (on_stderr ? err_ : out_).find(text) != std::string::npos;
}

bool BackgroundProcess::WaitForStderr(const std::string& text, std::chrono::milliseconds timeout) {
  return WaitFor(text, true, timeout);
}

bool BackgroundProcess::WaitForStdout(const std::string& text, std::chrono::milliseconds timeout) {
  return WaitFor(text, false, timeout);
}

void BackgroundProcess::Signal(int signal_number) {
  if (pid_ > 0 && !exited_) kill(pid_, signal_number);
}

ProcessResult BackgroundProcess::Wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (pid_ > 0 && !exited_) {
    Drain(20);
    if (waitpid(pid_, &status_, WNOHANG) == pid_) {
      exited_ = true;
      break;
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ADD_FAILURE() << "process " << pid_ << " did not exit in time; stderr so far:\n" << err_;
      kill(pid_, SIGKILL);
      waitpid(pid_, &status_, 0);
      exited_ = true;
    }
  }
  while (out_fd_ >= 0 || err_fd_ >= 0) Drain(100);
  return ResultFrom(status_, out_, err_);
}

std::string TroupeBinary() { return (BinaryDir() / "src" / "cli" / "troupe").string(); }

}  // namespace troupe::testing
