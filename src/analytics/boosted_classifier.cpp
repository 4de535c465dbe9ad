#include "analytics/boosted_classifier.h"

#include <omp.h>
#include <xgboost/c_api.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace troupe::analytics {

namespace {

// The calling thread's OpenMP loops run on that thread alone while this lives.
class SingleOpenMpThread {
 public:
  SingleOpenMpThread() : previous_(omp_get_max_threads()) { omp_set_num_threads(1); }
  ~SingleOpenMpThread() { omp_set_num_threads(previous_); }
  SingleOpenMpThread(const SingleOpenMpThread&) = delete;
  SingleOpenMpThread& operator=(const SingleOpenMpThread&) = delete;

 private:
  const int previous_;
};

Status XgbFailure(std::string_view call) {
  return Status(StatusCode::kInternal, std::string(call) + " failed: " + XGBGetLastError());
}

// A DMatrix owned for the length of one call.
struct MatrixHolder {
  DMatrixHandle handle = nullptr;
  ~MatrixHolder() {
    if (handle != nullptr) XGDMatrixFree(handle);
  }
};

// The rows as one row-major float array; kInvalidArgument when they are ragged or empty.
Result<std::vector<float>> Flatten(const std::vector<std::vector<float>>& rows, size_t features) {
  if (rows.empty()) return Status(StatusCode::kInvalidArgument, "no examples");
  std::vector<float> flat;
  flat.reserve(rows.size() * features);
  for (size_t i = 0; i < rows.size(); ++i) {
    if (rows[i].size() != features) {
      return Status(StatusCode::kInvalidArgument, "example " + std::to_string(i) + " has " +
                                                      std::to_string(rows[i].size()) + " features, expected " +
                                                      std::to_string(features));
    }
    flat.insert(flat.end(), rows[i].begin(), rows[i].end());
  }
  return flat;
}

Status MakeMatrix(const std::vector<std::vector<float>>& rows, size_t features, MatrixHolder& matrix) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<float> flat, Flatten(rows, features));
  // NaN marks a missing value (a feature the first messages cannot say anything about).
  if (XGDMatrixCreateFromMat(flat.data(), rows.size(), features, std::nanf(""), &matrix.handle) != 0) {
    return XgbFailure("XGDMatrixCreateFromMat");
  }
  return Status::Ok();
}

}  // namespace

struct BoostedClassifier::Booster {
  BoosterHandle handle = nullptr;
  ~Booster() {
    if (handle != nullptr) XGBoosterFree(handle);
  }
};

BoostedClassifier::BoostedClassifier(std::unique_ptr<Booster> booster, size_t features)
    : booster_(std::move(booster)), features_(features) {}
BoostedClassifier::BoostedClassifier(BoostedClassifier&&) noexcept = default;
BoostedClassifier& BoostedClassifier::operator=(BoostedClassifier&&) noexcept = default;
BoostedClassifier::~BoostedClassifier() = default;

Result<BoostedClassifier> BoostedClassifier::Train(const std::vector<std::vector<float>>& rows,
                                                   const std::vector<bool>& labels, const BoostingOptions& options) {
  if (rows.size() != labels.size()) {
    return Status(StatusCode::kInvalidArgument, std::to_string(rows.size()) + " examples but " +
                                                    std::to_string(labels.size()) + " labels");
  }
  const size_t positives = static_cast<size_t>(std::count(labels.begin(), labels.end(), true));
  if (positives == 0 || positives == labels.size()) {
    return Status(StatusCode::kInvalidArgument,
                  "every example has the same outcome (" + std::to_string(positives) + " of " +
                      std::to_string(labels.size()) + " positive): there is nothing to learn");
  }
  const size_t features = rows.front().size();
  MatrixHolder train;
  TROUPE_RETURN_IF_ERROR(MakeMatrix(rows, features, train));
  std::vector<float> label_values(labels.begin(), labels.end());
  if (XGDMatrixSetFloatInfo(train.handle, "label", label_values.data(), label_values.size()) != 0) {
    return XgbFailure("XGDMatrixSetFloatInfo");
  }
  auto booster = std::make_unique<Booster>();
  if (XGBoosterCreate(&train.handle, 1, &booster->handle) != 0) return XgbFailure("XGBoosterCreate");
  const std::vector<std::pair<std::string, std::string>> parameters = {
      {"objective", "binary:logistic"},
      {"eval_metric", "logloss"},
      {"tree_method", "exact"},
      {"nthread", "1"},
      {"verbosity", "0"},
      {"max_depth", std::to_string(options.max_depth)},
      {"eta", std::to_string(options.learning_rate)},
      {"min_child_weight", std::to_string(options.min_child_weight)},
      {"seed", std::to_string(options.seed)},
  };
  for (const auto& [name, value] : parameters) {
    if (XGBoosterSetParam(booster->handle, name.c_str(), value.c_str()) != 0) return XgbFailure("XGBoosterSetParam");
  }
  for (int round = 0; round < options.rounds; ++round) {
    if (XGBoosterUpdateOneIter(booster->handle, round, train.handle) != 0) return XgbFailure("XGBoosterUpdateOneIter");
  }
  return BoostedClassifier(std::move(booster), features);
}

