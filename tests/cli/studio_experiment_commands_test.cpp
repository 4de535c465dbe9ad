// `troupe studio experiment create|list|start|stop|delete|report` through the real binary, on both
// backends: variants from files and characters, errors that name the flag or the variant, the
// life a stored experiment goes through, and a report of conversations assigned while it ran.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "chat/experiments.h"
#include "cli_store_fixture.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using testing::CliBackend;
using testing::ProcessResult;

class StudioExperimentCommandsTest : public testing::CliStoreTest {
 protected:
  store::Character MakeCharacter(const std::string& name) {
    store::Character character;
    character.name = name;
    character.system_prompt = "You are " + name + ".";
    return store_->characters().Create(character).value();
  }

  std::string WriteFile(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }
};

TEST_P(StudioExperimentCommandsTest, ErrorsNameTheFlagOrTheVariant) {
  const store::Character lily = MakeCharacter("Lily");
  ProcessResult kind = Troupe({"studio", "experiment", "create", "--character", lily.slug, "--name", "x", "--kind",
                               "mood", "--metric", "length", "--variant", "a", "--variant", "b"});
  EXPECT_EQ(kind.exit_code, 1);
  EXPECT_THAT(kind.err, HasSubstr("--kind is flow, prompt or character"));

  ProcessResult missing = Troupe({"studio", "experiment", "create", "--character", lily.slug, "--name", "x", "--kind",
                                  "prompt", "--metric", "length", "--variant", "a", "--variant",
                                  "b=" + (dir_ / "nope.txt").string()});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("nope.txt: cannot be read"));

  const std::string romance = WriteFile("romance.yaml", "start: date\nstages:\n  date:\n    romance: romantic\n    prompt: Flirt.\n");
  store::Character minor = MakeCharacter("Pip");
  minor.extensions_json = R"({"troupe":{"age":12}})";
  minor = store_->characters().Update(minor).value();
  ProcessResult unsafe = Troupe({"studio", "experiment", "create", "--character", minor.slug, "--name", "x", "--kind",
                                 "flow", "--metric", "return", "--variant", "control", "--variant", "b=" + romance});
  EXPECT_EQ(unsafe.exit_code, 1);
  EXPECT_THAT(unsafe.err, HasSubstr("variants[1].flow"));

  ProcessResult unknown = Troupe({"studio", "experiment", "report", "4242"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("experiment 4242 not found"));
}

TEST_P(StudioExperimentCommandsTest, CreateStartReportStopDelete) {
  const store::Character lily = MakeCharacter("Lily");
  const store::Character rose = MakeCharacter("Rose");
  ProcessResult created = Troupe({"studio", "experiment", "create", "--character", lily.slug, "--name", "Rose instead",
                                  "--kind", "character", "--metric", "rating", "--planned", "50", "--variant",
                                  "control", "--variant", "rose:2=" + rose.slug});
  ASSERT_EQ(created.exit_code, 0) << created.err;
  EXPECT_THAT(created.out, HasSubstr("status=draft"));
  store::ExperimentRecord stored = store_->experiments().List(lily.id, {}).value().items.at(0);
  EXPECT_EQ(stored.planned_trials, 50);
  const nlohmann::json variants = nlohmann::json::parse(stored.variants_json);
  EXPECT_EQ(variants[1]["character_id"], rose.id);
  EXPECT_EQ(variants[1]["weight"], 2.0);
  const std::string id = std::to_string(stored.id);

  ASSERT_EQ(Troupe({"studio", "experiment", "start", id}).exit_code, 0);
  for (int i = 0; i < 12; ++i) {
    store::User user;
    user.external_id = "user-" + std::to_string(i);
    store::Conversation conversation;
    conversation.user_id = store_->users().Create(user).value().id;
    conversation.character_id = lily.id;
    chat::StartedConversation started = chat::StartConversation(*store_, conversation).value();
    ASSERT_TRUE(started.assignment.has_value());
    store::FeedbackEvent csat;
    csat.conversation_id = started.conversation.id;
    csat.kind = "csat";
    csat.rating = 1 + i % 5;
    ASSERT_TRUE(store_->feedback().Record(csat).ok());
  }

  ProcessResult report = Troupe({"studio", "experiment", "report", id, "--json"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  const nlohmann::json json = nlohmann::json::parse(report.out);
  EXPECT_EQ(json["variants"][0]["assigned"].get<int>() + json["variants"][1]["assigned"].get<int>(), 12);
  EXPECT_EQ(json["variants"][0]["measured"], json["variants"][0]["assigned"]);
  EXPECT_EQ(json["variants"][1]["decision"], "continue");  // 50 trials planned, a dozen in

  ProcessResult lines = Troupe({"studio", "experiment", "report", id});
  ASSERT_EQ(lines.exit_code, 0) << lines.err;
  EXPECT_THAT(lines.out, HasSubstr("variant=control assigned="));
  EXPECT_THAT(lines.out, HasSubstr("variant=rose assigned="));
  EXPECT_THAT(lines.out, HasSubstr("Keep running"));

  ProcessResult refused = Troupe({"studio", "experiment", "delete", id});
  EXPECT_EQ(refused.exit_code, 2);  // a precondition, as for every command
  EXPECT_THAT(refused.err, HasSubstr("stop it before deleting it"));
  ProcessResult listed = Troupe({"studio", "experiment", "list", "--character", lily.slug});
  EXPECT_THAT(listed.out, HasSubstr("status=running"));
  ASSERT_EQ(Troupe({"studio", "experiment", "stop", id}).exit_code, 0);
  ASSERT_EQ(Troupe({"studio", "experiment", "delete", id}).exit_code, 0);
  EXPECT_EQ(store_->experiments().Get(stored.id).status().code(), StatusCode::kNotFound);
}

INSTANTIATE_TEST_SUITE_P(Backends, StudioExperimentCommandsTest,
                         ::testing::Values(CliBackend::kSqlite, CliBackend::kPostgres), testing::CliBackendName);

}  // namespace
}  // namespace troupe
