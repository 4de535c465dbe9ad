// The support KPIs of a period, computed from KpiRows (kpi_repository.h). A pure function: the same
// rows always give the same report.
//
// Definitions (docs/api.md repeats them for API users):
// - A conversation counts in the period of its created_at (UTC day).
// - A reply is an assistant or agent message that follows at least one unanswered user message; its
//   response time runs from the earliest user message it answers to the reply. Other assistant
//   messages (a greeting, a proactive message) answer nothing and are not replies.
// - First response time: a conversation's first reply, from its first user message.
// - Average response time: the mean over every reply.
// - Resolved: the conversation's status is closed (by the end user, an agent or the API).
// - Handed off: the conversation was handed to a person (metadata.handoff) or is with one now.
// - Resolution rate: resolved / conversations. Handoff rate: handed off / conversations.
// - Agent load reduction: resolved conversations never handed off / resolved conversations.
// - CSAT: the latest post-conversation rating (feedback kind "csat", 1..5) of each conversation;
//   the share of 4 and 5, and the mean.
// - Routing accuracy: among user messages an agent reviewed (metadata.routing.review.intent), the
//   share whose routed intent equals the reviewed one.
// - Campaign reply rate: campaign messages answered / campaign messages sent (null until campaigns
//   provide their rows).
// Per intent: a conversation's intent is its first routed intent; a reply's is the intent of the
// user message it answers; a review's is the router's intent. Rates and means are null when there
// is nothing to measure (their count is 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

#include "store/kpi_repository.h"

namespace troupe::store {

struct KpiValues {
  int64_t conversations = 0;
  int64_t first_responses = 0;  // conversations with a first reply
  std::optional<double> first_response_ms;  // mean
  int64_t replies = 0;
  std::optional<double> average_response_ms;
  int64_t resolved = 0;
  std::optional<double> resolution_rate;
  int64_t handed_off = 0;
  std::optional<double> handoff_rate;
  int64_t resolved_without_human = 0;
  std::optional<double> agent_load_reduction;
  int64_t csat_ratings = 0;
  int64_t csat_satisfied = 0;  // ratings of 4 or 5
  std::optional<double> csat;
  std::optional<double> csat_mean;
  int64_t routing_reviews = 0;
  int64_t routing_correct = 0;
  std::optional<double> routing_accuracy;
  int64_t campaign_sends = 0;
  int64_t campaign_replies = 0;
  std::optional<double> campaign_reply_rate;
};

enum class KpiGrouping { kNone, kDay, kIntent, kCharacter };
std::string_view ToString(KpiGrouping grouping);
std::optional<KpiGrouping> ParseKpiGrouping(std::string_view text);

struct KpiGroup {
  // "YYYY-MM-DD", an intent name ("" for conversations and messages that were not routed), or a
  // character id in decimal.
  std::string key;
  KpiValues values;
};

struct KpiReport {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  KpiValues totals;
  // Days in order, every day of the period present; intents by name; characters by id.
  std::vector<KpiGroup> groups;
};

KpiReport AggregateKpis(const KpiRows& rows, KpiGrouping grouping);

// Milliseconds since the epoch of midnight UTC of "YYYY-MM-DD"; nullopt unless it is a real date
// in that exact form.
std::optional<int64_t> ParseKpiDay(std::string_view text);
// The UTC day of `ms` as "YYYY-MM-DD".
std::string KpiDay(int64_t ms);

// The longest period a report covers.
inline constexpr int kMaxKpiDays = 366;

// [from_ms, to_ms) from the days `from` and `to` ("YYYY-MM-DD", both included). "" takes the
// default: `to` the UTC day of `now_ms`, `from` 29 days before `to`. kInvalidArgument naming "from"
// or "to" for a malformed day, `to` before `from`, or more than kMaxKpiDays days.
Result<std::pair<int64_t, int64_t>> ParseKpiPeriod(std::string_view from, std::string_view to, int64_t now_ms);

}  // namespace troupe::store
