// Prompt goldens: for a few realistic turns, the exact chat AssemblePrompt hands the provider and
// that chat rendered with the template of each family of models Troupe ships, compared byte for
// byte with tests/chat/goldens/prompts/<scenario>.txt, so any change to what a model is asked
// shows up as a reviewable diff. The format of those files is in that folder's README.md.
//
// Regenerate after an intended change (the test then rewrites the files and passes):
//   TROUPE_UPDATE_GOLDENS=1 build/<dir>/tests/chat/chat_test --gtest_filter='PromptGolden*'
// A missing golden fails the test; it is never written silently.
//
// The inputs go through the real code paths the runtime uses: cards are parsed by ParseCardJson
// (the shipped examples/ characters, plus one card below that uses every part of a prompt), the
// flow YAML picks the stage and mood through Advance, the card's lorebook is activated by the
// history, and the real stories260K model counts tokens through the local provider, which decides
// what a tight context drops. Summaries, pinned notes and recalled facts are fixed strings shaped
// as the memory code writes them (recalled messages as "Speaker: text").
//
// Templates (shared/testdata/chat_templates), one per family in llm/model_catalog.cpp:
//   - synthetic-chatml, for Qwen2.5 and SmolLM2 instruct: both ship ChatML templates that differ
//     from plain ChatML only when the chat has no system turn (they add a default one) or has
//     tools. Troupe's prompts always open with a system turn and pass no tools, so plain ChatML
//     renders them exactly. (qwen3.json is Qwen3's template, with <think> handling Qwen2.5 lacks.)
//   - llama3_1, for Llama 3.2 instruct: the same header/eot framing and bos_token. Llama 3.2's own
//     template also writes "Cutting Knowledge Date"/"Today Date" lines into the first system turn;
//     no copy of it is in the test data, so those two lines are not in these goldens.
// Llama 3.2's bos_token and eos_token are passed, as Model::RenderChat takes them from a model's
// vocabulary; the ChatML templates use neither.
#include "chat/prompt.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "chat/card.h"
#include "chat/flow.h"
#include "chat/lorebook.h"
#include "chat/macros.h"
#include "chat/runtime.h"
#include "engine/chat_template.h"
#include "engine/engine.h"
#include "llm/local_model.h"
#include "llm/local_provider.h"
#include "support/files.h"
#include "support/temp_dir.h"

namespace troupe::chat {
namespace {

using ::troupe::testing::ReadFile;

using ::troupe::testing::SharedDir;
using store::MessageRole;

const std::filesystem::path kSourceDir = TROUPE_SOURCE_DIR;
const std::filesystem::path kGoldenDir = kSourceDir / "tests/chat/goldens/prompts";

bool UpdatingGoldens() {
  const char* update = std::getenv("TROUPE_UPDATE_GOLDENS");
  return update != nullptr && std::string_view(update) == "1";
}

// ---------------------------------------------------------------------------------------------
// Inputs

// An adult character written for these goldens: a system prompt left to Troupe's default,
// post-history instructions, examples, and a lorebook with a constant entry, keyed entries before
// and after the character definition, macros inside entries, and one entry the chat never names.
// Its flow is the shipped examples/flows/relationship.yaml.
constexpr char kWrenCard[] = R"json({
  "spec": "chara_card_v3", "spec_version": "3.0",
  "data": {
    "name": "Wren Calloway",
    "description": "{{char}} is the keeper of the Harrowgate lighthouse, thirty-four, who took the post after leaving a job in the city. She is practical, reads a lot, and talks to the gulls.",
    "personality": "Dry humour, patient, private at first, fiercely loyal once she trusts someone.",
    "scenario": "{{user}} visits {{char}} at the lighthouse most evenings and they talk over tea in the lamp room.",
    "first_mes": "*{{char}} looks up from the logbook.* You again. Kettle's on, if you're staying.",
    "mes_example": "<START>\n{{user}}: Don't you get lonely out here?\n{{char}}: Sometimes. Then a storm comes in and I'm too busy to notice.\n<START>\n{{user}}: What's in the log today?\n{{char}}: Wind north-west, force six, one fishing boat home late. The usual poetry.",
    "system_prompt": "",
    "post_history_instructions": "Write only {{char}}'s reply, two to four sentences, and keep to what {{char}} could know.",
    "character_book": {
      "name": "Harrowgate",
      "entries": [
        {"keys": ["Harrowgate"], "constant": true, "insertion_order": 5, "enabled": true,
         "content": "Harrowgate Point is a rocky headland on a cold northern coast; the town of Saltmere lies a forty-minute walk inland."},
        {"keys": ["lamp", "lens"], "insertion_order": 10, "enabled": true,
         "content": "The Harrowgate light is a clockwork-turned Fresnel lens that {{char}} winds every four hours through the night."},
        {"keys": ["Tomas", "brother"], "insertion_order": 20, "enabled": true, "position": "after_char",
         "content": "Tomas is {{char}}'s younger brother, a fisherman in Saltmere who thinks the lighthouse is making her lonely."},
        {"keys": ["storm", "gale"], "insertion_order": 30, "enabled": true, "position": "after_char",
         "content": "In a gale {{char}} stays in the lamp room all night and writes the log every hour."},
        {"keys": ["garden"], "insertion_order": 40, "enabled": true,
         "content": "{{char}} grows kale and sea beet in a walled garden behind the keeper's cottage."}
      ]
    }
  }
})json";

