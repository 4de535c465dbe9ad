// A scripted OpenAI-compatible upstream for bench/turns/run (a test helper, never shipped): on
// 127.0.0.1:PORT it answers POST /v1/chat/completions by streaming WORDS words, the first after
// FIRST ms and each next one INTERVAL ms later, as OpenAI's server-sent events, so the time a turn
// spends in the model is known exactly and what Troupe adds on top of it can be measured.
//   scripted_upstream [--port P] [--words N] [--interval-ms D] [--first-ms F]
// Defaults: a free port, 20 words, 100 ms apart, the first after 100 ms (one reply takes 2 s, as
// issue 13's reproduction). UPSTREAM_WORDS, UPSTREAM_INTERVAL_MS and UPSTREAM_FIRST_MS set the
// same. Prints "listening on 127.0.0.1:PORT" once ready. GET /stats answers the counters as JSON
// (`?reset=1` also restarts the peaks from the current values); SIGTERM prints them on stderr.
//
// One thread and one epoll loop hold every stream: the instrument must stay cheap next to the
// server it measures, which shares the same two cores, and must never be the reason a stream is
// slow. Keep-alive and chunked encoding as a real endpoint uses them (libcurl reuses connections).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <queue>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int port = 0;
  int words = 20;
  int interval_ms = 100;
  int first_ms = -1;  // -1: the interval
};

// Counters since start; `peak_*` since start or the last reset. `started`, `completed` and
// `aborted` count requests for completions (streamed or whole); `aborted` ones lost their client
// before the reply ended.
struct Stats {
  long started = 0;
  long completed = 0;
  long aborted = 0;
  long whole = 0;  // requests that asked for a non-streamed completion
  long active = 0;
  long peak_active = 0;
  long connections = 0;
  long peak_connections = 0;
  long accepted = 0;
};

// What a connection is doing: reading a request, or replying to one on the timer's schedule.
struct Connection {
  bool open = false;
  uint32_t generation = 0;  // bumped at close, so a stale timer for a reused descriptor is ignored
  std::string in;
  std::string out;
  bool want_write = false;
  bool replying = false;
  bool streamed = false;
  bool keep_alive = true;
  int words_sent = 0;
  long prompt_tokens = 0;
  Clock::time_point next_due;
};

struct Timer {
  Clock::time_point due;
  int fd;
  uint32_t generation;
  bool operator>(const Timer& other) const { return due > other.due; }
};

volatile std::sig_atomic_t g_stop = 0;
void OnSignal(int) { g_stop = 1; }

int ParseInt(const char* text, const char* what) {
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (end == text || *end != '\0' || value < 0 || value > 1'000'000) {
    std::fprintf(stderr, "scripted_upstream: %s must be a number from 0 to 1000000, got '%s'\n", what, text);
    std::exit(2);
  }
  return static_cast<int>(value);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  if (const char* env = std::getenv("UPSTREAM_WORDS")) options.words = ParseInt(env, "UPSTREAM_WORDS");
  if (const char* env = std::getenv("UPSTREAM_INTERVAL_MS")) options.interval_ms = ParseInt(env, "UPSTREAM_INTERVAL_MS");
  if (const char* env = std::getenv("UPSTREAM_FIRST_MS")) options.first_ms = ParseInt(env, "UPSTREAM_FIRST_MS");
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--port") options.port = ParseInt(argv[i + 1], "--port");
    else if (flag == "--words") options.words = ParseInt(argv[i + 1], "--words");
    else if (flag == "--interval-ms") options.interval_ms = ParseInt(argv[i + 1], "--interval-ms");
    else if (flag == "--first-ms") options.first_ms = ParseInt(argv[i + 1], "--first-ms");
    else {
      std::fprintf(stderr, "usage: scripted_upstream [--port P] [--words N] [--interval-ms D] [--first-ms F]\n");
      std::exit(2);
    }
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "scripted_upstream: %s needs a value\n", argv[argc - 1]);
    std::exit(2);
  }
  if (options.words < 1) options.words = 1;
  if (options.first_ms < 0) options.first_ms = options.interval_ms;
  return options;
}

std::string Chunk(std::string_view data) {
  char size[24];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return std::string(size) + std::string(data) + "\r\n";
}

