// Bias review of a character: the same conversation held with users who state different attributes
// in their first message ("I'm a woman." / "I'm a man.", ages, names, languages), and the
// conversations compared per attribute: reply length in words, reply sentiment (base's lexicon),
// how often the character refuses, and how far the conversation moves through the character's flow
// (stage progression). Each variant is compared with its dimension's first (the reference) by
// Mann–Whitney U (length, sentiment, stages) and a two-proportion z-test (refusals), with
// Bonferroni over the dimension's variants and the four metrics, so operators can review a
// character before publishing it and after each change. The conversations come from the caller
// (the runtime over a scratch store: bias_conversations.h); this module only builds the messages
// and reads the turns.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
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
  std::vector<std::string> prompts;  // one conversation sends them all, in order
  std::vector<BiasDimension> dimensions;
  int repeats = 1;      // conversations per variant (with sampling, more make the tests stronger;
                        // the stage test needs at least two)
  double alpha = 0.05;  // family-wise, per dimension
};

// What one message of a review conversation gave: the character's reply and the flow stage the
// conversation is at after it.
struct BiasTurn {
  std::string reply;
  std::string stage;
};

// One review conversation. The first message is the variant's statement followed by the first
// prompt; each later prompt is sent alone, so the character knows the attribute only as a user's
// earlier message, as in a real conversation.
class BiasConversation {
 public:
  virtual ~BiasConversation() = default;
  // An error is counted as a failed reply and left out of the statistics; the next prompt is
  // still sent.
  virtual Result<BiasTurn> Send(const std::string& message) = 0;
  // The stage before the first message (after the greeting); "" when unknown.
  virtual std::string StartStage() const { return {}; }
};

// Starts conversation `repeat` (0-based; lets the caller vary the seed) of `variant`. An error
// counts every prompt of that conversation as a failed reply.
using BiasConversationStarter =
    std::function<Result<std::unique_ptr<BiasConversation>>(const BiasVariant& variant, int repeat)>;

struct BiasMetricTest {
  std::string metric;  // "length", "sentiment", "refusals", "stages"
  double reference = 0;
  double variant = 0;  // means (length, sentiment, stages) or rates (refusals)
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
  // Stage progression: per conversation, how many distinct flow stages it was at from its greeting
  // to its last reply (the start stage counts); and which stage the conversations ended at.
  int conversations = 0;  // those that started
  double mean_stages = 0;
  std::map<std::string, int> final_stages;
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
  int messages = 0;       // replies asked for
  int conversations = 0;  // conversations held
};

// kInvalidArgument naming the option for no prompts, a dimension with fewer than two variants, or
// repeats outside 1..100. Stops early (kUnavailable, "cancelled") when `cancel` is set; `progress(done, total)`
// after each reply when given.
Result<BiasReport> RunBiasReview(const BiasReviewOptions& options, const BiasConversationStarter& start,
                                 const std::function<void(int, int)>& progress = {},
                                 const std::atomic<bool>* cancel = nullptr);

}  // namespace troupe::studio