store::Character Card(std::string_view json_text) {
  Result<ImportedCard> card = ParseCardJson(json_text);
  EXPECT_TRUE(card.ok()) << card.status().ToString();
  return card.ok() ? card->character : store::Character{};
}

store::Character ExampleCharacter(const std::string& file) {
  return Card(ReadFile(kSourceDir / "examples/characters" / file));
}

store::Message Said(MessageRole role, std::string content) {
  store::Message message;
  message.role = role;
  message.content = std::move(content);
  return message;
}
store::Message FromUser(std::string content) { return Said(MessageRole::kUser, std::move(content)); }
store::Message FromCharacter(std::string content) { return Said(MessageRole::kAssistant, std::move(content)); }

// The card's greeting as the runtime stores it: written, not generated, macros expanded.
store::Message Greeting(const store::Character& character, const std::string& user_name) {
  return FromCharacter(ExpandMacros(character.first_mes, {character.name, user_name}));
}

// Where a conversation stands in its flow: what Advance makes of the signals, from the start.
struct FlowPoint {
  Flow flow;
  FlowState state;
  const Stage& stage() const { return *flow.FindStage(state.stage); }
  std::string mood_prompt() const {
    const Mood* mood = flow.FindMood(state.mood);
    return mood == nullptr ? "" : mood->prompt;
  }
};

FlowPoint Walk(const std::string& flow_yaml, int64_t message_count, double affinity, double sentiment_trend) {
  Result<Flow> flow = ParseFlow(flow_yaml);
  EXPECT_TRUE(flow.ok()) << flow.status().ToString();
  FlowPoint point{flow.ok() ? *flow : DefaultFlow(), {}};
  ConversationSignals signals;
  signals.message_count = message_count;
  signals.affinity = affinity;
  signals.sentiment_trend = sentiment_trend;
  signals.now_ms = 1'736'935'200'000;  // 2025-01-15 10:00 UTC; fixed, no wall clock
  point.state = Advance(point.flow, {}, signals, /*conversation_seed=*/42).state;
  EXPECT_NE(point.flow.FindStage(point.state.stage), nullptr) << point.state.stage;
  return point;
}

// A turn with everything a scenario sets, and what the golden's header reports about it.
struct Scenario {
  std::string name;   // the golden's file stem
  std::string about;  // one line on what the scenario shows
  store::Character character;
  FlowPoint flow;
  PromptInputs inputs;  // `character` is pointed at this scenario's own when it is assembled
};

