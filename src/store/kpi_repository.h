// The support KPIs (kpi_report.h defines them) start from compact rows of one period: the
// conversations created in it, their user, assistant and agent messages, and their post-conversation
// (csat) ratings. The repository only fetches them, with plain SQL both databases run the same way;
// AggregateKpis does the arithmetic.
// Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "store/records.h"

namespace troupe::store {

struct KpiConversationRow {
  int64_t id = 0;
  int64_t character_id = 0;
  ConversationStatus status = ConversationStatus::kActive;
  int64_t created_at = 0;
  std::optional<int64_t> handoff_at;  // metadata.handoff.at: handed to a person (and maybe back since)
};

struct KpiMessageRow {
  int64_t conversation_id = 0;
  int64_t id = 0;
  MessageRole role = MessageRole::kUser;  // user, assistant or agent
  int64_t created_at = 0;
  std::string routed_intent;    // metadata.routing.intent ("" when the message was not routed)
  std::string reviewed_intent;  // metadata.routing.review.intent ("" when no agent reviewed it)
};

struct KpiCsatRow {
  int64_t conversation_id = 0;
  int rating = 0;  // 1..5
  int64_t created_at = 0;
};

// One campaign message delivered in the period and whether the end user answered it (a message
// of theirs in that conversation after the delivery).
struct KpiCampaignSendRow {
  int64_t conversation_id = 0;
  int64_t character_id = 0;
  int64_t sent_at = 0;
  bool replied = false;
};

// Everything about the conversations created in [from_ms, to_ms).
struct KpiRows {
  int64_t from_ms = 0;
  int64_t to_ms = 0;
  std::vector<KpiConversationRow> conversations;  // by id
  std::vector<KpiMessageRow> messages;            // by conversation, then created_at, then id
  std::vector<KpiCsatRow> csat;                   // by conversation, then id
  std::vector<KpiCampaignSendRow> campaign_sends;
};

class KpiRepository {
 public:
  virtual ~KpiRepository() = default;
  // The rows of the conversations created in [from_ms, to_ms), read in one snapshot.
  // kInvalidArgument (field "to") when to_ms is not after from_ms.
  virtual Result<KpiRows> Rows(int64_t from_ms, int64_t to_ms) = 0;
};

}  // namespace troupe::store
