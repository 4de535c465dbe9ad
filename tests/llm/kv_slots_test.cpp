// The local provider's KV slots on stories260K: a prompt starts from the longest prefix any cache
// holds, its own slot's or copied from another's, and the logits after a copied prefix are
// exactly those of a cold run; a prompt waits while a running request is still computing the
// prefix it shares; a dropped slot holds nothing.
#include "llm/kv_slots_internal.h"

#include <gtest/gtest.h>

#include <vector>

#include "llm/local_model_internal.h"
#include "support/temp_dir.h"

namespace troupe::llm {
namespace {

class KvSlotsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    local_ = LocalModel::Load(::troupe::testing::SharedDir() / "models/stories260K.gguf").value();
  }
  static void TearDownTestSuite() { local_.reset(); }

  static engine::Model& Model() { return *LocalModelAccess::EngineModel(*local_); }
  static std::vector<int32_t> Tokens(const std::string& text) { return Model().Tokenize(text, true, false); }

  // The last token's logits after running what `slot`'s cache lacks of `prompt`.
  static std::vector<float> RunRest(KvSlots& slots, const KvSlots::Placement& placement, const std::vector<int32_t>& prompt) {
    std::vector<float> logits;
    const std::vector<int32_t> rest(prompt.begin() + static_cast<std::ptrdiff_t>(placement.held), prompt.end());
    Model().transformer().Forward(slots.cache(placement.slot), rest, false, logits);
    return logits;
  }

  static std::shared_ptr<LocalModel> local_;
};

std::shared_ptr<LocalModel> KvSlotsTest::local_;

TEST_F(KvSlotsTest, AnotherSlotsPrefixIsCopiedAndGivesTheLogitsOfAColdRun) {
  const std::vector<int32_t> character = Tokens("Lily was a kind girl who loved her dog Max and the big green park.");
  std::vector<int32_t> first = character;
  std::vector<int32_t> second = character;
  for (int32_t token : Tokens(" Max ran.")) first.push_back(token);
  for (int32_t token : Tokens(" The sun was hot.")) second.push_back(token);
  const std::vector<float> cold = [&] {
    std::vector<float> logits;
    Model().transformer().Forward(*Model().NewSequence(256), second, false, logits);
    return logits;
  }();

  KvSlots slots(Model(), 3, 256);
  const KvSlots::Placement one = slots.Take(first);
  EXPECT_EQ(one.held, 0u);
  // While the first request has not computed the shared part, the second should wait for it.
  EXPECT_TRUE(slots.ShouldWait(second, 16));
  RunRest(slots, one, first);
  EXPECT_FALSE(slots.ShouldWait(second, 16));

  const KvSlots::Placement two = slots.Take(second);
  EXPECT_NE(two.slot, one.slot);
  EXPECT_GE(two.copied, character.size() - 1);
  EXPECT_EQ(two.held, two.copied);
  EXPECT_EQ(RunRest(slots, two, second), cold);  // bit for bit
  EXPECT_EQ(slots.free(), 1u);
}

TEST_F(KvSlotsTest, AReleasedSlotKeepsItsTokensAndADroppedOneNothing) {
  const std::vector<int32_t> prompt = Tokens("Tom had a red ball.");
  KvSlots slots(Model(), 1, 256);
  const KvSlots::Placement first = slots.Take(prompt);
  RunRest(slots, first, prompt);
  slots.Release(first.slot, prompt);
  const KvSlots::Placement again = slots.Take(prompt);
  EXPECT_EQ(again.held, prompt.size() - 1);  // one token always runs, for the reply's logits
  EXPECT_EQ(again.copied, 0u);
  slots.Drop(again.slot);
  EXPECT_EQ(slots.Take(prompt).held, 0u);
}

}  // namespace
}  // namespace troupe::llm