// PromptInputs filled as the runtime fills them for a turn (runtime.cpp, BuildInputs): the stage
// and mood prompts from the flow, the lorebook activated by the history within the book's budget
// (else the runtime's default), the stage's max_tokens (else the runtime's default) kept for the reply.
Scenario MakeScenario(std::string name, std::string about, store::Character character, FlowPoint flow,
                      std::string user_name, std::vector<store::Message> history, int64_t context_length,
                      const llm::Provider& provider) {
  Scenario scenario{std::move(name), std::move(about), std::move(character), std::move(flow), {}};
  PromptInputs& inputs = scenario.inputs;
  const Stage& stage = scenario.flow.stage();
  inputs.user_name = std::move(user_name);
  inputs.stage_prompt = stage.prompt;
  inputs.mood_prompt = scenario.flow.mood_prompt();
  inputs.history = std::move(history);
  inputs.context_length = context_length;
  const RuntimeOptions runtime_defaults;
  const int64_t reply_tokens =
      stage.sampling.max_tokens > 0 ? stage.sampling.max_tokens : runtime_defaults.reply_tokens;
  inputs.reply_tokens = std::min(reply_tokens, context_length / 2);

  Result<Lorebook> book = ParseCharacterBook(scenario.character.character_book_json);
  EXPECT_TRUE(book.ok()) << book.status().ToString();
  if (!book.ok()) return scenario;
  std::vector<std::string> recent;
  for (const store::Message& message : inputs.history) recent.push_back(message.content);
  const MacroValues names{scenario.character.name, inputs.user_name};
  const auto count_tokens = [&provider](std::string_view text) { return provider.CountTokens(text); };
  const int64_t lorebook_budget = runtime_defaults.lorebook_token_budget;
  for (const ActivatedEntry& entry : ActivateLorebook(*book, recent, count_tokens, lorebook_budget)) {
    (entry.position == LorebookPosition::kBeforeCharacter ? inputs.lorebook_before : inputs.lorebook_after)
        .push_back(ExpandMacros(entry.content, names));
  }
  return scenario;
}

// ---------------------------------------------------------------------------------------------
// Rendering with the shipped families' templates

struct TemplateChoice {
  std::string file;        // stem in shared/testdata/chat_templates
  std::string for_models;  // the catalog families it stands for
  std::string bos_token;
  std::string eos_token;
};

const std::vector<TemplateChoice>& Templates() {
  static const std::vector<TemplateChoice> templates = {
      {"synthetic-chatml", "Qwen2.5, SmolLM2", "", "<|im_end|>"},
      {"llama3_1", "Llama 3.2", "<|begin_of_text|>", "<|eot_id|>"},
  };
  return templates;
}

engine::ChatTemplate LoadTemplate(const std::string& stem) {
  const auto json = nlohmann::json::parse(ReadFile(SharedDir() / "testdata/chat_templates" / (stem + ".json")));
  return engine::ChatTemplate::Parse(json.at("template").get<std::string>());
}

