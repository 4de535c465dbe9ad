// A character's stage funnel: how many of its conversations reached each stage of its flow and how
// many were lost between stages, with each stage's mean sentiment and rating. The store keeps only
// a conversation's current stage; a conversation at the k-th stage of the flow (in the order the
// flow lists its stages) has reached stages 0..k. A conversation the flow has not run on yet
// (stage "") is at the flow's start stage; one at a stage the flow no longer has is counted apart.
// Pure and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chat/flow.h"
#include "store/analytics_repository.h"

namespace troupe::studio {

struct FunnelStage {
  std::string name;
  int64_t at_stage = 0;  // conversations whose current stage this is
  int64_t reached = 0;   // at this stage or a later one
  // Reached this stage but not the next (absent for the last stage), and that share of `reached`
  // (absent when none reached this stage).
  std::optional<int64_t> drop_off = std::nullopt;
  std::optional<double> drop_off_rate = std::nullopt;
  int64_t sentiment_count = 0;
  std::optional<double> sentiment_mean = std::nullopt;
  int64_t rating_count = 0;
  std::optional<double> rating_mean = std::nullopt;
  // The character's messages written at the stage, those the user regenerated, and those where
  // the user went back to the first alternative; regenerated / replies (absent without replies).
  int64_t replies = 0;
  int64_t regenerated = 0;
  int64_t first_kept = 0;
  std::optional<double> regenerated_rate = std::nullopt;
};

struct StageFunnel {
  std::vector<FunnelStage> stages;  // in the flow's order
  std::vector<FunnelStage> other;   // stages not in the flow, by name (only at_stage and the means)
};

StageFunnel BuildStageFunnel(const chat::Flow& flow, const std::vector<store::AnalyticsStage>& stages);

}  // namespace troupe::studio
