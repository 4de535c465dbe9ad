// Constrained decoding on the shared models (gibberish text, real vocabularies of 512, 128,256 and
// 151,936 tokens): generated JSON always parses and validates, sampled or greedy; the mask a step
// computes over the vocabulary trie equals checking every token one by one; end-of-generation
// tokens come only once the text is a whole match; a bad token is refused.
#include <gtest/gtest.h>

#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/engine.h"
#include "engine/error.h"
#include "engine/generator.h"
#include "engine/grammar/byte_automaton.h"
#include "engine/json_schema.h"
#include "engine/token_constraint.h"
#include "engine/shared_model.h"

namespace troupe::engine {
namespace {

using Json = nlohmann::ordered_json;


const std::vector<std::string>& ModelFiles() {
  static const std::vector<std::string> files = {"models/stories260K.gguf", "models/synthetic/tiny-llama3-bpe-Q8_0.gguf",
                                                 "models/synthetic/tiny-qwen2-bpe-Q4_K_M.gguf"};
  return files;
}

// Schemas whose every value is short, so a generation always ends within max_tokens.
const std::vector<Json>& BoundedSchemas() {
  static const std::vector<Json> schemas = {
      Json::parse(R"({"type": "object", "properties": {
          "name": {"type": "string", "minLength": 1, "maxLength": 8},
          "age": {"type": "integer"},
          "mood": {"enum": ["happy", "sad", "calm"]},
          "likes": {"type": "array", "items": {"type": "string", "maxLength": 5}, "maxItems": 3},
          "score": {"type": ["number", "null"]},
          "ok": {"type": "boolean"}},
        "required": ["name", "age", "mood"]})"),
      Json::parse(R"({"type": "array", "items": {"anyOf": [{"type": "integer"}, {"const": "none"},
          {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]}]}, "minItems": 1, "maxItems": 4})"),
      Json::parse(R"({"$defs": {"leaf": {"type": "string", "maxLength": 3}},
          "type": "object", "properties": {"tool": {"const": "lookup"},
          "arguments": {"type": "object", "properties": {"q": {"$ref": "#/$defs/leaf"}, "n": {"type": "integer"}},
                        "required": ["q"]}}, "required": ["tool", "arguments"]})"),
  };
  return schemas;
}

GenerationRequest Request(Model& model, const Json& schema, float temperature, uint64_t seed) {
  GenerationRequest request;
  request.prompt = model.Tokenize("Once upon a time, the answer was", true, false);
  request.sampling = GreedyParams();
  request.sampling.temperature = temperature;
  request.sampling.top_k = 0;
  request.sampling.top_p = 1.0f;
  request.sampling.min_p = 0.0f;
  request.sampling.seed = seed;
  request.max_tokens = 1200;
  request.grammar = JsonSchemaGrammar(schema);
  return request;
}

TEST(ConstrainedGenerationTest, GeneratedJsonAlwaysParsesAndValidates) {
  for (const std::string& file : ModelFiles()) {
    Model& model = SharedModel(file);
    const auto vocabulary = std::make_shared<const ConstraintVocabulary>(model.tokenizer());
    for (size_t s = 0; s < BoundedSchemas().size(); ++s) {
      const Json& schema = BoundedSchemas()[s];
      for (uint64_t seed : {0u, 1u, 2u}) {
        SCOPED_TRACE(file + " schema " + std::to_string(s) + " seed " + std::to_string(seed));
        GenerationRequest request = Request(model, schema, seed == 0 ? 0.0f : 1.0f, seed);
        request.constraint_vocabulary = vocabulary;
        const std::unique_ptr<KvCache> cache = model.NewSequence(2048);
        std::string streamed;
        GenerationCallbacks callbacks;
        callbacks.on_piece = [&](std::string_view piece) { streamed += piece; };
        const GenerationResult result = model.Generate(*cache, request, callbacks);
        EXPECT_EQ(result.stop_reason, StopReason::kEndOfGeneration) << result.text;
        EXPECT_EQ(streamed, result.text);
        Json value;
        ASSERT_NO_THROW(value = Json::parse(result.text)) << result.text;
        EXPECT_EQ(JsonSchemaViolation(schema, value), std::nullopt) << result.text;
      }
    }
  }
}