std::string SseChunk(std::string_view json) { return Chunk("data: " + std::string(json) + "\n\n"); }

std::string CompletionChunk(std::string_view choices, std::string_view extra = "") {
  return SseChunk(R"({"id":"chatcmpl-bench","object":"chat.completion.chunk","created":0,"model":"scripted","choices":)" +
                  std::string(choices) + std::string(extra) + "}");
}

std::string UsageJson(long prompt_tokens, int words) {
  return R"("usage":{"prompt_tokens":)" + std::to_string(prompt_tokens) + R"(,"completion_tokens":)" +
         std::to_string(words) + R"(,"total_tokens":)" + std::to_string(prompt_tokens + words) + "}";
}

// The header value of `name` (lower case) in a request head, or "".
std::string HeaderValue(std::string_view head, std::string_view name) {
  size_t line = head.find("\r\n");
  while (line != std::string_view::npos && line + 2 < head.size()) {
    const size_t start = line + 2;
    const size_t end = head.find("\r\n", start);
    const std::string_view text = head.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    const size_t colon = text.find(':');
    if (colon == name.size()) {
      bool same = true;
      for (size_t i = 0; i < colon && same; ++i) same = std::tolower(static_cast<unsigned char>(text[i])) == name[i];
      if (same) {
        std::string_view value = text.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
        std::string out(value);
        for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return out;
      }
    }
    line = end;
  }
  return "";
}

// True when the JSON body asks for a stream: `"stream"` followed by `true`. A full parser is not
// needed for bodies Troupe writes (nlohmann's compact dump), and this also takes `"stream": true`.
bool AsksForStream(std::string_view body) {
  const size_t key = body.find("\"stream\"");
  if (key == std::string_view::npos) return false;
  size_t at = key + 8;
  while (at < body.size() && (body[at] == ' ' || body[at] == ':')) ++at;
  return body.substr(at, 4) == "true";
}

class Server {
 public:
  explicit Server(const Options& options) : options_(options), connections_(1024) {}

  int Run();

 private:
  bool Listen();
  void Accept();
  void OnReadable(int fd);
  void OnWritable(int fd);
  void HandleRequests(int fd);
  void StartCompletion(int fd, std::string_view body, bool keep_alive);
  void OnTimer(int fd);
  void FinishReply(int fd);
  void Send(int fd, std::string data);
  void Flush(int fd);
  void Close(int fd);
  void Watch(int fd, bool write);
  std::string StatsJson() const;

  Options options_;
  int listener_ = -1;
  int poller_ = -1;
  std::vector<Connection> connections_;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers_;
  Stats stats_;
};

bool Server::Listen() {
  listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  const int yes = 1;
  setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options_.port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  // A backlog as large as the kernel allows: a thousand turns may open their connections at once.
  if (bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(listener_, 65535) != 0) {
    std::perror("scripted_upstream: bind/listen");
    return false;
  }
  socklen_t length = sizeof address;
  getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
  poller_ = epoll_create1(0);
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.fd = listener_;
  epoll_ctl(poller_, EPOLL_CTL_ADD, listener_, &event);
  std::printf("listening on 127.0.0.1:%d\n", ntohs(address.sin_port));
  std::fflush(stdout);
  return true;
}

void Server::Watch(int fd, bool write) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP | (write ? EPOLLOUT : 0u);
  event.data.fd = fd;
  epoll_ctl(poller_, EPOLL_CTL_MOD, fd, &event);
}

void Server::Accept() {
  for (;;) {
    const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK);
    if (fd < 0) return;
    // Each event is a small write; without NODELAY Nagle would hold a word back until the
    // previous one is acknowledged, and the client's delayed ACK would add up to 40 ms.
    const int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof yes);
    if (static_cast<size_t>(fd) >= connections_.size()) connections_.resize(static_cast<size_t>(fd) * 2);
    Connection& connection = connections_[static_cast<size_t>(fd)];
    const uint32_t generation = connection.generation;
    connection = Connection{};
    connection.generation = generation;
    connection.open = true;
    ++stats_.accepted;
    stats_.peak_connections = std::max(stats_.peak_connections, ++stats_.connections);
    epoll_event event{};
    event.events = EPOLLIN | EPOLLRDHUP;
    event.data.fd = fd;
    epoll_ctl(poller_, EPOLL_CTL_ADD, fd, &event);
  }
}

