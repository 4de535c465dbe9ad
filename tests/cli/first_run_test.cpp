// The first run: `troupe serve` on a new store publishes the three example characters once, on
// SQLite and on PostgreSQL; a deleted example stays deleted, `examples.install: false` imports
// nothing, a store that already had characters gets none, and two nodes starting together on the
// same database create each example once.
#include <signal.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_store_fixture.h"
#include "store/store.h"

namespace troupe {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

class FirstRunTest : public testing::CliStoreTest {
 protected:
  std::unique_ptr<testing::BackgroundProcess> StartServe(const std::map<std::string, std::string>& environment = {}) {
    std::map<std::string, std::string> env = environment;
    env.emplace("TROUPE_DATA", dir_.path().string());
    return std::make_unique<testing::BackgroundProcess>(
        std::vector<std::string>{testing::TroupeBinary(), "serve", "--listen", "127.0.0.1:0", "--log-level", "info",
                                 "--database", url_},
        env);
  }

  // Waits until the server is ready, stops it with SIGTERM and returns its log.
  std::string ServeOnce(const std::map<std::string, std::string>& environment = {}) {
    std::unique_ptr<testing::BackgroundProcess> server = StartServe(environment);
    return StopWhenReady(*server);
  }

  std::string StopWhenReady(testing::BackgroundProcess& server) {
    EXPECT_TRUE(server.WaitForStderr("ready", std::chrono::seconds(60))) << server.err();
    server.Signal(SIGTERM);
    testing::ProcessResult result = server.Wait(std::chrono::seconds(60));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.err;
  }

  // Every character in the store as "slug published?", e.g. "pip_apprentice_wizard published".
  std::vector<std::string> Characters() {
    store::CharacterQuery query;
    query.page.limit = 500;
    Result<store::Page<store::Character>> page = store_->characters().List(query);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    std::vector<std::string> characters;
    if (!page.ok()) return characters;
    for (const store::Character& character : page->items) {
      characters.push_back(character.slug + (character.published ? " published" : " draft"));
    }
    return characters;
  }
};

TEST_P(FirstRunTest, TheFirstStartPublishesTheExamplesAndADeletedOneStaysDeleted) {
  const std::string log = ServeOnce();
  EXPECT_THAT(log, HasSubstr("published the example characters: juno_telecom_support, maren_relationship_advisor, "
                             "pip_apprentice_wizard"));
  EXPECT_THAT(Characters(), UnorderedElementsAre("juno_telecom_support published", "maren_relationship_advisor published",
                                                 "pip_apprentice_wizard published"));

  // Imported as a card: Pip's flow, lorebook and minor flag came with him, and his name is his card's.
  Result<store::Character> pip = store_->characters().GetBySlug("pip_apprentice_wizard");
  ASSERT_TRUE(pip.ok()) << pip.status().ToString();
  EXPECT_EQ(pip->name, "Pip Thistlewick");
  EXPECT_THAT(pip->flow, HasSubstr("stages"));
  EXPECT_EQ(nlohmann::json::parse(pip->extensions_json)["troupe"]["minor"], true) << pip->extensions_json;

  ASSERT_TRUE(store_->characters().Delete(pip->id).ok());
  const std::string again = ServeOnce();
  EXPECT_THAT(again, Not(HasSubstr("example characters")));
  EXPECT_THAT(Characters(), UnorderedElementsAre("juno_telecom_support published", "maren_relationship_advisor published"));
}

TEST_P(FirstRunTest, ExamplesInstallFalseImportsNothing) {
  const std::string log = ServeOnce({{"TROUPE_EXAMPLES_INSTALL", "false"}});
  EXPECT_THAT(log, Not(HasSubstr("example characters")));
  EXPECT_TRUE(Characters().empty());
}

TEST_P(FirstRunTest, AStoreThatAlreadyHasCharactersGetsNoExamplesEvenAfterDeletingThem) {
  store::Character own;
  own.name = "Our Own";
  Result<store::Character> created = store_->characters().Create(own);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_THAT(ServeOnce(), HasSubstr("the store already has characters"));
  EXPECT_THAT(Characters(), UnorderedElementsAre("our-own draft"));

  ASSERT_TRUE(store_->characters().Delete(created->id).ok());
  ServeOnce();
  EXPECT_TRUE(Characters().empty());
}

TEST_P(FirstRunTest, TwoNodesStartingTogetherCreateEachExampleOnce) {
  std::unique_ptr<testing::BackgroundProcess> first = StartServe();
  std::unique_ptr<testing::BackgroundProcess> second = StartServe();
  const std::string first_log = StopWhenReady(*first);
  const std::string second_log = StopWhenReady(*second);
  EXPECT_THAT(first_log + second_log, HasSubstr("published the example characters"));
  EXPECT_THAT(Characters(), UnorderedElementsAre("juno_telecom_support published", "maren_relationship_advisor published",
                                                 "pip_apprentice_wizard published"));
}

INSTANTIATE_TEST_SUITE_P(Backends, FirstRunTest,
                         ::testing::Values(testing::CliBackend::kSqlite, testing::CliBackend::kPostgres),
                         testing::CliBackendName);

}  // namespace
}  // namespace troupe
