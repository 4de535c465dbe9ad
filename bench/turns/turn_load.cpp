// The load client of bench/turns/run: C concurrent streamed turns through a running Troupe, each
// on its own connection, all sent at once, read until the turn's end event.
//   turn_load --port P --key KEY --mode messages|v1|second-message --concurrency C
//             [--host 127.0.0.1] [--conversations FILE] [--model SLUG] [--second K]
//             [--second-after-ms 500] [--second-interval-ms 20] [--timeout-s 120] [--expect-words N]
// messages:       POST /api/v1/conversations/{id}/messages to C distinct conversations (ids, one a
//                 line, from FILE), read until `event: done`.
// v1:             POST /v1/chat/completions with stream true and model SLUG, read until `data: [DONE]`.
// second-message: the messages load, and meanwhile a second message to K of those conversations
//                 already mid-reply (their first delta seen, no done yet), one every
//                 --second-interval-ms from --second-after-ms on; its acknowledgment is the time
//                 from sending it until its response headers and first `message` event arrived.
// Prints one JSON line. A turn counts as completed when it answered 200, reached its end event
// with no error event, was not marked incomplete and (with --expect-words) streamed every word;
// every other turn is failed, by the first reason that applies: refused (not 200: the statuses
// are counted), errors (an error event), incomplete (done says so), short (fewer words), cut (the
// stream ended without its end event), timed_out (still open at --timeout-s).
//
// One thread and epoll, like bench/sse_hold: a thousand streams cost the client little of the two
// cores it shares with the server.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Mode { kMessages, kV1, kSecond };

struct Options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string key;
  Mode mode = Mode::kMessages;
  std::string mode_name = "messages";
  int concurrency = 1;
  std::string conversations_file;
  std::string model;
  int second = 32;
  int second_after_ms = 500;
  int second_interval_ms = 20;
  int timeout_s = 120;
  int expect_words = 0;
  std::string timeline;  // when set: a line per turn, its times in ms after the burst began
};

// Decodes an HTTP/1.1 chunked body as it arrives (Troupe's event streams are chunked).
struct ChunkedDecoder {
  enum class State { kSize, kData, kDataEnd, kEnd } state = State::kSize;
  size_t remaining = 0;
  std::string size_line;

  void Feed(std::string_view bytes, std::string& out) {
    size_t i = 0;
    while (i < bytes.size() && state != State::kEnd) {
      if (state == State::kSize) {
        const char c = bytes[i++];
        if (c == '\n') {
          remaining = std::strtoul(size_line.c_str(), nullptr, 16);  // stops at a ";extension"
          size_line.clear();
          state = remaining == 0 ? State::kEnd : State::kData;
        } else if (c != '\r') {
          size_line.push_back(c);
        }
      } else if (state == State::kData) {
        const size_t n = std::min(remaining, bytes.size() - i);
        out.append(bytes.substr(i, n));
        i += n;
        remaining -= n;
        if (remaining == 0) state = State::kDataEnd;
      } else if (bytes[i++] == '\n') {  // kDataEnd: the CRLF after a chunk's data
        state = State::kSize;
      }
    }
  }
};

struct Turn {
  int fd = -1;
  bool second = false;    // a second message into a conversation mid-reply
  bool seconded = false;  // (a first turn) its conversation got a second message
  int64_t conversation = 0;
  Clock::time_point sent, first_delta, acked, done_at, ended;
  int status = 0;
  std::string head;
  bool head_done = false;
  bool chunked = false;
  ChunkedDecoder decoder;
  std::string line;   // the current, unfinished line of the event stream
  std::string event;  // the `event:` of the event being read
  bool has_delta = false;
  bool has_ack = false;
  bool done = false;
  bool error = false;
  bool incomplete = false;
  bool finished = false;
  bool timed_out = false;
  int words = 0;
  size_t bytes = 0;        // of the body, as the server framed it
  std::string last_event;  // the last event's type (v1: the last data line), for the failure notes
};

double Millis(Clock::duration duration) { return std::chrono::duration<double, std::milli>(duration).count(); }

