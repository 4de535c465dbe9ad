// Experiments, their assignments and the facts outcomes are measured from (experiment_repository.h).
#include "store/repo/repositories.h"

namespace troupe::store {

std::string_view ToString(ExperimentStatus status) {
  switch (status) {
    case ExperimentStatus::kDraft:
      return "draft";
    case ExperimentStatus::kRunning:
      return "running";
    case ExperimentStatus::kStopped:
      return "stopped";
  }
  return "draft";
}

std::optional<ExperimentStatus> ParseExperimentStatus(std::string_view text) {
  if (text == "draft") return ExperimentStatus::kDraft;
  if (text == "running") return ExperimentStatus::kRunning;
  if (text == "stopped") return ExperimentStatus::kStopped;
  return std::nullopt;
}

namespace repo {
namespace {

constexpr std::string_view kExperimentColumns =
    "id, character_id, name, kind, metric, return_days, planned_trials, variants_json, status, started_at, "
    "stopped_at, created_at, updated_at";

ExperimentRecord ReadExperiment(const sql::Row& row) {
  sql::RowReader read(row);
  ExperimentRecord experiment;
  experiment.id = read.Int();
  experiment.character_id = read.Int();
  experiment.name = read.Text();
  experiment.kind = read.Text();
  experiment.metric = read.Text();
  experiment.return_days = read.Int();
  experiment.planned_trials = read.Int();
  experiment.variants_json = read.Text();
  experiment.status = ParseExperimentStatus(read.Text()).value_or(ExperimentStatus::kDraft);
  experiment.started_at = read.OptionalInt();
  experiment.stopped_at = read.OptionalInt();
  experiment.created_at = read.Int();
  experiment.updated_at = read.Int();
  return experiment;
}

Status NotFoundExperiment(int64_t id) {
  return FieldError(StatusCode::kNotFound, "experiment " + std::to_string(id) + " not found", "id");
}

Status ValidateExperiment(const ExperimentRecord& experiment) {
  if (experiment.name.empty()) return InvalidArgument("an experiment needs a name", "name");
  if (experiment.kind.empty()) return InvalidArgument("an experiment needs a kind", "kind");
  if (experiment.metric.empty()) return InvalidArgument("an experiment needs a metric", "metric");
  if (experiment.return_days < 1) return InvalidArgument("return_days must be at least 1", "return_days");
  if (experiment.planned_trials < 0) return InvalidArgument("planned_trials must not be negative", "planned_trials");
  return ValidateJson(experiment.variants_json, "variants_json", false, JsonShape::kArray);
}

// The facts per assigned conversation; correlated subqueries keep it one statement on both backends.
constexpr std::string_view kObservationQuery =
    "SELECT a.conversation_id, a.variant, c.user_id, c.created_at, c.last_activity_at, c.status, c.metadata_json, "
    "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'user'), "
    "(SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id AND m.role = 'agent'), "
    "(SELECT f.rating FROM feedback_events f WHERE f.conversation_id = c.id AND f.kind = 'csat' "
    "AND f.rating IS NOT NULL ORDER BY f.created_at DESC, f.id DESC LIMIT 1), "
    "(SELECT MIN(n.created_at) FROM conversations n WHERE n.user_id = c.user_id AND n.created_at > c.created_at) "
    "FROM experiment_assignments a JOIN conversations c ON c.id = a.conversation_id "
    "WHERE a.experiment_id = $1 ORDER BY a.assigned_at, a.conversation_id";

ExperimentObservation ReadObservation(const sql::Row& row) {
  sql::RowReader read(row);
  ExperimentObservation observation;
  observation.conversation_id = read.Int();
  observation.variant = static_cast<int>(read.Int());
  observation.user_id = read.Int();
  observation.created_at = read.Int();
  observation.last_activity_at = read.Int();
  observation.status = ParseConversationStatus(read.Text()).value_or(ConversationStatus::kActive);
  observation.metadata_json = read.Text();
  observation.user_messages = read.Int();
  observation.agent_messages = read.Int();
  if (std::optional<int64_t> csat = read.OptionalInt()) observation.csat = static_cast<int>(*csat);
  observation.next_start = read.OptionalInt();
  return observation;
}

class Experiments final : public ExperimentRepository {
 public:
  explicit Experiments(const Context& context) : context_(context) {}

