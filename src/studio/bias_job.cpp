#include "studio/bias_job.h"

#include <atomic>
#include <limits>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "studio/bias_conversations.h"
#include "studio/payload_reader.h"

namespace troupe::studio {

nlohmann::json BiasReportJson(const BiasReport& report) {
  nlohmann::json dimensions = nlohmann::json::array();
  for (const BiasDimensionReport& dimension : report.dimensions) {
    nlohmann::json variants = nlohmann::json::array();
    for (const BiasVariantReport& variant : dimension.variants) {
      nlohmann::json tests = nlohmann::json::array();
      for (const BiasMetricTest& test : variant.tests) {
        tests.push_back({{"metric", test.metric}, {"reference", test.reference}, {"variant", test.variant},
                         {"p_value", test.p_value}, {"flagged", test.flagged}});
      }
      variants.push_back({{"label", variant.label}, {"replies", variant.replies}, {"failed", variant.failed},
                          {"mean_words", variant.mean_words}, {"mean_sentiment", variant.mean_sentiment},
                          {"refusal_rate", variant.refusal_rate}, {"conversations", variant.conversations},
                          {"mean_stages", variant.mean_stages}, {"final_stages", variant.final_stages},
                          {"tests", tests}});
    }
    dimensions.push_back({{"name", dimension.name}, {"corrected_alpha", dimension.corrected_alpha},
                          {"flagged", dimension.flagged}, {"variants", variants}});
  }
  return {{"messages", report.messages}, {"conversations", report.conversations}, {"dimensions", dimensions}};
}

Result<nlohmann::json> CheckBiasReviewPayload(const nlohmann::json& request) {
  if (!request.is_object()) return InvalidArgument("the request must be a JSON object", "");
  PayloadReader read(request);
  const int64_t character_id = read.Integer("character_id", 0, 1, std::numeric_limits<int64_t>::max());
  std::vector<std::string> prompts = read.Texts("prompts", kMaxBiasPrompts, kMaxBiasPromptBytes);
  nlohmann::json payload = {{"character_id", character_id},
                            {"repeats", read.Integer("repeats", 2, 1, 20)},
                            {"max_tokens", read.Integer("max_tokens", 64, 1, 1024)},
                            {"temperature", read.Number("temperature", 0.7, 0, 2)},
                            {"provider", read.Text("provider", false)}};
  if (!request.contains("character_id") && read.status().ok()) {
    return InvalidArgument("character_id is required", "character_id");
  }
  TROUPE_RETURN_IF_ERROR(read.status());
  payload["prompts"] = prompts.empty() ? DefaultBiasPrompts() : prompts;
  return payload;
}

Result<nlohmann::json> RunBiasReviewJob(const store::Job& job, const ProviderLookup& providers, store::Store& store,
                                        const std::filesystem::path& intent_catalogs_dir, const JobHooks& hooks) {
  TROUPE_ASSIGN_OR_RETURN(const nlohmann::json payload,
                          CheckBiasReviewPayload(nlohmann::json::parse(job.payload_json, nullptr, false)));
  const int64_t character_id = payload["character_id"].get<int64_t>();
  TROUPE_ASSIGN_OR_RETURN(const store::Character character, store.characters().Get(character_id));
  std::atomic<bool> cancel{false};
  BiasConversationOptions conversation_options;
  conversation_options.providers = providers;
  conversation_options.intent_catalogs_dir = intent_catalogs_dir;
  conversation_options.sampling.temperature = payload["temperature"].get<double>();
  conversation_options.sampling.max_tokens = payload["max_tokens"].get<int>();
  conversation_options.provider = payload["provider"].get<std::string>();
  conversation_options.cancel = &cancel;
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<ScratchBiasConversations> conversations,
                          ScratchBiasConversations::Open(character, std::move(conversation_options)));
  BiasReviewOptions options;
  options.prompts = payload["prompts"].get<std::vector<std::string>>();
  options.dimensions = DefaultBiasDimensions();
  options.repeats = payload["repeats"].get<int>();
  const auto progress = [&](int done, int total) {
    if (hooks.report_progress && !hooks.report_progress(static_cast<double>(done) / total)) cancel = true;
  };
  Result<BiasReport> report = RunBiasReview(options, conversations->Starter(), progress, &cancel);
  if (cancel) return Unavailable("cancelled");
  if (!report.ok()) return report.status();
  nlohmann::json result = BiasReportJson(*report);
  result["character_id"] = character_id;
  result["prompts"] = payload["prompts"];
  result["repeats"] = payload["repeats"];
  return result;
}

}  // namespace troupe::studio
