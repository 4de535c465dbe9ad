// Intent catalogs and labelled examples in every format the router reads: Troupe's catalog YAML,
// Rasa NLU YAML, text<TAB>intent and CSV, one file or a directory; and the errors, which must name
// the file and the line.
#include "chat/intents/intent_catalog.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat::intents {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string ErrorOf(std::string_view text, std::string_view name) {
  Result<IntentCatalog> parsed = ParseIntentCatalog(text, name);
  EXPECT_FALSE(parsed.ok()) << "parsed " << name;
  return parsed.ok() ? "" : parsed.status().message();
}

void Write(const std::filesystem::path& path, std::string_view text) {
  std::ofstream file(path, std::ios::binary);
  file << text;
}

TEST(IntentCatalogTest, ReadsTroupeCatalogWithEveryField) {
  Result<IntentCatalog> catalog = ParseIntentCatalog(R"(
routing:
  classifier_threshold: 0.6
  llm_threshold: 0.2
intents:
  - name: check_balance
    description: How much is left.
    examples: ["what's my balance", "credit left?"]
    tools: [get_balance]
    prompt: Tell the balance.
    templates: ["Your balance is {balance}."]
  - name: greeting
    chit_chat: true
    examples: [hi, hello]
  - name: agent
    handoff: true
)",
                                                     "juno.yaml");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_DOUBLE_EQ(catalog->routing.classifier, 0.6);
  EXPECT_DOUBLE_EQ(catalog->routing.llm, 0.2);
  ASSERT_EQ(catalog->intents.size(), 3u);
  EXPECT_TRUE(catalog->intents[2].handoff);
  EXPECT_FALSE(catalog->intents[1].handoff);
  const Intent& balance = catalog->intents[0];
  EXPECT_EQ(balance.name, "check_balance");
  EXPECT_EQ(balance.description, "How much is left.");
  EXPECT_THAT(balance.examples, ElementsAre("what's my balance", "credit left?"));
  EXPECT_THAT(balance.tools, ElementsAre("get_balance"));
  EXPECT_EQ(balance.prompt, "Tell the balance.");
  ASSERT_EQ(balance.templates.size(), 1u);
  EXPECT_EQ(balance.templates[0].name, "template_1");
  EXPECT_EQ(balance.templates[0].text, "Your balance is {balance}.");
  EXPECT_THAT(balance.templates[0].slots, ElementsAre("balance"));
  EXPECT_FALSE(balance.chit_chat);
  EXPECT_TRUE(catalog->intents[1].chit_chat);
  EXPECT_EQ(catalog->Find("greeting"), &catalog->intents[1]);
  EXPECT_EQ(catalog->Find("nope"), nullptr);
  EXPECT_EQ(catalog->example_count(), 4u);
}

TEST(IntentCatalogTest, CatalogErrorsNameTheLine) {
  EXPECT_THAT(ErrorOf("intents:\n  - name: a\n    exampels: [x]\n", "c.yaml"),
              HasSubstr("c.yaml:3: an intent: unknown key 'exampels'"));
  EXPECT_THAT(ErrorOf("intents:\n  - name: a\n  - name: a\n", "c.yaml"),
              HasSubstr("c.yaml:3: the intent 'a' is defined twice"));
  EXPECT_THAT(ErrorOf("intents:\n  - name: two words\n", "c.yaml"), HasSubstr("c.yaml:2: the intent name 'two words'"));
  EXPECT_THAT(ErrorOf("routing:\n  classifier_threshold: 2\nintents:\n  - name: a\n", "c.yaml"),
              HasSubstr("c.yaml:2: routing.classifier_threshold: expected a number from 0 to 1"));
  EXPECT_THAT(ErrorOf("routing:\n  classifier_threshold: 0.2\n  llm_threshold: 0.5\nintents:\n  - name: a\n", "c.yaml"),
              HasSubstr("llm_threshold must not be above"));
  EXPECT_THAT(ErrorOf("intents: [\n", "c.yaml"), HasSubstr("c.yaml: not valid YAML: end of sequence flow not found (line 2"));
  EXPECT_THAT(ErrorOf("intents: []\n", "c.yaml"), HasSubstr("'intents' must be a non-empty list"));
  EXPECT_THAT(ErrorOf("intents:\n  - name: a\n    chit_chat: maybe\n", "c.yaml"),
              HasSubstr("c.yaml:3: a.chit_chat: expected true or false"));
}

TEST(IntentCatalogTest, ReadsRasaNluWithEntityMarkupRemoved) {
  const std::string rasa = R"(version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello there
- regex: account_number
  examples: |
    - \d{10}
- intent: book_flight
  examples: |
    - fly to [Berlin](city) tomorrow
    - a flight to [New York]{"entity": "city", "value": "NYC"} please
- intent: greet
  examples: |
    - good morning
)";
  Result<IntentCatalog> catalog = ParseIntentCatalog(rasa, "nlu.yml");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->intents.size(), 2u);
  EXPECT_THAT(catalog->intents[0].examples, ElementsAre("hey", "hello there", "good morning"));
  EXPECT_THAT(catalog->intents[1].examples, ElementsAre("fly to Berlin tomorrow", "a flight to New York please"));

  troupe::testing::TempDir dir;
  Write(dir / "nlu.yml", rasa);
  Result<std::vector<LabelledExample>> examples = LoadLabelledExamples((dir / "nlu.yml").string());
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  ASSERT_EQ(examples->size(), 5u);
  // The block's lines: "- hey" is line 5 of the file.
  EXPECT_THAT((*examples)[0].source, HasSubstr("nlu.yml:5"));
  EXPECT_THAT((*examples)[2].source, HasSubstr("nlu.yml:12"));

  EXPECT_THAT(ErrorOf("nlu:\n- intent: a\n  examples: |\n    hey\n", "nlu.yml"), HasSubstr("'- text' lines"));
  EXPECT_THAT(ErrorOf("nlu:\n- intent: a\n", "nlu.yml"), HasSubstr("nlu.yml:2: the intent 'a' has no examples"));
}

