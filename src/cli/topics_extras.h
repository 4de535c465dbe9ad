// What `analytics topics` needs beyond the analytics library: the stored messages or feedback
// comments of a period named by days and a character's id or slug, and the configured default provider to name topics.
// Internal to src/cli.
#pragma once

#include <memory>
#include <string>

#include "analytics/topic_report.h"
#include "cli/context.h"
#include "llm/local_model.h"
#include "llm/provider_registry.h"

namespace troupe::cli {

// Users' messages or feedback comments (`source`) between the days `from` and `to` (YYYY-MM-DD,
// both included; "" takes the last 30 days), of one character when `character` (id or slug) is
// given. kInvalidArgument naming --from or --to for bad days.
Result<analytics::TopicMessages> ReadStoredTopicMessages(CommandContext& context, analytics::TopicSource source,
                                                         const std::string& from, const std::string& to,
                                                         const std::string& character);

// The configured default provider (the local model unless configured otherwise), with what keeps
// it alive.
struct ConfiguredProvider {
  llm::ConfiguredModel local;
  std::unique_ptr<llm::ProviderRegistry> registry;
  llm::Provider* provider = nullptr;
};
Result<std::unique_ptr<ConfiguredProvider>> ConfiguredDefaultProvider(CommandContext& context);

}  // namespace troupe::cli
