// Server-Sent Events: the framing, and SseStream, the hand-off between whoever produces events
// (a handler, or the engine thread later) and the connection that writes them. A producer never
// touches the socket: Send() queues the event and wakes the connection's strand, which writes it
// and flushes. When the client goes away, is too slow, or shutdown runs past its grace period, the
// stream is cancelled so the work behind it can stop.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace troupe::server {

struct SseEvent {
  std::string event;  // "event:" line; omitted when empty. CR/LF are removed.
  std::string id;     // "id:" line; omitted when empty. CR/LF are removed.
  std::string data;   // one "data:" line per line of text (LF, CRLF or CR separate lines)
};

// The wire form of `event`, ending with the blank line that dispatches it.
std::string FormatSseEvent(const SseEvent& event);
// A comment line (": text\n\n"), which clients ignore; used for heartbeats.
std::string FormatSseComment(std::string_view text);

// A handle to one event stream. Copies refer to the same stream. Every method is thread-safe.
class SseStream {
 public:
  static constexpr std::size_t kDefaultMaxQueuedBytes = 1 << 20;

  // A new stream. Events sent before the server starts writing it are queued. When more than
  // `max_queued_bytes` wait unwritten (the client reads too slowly), the stream is cancelled.
  explicit SseStream(std::size_t max_queued_bytes = kDefaultMaxQueuedBytes);

  // Queues an event. Returns false, dropping it, when the stream is closed or cancelled.
  bool Send(SseEvent event);
  bool Send(std::string_view event, std::string_view data);
  // Queues a comment line.
  bool SendComment(std::string_view text);
  // The producer is done: the server writes what is queued, then ends the response.
  void Close();

  // True once the stream is cancelled: the producer should stop (it may keep calling Send, which
  // then returns false).
  bool cancelled() const;
  // Why it was cancelled ("client disconnected", "client too slow", "server shutting down"); empty
  // while not cancelled.
  std::string cancel_reason() const;
  // Runs `callback` once when the stream is cancelled, on the thread that cancels it (an I/O
  // thread, or the producer's when its queue overflows); at once if already cancelled. It must
  // not block. Callbacks are dropped, not run, when the stream ends normally.
  void OnCancel(std::function<void()> callback);

  // The shared state, for the server's connection code (sse_stream_internal.h).
  struct State;
  const std::shared_ptr<State>& state() const { return state_; }

 private:
  // Shared because the handler, the producer (another thread) and the connection each hold the
  // stream and any of them may be the last to let go.
  std::shared_ptr<State> state_;
};

}  // namespace troupe::server
