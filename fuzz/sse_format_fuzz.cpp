// SSE framing: whatever text a model produces, one event must stay one event on the wire. Checks
// that the output has exactly one blank line (at its end), that every line is a field we wrote,
// and that a client joining the data lines gets the text back with line endings normalised.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/http/sse_stream.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // Split the input three ways on the first two NUL bytes: event name, id, data.
  size_t first = input.find('\0');
  size_t second = first == std::string_view::npos ? first : input.find('\0', first + 1);
  troupe::server::SseEvent event;
  if (second != std::string_view::npos) {
    event.event = std::string(input.substr(0, first));
    event.id = std::string(input.substr(first + 1, second - first - 1));
    event.data = std::string(input.substr(second + 1));
  } else {
    event.data = std::string(input);
  }
  const std::string wire = troupe::server::FormatSseEvent(event);

  if (wire.size() < 2 || wire.compare(wire.size() - 2, 2, "\n\n") != 0) std::abort();
  if (wire.find("\n\n") != wire.size() - 2) std::abort();
  if (wire.find('\r') != std::string::npos) std::abort();

  std::string rebuilt;
  bool first_data = true;
  size_t start = 0;
  while (start < wire.size() - 1) {
    size_t end = wire.find('\n', start);
    std::string_view line(wire.data() + start, end - start);
    if (line.rfind("data: ", 0) == 0) {
      if (!first_data) rebuilt += '\n';
      rebuilt += line.substr(6);
      first_data = false;
    } else if (line.rfind("event: ", 0) != 0 && line.rfind("id: ", 0) != 0) {
      std::abort();
    }
    start = end + 1;
  }
  std::string expected;
  for (size_t i = 0; i < event.data.size(); ++i) {
    char c = event.data[i];
    if (c == '\r') {
      expected += '\n';
      if (i + 1 < event.data.size() && event.data[i + 1] == '\n') ++i;
    } else {
      expected += c;
    }
  }
  if (rebuilt != expected) std::abort();

  const std::string comment = troupe::server::FormatSseComment(event.data);
  if (comment.find("\n\n") != comment.size() - 2) std::abort();
  return 0;
}
