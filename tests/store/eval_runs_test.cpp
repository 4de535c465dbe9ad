// Evaluation runs on both backends: a run stored with its report and read back whole, listed per
// character without reports (oldest first, paged), refused for a missing character or a report
// that is not a JSON object, and gone with its character.
#include "store_test_fixture.h"

namespace troupe::store::testing {
namespace {

class EvalRunTest : public StoreTest {
 protected:
  EvalRunRecord RunFor(int64_t character_id, double bleu, std::optional<double> perplexity) {
    EvalRunRecord run;
    run.character_id = character_id;
    run.dataset = "qa.jsonl";
    run.dataset_fingerprint = "0123456789abcdef";
    run.provider = "local/stories260K";
    run.cases = 3;
    run.bleu = bleu;
    run.chrf = 41.5;
    run.rouge_l = 0.25;
    run.perplexity = perplexity;
    run.report_json = R"({"cases":[{"prompt":"hi","reply":"hello"}]})";
    return run;
  }
};

TEST_P(EvalRunTest, StoresARunAndReadsItBackWhole) {
  const int64_t character_id = MakeCharacter().id;
  ASSERT_OK_AND_ASSIGN(EvalRunRecord created, store_->eval_runs().Create(RunFor(character_id, 12.75, 3.5)));
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.created_at, clock_.NowMillis());
  ASSERT_OK_AND_ASSIGN(EvalRunRecord read, store_->eval_runs().Get(created.id));
  EXPECT_EQ(read.character_id, character_id);
  EXPECT_EQ(read.dataset, "qa.jsonl");
  EXPECT_EQ(read.dataset_fingerprint, "0123456789abcdef");
  EXPECT_EQ(read.provider, "local/stories260K");
  EXPECT_EQ(read.cases, 3);
  EXPECT_DOUBLE_EQ(read.bleu, 12.75);
  EXPECT_DOUBLE_EQ(read.chrf, 41.5);
  EXPECT_DOUBLE_EQ(read.rouge_l, 0.25);
  ASSERT_TRUE(read.perplexity.has_value());
  EXPECT_DOUBLE_EQ(*read.perplexity, 3.5);
  EXPECT_EQ(read.report_json, R"({"cases":[{"prompt":"hi","reply":"hello"}]})");
}

TEST_P(EvalRunTest, ListsACharactersRunsOldestFirstWithoutReports) {
  const int64_t mine = MakeCharacter("Pip").id;
  const int64_t other = MakeCharacter("Juno").id;
  ASSERT_OK_AND_ASSIGN(EvalRunRecord first, store_->eval_runs().Create(RunFor(mine, 10, std::nullopt)));
  ASSERT_TRUE(store_->eval_runs().Create(RunFor(other, 20, std::nullopt)).ok());
  ASSERT_OK_AND_ASSIGN(EvalRunRecord second, store_->eval_runs().Create(RunFor(mine, 30, 2.0)));
  ASSERT_OK_AND_ASSIGN(Page<EvalRunRecord> page, store_->eval_runs().ListForCharacter(mine, PageRequest{"", 1}));
  ASSERT_EQ(page.items.size(), 1u);
  EXPECT_EQ(page.items[0].id, first.id);
  EXPECT_FALSE(page.items[0].perplexity.has_value());
  EXPECT_TRUE(page.items[0].report_json.empty());
  ASSERT_OK_AND_ASSIGN(Page<EvalRunRecord> rest,
                       store_->eval_runs().ListForCharacter(mine, PageRequest{page.next_cursor, 10}));
  ASSERT_EQ(rest.items.size(), 1u);
  EXPECT_EQ(rest.items[0].id, second.id);
  EXPECT_DOUBLE_EQ(rest.items[0].bleu, 30);
}

TEST_P(EvalRunTest, RefusesAMissingCharacterAndAReportThatIsNotAnObject) {
  Result<EvalRunRecord> missing = store_->eval_runs().Create(RunFor(999999, 1, std::nullopt));
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().field(), "character_id");

  EvalRunRecord bad = RunFor(MakeCharacter().id, 1, std::nullopt);
  bad.report_json = "[1, 2]";
  Result<EvalRunRecord> refused = store_->eval_runs().Create(bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().field(), "report_json");

  Result<EvalRunRecord> unknown = store_->eval_runs().Get(424242);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
}

TEST_P(EvalRunTest, RunsGoWithTheirCharacter) {
  const int64_t character_id = MakeCharacter().id;
  ASSERT_OK_AND_ASSIGN(EvalRunRecord run, store_->eval_runs().Create(RunFor(character_id, 5, std::nullopt)));
  EXPECT_OK(store_->characters().Delete(character_id));
  EXPECT_EQ(store_->eval_runs().Get(run.id).status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, EvalRunTest, ::testing::Values(Backend::kSqlite, Backend::kPostgres),
                         [](const ::testing::TestParamInfo<Backend>& info) { return BackendName(info.param); });

}  // namespace
}  // namespace troupe::store::testing