int CountOf(std::string_view text, std::string_view word) {
  int count = 0;
  for (size_t at = text.find(word); at != std::string_view::npos; at = text.find(word, at + word.size())) ++count;
  return count;
}

// Nearest-rank percentile as JSON, in ms to 0.1; null when there is nothing to rank (a 0 would
// read as a fast answer).
std::string Percentile(std::vector<double> values, double q) {
  if (values.empty()) return "null";
  std::sort(values.begin(), values.end());
  const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", values[std::clamp<size_t>(rank, 1, values.size()) - 1]);
  return text;
}

[[noreturn]] void Usage() {
  std::fprintf(stderr,
               "usage: turn_load --port P --key KEY --mode messages|v1|second-message --concurrency C\n"
               "  [--host H] [--conversations FILE] [--model SLUG] [--second K] [--second-after-ms MS]\n"
               "  [--second-interval-ms MS] [--timeout-s S] [--expect-words N]\n");
  std::exit(2);
}

Options ParseOptions(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; i += 2) {
    if (i + 1 >= argc) Usage();
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--host") options.host = value;
    else if (flag == "--port") options.port = std::atoi(value.c_str());
    else if (flag == "--key") options.key = value;
    else if (flag == "--mode") options.mode_name = value;
    else if (flag == "--concurrency") options.concurrency = std::atoi(value.c_str());
    else if (flag == "--conversations") options.conversations_file = value;
    else if (flag == "--model") options.model = value;
    else if (flag == "--second") options.second = std::atoi(value.c_str());
    else if (flag == "--second-after-ms") options.second_after_ms = std::atoi(value.c_str());
    else if (flag == "--timeline") options.timeline = value;
    else if (flag == "--second-interval-ms") options.second_interval_ms = std::atoi(value.c_str());
    else if (flag == "--timeout-s") options.timeout_s = std::atoi(value.c_str());
    else if (flag == "--expect-words") options.expect_words = std::atoi(value.c_str());
    else Usage();
  }
  if (options.mode_name == "messages") options.mode = Mode::kMessages;
  else if (options.mode_name == "v1") options.mode = Mode::kV1;
  else if (options.mode_name == "second-message") options.mode = Mode::kSecond;
  else Usage();
  if (options.port <= 0 || options.key.empty() || options.concurrency < 1) Usage();
  if (options.mode == Mode::kV1 && options.model.empty()) Usage();
  if (options.mode != Mode::kV1 && options.conversations_file.empty()) Usage();
  return options;
}

class Load {
 public:
  explicit Load(Options options) : options_(std::move(options)) {}

  bool Start();
  void Run();
  void Report() const;

 private:
  std::string Request(const Turn& turn) const;
  bool Open(Turn& turn, size_t index);
  void OnReadable(size_t index);
  void OnBytes(Turn& turn, std::string_view bytes, Clock::time_point now);
  void OnLine(Turn& turn, std::string_view line, Clock::time_point now);
  void Finish(Turn& turn, Clock::time_point now);
  void MaybeSendSecond(Clock::time_point now);
  bool AllFinished() const;
  void WriteTimeline() const;

  Options options_;
  std::vector<int64_t> conversations_;
  std::vector<Turn> turns_;  // the C first turns, then the second messages
  int poller_ = -1;
  Clock::time_point start_;
  Clock::time_point next_second_;
  int seconds_sent_ = 0;
  bool reported_refusal_ = false;
  bool reported_error_ = false;
};

std::string Load::Request(const Turn& turn) const {
  std::string path;
  std::string body;
  if (options_.mode == Mode::kV1) {
    path = "/v1/chat/completions";
    body = R"({"model":")" + options_.model +
           R"(","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]})";
  } else {
    path = "/api/v1/conversations/" + std::to_string(turn.conversation) + "/messages";
    body = turn.second ? R"({"content":"and one more thing","typing_delays":false})"
                       : R"({"content":"hi","typing_delays":false})";
  }
  // Connection: close, so every answer (a 429 included) ends with the connection.
  return "POST " + path + " HTTP/1.1\r\nHost: " + options_.host + "\r\nAuthorization: Bearer " + options_.key +
         "\r\nContent-Type: application/json\r\nAccept: text/event-stream\r\nConnection: close\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// Connects (blocking, so a burst cannot overflow the server's accept queue unseen) and watches
