// What `analytics topics` adds around the LDA fit: the messages of a period from the store (with
// their times), the weekly trend of each topic, and names from the configured language model.
// Internal to src/cli.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "analytics/lda_model.h"
#include "analytics/topic_names.h"
#include "analytics/topic_trends.h"
#include "cli/context.h"

namespace troupe::cli {

struct StoredTopicMessages {
  std::vector<std::string> texts;
  std::vector<int64_t> created_at_ms;
  std::string description;  // "users' messages from 2026-11-08 to 2026-12-07 (pip)"
};

// Users' messages between the days `from` and `to` (YYYY-MM-DD, both included; "" takes the last
// 30 days), of one character when `character` (id or slug) is given. kInvalidArgument naming
// --from or --to for bad days.
Result<StoredTopicMessages> ReadStoredTopicMessages(CommandContext& context, const std::string& from,
                                                    const std::string& to, const std::string& character);

// For each topic, up to `count` messages whose inferred mixture gives it the largest share.
std::vector<std::vector<std::string>> TopicExamples(const analytics::LdaModel& model,
                                                    const std::vector<std::vector<int32_t>>& documents,
                                                    const std::vector<std::string>& texts, size_t count);

// Names from the configured default provider (the local model unless configured otherwise).
Result<std::vector<analytics::TopicName>> NameTopicsWithConfiguredModel(
    CommandContext& context, const std::vector<analytics::TopicToName>& topics);

// "YYYY-MM-DD" of a week's Monday, and the weeks as JSON ({"week", "messages", "shares"}).
std::string TopicWeekLabel(const analytics::TopicWeek& week);
nlohmann::json TopicWeeksJson(const std::vector<analytics::TopicWeek>& weeks);

}  // namespace troupe::cli