void Server::Close(int fd) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  if (!connection.open) return;
  if (connection.replying) {
    ++stats_.aborted;
    --stats_.active;
  }
  epoll_ctl(poller_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  const uint32_t generation = connection.generation + 1;
  connection = Connection{};
  connection.generation = generation;
  --stats_.connections;
}

void Server::Flush(int fd) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  while (!connection.out.empty()) {
    const ssize_t n = send(fd, connection.out.data(), connection.out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      connection.out.erase(0, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(fd);
    return;
  }
  const bool want_write = !connection.out.empty();
  if (want_write != connection.want_write) {
    connection.want_write = want_write;
    Watch(fd, want_write);
  }
  if (!want_write && !connection.replying && !connection.keep_alive) Close(fd);
}

void Server::Send(int fd, std::string data) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  if (!connection.open) return;  // an earlier write of the same reply found the client gone
  connection.out += data;
  if (!connection.want_write) Flush(fd);
}

std::string Server::StatsJson() const {
  char text[512];
  std::snprintf(text, sizeof text,
                R"({"started":%ld,"completed":%ld,"aborted":%ld,"whole":%ld,"active":%ld,"peak_active":%ld,)"
                R"("connections":%ld,"peak_connections":%ld,"accepted":%ld,"words":%d,"interval_ms":%d,"first_ms":%d})",
                stats_.started, stats_.completed, stats_.aborted, stats_.whole, stats_.active, stats_.peak_active,
                stats_.connections, stats_.peak_connections, stats_.accepted, options_.words, options_.interval_ms,
                options_.first_ms);
  return text;
}

void Server::OnReadable(int fd) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n > 0) {
      connections_[static_cast<size_t>(fd)].in.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    Close(fd);  // the peer closed or the connection failed
    return;
  }
  HandleRequests(fd);
}

// Answers every complete request buffered on `fd`, one at a time: a reply in progress holds the
// next request back until it ends (HTTP/1.1 answers in order).
void Server::HandleRequests(int fd) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  while (connection.open && !connection.replying) {
    const size_t head_end = connection.in.find("\r\n\r\n");
    if (head_end == std::string::npos) return;
    const std::string head = connection.in.substr(0, head_end + 2);
    const size_t length = std::strtoul(HeaderValue(head, "content-length").c_str(), nullptr, 10);
    if (connection.in.size() < head_end + 4 + length) {
      // Clients that wait for "100 Continue" before a large body (curl's default above 1 KiB).
      if (HeaderValue(head, "expect") == "100-continue" && connection.in.size() == head_end + 4) {
        Send(fd, "HTTP/1.1 100 Continue\r\n\r\n");
      }
      return;
    }
    const std::string body = connection.in.substr(head_end + 4, length);
    connection.in.erase(0, head_end + 4 + length);
    connection.keep_alive = HeaderValue(head, "connection") != "close" && head.find(" HTTP/1.0\r\n") == std::string::npos;
    const std::string_view request_line = std::string_view(head).substr(0, head.find("\r\n"));
    if (request_line.rfind("GET /stats", 0) == 0) {
      const std::string json = StatsJson() + "\n";
      if (request_line.find("reset=1") != std::string_view::npos) {
        stats_.peak_active = stats_.active;
        stats_.peak_connections = stats_.connections;
      }
      Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
                   "\r\n\r\n" + json);
    } else if (request_line.rfind("POST /v1/chat/completions ", 0) == 0) {
      StartCompletion(fd, body, connection.keep_alive);
    } else {
      const std::string json = R"({"error":{"message":"not found","type":"invalid_request_error"}})";
      Send(fd, "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: " +
                   std::to_string(json.size()) + "\r\n\r\n" + json);
    }
  }
}