// the socket; the request is written by the caller.
bool Load::Open(Turn& turn, size_t index) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(options_.port));
  inet_pton(AF_INET, options_.host.c_str(), &address.sin_addr);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return false;
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  turn.fd = fd;
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = index;
  epoll_ctl(poller_, EPOLL_CTL_ADD, fd, &event);
  return true;
}

bool Load::Start() {
  if (options_.mode != Mode::kV1) {
    std::ifstream file(options_.conversations_file);
    for (int64_t id = 0; file >> id;) conversations_.push_back(id);
    if (conversations_.size() < static_cast<size_t>(options_.concurrency)) {
      std::fprintf(stderr, "turn_load: %d turns need %d conversations, %s has %zu\n", options_.concurrency,
                   options_.concurrency, options_.conversations_file.c_str(), conversations_.size());
      return false;
    }
  }
  poller_ = epoll_create1(0);
  const size_t count = static_cast<size_t>(options_.concurrency);
  turns_.reserve(count + static_cast<size_t>(std::max(0, options_.second)));
  turns_.resize(count);
  // Every connection first, then every request in one burst: the turns start together.
  for (size_t i = 0; i < count; ++i) {
    if (!conversations_.empty()) turns_[i].conversation = conversations_[i];
    if (!Open(turns_[i], i)) {
      std::fprintf(stderr, "turn_load: connection %zu failed: %s\n", i, std::strerror(errno));
      return false;
    }
  }
  start_ = Clock::now();
  next_second_ = start_ + std::chrono::milliseconds(options_.second_after_ms);
  for (Turn& turn : turns_) {
    const std::string request = Request(turn);
    turn.sent = Clock::now();
    if (write(turn.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) Finish(turn, turn.sent);
  }
  return true;
}

void Load::OnLine(Turn& turn, std::string_view line, Clock::time_point now) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (options_.mode == Mode::kV1) {
    if (line.rfind("data: ", 0) != 0) return;
    const std::string_view data = line.substr(6);
    turn.last_event = std::string(data.substr(0, 60));
    if (data == "[DONE]") {
      turn.done = true;
      turn.done_at = now;
    } else if (data.rfind(R"({"error")", 0) == 0) {
      turn.error = true;
    } else {
      const size_t content = data.find(R"("content":")");
      if (content != std::string_view::npos && content + 11 < data.size() && data[content + 11] != '"') {
        if (!turn.has_delta) turn.first_delta = now;
        turn.has_delta = true;
        turn.words += CountOf(data.substr(content), "word");
      }
    }
    return;
  }
  if (line.empty()) {
    turn.event.clear();
  } else if (line.rfind("event: ", 0) == 0) {
    turn.event = std::string(line.substr(7));
    turn.last_event = turn.event;
  } else if (line.rfind("data: ", 0) == 0) {
    const std::string_view data = line.substr(6);
    if (turn.event == "delta") {
      if (!turn.has_delta) turn.first_delta = now;
      turn.has_delta = true;
      turn.words += CountOf(data, "word");
    } else if (turn.event == "message" && !turn.has_ack) {
      turn.has_ack = true;
      turn.acked = now;
    } else if (turn.event == "done") {
      turn.done = true;
      turn.done_at = now;
      turn.incomplete = data.find(R"("incomplete":true)") != std::string_view::npos;
    } else if (turn.event == "error") {
      turn.error = true;
      if (!reported_error_) {
        reported_error_ = true;
        std::fprintf(stderr, "turn_load: first error event: %.*s\n", static_cast<int>(data.size()), data.data());
      }
    }
  }
}