  Result<ExperimentRecord> Create(ExperimentRecord experiment) override {
    TROUPE_RETURN_IF_ERROR(ValidateExperiment(experiment));
    experiment.status = ExperimentStatus::kDraft;
    experiment.started_at.reset();
    experiment.stopped_at.reset();
    experiment.created_at = experiment.updated_at = context_.Now();
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows character,
                            connection->Query("SELECT 1 FROM characters WHERE id = $1", {experiment.character_id}));
    if (character.empty()) {
      return FieldError(StatusCode::kNotFound, "character " + std::to_string(experiment.character_id) + " not found",
                        "character_id");
    }
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("INSERT INTO experiments (character_id, name, kind, metric, return_days, planned_trials, "
                          "variants_json, status, created_at, updated_at) "
                          "VALUES ($1, $2, $3, $4, $5, $6, $7, 'draft', $8, $8) RETURNING id",
                          {experiment.character_id, experiment.name, experiment.kind, experiment.metric,
                           experiment.return_days, experiment.planned_trials, experiment.variants_json,
                           experiment.created_at}));
    experiment.id = rows.at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return experiment;
  }

  Result<ExperimentRecord> Get(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query("SELECT " + std::string(kExperimentColumns) +
                                                                  " FROM experiments WHERE id = $1",
                                                              {id}));
    if (rows.empty()) return NotFoundExperiment(id);
    return ReadExperiment(rows.front());
  }

  Result<Page<ExperimentRecord>> List(std::optional<int64_t> character_id, const PageRequest& page) override {
    const std::string select = "SELECT " + std::string(kExperimentColumns) + " FROM experiments";
    if (character_id) {
      return PageByAscendingId<ExperimentRecord>(context_, select, "character_id = $1", {*character_id}, page,
                                                 ReadExperiment);
    }
    return PageByAscendingId<ExperimentRecord>(context_, select, "", {}, page, ReadExperiment);
  }

  Result<ExperimentRecord> Start(int64_t id) override {
    return Move(id, ExperimentStatus::kDraft, ExperimentStatus::kRunning, "started_at");
  }

  Result<ExperimentRecord> Stop(int64_t id) override {
    return Move(id, ExperimentStatus::kRunning, ExperimentStatus::kStopped, "stopped_at");
  }

  Status Delete(int64_t id) override {
    {
      TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
      TROUPE_ASSIGN_OR_RETURN(int64_t deleted,
                              connection->Exec("DELETE FROM experiments WHERE id = $1 AND status <> 'running'", {id}));
      if (deleted > 0) return Status::Ok();
    }
    TROUPE_ASSIGN_OR_RETURN(ExperimentRecord existing, Get(id));
    return Status(StatusCode::kFailedPrecondition,
                  "experiment " + std::to_string(existing.id) + " is running; stop it before deleting it");
  }