// The trie walk must allow exactly the tokens that, checked alone, keep the text a prefix.
TEST(ConstrainedGenerationTest, TheMaskEqualsCheckingEachToken) {
  for (const std::string& file : ModelFiles()) {
    SCOPED_TRACE(file);
    Model& model = SharedModel(file);
    const Tokenizer& tokenizer = model.tokenizer();
    const Grammar grammar = JsonSchemaGrammar(BoundedSchemas()[0]);
    TokenConstraint constraint(grammar, std::make_shared<const ConstraintVocabulary>(tokenizer));
    grammar::ByteAutomaton reference(grammar.shared_rules());
    std::vector<std::string> pieces;
    for (int32_t token = 0; token < tokenizer.vocab_size(); ++token) pieces.push_back(tokenizer.TokenToPiece(token, false));
    // A fixed path through the grammar: at each step the longest token that continues the target.
    const std::string target = R"({"name": "Zoë", "age": 42, "mood": "calm"})";
    std::string text;
    int32_t text_state = reference.start();  // the reference automaton after `text`
    for (int step = 0;; ++step) {
      // Distinct logits, so a mask that moved any value would show; the second mask of a state is
      // the remembered one, and must be the same.
      std::vector<float> logits(pieces.size());
      for (size_t t = 0; t < logits.size(); ++t) logits[t] = static_cast<float>(t % 97);
      std::vector<float> again = logits;
      constraint.Mask(logits);
      constraint.Mask(again);
      ASSERT_EQ(logits, again) << "step " << step;
      int allowed = 0;
      int32_t longest = -1;
      for (int32_t token = 0; token < tokenizer.vocab_size(); ++token) {
        const std::string& piece = pieces[static_cast<size_t>(token)];
        bool expected = false;
        if (tokenizer.IsEndOfGeneration(token)) {
          expected = constraint.complete();
        } else if (!piece.empty()) {
          int32_t state = text_state;
          for (char c : piece) {
            state = reference.Next(state, static_cast<uint8_t>(c));
            if (state == grammar::ByteAutomaton::kDead) break;
          }
          expected = state != grammar::ByteAutomaton::kDead;
        }
        const bool masked_in = logits[static_cast<size_t>(token)] == static_cast<float>(token % 97);
        ASSERT_EQ(masked_in, expected) << "step " << step << " token " << token << " '" << piece << "'";
        ASSERT_EQ(constraint.Allows(token), expected);
        allowed += expected ? 1 : 0;
        if (!piece.empty() && target.compare(text.size(), piece.size(), piece) == 0 &&
            (longest < 0 || piece.size() > pieces[static_cast<size_t>(longest)].size())) {
          longest = token;
        }
      }
      EXPECT_GT(allowed, 0);
      if (text == target) break;
      ASSERT_GE(longest, 0) << "no token continues " << text;
      ASSERT_TRUE(constraint.Allows(longest)) << text << " + " << pieces[static_cast<size_t>(longest)];
      constraint.Accept(longest);
      text += pieces[static_cast<size_t>(longest)];
      for (char c : pieces[static_cast<size_t>(longest)]) text_state = reference.Next(text_state, static_cast<uint8_t>(c));
    }
    EXPECT_TRUE(constraint.complete());
    EXPECT_TRUE(constraint.finished());
  }
}

