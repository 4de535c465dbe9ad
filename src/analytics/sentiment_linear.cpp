#include "analytics/sentiment_linear.h"

#include <linear.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <system_error>

#include "analytics/words.h"

namespace troupe::analytics {
namespace {

constexpr char kSentimentModelMagic[8] = {'T', 'R', 'S', 'N', 'T', 'L', 'I', 'N'};
constexpr uint32_t kSentimentMinHashBits = 10;
constexpr uint32_t kSentimentMaxHashBits = 24;

// liblinear prints through a process-wide hook: one training at a time.
std::mutex g_sentiment_liblinear;

void SentimentLinearQuiet(const char*) {}

bool SentimentIsNegation(std::string_view word) {
  static constexpr std::string_view kWords[] = {"not",    "no",    "never",  "nor",   "none",  "nobody",
                                                "nothing", "cannot", "without", "dont", "didnt", "doesnt",
                                                "isnt",   "wasnt", "cant",   "wont",  "couldnt", "shouldnt"};
  if (word.size() > 3 && word.ends_with("n't")) return true;
  return std::find(std::begin(kWords), std::end(kWords), word) != std::end(kWords);
}

bool SentimentEndsClause(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\n';
}

uint64_t SentimentFeatureHash(std::string_view first, std::string_view second) {  // FNV-1a, 64 bits
  uint64_t hash = 14695981039346656037ull;
  auto mix = [&hash](std::string_view part) {
    for (char c : part) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  };
  mix(first);
  if (!second.empty()) {
    hash = (hash ^ 0x1Fu) * 1099511628211ull;  // a separator no word holds
    mix(second);
  }
  return hash;
}

// The text's features: hashed unigrams and in-clause bigrams of its words, negated words marked
// "not_", each present once, valued 1/sqrt(count) so every text's vector has length 1. Indices
// are 0-based and sorted.
std::vector<std::pair<uint32_t, double>> SentimentFeatures(std::string_view text, uint32_t hash_bits) {
  const uint64_t mask = (uint64_t{1} << hash_bits) - 1;
  std::vector<uint32_t> indices;
  size_t clause_start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i < text.size() && !SentimentEndsClause(text[i])) continue;
    bool negated = false;
    std::string previous;
    for (std::string& word : LowercaseWords(text.substr(clause_start, i - clause_start))) {
      const bool negation = SentimentIsNegation(word);
      if (negated) word.insert(0, "not_");
      indices.push_back(static_cast<uint32_t>(SentimentFeatureHash(word, {}) & mask));
      if (!previous.empty()) indices.push_back(static_cast<uint32_t>(SentimentFeatureHash(previous, word) & mask));
      negated = negated || negation;
      previous = std::move(word);
    }
    clause_start = i + 1;
  }
  std::sort(indices.begin(), indices.end());
  indices.erase(std::unique(indices.begin(), indices.end()), indices.end());
  std::vector<std::pair<uint32_t, double>> features;
  features.reserve(indices.size());
  const double value = indices.empty() ? 0.0 : 1.0 / std::sqrt(static_cast<double>(indices.size()));
  for (uint32_t index : indices) features.emplace_back(index, value);
  return features;
}

void SentimentPutU32(std::string& out, uint32_t value) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(static_cast<char>((value >> shift) & 0xFF));
}

void SentimentPutF32(std::string& out, float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  SentimentPutU32(out, bits);
}

// Reads little-endian fields, each checked against the bytes left.
class SentimentModelReader {
 public:
  SentimentModelReader(std::string_view bytes, std::string_view source) : bytes_(bytes), source_(source) {}

  Status Error(const std::string& what) const { return ErrorAt(offset_, what); }
  Status ErrorAt(size_t offset, const std::string& what) const {
    return InvalidArgument(source_ + ": not a sentiment model: " + what + " (byte " + std::to_string(offset) + ")",
                           source_);
  }
  size_t offset() const { return offset_; }
  size_t left() const { return bytes_.size() - offset_; }

  bool U32(uint32_t& value) {
    if (left() < 4) return false;
    value = 0;
    for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes_[offset_ + static_cast<size_t>(i)]);
    offset_ += 4;
    return true;
  }
  bool F32(float& value) {
    uint32_t bits = 0;
    if (!U32(bits)) return false;
    std::memcpy(&value, &bits, sizeof value);
    return true;
  }
  bool Magic() {
    if (left() < sizeof kSentimentModelMagic ||
        std::memcmp(bytes_.data(), kSentimentModelMagic, sizeof kSentimentModelMagic) != 0) {
      return false;
    }
    offset_ += sizeof kSentimentModelMagic;
    return true;
  }

 private:
  std::string_view bytes_;
  std::string source_;
  size_t offset_ = 0;
};

}  // namespace