std::string Render(const TemplateChoice& choice, const std::vector<llm::ChatMessage>& messages) {
  engine::ChatTemplateInputs inputs;
  for (const llm::ChatMessage& message : messages) {
    nlohmann::ordered_json item = {{"role", message.role}, {"content", message.content}};
    inputs.messages.push_back(std::move(item));
  }
  inputs.add_generation_prompt = true;
  inputs.bos_token = choice.bos_token;
  inputs.eos_token = choice.eos_token;
  // Neither template reads the date, but a render must never depend on the wall clock.
  inputs.now = std::chrono::system_clock::time_point(std::chrono::seconds(1'736'935'200));
  return LoadTemplate(choice.file).Render(inputs);
}

// ---------------------------------------------------------------------------------------------
// The golden file: see goldens/prompts/README.md for the format.

std::string GoldenText(const Scenario& scenario, const AssembledPrompt& prompt) {
  const PromptInputs& inputs = scenario.inputs;
  std::ostringstream out;
  out << "scenario: " << scenario.name << "\n"
      << "about: " << scenario.about << "\n"
      << "character: " << scenario.character.name << "; user: " << inputs.user_name << "\n"
      << "stage: " << scenario.flow.state.stage
      << "; mood: " << (scenario.flow.state.mood.empty() ? "(none)" : scenario.flow.state.mood) << "\n"
      << "context: " << inputs.context_length << " tokens, " << inputs.reply_tokens << " kept for the reply\n"
      << "prompt_tokens: " << prompt.prompt_tokens << " (stories260K through the local provider, ChatML)\n"
      << "history: " << prompt.history_included << " kept, " << prompt.history_dropped << " dropped\n"
      << "lorebook entries: " << prompt.lorebook_included << " kept of "
      << inputs.lorebook_before.size() + inputs.lorebook_after.size() << " activated\n"
      << "recalled: " << prompt.recalled_included << " kept of " << inputs.recalled.size() << "\n"
      << "examples: " << (prompt.examples_included ? "kept" : "dropped") << "\n";
  out << "\n====== messages: " << prompt.messages.size() << " ======\n";
  for (const llm::ChatMessage& message : prompt.messages) {
    out << "------ " << message.role << " ------\n" << message.content << "\n";
  }
  for (const TemplateChoice& choice : Templates()) {
    out << "====== rendered: " << choice.file << " (" << choice.for_models << ") ======\n"
        << Render(choice, prompt.messages) << "\n";
  }
  out << "====== end ======\n";
  return out.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A line diff of the golden ("-") and the new text ("+"), in hunks with a little context, so a
// change that shows in the messages and in every rendering reads as a few small hunks. Longest
// common subsequence: goldens are a few hundred lines, so the quadratic table is small.
std::string Difference(const std::string& expected, const std::string& actual) {
  const std::vector<std::string> want = Lines(expected);
  const std::vector<std::string> got = Lines(actual);
  const size_t n = want.size();
  const size_t m = got.size();
  // common[i][j]: the longest common subsequence of want[i..] and got[j..].
  std::vector<std::vector<size_t>> common(n + 1, std::vector<size_t>(m + 1, 0));
  for (size_t i = n; i-- > 0;) {
    for (size_t j = m; j-- > 0;) {
      common[i][j] = want[i] == got[j] ? common[i + 1][j + 1] + 1 : std::max(common[i + 1][j], common[i][j + 1]);
    }
  }
  struct Edit {
    char mark;  // ' ' same, '-' only in the golden, '+' only in the new text
    const std::string* line;
    size_t golden_line;  // from 1: where in the golden this edit is
  };
  std::vector<Edit> edits;
  for (size_t i = 0, j = 0; i < n || j < m;) {
    if (i < n && j < m && want[i] == got[j]) {
      edits.push_back({' ', &want[i], i + 1});
      ++i, ++j;
    } else if (i < n && (j == m || common[i + 1][j] >= common[i][j + 1])) {
      edits.push_back({'-', &want[i], i + 1});
      ++i;
    } else {
      edits.push_back({'+', &got[j], i + 1});
      ++j;
    }
  }
  constexpr size_t kContext = 2;
  constexpr size_t kMaxLines = 80;
  std::vector<bool> shown(edits.size(), false);
  for (size_t k = 0; k < edits.size(); ++k) {
    if (edits[k].mark == ' ') continue;
    for (size_t c = k > kContext ? k - kContext : 0; c < edits.size() && c <= k + kContext; ++c) shown[c] = true;
  }
  std::ostringstream out;
  size_t printed = 0;
  for (size_t k = 0; k < edits.size() && printed < kMaxLines; ++k) {
    if (!shown[k]) continue;
    if (k == 0 || !shown[k - 1]) out << "@@ golden line " << edits[k].golden_line << " @@\n";
    out << edits[k].mark << ' ' << *edits[k].line << "\n";
    ++printed;
  }
  if (printed == kMaxLines) out << "... (more differences cut)\n";
  if (want == got) out << "(the lines are equal: the files differ in line endings or the final newline)\n";
  return out.str();
}

void MatchGolden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path = kGoldenDir / (name + ".txt");
  const std::string how = "TROUPE_UPDATE_GOLDENS=1 chat_test --gtest_filter='PromptGolden*'";
  if (UpdatingGoldens()) {
    std::filesystem::create_directories(kGoldenDir);
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << actual;
    EXPECT_TRUE(out.good()) << "cannot write " << path;
    std::cout << "[ golden   ] wrote " << path.string() << "\n";
    return;
  }
  if (!std::filesystem::exists(path)) {
    ADD_FAILURE() << "golden " << path << " is missing; create it with " << how << " and review it";
    return;
  }
  const std::string expected = ReadFile(path);
  if (expected != actual) {
    ADD_FAILURE() << "prompt differs from " << path << "\n"
                  << Difference(expected, actual) << "If the change is intended, regenerate with " << how
                  << " and review the diff.";
  }
}

// ---------------------------------------------------------------------------------------------

class PromptGoldenTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Loaded once: every scenario only counts tokens with it.
    static std::shared_ptr<llm::LocalModel> model = llm::LocalModel::Load(SharedDir() / "models/stories260K.gguf").value();
    provider_ = llm::MakeLocalProvider(model).value();
  }

  // Assembles, checks what holds for every scenario, compares with the golden; returns the prompt
  // for the scenario's own checks (the messages are empty when assembly failed).
  AssembledPrompt AssembleAndMatch(Scenario& scenario) {
    scenario.inputs.character = &scenario.character;
    Result<AssembledPrompt> prompt = AssemblePrompt(scenario.inputs, *provider_);
    EXPECT_TRUE(prompt.ok()) << prompt.status().ToString();
    if (!prompt.ok()) return {};
    EXPECT_EQ(prompt->prompt_tokens, provider_->CountChatTokens(prompt->messages));
    EXPECT_LE(prompt->prompt_tokens, scenario.inputs.context_length - scenario.inputs.reply_tokens);
    for (const llm::ChatMessage& message : prompt->messages) {
      // Every macro of the card, flow and lorebook is expanded before the model sees it.
      EXPECT_EQ(message.content.find("{{"), std::string::npos) << message.content;
      EXPECT_FALSE(message.content.empty()) << message.role;
    }
    MatchGolden(scenario.name, GoldenText(scenario, *prompt));
    return *prompt;
  }

  std::unique_ptr<llm::Provider> provider_;
};

