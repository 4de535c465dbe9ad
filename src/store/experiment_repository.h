// Experiments and the conversations assigned to their variants. The store keeps what was decided
// (the experiment, its variants as JSON, which variant each conversation plays) and reads back, per
// assigned conversation, the raw facts its outcome is measured from; what a variant changes and how
// outcomes are compared belong to chat/experiments.h and studio/experiment_report.h.
//
// Life of an experiment: draft (editable, deletable) -> running (new conversations with the
// character are assigned; at most one per character) -> stopped (assignments stay, reports still
// read). Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "store/page.h"
#include "store/records.h"

namespace troupe::store {

enum class ExperimentStatus { kDraft, kRunning, kStopped };
std::string_view ToString(ExperimentStatus status);
std::optional<ExperimentStatus> ParseExperimentStatus(std::string_view text);

struct ExperimentRecord {
  int64_t id = 0;
  int64_t character_id = 0;
  std::string name;
  std::string kind;    // what the variants change: "flow", "prompt" or "character"
  std::string metric;  // the outcome compared: "length", "return", "rating" or "resolution"
  int64_t return_days = 7;
  int64_t planned_trials = 0;  // per variant; 0: none planned (no stop rule)
  std::string variants_json = "[]";
  ExperimentStatus status = ExperimentStatus::kDraft;
  std::optional<int64_t> started_at;
  std::optional<int64_t> stopped_at;
  int64_t created_at = 0;
  int64_t updated_at = 0;
};

struct ExperimentAssignment {
  int64_t conversation_id = 0;
  int64_t experiment_id = 0;
  int variant = 0;  // index into the experiment's variants
  int64_t assigned_at = 0;
};

// What an outcome is measured from, for one assigned conversation.
struct ExperimentObservation {
  int64_t conversation_id = 0;
  int variant = 0;
  int64_t user_id = 0;
  int64_t created_at = 0;
  int64_t last_activity_at = 0;
  ConversationStatus status = ConversationStatus::kActive;
  std::string metadata_json;  // the conversation's (a handoff leaves its mark here)
  int64_t user_messages = 0;
  int64_t agent_messages = 0;        // written by a human agent
  std::optional<int> csat;           // the latest post-conversation rating, 1..5
  std::optional<int64_t> next_start;  // when the same user's next conversation began
};

class ExperimentRepository {
 public:
  virtual ~ExperimentRepository() = default;
  // Stores a draft (status, times and id set here). kNotFound naming character_id; kInvalidArgument
  // naming the field for an empty name, kind or metric, or variants_json that is not an array.
  virtual Result<ExperimentRecord> Create(ExperimentRecord experiment) = 0;
  virtual Result<ExperimentRecord> Get(int64_t id) = 0;  // kNotFound naming id
  // Oldest first; of one character when given.
  virtual Result<Page<ExperimentRecord>> List(std::optional<int64_t> character_id, const PageRequest& page) = 0;
  // draft -> running (started_at = now). kFailedPrecondition when it is not a draft or the
  // character already runs another experiment.
  virtual Result<ExperimentRecord> Start(int64_t id) = 0;
  // running -> stopped (stopped_at = now). kFailedPrecondition when it is not running.
  virtual Result<ExperimentRecord> Stop(int64_t id) = 0;
  // Deletes a draft or stopped experiment with its assignments; kFailedPrecondition while running.
  virtual Status Delete(int64_t id) = 0;
  // The character's running experiment, if any.
  virtual Result<std::optional<ExperimentRecord>> Running(int64_t character_id) = 0;

  // Records the conversation's variant. kConflict when it already has one; kNotFound naming the
  // conversation or the experiment; kFailedPrecondition when the experiment is not running.
  virtual Status Assign(const ExperimentAssignment& assignment) = 0;
  virtual Result<std::optional<ExperimentAssignment>> AssignmentOf(int64_t conversation_id) = 0;
  // Every conversation assigned in the experiment, in the order they were assigned.
  virtual Result<std::vector<ExperimentObservation>> Observations(int64_t experiment_id) = 0;
};

}  // namespace troupe::store