class SentimentLinearModelBuilder {
 public:
  static SentimentLinearModel Make(uint32_t hash_bits, float bias, std::vector<float> weights) {
    SentimentLinearModel model;
    model.hash_bits_ = hash_bits;
    model.bias_ = bias;
    model.weights_ = std::move(weights);
    return model;
  }
};

Result<SentimentLinearModel> SentimentLinearModel::Train(const std::vector<LabelledText>& examples,
                                                         const SentimentLinearOptions& options) {
  if (options.hash_bits < kSentimentMinHashBits || options.hash_bits > kSentimentMaxHashBits) {
    return InvalidArgument("hash bits must be 10..24", "hash_bits");
  }
  if (!(options.c > 0) || !std::isfinite(options.c)) return InvalidArgument("C must be a positive number", "c");
  size_t positives = 0;
  size_t negatives = 0;
  for (const LabelledText& example : examples) {
    if (example.label == SentimentClass::kNeutral) {
      return InvalidArgument("the linear model learns positive against negative; the training set has neutral "
                             "examples ('" + Excerpt(example.text) + "')");
    }
    (example.label == SentimentClass::kPositive ? positives : negatives) += 1;
  }
  if (positives == 0 || negatives == 0) {
    return InvalidArgument("the training set needs positive and negative examples (it has " +
                           std::to_string(positives) + " and " + std::to_string(negatives) + ")");
  }
  const int bias_index = static_cast<int>(uint32_t{1} << options.hash_bits) + 1;
  std::vector<std::vector<feature_node>> nodes(examples.size());
  std::vector<feature_node*> rows(examples.size());
  std::vector<double> targets(examples.size());
  for (size_t r = 0; r < examples.size(); ++r) {
    for (const auto& [index, value] : SentimentFeatures(examples[r].text, options.hash_bits)) {
      nodes[r].push_back({static_cast<int>(index) + 1, value});
    }
    nodes[r].push_back({bias_index, 1.0});
    nodes[r].push_back({-1, 0.0});
    rows[r] = nodes[r].data();
    targets[r] = examples[r].label == SentimentClass::kPositive ? 1 : -1;
  }
  problem prob{};
  prob.l = static_cast<int>(examples.size());
  prob.n = bias_index;
  prob.y = targets.data();
  prob.x = rows.data();
  prob.bias = 1.0;
  parameter param{};
  param.solver_type = L2R_LR;  // the primal Newton solver: no random order, so training is reproducible
  param.eps = 0.01;
  param.C = options.c;
  std::lock_guard lock(g_sentiment_liblinear);
  if (const char* problem_text = check_parameter(&prob, &param)) {
    return InvalidArgument(std::string("the training settings are not valid: ") + problem_text);
  }
  set_print_string_function(&SentimentLinearQuiet);
  model* trained = train(&prob, &param);
  if (trained == nullptr) return Internal("liblinear could not train the sentiment model");
  int labels[2] = {0, 0};
  get_labels(trained, labels);
  const int positive = labels[0] == 1 ? 0 : 1;
  std::vector<float> weights(size_t{1} << options.hash_bits, 0.0F);
  for (size_t f = 0; f < weights.size(); ++f) {
    weights[f] = static_cast<float>(get_decfun_coef(trained, static_cast<int>(f) + 1, positive));
  }
  const auto bias = static_cast<float>(get_decfun_bias(trained, positive));
  free_and_destroy_model(&trained);
  return SentimentLinearModelBuilder::Make(options.hash_bits, bias, std::move(weights));
}

Result<SentimentLinearModel> SentimentLinearModel::FromBytes(std::string_view bytes, std::string_view source) {
  SentimentModelReader reader(bytes, source);
  if (!reader.Magic()) return reader.Error("it does not begin with TRSNTLIN");
  uint32_t version = 0;
  uint32_t hash_bits = 0;
  uint32_t count = 0;
  float bias = 0;
  if (!reader.U32(version)) return reader.Error("the file ends inside the header");
  if (version != kFormatVersion) {
    return reader.Error("format version " + std::to_string(version) + ", this Troupe reads version " +
                        std::to_string(kFormatVersion));
  }
  if (!reader.U32(hash_bits) || !reader.F32(bias) || !reader.U32(count)) {
    return reader.Error("the file ends inside the header");
  }
  if (hash_bits < kSentimentMinHashBits || hash_bits > kSentimentMaxHashBits) {
    return reader.Error("hash bits " + std::to_string(hash_bits) + " outside 10..24");
  }
  if (!std::isfinite(bias)) return reader.Error("the bias is not a finite number");
  if (count > (size_t{1} << hash_bits) || reader.left() != size_t{count} * 8) {
    return reader.Error(std::to_string(count) + " weights announced, " + std::to_string(reader.left()) +
                        " bytes follow (8 per weight)");
  }
  std::vector<float> weights(size_t{1} << hash_bits, 0.0F);
  int64_t previous = -1;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t index = 0;
    float weight = 0;
    const size_t at = reader.offset();
    (void)reader.U32(index);
    (void)reader.F32(weight);  // the length was checked above
    if (index >= weights.size() || static_cast<int64_t>(index) <= previous) {
      return reader.ErrorAt(at, "feature index " + std::to_string(index) + " out of order or range");
    }
    if (!std::isfinite(weight)) return reader.ErrorAt(at + 4, "weight " + std::to_string(i) + " is not a finite number");
    weights[index] = weight;
    previous = index;
  }
  return SentimentLinearModelBuilder::Make(hash_bits, bias, std::move(weights));
}

