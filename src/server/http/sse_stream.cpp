#include "server/http/sse_stream.h"

#include <utility>

#include "server/http/sse_stream_internal.h"

namespace troupe::server {
namespace {

// Appends `text` with CR and LF removed: an event name or id must stay on one line.
void AppendSingleLine(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c != '\r' && c != '\n') out.push_back(c);
  }
}

}  // namespace

std::string FormatSseEvent(const SseEvent& event) {
  std::string out;
  out.reserve(event.data.size() + event.event.size() + event.id.size() + 32);
  if (!event.event.empty()) {
    out += "event: ";
    AppendSingleLine(out, event.event);
    out += '\n';
  }
  if (!event.id.empty()) {
    out += "id: ";
    AppendSingleLine(out, event.id);
    out += '\n';
  }
  // The SSE grammar ends a line at CRLF, LF or CR; each becomes its own data line so the client
  // rebuilds the text with LF between lines.
  std::string_view data = event.data;
  size_t start = 0;
  while (true) {
    size_t end = data.find_first_of("\r\n", start);
    out += "data: ";
    out.append(data.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    out += '\n';
    if (end == std::string_view::npos) break;
    start = end + 1;
    if (data[end] == '\r' && start < data.size() && data[start] == '\n') ++start;
  }
  out += '\n';
  return out;
}

std::string FormatSseComment(std::string_view text) {
  std::string out = ": ";
  AppendSingleLine(out, text);
  out += "\n\n";
  return out;
}

SseStream::SseStream(std::size_t max_queued_bytes)
    : state_(std::make_shared<State>(max_queued_bytes)) {}

bool SseStream::Send(SseEvent event) { return state_->Enqueue(FormatSseEvent(event)); }

bool SseStream::Send(std::string_view event, std::string_view data) {
  return Send(SseEvent{std::string(event), {}, std::string(data)});
}

bool SseStream::SendComment(std::string_view text) {
  return state_->Enqueue(FormatSseComment(text));
}

void SseStream::Close() {
  std::lock_guard lock(state_->mutex);
  state_->closed = true;
  if (state_->wake) state_->wake();
}

bool SseStream::cancelled() const { return state_->cancelled.load(); }

std::string SseStream::cancel_reason() const {
  std::lock_guard lock(state_->mutex);
  return state_->reason;
}

void SseStream::OnCancel(std::function<void()> callback) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->cancelled.load()) {
      if (!state_->detached) state_->on_cancel.push_back(std::move(callback));
      return;
    }
  }
  callback();
}

bool SseStream::State::Enqueue(std::string chunk) {
  {
    std::lock_guard lock(mutex);
    if (cancelled.load() || closed || detached) return false;
    if (pending_bytes + chunk.size() <= max_queued_bytes) {
      pending_bytes += chunk.size();
      pending.push_back(std::move(chunk));
      if (wake) wake();
      return true;
    }
  }
  Cancel("client too slow");
  return false;
}

void SseStream::State::Attach(std::function<void()> wake_function) {
  std::lock_guard lock(mutex);
  wake = std::move(wake_function);
  if (!pending.empty() || closed || cancelled.load()) wake();
}

bool SseStream::State::TakePending(std::deque<std::string>& out) {
  std::lock_guard lock(mutex);
  while (!pending.empty()) {
    out.push_back(std::move(pending.front()));
    pending.pop_front();
  }
  pending_bytes = 0;
  return closed;
}

void SseStream::State::Cancel(const std::string& why) {
  std::vector<std::function<void()>> callbacks;
  {
    std::lock_guard lock(mutex);
    if (cancelled.load() || detached) return;
    cancelled.store(true);
    reason = why;
    pending.clear();
    pending_bytes = 0;
    callbacks.swap(on_cancel);
    if (wake) wake();
  }
  for (auto& callback : callbacks) callback();
}

void SseStream::State::Detach() {
  std::lock_guard lock(mutex);
  detached = true;
  wake = nullptr;
  on_cancel.clear();
  pending.clear();
  pending_bytes = 0;
}

}  // namespace troupe::server
