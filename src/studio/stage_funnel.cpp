#include "studio/stage_funnel.h"

#include <map>

namespace troupe::studio {
namespace {

std::optional<double> FunnelMean(double sum, int64_t count) {
  if (count == 0) return std::nullopt;
  return sum / static_cast<double>(count);
}

void AddStageFigures(FunnelStage& stage, const store::AnalyticsStage& figures) {
  stage.at_stage += figures.conversations;
  stage.sentiment_count += figures.sentiment_count;
  stage.rating_count += figures.rating_count;
  stage.replies += figures.reply_count;
  stage.regenerated += figures.regenerated_count;
  stage.first_kept += figures.first_kept_count;
  stage.regenerated_rate = FunnelMean(static_cast<double>(stage.regenerated), stage.replies);
}

}  // namespace

StageFunnel BuildStageFunnel(const chat::Flow& flow, const std::vector<store::AnalyticsStage>& stages) {
  StageFunnel funnel;
  std::map<std::string, size_t> position;
  for (const chat::Stage& stage : flow.stages) {
    position.emplace(stage.name, funnel.stages.size());
    funnel.stages.push_back({.name = stage.name});
  }
  std::vector<double> sentiment_sums(funnel.stages.size(), 0.0);
  std::vector<double> rating_sums(funnel.stages.size(), 0.0);
  for (const store::AnalyticsStage& figures : stages) {
    const std::string& name = figures.name.empty() ? flow.start : figures.name;
    auto found = position.find(name);
    if (found == position.end()) {
      FunnelStage apart{.name = figures.name};
      AddStageFigures(apart, figures);
      apart.sentiment_mean = FunnelMean(figures.sentiment_sum, figures.sentiment_count);
      apart.rating_mean = FunnelMean(figures.rating_sum, figures.rating_count);
      funnel.other.push_back(std::move(apart));
      continue;
    }
    AddStageFigures(funnel.stages[found->second], figures);
    sentiment_sums[found->second] += figures.sentiment_sum;
    rating_sums[found->second] += figures.rating_sum;
  }
  int64_t reached = 0;
  for (size_t i = funnel.stages.size(); i-- > 0;) {
    FunnelStage& stage = funnel.stages[i];
    reached += stage.at_stage;
    stage.reached = reached;
    stage.sentiment_mean = FunnelMean(sentiment_sums[i], stage.sentiment_count);
    stage.rating_mean = FunnelMean(rating_sums[i], stage.rating_count);
  }
  for (size_t i = 0; i + 1 < funnel.stages.size(); ++i) {
    FunnelStage& stage = funnel.stages[i];
    stage.drop_off = stage.reached - funnel.stages[i + 1].reached;
    if (stage.reached > 0) stage.drop_off_rate = static_cast<double>(*stage.drop_off) / static_cast<double>(stage.reached);
  }
  return funnel;
}

}  // namespace troupe::studio
