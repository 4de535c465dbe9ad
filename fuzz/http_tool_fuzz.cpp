// Tool definitions from outside (operators' catalogs, cards) and the arguments a model writes for
// them: any definition text parses to tools or to an error naming where; for a parsed tool, any
// arguments give a request or an error, and a request only ever goes to an http(s) URL on one of
// the tool's allowed hosts, with no line break in any header (whatever the caller's values hold);
// any answer goes through the tool's result shape. Input: definitions (presets expanded), a NUL
// byte, arguments (also read as an answer).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "chat/tools/tool_runner.h"

using namespace troupe::chat::tools;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  const std::string_view definitions = input.substr(0, split);
  const std::string_view arguments = split == std::string_view::npos ? "{}" : input.substr(split + 1);
  troupe::Result<std::vector<HttpTool>> tools = ParseHttpTools(definitions, "tools");
  if (!tools.ok()) {
    if (tools.status().message().rfind("tools", 0) != 0) std::abort();
    return 0;
  }
  const std::map<std::string, std::string> secrets = {{"TOKEN", "t0k3n"}};
  for (const HttpTool& tool : *tools) {
    if (tool.allowed_hosts.empty()) std::abort();
    // The caller's values come from the operator's records, not from the model; a line break in
    // one must still never reach a header.
    const Caller caller = {{"user_id", "u-1\r\nX-Injected: 1"}, {"conversation_id", "7"}};
    troupe::Result<PreparedRequest> request = PrepareRequest(tool, arguments, secrets, caller);
    (void)ShapeResult(tool.result, arguments);  // any answer text, any shape: no crash
    if (!request.ok()) continue;
    if (request->url.rfind("http://", 0) != 0 && request->url.rfind("https://", 0) != 0) std::abort();
    if (std::find(tool.allowed_hosts.begin(), tool.allowed_hosts.end(), request->host) == tool.allowed_hosts.end()) {
      std::abort();
    }
    for (const std::string& header : request->headers) {
      if (header.find_first_of("\r\n") != std::string::npos) std::abort();
    }
    if (MaskArguments(arguments, secrets).find("t0k3n") != std::string::npos) std::abort();
  }
  return 0;
}