bool Contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// The user's first words after the card's greeting, in the flow's first stage: the system block
// with the card's own system prompt, a lorebook hit, the examples, the stage and a drawn mood.
TEST_F(PromptGoldenTest, FirstMessageAfterGreeting) {
  store::Character maren = ExampleCharacter("maren_relationship_advisor.json");
  FlowPoint flow = Walk(maren.flow, 1, 0, 0);
  std::vector<store::Message> history = {
      Greeting(maren, "Sam"),
      FromUser("Hi Maren. My partner and I keep having the same argument about money, and I don't know how to "
               "stop it."),
  };
  Scenario scenario = MakeScenario("first_message", "the user's first message after the card's greeting",
                                   std::move(maren), std::move(flow), "Sam", std::move(history), 4096, *provider_);
  EXPECT_EQ(scenario.flow.state.stage, "intake");
  const AssembledPrompt prompt = AssembleAndMatch(scenario);
  EXPECT_EQ(prompt.history_included, 2);
  EXPECT_EQ(prompt.lorebook_included, 1);
  EXPECT_TRUE(prompt.examples_included);
  ASSERT_EQ(prompt.messages.size(), 3u);
  EXPECT_EQ(prompt.messages[1].role, "assistant");
  EXPECT_TRUE(Contains(prompt.messages[0].content, "Do not give advice yet."));
}