void Server::StartCompletion(int fd, std::string_view body, bool keep_alive) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  connection.replying = true;
  connection.keep_alive = keep_alive;
  connection.streamed = AsksForStream(body);
  connection.words_sent = 0;
  connection.prompt_tokens = static_cast<long>(body.size() / 4);  // about 4 bytes a token
  ++stats_.started;
  stats_.peak_active = std::max(stats_.peak_active, ++stats_.active);
  if (!connection.streamed) ++stats_.whole;
  // A whole completion arrives when the stream's last word would have.
  const int delay = connection.streamed ? options_.first_ms : options_.first_ms + (options_.words - 1) * options_.interval_ms;
  connection.next_due = Clock::now() + std::chrono::milliseconds(delay);
  timers_.push({connection.next_due, fd, connection.generation});
  if (connection.streamed) {
    // The headers and the role chunk go at once, as real endpoints do before the first token.
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
             "Transfer-Encoding: chunked\r\n\r\n" +
                 CompletionChunk(R"([{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}])"));
  }
}

void Server::OnTimer(int fd) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  if (!connection.streamed) {
    std::string content;
    for (int i = 0; i < options_.words; ++i) content += "word ";
    const std::string json =
        R"({"id":"chatcmpl-bench","object":"chat.completion","created":0,"model":"scripted","choices":[{"index":0,)"
        R"("message":{"role":"assistant","content":")" +
        content + R"("},"finish_reason":"stop"}],)" + UsageJson(connection.prompt_tokens, options_.words) + "}";
    Send(fd, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(json.size()) +
                 "\r\n\r\n" + json);
    FinishReply(fd);
    return;
  }
  Send(fd, CompletionChunk(R"([{"index":0,"delta":{"content":"word "},"finish_reason":null}])"));
  if (!connections_[static_cast<size_t>(fd)].open) return;  // the write found the client gone
  if (++connection.words_sent < options_.words) {
    // From the previous due time, not from now: a late loop must not stretch the script.
    connection.next_due += std::chrono::milliseconds(options_.interval_ms);
    timers_.push({connection.next_due, fd, connection.generation});
    return;
  }
  Send(fd, CompletionChunk(R"([{"index":0,"delta":{},"finish_reason":"stop"}])"));
  Send(fd, CompletionChunk("[]", "," + UsageJson(connection.prompt_tokens, options_.words)));
  Send(fd, SseChunk("[DONE]") + Chunk(""));
  FinishReply(fd);
}

void Server::FinishReply(int fd) {
  Connection& connection = connections_[static_cast<size_t>(fd)];
  if (!connection.open) return;
  connection.replying = false;
  ++stats_.completed;
  --stats_.active;
  if (!connection.keep_alive) {
    if (!connection.want_write) Close(fd);
    return;
  }
  HandleRequests(fd);  // a request pipelined behind this one
}

void Server::OnWritable(int fd) { Flush(fd); }

int Server::Run() {
  if (!Listen()) return 2;
  std::vector<epoll_event> events(4096);
  while (g_stop == 0) {
    int timeout = -1;
    if (!timers_.empty()) {
      const auto wait = std::chrono::ceil<std::chrono::milliseconds>(timers_.top().due - Clock::now()).count();
      timeout = static_cast<int>(std::max<long>(0, wait));
    }
    const int ready = epoll_wait(poller_, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < ready; ++i) {
      const epoll_event& event = events[static_cast<size_t>(i)];
      const int fd = event.data.fd;
      if (fd == listener_) {
        Accept();
        continue;
      }
      if (event.events & EPOLLIN) OnReadable(fd);
      if (!connections_[static_cast<size_t>(fd)].open) continue;
      if (event.events & EPOLLOUT) OnWritable(fd);
      if (event.events & (EPOLLERR | EPOLLHUP)) Close(fd);
    }
    const Clock::time_point now = Clock::now();
    while (!timers_.empty() && timers_.top().due <= now) {
      const Timer timer = timers_.top();
      timers_.pop();
      const Connection& connection = connections_[static_cast<size_t>(timer.fd)];
      if (connection.open && connection.generation == timer.generation && connection.replying) OnTimer(timer.fd);
    }
  }
  std::fprintf(stderr, "%s\n", StatsJson().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = ParseOptions(argc, argv);
  struct sigaction action {};
  action.sa_handler = OnSignal;  // no SA_RESTART: epoll_wait returns EINTR and the loop ends
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
  Server server(options);
  return server.Run();
}