  Result<std::optional<ExperimentRecord>> Running(int64_t character_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + std::string(kExperimentColumns) +
                                                  " FROM experiments WHERE character_id = $1 AND status = 'running'",
                                              {character_id}));
    if (rows.empty()) return std::optional<ExperimentRecord>();
    return std::optional<ExperimentRecord>(ReadExperiment(rows.front()));
  }

  Status Assign(const ExperimentAssignment& assignment) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    TROUPE_ASSIGN_OR_RETURN(sql::Rows experiment, connection->Query("SELECT status FROM experiments WHERE id = $1",
                                                                    {assignment.experiment_id}));
    if (experiment.empty()) {
      return FieldError(StatusCode::kNotFound, "experiment " + std::to_string(assignment.experiment_id) + " not found",
                        "experiment_id");
    }
    if (experiment.front().Text(0) != "running") {
      return Status(StatusCode::kFailedPrecondition,
                    "experiment " + std::to_string(assignment.experiment_id) + " is not running");
    }
    TROUPE_ASSIGN_OR_RETURN(sql::Rows conversation, connection->Query("SELECT 1 FROM conversations WHERE id = $1",
                                                                      {assignment.conversation_id}));
    if (conversation.empty()) {
      return FieldError(StatusCode::kNotFound,
                        "conversation " + std::to_string(assignment.conversation_id) + " not found", "conversation_id");
    }
    Result<int64_t> inserted = connection->Exec(
        "INSERT INTO experiment_assignments (conversation_id, experiment_id, variant, assigned_at) "
        "VALUES ($1, $2, $3, $4)",
        {assignment.conversation_id, assignment.experiment_id, int64_t{assignment.variant}, context_.Now()});
    if (!inserted.ok()) {
      if (inserted.status().code() == StatusCode::kConflict) {
        return Status(StatusCode::kConflict, "conversation " + std::to_string(assignment.conversation_id) +
                                                 " is already assigned to an experiment's variant");
      }
      return inserted.status();
    }
    return transaction.Commit();
  }

  Result<std::optional<ExperimentAssignment>> AssignmentOf(int64_t conversation_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query("SELECT conversation_id, experiment_id, variant, "
                                                              "assigned_at FROM experiment_assignments "
                                                              "WHERE conversation_id = $1",
                                                              {conversation_id}));
    if (rows.empty()) return std::optional<ExperimentAssignment>();
    sql::RowReader read(rows.front());
    ExperimentAssignment assignment;
    assignment.conversation_id = read.Int();
    assignment.experiment_id = read.Int();
    assignment.variant = static_cast<int>(read.Int());
    assignment.assigned_at = read.Int();
    return std::optional<ExperimentAssignment>(assignment);
  }

  Result<std::vector<ExperimentObservation>> Observations(int64_t experiment_id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows, connection->Query(kObservationQuery, {experiment_id}));
    std::vector<ExperimentObservation> observations;
    observations.reserve(rows.size());
    for (const sql::Row& row : rows) observations.push_back(ReadObservation(row));
    return observations;
  }

 private:
  // One step of the experiment's life; `stamp` is the column that records when.
  Result<ExperimentRecord> Move(int64_t id, ExperimentStatus from, ExperimentStatus to, std::string_view stamp) {
    const int64_t now = context_.Now();
    Result<int64_t> moved = int64_t{0};
    {
      TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
      moved = connection->Exec("UPDATE experiments SET status = $1, " + std::string(stamp) +
                                                 " = $2, updated_at = $2 WHERE id = $3 AND status = $4",
                                             {std::string(ToString(to)), now, id, std::string(ToString(from))});
    }
    if (!moved.ok()) {
      if (moved.status().code() != StatusCode::kConflict) return moved.status();
      return Status(StatusCode::kFailedPrecondition,
                    "the character already runs another experiment; stop it before starting experiment " +
                        std::to_string(id));
    }
    TROUPE_ASSIGN_OR_RETURN(ExperimentRecord experiment, Get(id));
    if (*moved == 0) {
      return Status(StatusCode::kFailedPrecondition, "experiment " + std::to_string(id) + " is " +
                                                         std::string(ToString(experiment.status)) + ", not " +
                                                         std::string(ToString(from)));
    }
    return experiment;
  }

  Context context_;
};

}  // namespace

std::unique_ptr<ExperimentRepository> NewExperimentRepository(const Context& context) {
  return std::make_unique<Experiments>(context);
}

}  // namespace repo
}  // namespace troupe::store