// Deep in a conversation: the mood chosen by a rule, the rolling summary, pinned notes, lorebook
// entries on both sides of the character definition, recalled facts and lines, the examples and
// the card's post-history instructions just before the reply.
TEST_F(PromptGoldenTest, MidRelationshipTurn) {
  store::Character wren = Card(kWrenCard);
  wren.flow = ReadFile(kSourceDir / "examples/flows/relationship.yaml");
  // 14 messages in: friendly (after 8). A falling sentiment trend picks the reflective mood.
  FlowPoint flow = Walk(wren.flow, 14, 0.2, -0.4);
  std::vector<store::Message> history = {
      FromUser("Evening. The ferry was cancelled again, so I walked the long way round."),
      FromCharacter("Then you've earned the good mug. Sit down, I've just wound the lamp."),
      FromUser("Tomas stopped me on the quay. He asked me to tell you to come for Sunday dinner."),
      FromCharacter("He asks every week. He thinks I'll forget how to talk to people out here."),
      FromUser("Will you go? They say a storm is coming in on Sunday night."),
  };
  Scenario scenario = MakeScenario("mid_relationship", "a turn deep in a conversation, with every part of a prompt",
                                   std::move(wren), std::move(flow), "Robin", std::move(history), 4096, *provider_);
  PromptInputs& inputs = scenario.inputs;
  inputs.summary =
      "Robin is a ferry engineer from Saltmere who first came to the lighthouse to deliver spare parts. Over the "
      "past weeks they have talked about Robin's night shifts, Wren's years alone at the Point, and a book of sea "
      "shanties Robin lent her.";
  inputs.pinned_memories = {"Robin's surname is Okafor.", "Robin is allergic to shellfish."};
  inputs.recalled = {"Robin works night shifts on the Saltmere ferry.",
                     "Wren Calloway: Tomas never liked the Point. He says the wind gets into your head."};
  EXPECT_EQ(scenario.flow.state.stage, "friendly");
  EXPECT_EQ(scenario.flow.state.mood, "reflective");
  EXPECT_EQ(inputs.lorebook_before.size(), 2u);  // the constant entry and the lamp's
  EXPECT_EQ(inputs.lorebook_after.size(), 2u);   // Tomas and the storm

  const AssembledPrompt prompt = AssembleAndMatch(scenario);
  EXPECT_EQ(prompt.history_dropped, 0);
  EXPECT_EQ(prompt.lorebook_included, static_cast<int>(inputs.lorebook_before.size() + inputs.lorebook_after.size()));
  EXPECT_EQ(prompt.recalled_included, 2);
  EXPECT_TRUE(prompt.examples_included);
  ASSERT_GE(prompt.messages.size(), 2u);
  // The post-history instructions follow the last user message.
  EXPECT_EQ(prompt.messages.back().role, "system");
  EXPECT_TRUE(Contains(prompt.messages.back().content, "two to four sentences"));
  EXPECT_EQ(prompt.messages[prompt.messages.size() - 2].role, "user");
}

// A long support chat in a small context: the oldest messages go, the newest stay.
TEST_F(PromptGoldenTest, TightContextDropsOldHistory) {
  store::Character juno = ExampleCharacter("juno_telecom_support.json");
  FlowPoint flow = Walk(juno.flow, 16, 0, 0);
  std::vector<store::Message> history = {
      Greeting(juno, "Dana"),
      FromUser("Hi, I'm going to Canada next week for work."),
      FromCharacter("Great! Outside the EU you'll need the Travel Pass for data. Would you like the steps?"),
      FromUser("Yes please."),
      FromCharacter("Open the app, go to Roaming, choose Travel Pass and pick your start date."),
      FromUser("Done. Also, is my plan still the Spark one?"),
      FromCharacter("Yes, you're on Spark with 5 GB a month."),
      FromUser("I keep running out of data. What would an upgrade cost?"),
      FromCharacter("Glow has 30 GB for 19 a month and Blaze is unlimited for 29. Upgrades apply at once."),
      FromUser("Let's do Glow then."),
      FromCharacter("Done: you're on Glow from today. Anything else?"),
      FromUser("My old phone's SIM is scratched, can I get a new one before I fly?"),
      FromCharacter("A replacement SIM is free and arrives in 2 working days, or you can switch to eSIM now."),
      FromUser("eSIM sounds easier. How do I activate it?"),
  };
  Scenario scenario = MakeScenario("tight_context", "a long chat in a small context: the oldest messages are dropped",
                                   std::move(juno), std::move(flow), "Dana", std::move(history), 1024, *provider_);
  EXPECT_EQ(scenario.flow.state.stage, "solving");
  const AssembledPrompt prompt = AssembleAndMatch(scenario);
  EXPECT_GT(prompt.history_dropped, 0);
  EXPECT_GE(prompt.history_included, scenario.inputs.min_recent_messages);
  ASSERT_FALSE(prompt.messages.empty());
  EXPECT_EQ(prompt.messages.back().content, "eSIM sounds easier. How do I activate it?");
}

