#include "cli/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>

#include "base/pii.h"

namespace troupe::cli {
namespace {

// The message as written, or with personal data replaced (base/pii.h) so that a user's e-mail
// address or card number quoted in an error never reaches a log collector. For the JSON format
// it is also escaped as the inside of a JSON string: spdlog's own %v does no escaping, and a log
// line that breaks JSON is worse than none for a collector.
class MessageFlag final : public spdlog::custom_flag_formatter {
 public:
  MessageFlag(bool json, bool redact) : json_(json), redact_(redact) {}

  void format(const spdlog::details::log_msg& message, const std::tm& /*time*/,
              spdlog::memory_buf_t& destination) override {
    const std::string_view payload(message.payload.data(), message.payload.size());
    std::string redacted;
    if (redact_) redacted = RedactPii(payload);
    const std::string_view text = redact_ ? std::string_view(redacted) : payload;
    if (!json_) {
      destination.append(text);
      return;
    }
    for (char c : text) AppendJsonEscaped(c, destination);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<MessageFlag>(json_, redact_);
  }

 private:
  static void AppendJsonEscaped(char c, spdlog::memory_buf_t& destination) {
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

  bool json_;
  bool redact_;
};

}  // namespace

void ConfigureLogging(const std::string& level, const std::string& format, bool redact_pii) {
  static std::shared_ptr<spdlog::logger> logger = [] {
    auto created = spdlog::stderr_color_mt("troupe");
    spdlog::set_default_logger(created);
    return created;
  }();
  const bool json = format == "json";
  auto formatter = std::make_unique<spdlog::pattern_formatter>();
  formatter->add_flag<MessageFlag>('j', json, redact_pii)
      .set_pattern(json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","thread":%t,"msg":"%j"})"
                        : "%Y-%m-%dT%H:%M:%S.%e%z %^%-5l%$ %j");
  logger->set_formatter(std::move(formatter));
  logger->set_level(spdlog::level::from_str(level));
}

}  // namespace troupe::cli