Result<SentimentLinearModel> SentimentLinearModel::Load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read the sentiment model " + path.string());
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return FromBytes(bytes.str(), path.string());
}

std::string SentimentLinearModel::ToBytes() const {
  std::string out(kSentimentModelMagic, sizeof kSentimentModelMagic);
  SentimentPutU32(out, kFormatVersion);
  SentimentPutU32(out, hash_bits_);
  SentimentPutF32(out, bias_);
  SentimentPutU32(out, static_cast<uint32_t>(nonzero_weights()));
  for (size_t index = 0; index < weights_.size(); ++index) {
    if (weights_[index] == 0) continue;
    SentimentPutU32(out, static_cast<uint32_t>(index));
    SentimentPutF32(out, weights_[index]);
  }
  return out;
}

Status SentimentLinearModel::Save(const std::filesystem::path& path) const {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    const std::string bytes = ToBytes();
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) {
      out.close();
      std::error_code ignored;
      std::filesystem::remove(temporary, ignored);
      return InvalidArgument("cannot write " + temporary.string(), path.string());
    }
  }
  std::error_code error;
  std::filesystem::rename(temporary, path, error);
  if (error) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    return InvalidArgument("cannot write " + path.string() + ": " + error.message(), path.string());
  }
  return Status::Ok();
}

double SentimentLinearModel::PositiveProbability(std::string_view text) const {
  double margin = bias_;
  for (const auto& [index, value] : SentimentFeatures(text, hash_bits_)) margin += weights_[index] * value;
  return 1.0 / (1.0 + std::exp(-margin));
}

size_t SentimentLinearModel::nonzero_weights() const {
  return static_cast<size_t>(std::count_if(weights_.begin(), weights_.end(), [](float w) { return w != 0; }));
}

Result<SentimentReport> CrossValidateSentimentLinear(const std::vector<LabelledText>& examples, int folds,
                                                     uint64_t seed, const SentimentLinearOptions& options,
                                                     const std::function<bool(int fold)>& on_fold) {
  if (folds < 2 || folds > 20) return InvalidArgument("folds must be 2..20", "folds");
  // Stratified: each class shuffled with the seed and dealt round the folds.
  std::vector<int> fold_of(examples.size(), 0);
  std::mt19937_64 random(seed);
  for (SentimentClass label : {SentimentClass::kNegative, SentimentClass::kNeutral, SentimentClass::kPositive}) {
    std::vector<size_t> members;
    for (size_t i = 0; i < examples.size(); ++i) {
      if (examples[i].label == label) members.push_back(i);
    }
    std::shuffle(members.begin(), members.end(), random);
    for (size_t position = 0; position < members.size(); ++position) {
      fold_of[members[position]] = static_cast<int>(position % static_cast<size_t>(folds));
    }
  }
  std::vector<SentimentClass> labels;
  std::vector<SentimentClass> predictions;
  for (int fold = 0; fold < folds; ++fold) {
    if (on_fold && !on_fold(fold)) return Unavailable("interrupted");
    std::vector<LabelledText> train;
    std::vector<const LabelledText*> held_out;
    for (size_t i = 0; i < examples.size(); ++i) {
      if (fold_of[i] == fold) {
        held_out.push_back(&examples[i]);
      } else {
        train.push_back(examples[i]);
      }
    }
    TROUPE_ASSIGN_OR_RETURN(SentimentLinearModel model, SentimentLinearModel::Train(train, options));
    for (const LabelledText* example : held_out) {
      labels.push_back(example->label);
      predictions.push_back(ClassifySentiment(model.Score(example->text), false));
    }
  }
  return SentimentFigures(labels, predictions, false);
}

}  // namespace troupe::analytics
