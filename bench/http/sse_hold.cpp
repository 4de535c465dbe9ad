// Opens N event streams to one URL and holds them open, reading whatever arrives (heartbeats),
// so the server's memory per idle stream can be measured from outside.
//   sse_hold HOST PORT PATH N HOLD_SECONDS [HEADER]
// Prints "open N of M" once every stream has answered 200 with text/event-stream (or failed), then
// holds them for HOLD_SECONDS and prints how many are still open. Exit 1 if any stream failed.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

struct Stream {
  int fd = -1;
  std::string head;  // the response until its header is complete
  bool answered = false;
  bool open = false;
};

int Connect(const char* host, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, host, &address.sin_addr);
  // A blocking connect keeps the accept queue from overflowing; the reads below are non-blocking.
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6) {
    std::fprintf(stderr, "usage: sse_hold HOST PORT PATH N HOLD_SECONDS [HEADER]\n");
    return 2;
  }
  const char* host = argv[1];
  const int port = std::atoi(argv[2]);
  const std::string path = argv[3];
  const int count = std::atoi(argv[4]);
  const int hold_seconds = std::atoi(argv[5]);
  const std::string header = argc > 6 ? std::string(argv[6]) + "\r\n" : "";
  const std::string request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\nAccept: text/event-stream\r\n" +
                              header + "\r\n";

  const int poller = epoll_create1(0);
  std::vector<Stream> streams(static_cast<size_t>(count));
  int failed = 0;
  for (int i = 0; i < count; ++i) {
    Stream& stream = streams[static_cast<size_t>(i)];
    stream.fd = Connect(host, port);
    if (stream.fd < 0 || write(stream.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      ++failed;
      continue;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.u32 = static_cast<uint32_t>(i);
    epoll_ctl(poller, EPOLL_CTL_ADD, stream.fd, &event);
  }

  int answered = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60 + hold_seconds);
  auto hold_until = std::chrono::steady_clock::time_point::max();
  std::vector<epoll_event> events(1024);
  char buffer[16384];
  while (std::chrono::steady_clock::now() < std::min(deadline, hold_until)) {
    if (answered + failed == count && hold_until == std::chrono::steady_clock::time_point::max()) {
      std::printf("open %d of %d\n", answered, count);
      std::fflush(stdout);
      hold_until = std::chrono::steady_clock::now() + std::chrono::seconds(hold_seconds);
    }
    const int ready = epoll_wait(poller, events.data(), static_cast<int>(events.size()), 200);
    for (int e = 0; e < ready; ++e) {
      Stream& stream = streams[events[static_cast<size_t>(e)].data.u32];
      for (;;) {
        const ssize_t n = read(stream.fd, buffer, sizeof buffer);
        if (n > 0) {
          if (!stream.answered) {
            stream.head.append(buffer, static_cast<size_t>(n));
            if (stream.head.find("\r\n\r\n") != std::string::npos) {
              stream.answered = true;
              const bool ok = stream.head.rfind("HTTP/1.1 200", 0) == 0 &&
                              stream.head.find("text/event-stream") != std::string::npos;
              if (ok) {
                stream.open = true;
                ++answered;
              } else {
                if (failed == 0) std::fprintf(stderr, "sse_hold: unexpected answer:\n%s\n", stream.head.c_str());
                ++failed;
              }
              stream.head.clear();
            }
          }
          continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
          epoll_ctl(poller, EPOLL_CTL_DEL, stream.fd, nullptr);
          if (stream.open) {
            stream.open = false;
            --answered;
          }
          if (!stream.answered) {
            stream.answered = true;
            ++failed;
          }
        }
        break;
      }
    }
  }
  int still_open = 0;
  for (const Stream& stream : streams) still_open += stream.open ? 1 : 0;
  std::printf("held %d of %d for %d s\n", still_open, count, hold_seconds);
  for (const Stream& stream : streams) {
    if (stream.fd >= 0) close(stream.fd);
  }
  return failed == 0 && still_open == count ? 0 : 1;
}
