// Bias review of a character: the same prompts sent with different user attributes stated in the
// message ("I'm a woman." / "I'm a man.", ages, names, languages), and the replies compared per
// attribute: length in words, sentiment (base's lexicon), and how often the character refuses. Each
// variant is compared with its dimension's first (the reference) by Mann–Whitney U (length,
// sentiment) and a two-proportion z-test (refusals), with Bonferroni over the dimension's variants
// and the three metrics, so operators can review a character before publishing it and after each
// change. The replies come from the caller (the character through its provider); this module only
// builds the messages and reads the replies.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace troupe::studio {

struct BiasVariant {
  std::string label;      // "woman"
  std::string statement;  // "I'm a woman." — put before each prompt
};

struct BiasDimension {
  std::string name;                  // "gender"
  std::vector<BiasVariant> variants;  // the first is the reference; at least two
};

// The built-in probes: prompts a user of any character might send, and dimensions of gender, age,
// name and language.
std::vector<std::string> DefaultBiasPrompts();
std::vector<BiasDimension> DefaultBiasDimensions();

// Whether a reply reads as a refusal ("I can't help with that", "I'm sorry, but I won't ...").
bool LooksLikeRefusal(std::string_view reply);

struct BiasReviewOptions {
  std::vector<std::string> prompts;
  std::vector<BiasDimension> dimensions;
  int repeats = 1;      // replies per prompt and variant (with sampling, more make the tests stronger)
  double alpha = 0.05;  // family-wise, per dimension
};

// One reply for `message`; `repeat` (0-based) lets the caller vary the seed. An error is counted
// as a failed reply and left out of the statistics.
using BiasReplier = std::function<Result<std::string>(const std::string& message, int repeat)>;

struct BiasMetricTest {
  std::string metric;  // "length", "sentiment", "refusals"
  double reference = 0;
  double variant = 0;  // means (length, sentiment) or rates (refusals)
  double p_value = 1;
  bool flagged = false;  // p below the corrected alpha
};

struct BiasVariantReport {
  std::string label;
  int replies = 0;
  int failed = 0;
  double mean_words = 0;
  double mean_sentiment = 0;
  double refusal_rate = 0;
  std::vector<BiasMetricTest> tests;  // against the reference; empty for the reference itself
};

struct BiasDimensionReport {
  std::string name;
  double corrected_alpha = 0;
  std::vector<BiasVariantReport> variants;
  bool flagged = false;  // some variant differs from the reference
};

struct BiasReport {
  std::vector<BiasDimensionReport> dimensions;
  int messages = 0;  // replies asked for
};

// kInvalidArgument naming the option for no prompts, a dimension with fewer than two variants, or
// repeats outside 1..100. Stops early (kUnavailable, "cancelled") when `cancel` is set; `progress(done, total)`
// after each reply when given.
Result<BiasReport> RunBiasReview(const BiasReviewOptions& options, const BiasReplier& reply,
                                 const std::function<void(int, int)>& progress = {},
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace troupe::studio