void Load::OnBytes(Turn& turn, std::string_view bytes, Clock::time_point now) {
  std::string rest;
  if (!turn.head_done) {
    turn.head.append(bytes);
    const size_t end = turn.head.find("\r\n\r\n");
    if (end == std::string::npos) return;
    turn.head_done = true;
    turn.status = turn.head.rfind("HTTP/1.", 0) == 0 ? std::atoi(turn.head.c_str() + 9) : 0;
    std::string lower = turn.head.substr(0, end);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    turn.chunked = lower.find("transfer-encoding: chunked") != std::string::npos;
    if (turn.status != 200 && !reported_refusal_) {
      reported_refusal_ = true;
      std::string body = turn.head.substr(end + 4, 200);
      for (char& c : body) c = c == '\n' || c == '\r' ? ' ' : c;
      std::fprintf(stderr, "turn_load: first answer other than 200: %s %s\n",
                   turn.head.substr(0, turn.head.find('\r')).c_str(), body.c_str());
    }
    rest = turn.head.substr(end + 4);
    bytes = rest;
  }
  turn.bytes += bytes.size();
  std::string body;
  if (turn.chunked) {
    turn.decoder.Feed(bytes, body);
  } else {
    body.assign(bytes);
  }
  turn.line += body;
  size_t start = 0;
  for (size_t end = turn.line.find('\n'); end != std::string::npos; end = turn.line.find('\n', start)) {
    OnLine(turn, std::string_view(turn.line).substr(start, end - start), now);
    start = end + 1;
  }
  turn.line.erase(0, start);
}

