#include "cli/topics_extras.h"

#include <algorithm>

#include "base/clock.h"
#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/local_model.h"
#include "llm/provider_registry.h"
#include "store/kpi_report.h"

namespace troupe::cli {

Result<StoredTopicMessages> ReadStoredTopicMessages(CommandContext& context, const std::string& from,
                                                    const std::string& to, const std::string& character) {
  Result<std::pair<int64_t, int64_t>> period = store::ParseKpiPeriod(from, to, SystemClock::Instance().NowMillis());
  if (!period.ok()) return period.status().WithContext("--" + period.status().field());
  TROUPE_ASSIGN_OR_RETURN(CommandContext::MigratedStore migrated, context.ConnectAndMigrate());
  store::MessageTextQuery query{period->first, period->second, std::nullopt};
  StoredTopicMessages messages;
  messages.description = "users' messages from " + store::KpiDay(period->first) + " to " +
                         store::KpiDay(period->second - 1);
  if (!character.empty()) {
    TROUPE_ASSIGN_OR_RETURN(store::Character found, FindCharacter(*migrated.store, character));
    query.character_id = found.id;
    messages.description += " (" + found.slug + ")";
  }
  store::PageRequest page{"", 500};
  do {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::MessageText> batch, migrated.store->messages().ListUserTexts(query, page));
    for (store::MessageText& text : batch.items) {
      messages.texts.push_back(std::move(text.content));
      messages.created_at_ms.push_back(text.created_at);
    }
    page.cursor = batch.next_cursor;
  } while (!page.cursor.empty() && !InterruptRequested());
  return messages;
}

std::vector<std::vector<std::string>> TopicExamples(const analytics::LdaModel& model,
                                                    const std::vector<std::vector<int32_t>>& documents,
                                                    const std::vector<std::string>& texts, size_t count) {
  const size_t topics = model.topic_count();
  // Per topic, (share, message index) of the best `count` so far.
  std::vector<std::vector<std::pair<double, size_t>>> best(topics);
  for (size_t i = 0; i < documents.size() && i < texts.size(); ++i) {
    if (documents[i].empty()) continue;
    const std::vector<double> mixture = model.InferMixture(documents[i], 50, i + 1);
    for (size_t topic = 0; topic < topics; ++topic) {
      auto& list = best[topic];
      list.emplace_back(mixture[topic], i);
      std::stable_sort(list.begin(), list.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
      if (list.size() > count) list.pop_back();
    }
  }
  std::vector<std::vector<std::string>> examples(topics);
  for (size_t topic = 0; topic < topics; ++topic) {
    for (const auto& [share, index] : best[topic]) examples[topic].push_back(texts[index]);
  }
  return examples;
}

Result<std::vector<analytics::TopicName>> NameTopicsWithConfiguredModel(
    CommandContext& context, const std::vector<analytics::TopicToName>& topics) {
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  TROUPE_ASSIGN_OR_RETURN(llm::ConfiguredModel local, llm::LoadConfiguredModel(loaded->config));
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<llm::ProviderRegistry> registry,
                          llm::BuildProviderRegistry(loaded->config, local.model, local.missing_hint, local.draft));
  TROUPE_ASSIGN_OR_RETURN(llm::Provider * provider, registry->Default());
  return analytics::NameTopics(*provider, topics, InterruptFlag());
}

std::string TopicWeekLabel(const analytics::TopicWeek& week) { return store::KpiDay(week.week_start_ms); }

nlohmann::json TopicWeeksJson(const std::vector<analytics::TopicWeek>& weeks) {
  nlohmann::json list = nlohmann::json::array();
  for (const analytics::TopicWeek& week : weeks) {
    list.push_back({{"week", TopicWeekLabel(week)}, {"messages", week.messages}, {"shares", week.shares}});
  }
  return list;
}

}  // namespace troupe::cli