TEST(IntentCatalogTest, ReadsTabSeparatedLines) {
  Result<IntentCatalog> catalog =
      ParseIntentCatalog("# comment\nwhat's my balance\tcheck_balance\r\n\nhi there\tgreeting\nbalance?\tcheck_balance",
                         "set.tsv");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->intents.size(), 2u);
  EXPECT_THAT(catalog->intents[0].examples, ElementsAre("what's my balance", "balance?"));
  EXPECT_THAT(ErrorOf("ok\tgreeting\nno tab here\n", "set.tsv"),
              HasSubstr("set.tsv:2: expected 'text<TAB>intent', found no tab"));
  EXPECT_THAT(ErrorOf("text\t\n", "set.tsv"), HasSubstr("set.tsv:1: the intent name is empty"));
  EXPECT_THAT(ErrorOf(std::string(10001, 'a') + "\tx\n", "set.tsv"), HasSubstr("set.tsv:1: the example is longer"));
}

TEST(IntentCatalogTest, ReadsCsvWithQuotedNewlines) {
  Result<std::vector<LabelledExample>> examples = [] {
    troupe::testing::TempDir dir;
    Write(dir / "train.csv", "text,category\n\"card, lost\",lost_card\n\"\nwhere is \"\"it\"\"\",card_arrival\nhi,greet\n");
    return LoadLabelledExamples((dir / "train.csv").string());
  }();
  ASSERT_TRUE(examples.ok()) << examples.status().ToString();
  ASSERT_EQ(examples->size(), 3u);
  EXPECT_EQ((*examples)[0].text, "card, lost");
  EXPECT_EQ((*examples)[1].text, "where is \"it\"");
  EXPECT_EQ((*examples)[1].intent, "card_arrival");
  EXPECT_THAT((*examples)[2].source, HasSubstr("train.csv:5"));  // after the quoted newline

  EXPECT_THAT(ErrorOf("words,label\nhi,greet\n", "x.csv"), HasSubstr("x.csv:1: the header must name a text column"));
  EXPECT_THAT(ErrorOf("text,intent\n\"open,greet\n", "x.csv"), HasSubstr("x.csv:2: a quoted field is never closed"));
  EXPECT_THAT(ErrorOf("text,intent,extra\nonly one\n", "x.csv"), HasSubstr("x.csv:2: 1 fields, the header has 3"));
}

TEST(IntentCatalogTest, MergesADirectoryInNameOrder) {
  troupe::testing::TempDir dir;
  Write(dir / "a.yaml", "intents:\n  - name: greet\n    description: Hello.\n    examples: [hi]\n");
  Write(dir / "b.tsv", "hello\tgreet\nbye\tfarewell\n");
  Write(dir / "notes.md", "ignored\n");
  Result<IntentCatalog> catalog = LoadIntentCatalog(dir.path().string());
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ASSERT_EQ(catalog->intents.size(), 2u);
  EXPECT_THAT(catalog->intents[0].examples, ElementsAre("hi", "hello"));
  EXPECT_EQ(catalog->intents[0].description, "Hello.");
  EXPECT_EQ(catalog->intents[1].name, "farewell");

  troupe::testing::TempDir empty;
  EXPECT_THAT(LoadIntentCatalog(empty.path().string()).status().message(), HasSubstr("no .yml, .yaml"));
  EXPECT_EQ(LoadIntentCatalog((dir / "missing.yaml").string()).status().code(), StatusCode::kNotFound);
}

TEST(IntentCatalogTest, JunoExampleCatalogIsComplete) {
  Result<IntentCatalog> catalog = LoadIntentCatalog(std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno.yaml");
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  for (const char* name :
       {"check_balance", "data_topup", "roaming_prices", "contract_change", "payment", "outage_check"}) {
    const Intent* intent = catalog->Find(name);
    ASSERT_NE(intent, nullptr) << name;
    EXPECT_GE(intent->examples.size(), 10u) << name;
    EXPECT_FALSE(intent->tools.empty()) << name;
    EXPECT_FALSE(intent->templates.empty()) << name;
  }
  Result<std::vector<LabelledExample>> test =
      LoadLabelledExamples(std::string(TROUPE_SOURCE_DIR) + "/examples/intents/juno_test.tsv");
  ASSERT_TRUE(test.ok()) << test.status().ToString();
  for (const LabelledExample& example : *test) {
    EXPECT_NE(catalog->Find(example.intent), nullptr) << example.source;
    for (const Intent& intent : catalog->intents) {
      EXPECT_THAT(intent.examples, ::testing::Not(::testing::Contains(example.text))) << "not held out: " << example.text;
    }
  }
}

}  // namespace
}  // namespace troupe::chat::intents