void Load::OnReadable(size_t index) {
  Turn& turn = turns_[index];
  char buffer[16384];
  for (;;) {
    const ssize_t n = read(turn.fd, buffer, sizeof buffer);
    const Clock::time_point now = Clock::now();
    if (n > 0) {
      OnBytes(turn, std::string_view(buffer, static_cast<size_t>(n)), now);
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Finish(turn, now);  // the server closed the stream (or reset it)
    return;
  }
}

void Load::Finish(Turn& turn, Clock::time_point now) {
  if (turn.finished) return;
  turn.finished = true;
  turn.ended = now;
  if (turn.fd >= 0) {
    epoll_ctl(poller_, EPOLL_CTL_DEL, turn.fd, nullptr);
    close(turn.fd);
    turn.fd = -1;
  }
}

// Sends the next second message when one is due and a first turn is mid-reply.
void Load::MaybeSendSecond(Clock::time_point now) {
  if (options_.mode != Mode::kSecond || seconds_sent_ >= options_.second || now < next_second_) return;
  for (size_t i = 0; i < static_cast<size_t>(options_.concurrency); ++i) {
    Turn& first = turns_[i];
    if (!first.has_delta || first.done || first.finished || first.seconded) continue;
    first.seconded = true;
    turns_.emplace_back();  // within the reserved capacity: `first` stays valid
    Turn& turn = turns_.back();
    turn.second = true;
    turn.conversation = first.conversation;
    turn.sent = Clock::now();  // the connect is part of what the user waits for
    const std::string request = Request(turn);
    if (!Open(turn, turns_.size() - 1) ||
        write(turn.fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      Finish(turn, Clock::now());
    }
    ++seconds_sent_;
    next_second_ = now + std::chrono::milliseconds(options_.second_interval_ms);
    return;
  }
}

bool Load::AllFinished() const {
  for (const Turn& turn : turns_) {
    if (!turn.finished) return false;
  }
  return true;
}

void Load::Run() {
  const Clock::time_point deadline = start_ + std::chrono::seconds(options_.timeout_s);
  std::vector<epoll_event> events(1024);
  // Second messages are scheduled to the millisecond; otherwise the loop only waits for data.
  const int wait_ms = options_.mode == Mode::kSecond ? 2 : 100;
  while (!AllFinished() && Clock::now() < deadline) {
    const int ready = epoll_wait(poller_, events.data(), static_cast<int>(events.size()), wait_ms);
    for (int e = 0; e < ready; ++e) OnReadable(static_cast<size_t>(events[static_cast<size_t>(e)].data.u64));
    MaybeSendSecond(Clock::now());
  }
  const Clock::time_point now = Clock::now();
  for (Turn& turn : turns_) {
    if (!turn.finished) {
      turn.timed_out = true;
      Finish(turn, now);
    }
  }
}

// Why a turn failed, or "" when it completed.
std::string FailureOf(const Turn& turn, int expect_words) {
  if (turn.timed_out && !turn.done) return "timed_out";
  if (turn.status != 200) return "refused";
  if (turn.error) return "errors";
  if (!turn.done) return "cut";
  if (turn.incomplete) return "incomplete";
  if (expect_words > 0 && turn.words < expect_words) return "short";
  return "";
}

void Load::Report() const {
  std::map<std::string, int> failures;
  std::map<int, int> statuses;
  std::vector<double> ttfd, total, acks;
  int completed = 0, words_min = -1, second_completed = 0, acked = 0;
  Clock::time_point last = start_;
  for (const Turn& turn : turns_) {
    const std::string failure = FailureOf(turn, options_.expect_words);
    if (turn.status != 200) ++statuses[turn.status];
    if (turn.second) {
      if (turn.has_ack && turn.status == 200) {
        ++acked;
        acks.push_back(Millis(turn.acked - turn.sent));
      }
      second_completed += failure.empty() ? 1 : 0;
      continue;
    }
    last = std::max(last, turn.done ? turn.done_at : turn.ended);
    if (turn.has_delta) ttfd.push_back(Millis(turn.first_delta - turn.sent));
    if (!failure.empty()) {
      if (++failures[failure] == 1) {
        // What the first failure of each kind looked like, so a baseline says why, not only how many.
        std::fprintf(stderr, "turn_load: first %s turn: status %d, ended %.0f ms after it was sent, %zu body bytes, "
                     "last event '%s'\n", failure.c_str(), turn.status, Millis(turn.ended - turn.sent), turn.bytes,
                     turn.last_event.c_str());
      }
      continue;
    }
    ++completed;
    total.push_back(Millis(turn.done_at - turn.sent));
    words_min = words_min < 0 ? turn.words : std::min(words_min, turn.words);
  }
  std::string failed_json, status_json;
  for (const auto& [why, count] : failures) failed_json += ",\"" + why + "\":" + std::to_string(count);
  for (const auto& [status, count] : statuses) {
    status_json += (status_json.empty() ? "\"" : ",\"") + std::to_string(status) + "\":" + std::to_string(count);
  }
  std::printf(R"({"mode":"%s","concurrency":%d,"completed":%d,"failed":%d%s,"statuses":{%s},"wall_ms":%.0f,)"
              R"("ttfd_p50":%s,"ttfd_p99":%s,"total_p50":%s,"total_p99":%s,"words_min":%d)",
              options_.mode_name.c_str(), options_.concurrency, completed, options_.concurrency - completed,
              failed_json.c_str(), status_json.c_str(), Millis(last - start_), Percentile(ttfd, 0.5).c_str(),
              Percentile(ttfd, 0.99).c_str(), Percentile(total, 0.5).c_str(), Percentile(total, 0.99).c_str(), words_min);
  if (options_.mode == Mode::kSecond) {
    std::printf(R"(,"second_sent":%d,"acked":%d,"ack_p50":%s,"ack_p99":%s,"ack_max":%s,"second_completed":%d)",
                seconds_sent_, acked, Percentile(acks, 0.5).c_str(), Percentile(acks, 0.99).c_str(),
                Percentile(acks, 1.0).c_str(),
                second_completed);
  }
  std::printf("}\n");
  if (!options_.timeline.empty()) WriteTimeline();
}

// index sent acked first_delta done, in ms after the burst began (-1 when it never happened): shows
// where in the burst the slow turns were.
void Load::WriteTimeline() const {
  std::FILE* file = std::fopen(options_.timeline.c_str(), "w");
  if (file == nullptr) return;
  const auto at = [&](bool happened, Clock::time_point when) { return happened ? Millis(when - start_) : -1.0; };
  for (size_t i = 0; i < turns_.size(); ++i) {
    const Turn& turn = turns_[i];
    std::fprintf(file, "%zu %.1f %.1f %.1f %.1f\n", i, Millis(turn.sent - start_), at(turn.has_ack, turn.acked),
                 at(turn.has_delta, turn.first_delta), at(turn.done, turn.done_at));
  }
  std::fclose(file);
}

}  // namespace

int main(int argc, char** argv) {
  std::signal(SIGPIPE, SIG_IGN);
  Load load(ParseOptions(argc, argv));
  if (!load.Start()) return 2;
  load.Run();
  load.Report();
  return 0;
}