TEST(ConstrainedGenerationTest, EndOfGenerationOnlyOnceTheTextIsAMatch) {
  Model& model = SharedModel("models/synthetic/tiny-llama3-bpe-Q8_0.gguf");
  const Grammar grammar = Grammar::Parse(R"(root ::= "ab"{1,6})");
  const ConstraintVocabulary vocabulary(model.tokenizer());
  TokenConstraint constraint(grammar, std::make_shared<const ConstraintVocabulary>(model.tokenizer()));
  const int32_t eot = *model.tokenizer().eot();
  EXPECT_FALSE(constraint.Allows(eot));
  for (int32_t token : model.tokenizer().Encode("ab", false, false)) constraint.Accept(token);
  EXPECT_TRUE(constraint.Allows(eot));
  EXPECT_FALSE(constraint.finished());
  for (int32_t token : model.tokenizer().Encode("abababababx", false, false)) {
    if (!constraint.Allows(token)) {
      EXPECT_THROW(constraint.Accept(token), EngineError);
      break;
    }
    constraint.Accept(token);
  }
  EXPECT_TRUE(constraint.finished());

  GenerationRequest request;
  request.prompt = model.Tokenize("x", true, false);
  request.sampling.seed = 7;
  request.sampling.temperature = 1.5f;
  request.max_tokens = 100;
  request.grammar = grammar;
  for (uint64_t seed = 0; seed < 5; ++seed) {
    request.sampling.seed = seed;
    const GenerationResult result = model.Generate(*model.NewSequence(256), request);
    EXPECT_EQ(result.stop_reason, StopReason::kEndOfGeneration);
    EXPECT_TRUE(result.text.size() >= 2 && result.text.size() <= 12 && result.text.size() % 2 == 0) << result.text;
    EXPECT_EQ(result.text.find_first_not_of("ab"), std::string::npos) << result.text;
  }
}

// A trigger leaves the text free until it appears; what follows must match.
TEST(ConstrainedGenerationTest, AGrammarWithATriggerAppliesOnlyAfterIt) {
  Model& model = SharedModel("models/stories260K.gguf");
  GenerationRequest request;
  request.prompt = model.Tokenize("Once upon a time", true, false);
  request.max_tokens = 200;
  request.grammar = Grammar::Parse(R"(root ::= [a-z ]{0,10} "!")");
  request.grammar_trigger = "e";
  for (uint64_t seed = 0; seed < 4; ++seed) {
    request.sampling = GreedyParams();
    request.sampling.temperature = seed == 0 ? 0.0f : 1.0f;
    request.sampling.seed = seed;
    const GenerationResult result = model.Generate(*model.NewSequence(512), request);
    SCOPED_TRACE(result.text);
    const size_t trigger = result.text.find('e');
    ASSERT_NE(trigger, std::string::npos);
    const std::string after = result.text.substr(trigger + 1);
    EXPECT_EQ(result.stop_reason, StopReason::kEndOfGeneration);
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after.back(), '!');
    EXPECT_LE(after.size(), 11u);
    EXPECT_EQ(after.substr(0, after.size() - 1).find_first_not_of("abcdefghijklmnopqrstuvwxyz "), std::string::npos);
  }
}

TEST(ConstrainedGenerationTest, AGrammarCanImportAnother) {
  const Grammar call = JsonSchemaGrammar(Json::parse(R"({"type": "object", "properties": {"n": {"type": "integer"}},
                                                          "required": ["n"]})"));
  const Grammar grammar = Grammar::Parse("root ::= \"<call>\" call \"</call>\"", "root", {{"call", call}});
  const auto matches = [&](std::string_view text) { return grammar.Check(text) == Grammar::Match::kWhole; };
  EXPECT_TRUE(matches(R"(<call>{"n": 4}</call>)"));
  EXPECT_FALSE(matches(R"(<call>{"n": "4"}</call>)"));
  EXPECT_FALSE(matches(R"(<call>{"n": 4})"));
  EXPECT_THROW(Grammar::Parse("root ::= call\ncall ::= \"x\"", "root", {{"call", call}}), EngineError);
}

TEST(ConstrainedGenerationTest, WrongSizedLogitsAreRefused) {
  Model& model = SharedModel("models/stories260K.gguf");
  TokenConstraint constraint(Grammar::Parse("root ::= \"x\""), std::make_shared<const ConstraintVocabulary>(model.tokenizer()));
  std::vector<float> logits(3, 0.0f);
  EXPECT_THROW(constraint.Mask(logits), EngineError);
}

}  // namespace
}  // namespace troupe::engine
