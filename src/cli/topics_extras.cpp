#include "cli/topics_extras.h"

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/local_model.h"
#include "store/kpi_report.h"

namespace troupe::cli {

Result<analytics::TopicMessages> ReadStoredTopicMessages(CommandContext& context, analytics::TopicSource source,
                                                         const std::string& from, const std::string& to,
                                                         const std::string& character) {
  Result<std::pair<int64_t, int64_t>> period = store::ParseKpiPeriod(from, to, SystemClock::Instance().NowMillis());
  if (!period.ok()) return period.status().WithContext("--" + period.status().field());
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  std::optional<int64_t> character_id;
  std::string slug;
  if (!character.empty()) {
    TROUPE_ASSIGN_OR_RETURN(store::Character found, FindCharacter(*migrated.store, character));
    character_id = found.id;
    slug = found.slug;
  }
  TROUPE_ASSIGN_OR_RETURN(analytics::TopicMessages messages,
                          analytics::ReadStoredTopicTexts(*migrated.store, source, period->first, period->second,
                                                          character_id, InterruptFlag()));
  if (!slug.empty()) messages.source += " (" + slug + ")";
  return messages;
}

Result<std::unique_ptr<ConfiguredProvider>> ConfiguredDefaultProvider(CommandContext& context) {
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  auto configured = std::make_unique<ConfiguredProvider>();
  TROUPE_ASSIGN_OR_RETURN(configured->local, llm::LoadConfiguredModel(loaded->config));
  TROUPE_ASSIGN_OR_RETURN(configured->registry,
                          llm::BuildProviderRegistry(loaded->config, configured->local.model,
                                                     configured->local.missing_hint, configured->local.draft));
  TROUPE_ASSIGN_OR_RETURN(configured->provider, configured->registry->Default());
  return configured;
}

}  // namespace troupe::cli
