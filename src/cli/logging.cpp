#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

namespace troupe::cli {
namespace {

// %j: the message as the inside of a JSON string. spdlog's own %v does no escaping, and a log line
// that breaks JSON is worse than none for a collector.
class JsonEscapedMessage final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& message, const std::tm& /*time*/,
              spdlog::memory_buf_t& destination) override {
    for (char c : std::string_view(message.payload.data(), message.payload.size())) {
      switch (c) {
        case '"': destination.append(std::string_view("\\\"")); break;
        case '\\': destination.append(std::string_view("\\\\")); break;
        case '\n': destination.append(std::string_view("\\n")); break;
        case '\r': destination.append(std::string_view("\\r")); break;
        case '\t': destination.append(std::string_view("\\t")); break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(c));
            destination.append(std::string_view(escaped));
          } else {
            destination.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

}  // namespace

void ConfigureLogging(const std::string& level, const std::string& format) {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto created = spdlog::stderr_color_mt("troupe");
    spdlog::set_default_logger(created);
    return created;
  }();
  if (format == "json") {
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
        R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%j"})");
    logger->set_formatter(std::move(formatter));
  } else {
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %v");
  }
  logger->set_level(spdlog::level::from_str(level));
}

}  // namespace troupe::cli
