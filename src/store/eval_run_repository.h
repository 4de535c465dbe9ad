// Evaluation runs of characters on datasets (`troupe eval --character`): a few scores as columns,
// to list and compare runs without reading them whole, and the full report (every case's prompt,
// references, reply and scores) as JSON, which the analytics lab writes and reads. A run goes with
// its character. Thread-safe; failures are Status values as store.h says for every repository.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "store/page.h"

namespace troupe::store {

struct EvalRunRecord {
  int64_t id = 0;
  int64_t character_id = 0;
  std::string dataset;              // the dataset's file name as given
  std::string dataset_fingerprint;  // equal fingerprints: the same cases
  std::string provider;             // which provider and model replied
  int64_t cases = 0;
  double bleu = 0;
  double chrf = 0;
  double rouge_l = 0;
  std::optional<double> perplexity;
  std::string report_json;  // summaries (List) leave it empty
  int64_t created_at = 0;   // Unix milliseconds, set by Create
};

class EvalRunRepository {
 public:
  virtual ~EvalRunRepository() = default;
  // Stores the run (created_at = now). kNotFound naming character_id for a missing character;
  // kInvalidArgument naming report_json when it is not a JSON object.
  virtual Result<EvalRunRecord> Create(EvalRunRecord run) = 0;
  // The run with its report; kNotFound naming id.
  virtual Result<EvalRunRecord> Get(int64_t id) = 0;
  // A character's runs, oldest first, without their reports.
  virtual Result<Page<EvalRunRecord>> ListForCharacter(int64_t character_id, const PageRequest& page) = 0;
};

}  // namespace troupe::store