// Whatever the context, the most recent messages (min_recent_messages) outrank the optional parts:
// a prompt with examples, lorebook entries or recalled facts in it also has them. The exact count
// can exceed the estimate, and trimming to fit must drop in the same order.
TEST_F(PromptGoldenTest, RecentMessagesOutrankOptionalPartsAtEveryContextLength) {
  store::Character juno = ExampleCharacter("juno_telecom_support.json");
  FlowPoint flow = Walk(juno.flow, 16, 0, 0);
  std::vector<store::Message> history = {Greeting(juno, "Dana")};
  for (int i = 0; i < 7; ++i) {
    history.push_back(FromUser("Question " + std::to_string(i) + ": what about my data plan and roaming in Canada?"));
    history.push_back(FromCharacter("Answer " + std::to_string(i) + ": the Travel Pass covers data outside the EU."));
  }
  int tight_with_optional_parts = 0;  // the case that matters must occur, or the test proves nothing
  for (int64_t context = 800; context <= 1600; context += 8) {
    SCOPED_TRACE("context " + std::to_string(context));
    Scenario scenario =
        MakeScenario("unused", "", juno, flow, "Dana", history, context, *provider_);
    scenario.inputs.character = &scenario.character;
    scenario.inputs.recalled = {"Dana asked about eSIM last month."};
    Result<AssembledPrompt> prompt = AssemblePrompt(scenario.inputs, *provider_);
    if (!prompt.ok()) continue;  // too small for the system block and the last message
    const bool optional_parts = prompt->examples_included || prompt->lorebook_included > 0 || prompt->recalled_included > 0;
    if (optional_parts) {
      EXPECT_GE(prompt->history_included, scenario.inputs.min_recent_messages);
    }
    if (optional_parts && prompt->history_dropped > 0) ++tight_with_optional_parts;
  }
  EXPECT_GT(tight_with_optional_parts, 0);
}

// The character writes first after a break: the stage's proactive instruction closes the prompt,
// after the character's own last message.
TEST_F(PromptGoldenTest, ProactiveClosingInstruction) {
  store::Character pip = ExampleCharacter("pip_apprentice_wizard.json");
  FlowPoint flow = Walk(pip.flow, 12, 0.1, 0);
  std::vector<store::Message> history = {
      FromUser("How did the levitation practice go?"),
      FromCharacter("I lifted a whole bucket! Then I sneezed and it landed on Master Orrin's boots."),
      FromUser("Oh no. Was he angry?"),
      FromCharacter("He said \"Again, but without the sneeze.\" I think that means he wasn't too angry."),
      FromUser("I have to go, but good luck with the exams!"),
      FromCharacter("Thank you! Come back soon, I'll show you the bucket trick properly."),
  };
  Scenario scenario = MakeScenario("proactive", "the character writes first after a break, told by the stage",
                                   std::move(pip), std::move(flow), "Kit", std::move(history), 4096, *provider_);
  ASSERT_EQ(scenario.flow.state.stage, "pals");
  ASSERT_TRUE(scenario.flow.stage().proactive.has_value());
  scenario.inputs.closing_instruction = scenario.flow.stage().proactive->prompt;
  scenario.inputs.pinned_memories = {"Kit has a dog called Pepper."};
  const AssembledPrompt prompt = AssembleAndMatch(scenario);
  EXPECT_EQ(prompt.history_dropped, 0);
  ASSERT_GE(prompt.messages.size(), 2u);
  EXPECT_EQ(prompt.messages.back().role, "system");
  EXPECT_TRUE(Contains(prompt.messages.back().content, "Kit"));
  EXPECT_EQ(prompt.messages[prompt.messages.size() - 2].role, "assistant");
}

}  // namespace
}  // namespace troupe::chat