Result<BoostedClassifier> BoostedClassifier::Deserialize(std::string_view bytes, size_t features) {
  auto booster = std::make_unique<Booster>();
  if (XGBoosterCreate(nullptr, 0, &booster->handle) != 0) return XgbFailure("XGBoosterCreate");
  // One thread, as in training: a model is loaded and asked about one conversation at a time on a
  // turn's thread, where an OpenMP team would only add threads (whose barriers ThreadSanitizer
  // cannot see) and wake-ups. Loading parses the trees in a parallel loop sized by the calling
  // thread's OpenMP setting, and the thread count is not part of the stored model, so both are set.
  const SingleOpenMpThread single;
  if (XGBoosterLoadModelFromBuffer(booster->handle, bytes.data(), bytes.size()) != 0) {
    return Status(StatusCode::kInvalidArgument, std::string("not a boosted-trees model: ") + XGBGetLastError());
  }
  if (XGBoosterSetParam(booster->handle, "nthread", "1") != 0) return XgbFailure("XGBoosterSetParam");
  return BoostedClassifier(std::move(booster), features);
}

Result<std::vector<double>> BoostedClassifier::Predict(const std::vector<std::vector<float>>& rows) const {
  if (rows.empty()) return std::vector<double>{};
  const SingleOpenMpThread single;
  MatrixHolder matrix;
  TROUPE_RETURN_IF_ERROR(MakeMatrix(rows, features_, matrix));
  const char* config = R"({"type": 0, "training": false, "iteration_begin": 0, "iteration_end": 0, "strict_shape": false})";
  const bst_ulong* shape = nullptr;
  bst_ulong dimensions = 0;
  const float* values = nullptr;
  if (XGBoosterPredictFromDMatrix(booster_->handle, matrix.handle, config, &shape, &dimensions, &values) != 0) {
    return XgbFailure("XGBoosterPredictFromDMatrix");
  }
  return std::vector<double>(values, values + rows.size());
}

Result<std::vector<double>> BoostedClassifier::FeatureGain() const {
  bst_ulong named = 0;
  const char** names = nullptr;
  bst_ulong dimensions = 0;
  const bst_ulong* shape = nullptr;
  const float* scores = nullptr;
  if (XGBoosterFeatureScore(booster_->handle, R"({"importance_type": "total_gain"})", &named, &names, &dimensions,
                            &shape, &scores) != 0) {
    return XgbFailure("XGBoosterFeatureScore");
  }
  std::vector<double> gain(features_, 0.0);
  for (bst_ulong i = 0; i < named; ++i) {
    // Unnamed features are "f<index>"; only the features some tree splits on are listed.
    const std::string name = names[i];
    if (name.size() < 2 || name[0] != 'f') continue;
    const size_t index = std::strtoul(name.c_str() + 1, nullptr, 10);
    if (index < features_) gain[index] = scores[i];
  }
  return gain;
}

Result<std::string> BoostedClassifier::Serialize() const {
  bst_ulong length = 0;
  const char* bytes = nullptr;
  if (XGBoosterSaveModelToBuffer(booster_->handle, R"({"format": "json"})", &length, &bytes) != 0) {
    return XgbFailure("XGBoosterSaveModelToBuffer");
  }
  return std::string(bytes, length);
}

}  // namespace troupe::analytics
