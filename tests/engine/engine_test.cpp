// engine.h as the rest of Troupe uses it: load each shared model, render its chat the way the
// goldens were rendered, and tokenize the result to llama.cpp's ids.
#include "engine/engine.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "support/llama_goldens.h"
#include "support/temp_dir.h"

namespace troupe::engine {
namespace {

using ::testing::HasSubstr;
using troupe::testing::SharedDir;
namespace fs = std::filesystem;

using troupe::testing::GoldenPrompt;
using troupe::testing::LlamaGolden;
using troupe::testing::LlamaGoldens;

TEST(Model, RendersTheGoldenChatAndTokenizesItToLlamaCppsIds) {
  for (const LlamaGolden& golden : LlamaGoldens()) {
    SCOPED_TRACE(golden.model.string());
    const std::unique_ptr<Model> model = Model::Load(golden.model);
    const nlohmann::json& chat = GoldenPrompt(golden.json, "chat_multi_turn");
    std::string prompt_text;
    if (golden.json["chat_template"].is_null()) {
      // stories260K has no template: the golden used plain lines, and Troupe would use ChatML.
      EXPECT_FALSE(model->summary().has_chat_template);
      EXPECT_THAT(model->chat_template().source(), HasSubstr("<|im_start|>"));
      prompt_text = chat["text"];
    } else {
      ASSERT_TRUE(model->summary().has_chat_template);
      ChatTemplateInputs inputs;
      inputs.messages = nlohmann::ordered_json::parse(chat["chat_messages"].dump());
      inputs.add_generation_prompt = chat["add_generation_prompt"];
      // BOS and EOS texts come from the tokenizer, as they did for the golden.
      prompt_text = model->RenderChat(inputs);
      EXPECT_EQ(prompt_text, chat["text"].get<std::string>());
    }
    EXPECT_EQ(model->Tokenize(prompt_text, chat["add_special"], chat["parse_special"]),
              chat["tokens"].get<std::vector<int32_t>>());
  }
}

// Llama 3's templates write BOS themselves; the vocabulary also asks for one. The model must see
// one, as under llama.cpp's server.
TEST(Model, AChatRenderedWithItsOwnBosGetsNoSecond) {
  const std::unique_ptr<Model> model = Model::Load(SharedDir() / "models/synthetic/tiny-llama3-bpe-Q8_0.gguf");
  const std::optional<int32_t> bos = model->tokenizer().bos();
  ASSERT_TRUE(bos.has_value());
  ASSERT_TRUE(model->tokenizer().adds_bos());
  const std::string bos_text = model->tokenizer().TokenToPiece(*bos, /*render_special=*/true);
  const std::string turn = "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>";
  const std::vector<int32_t> doubled = model->Tokenize(bos_text + turn, true, true);
  ASSERT_GE(doubled.size(), 2u);
  EXPECT_EQ(doubled[1], *bos) << "the plain tokenizer adds its own BOS in front of the template's";
  const std::vector<int32_t> chat = model->TokenizeChat(bos_text + turn);
  ASSERT_EQ(chat.size(), doubled.size() - 1);
  EXPECT_EQ(chat[0], *bos);
  EXPECT_NE(chat[1], *bos);
  // A template that writes no BOS still gets the vocabulary's one.
  const std::vector<int32_t> plain = model->TokenizeChat(turn);
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain[0], *bos);
  EXPECT_EQ(plain.size(), chat.size());
}

TEST(Model, SummaryAndDetokenizeOnEveryModel) {
  for (const LlamaGolden& golden : LlamaGoldens()) {
    SCOPED_TRACE(golden.model.string());
    const std::unique_ptr<Model> model = Model::Load(golden.model);
    const ModelSummary& summary = model->summary();
    ASSERT_TRUE(summary.spec.has_value());
    EXPECT_EQ(summary.vocab_size, golden.json["vocab"]["n_vocab"].get<int>());
    EXPECT_EQ(summary.bos, golden.json["vocab"]["bos"].get<int>());
    EXPECT_EQ(summary.eos, golden.json["vocab"]["eos"].get<int>());
    EXPECT_EQ(summary.tokenizer_model, golden.json["vocab"]["tokenizer.ggml.model"].get<std::string>());
    EXPECT_EQ(summary.file_size, fs::file_size(golden.model));
    uint64_t parameters = 0;
    for (const GgufTensorInfo& tensor : model->file().tensors()) parameters += tensor.element_count;
    EXPECT_EQ(summary.parameter_count, parameters);

    const nlohmann::json& sentence = GoldenPrompt(golden.json, "short_sentence");
    const std::vector<int32_t> tokens = model->Tokenize(sentence["text"].get<std::string>(), true, false);
    EXPECT_EQ(tokens, sentence["tokens"].get<std::vector<int32_t>>());
    // Without the BOS, as generated tokens are decoded (with it, a "llama" vocabulary keeps the
    // prefix space, as llama_detokenize does).
    const size_t skip = summary.adds_bos ? 1 : 0;
    EXPECT_EQ(model->Detokenize(std::span(tokens).subspan(skip), /*render_special=*/false),
              sentence["text"].get<std::string>());
  }
}

TEST(Model, FileTypeNames) {
  EXPECT_EQ(FileTypeName(15), "Q4_K_M");
  EXPECT_EQ(FileTypeName(7), "Q8_0");
  EXPECT_EQ(FileTypeName(1), "F16");
  EXPECT_EQ(FileTypeName(9999), "");
}

TEST(Model, VocabularyOnlyFilesLoadOnlyAsVocabularies) {
  const fs::path vocab = SharedDir() / "testdata/tokenizer/ggml-vocab-llama-spm.gguf";
  try {
    Model::Load(vocab);
    FAIL() << "a file without tensors loaded as a model";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
    EXPECT_THAT(error.what(), HasSubstr("holds no tensors"));
  }
  const std::unique_ptr<Model> model = Model::Load(vocab, {.vocab_only = true});
  EXPECT_FALSE(model->summary().spec.has_value());
  EXPECT_EQ(model->summary().vocab_size, 32000);

  // Inspectors ask for "a model if it is one": a vocabulary then loads, a model still runs.
  EXPECT_FALSE(Model::Load(vocab, {.vocab_only_without_tensors = true})->summary().spec.has_value());
  const std::unique_ptr<Model> full =
      Model::Load(SharedDir() / "models/stories260K.gguf", {.vocab_only_without_tensors = true, .threads = 1});
  EXPECT_TRUE(full->summary().spec.has_value());
  EXPECT_EQ(full->transformer().vocab_size(), 512);
}

// A template that does not parse leaves the model usable for tokens; a chat says why it fails.
TEST(Model, ABrokenTemplateIsReportedWhenAChatIsRendered) {
  const GgufFile vocab = GgufFile::Open(SharedDir() / "testdata/tokenizer/ggml-vocab-llama-spm.gguf");
  GgufWriter writer;
  for (const GgufKeyValue& entry : vocab.metadata()) writer.Set(entry.key, entry.value);
  writer.Set("tokenizer.chat_template", "{% for m in messages %}\n{{ m.content }\n{% endfor %}");
  troupe::testing::TempDir dir;
  writer.WriteFile(dir / "broken.gguf");

  const std::unique_ptr<Model> model = Model::Load(dir / "broken.gguf", {.vocab_only = true});
  EXPECT_TRUE(model->summary().has_chat_template);
  EXPECT_FALSE(model->Tokenize("hello", true, false).empty());
  ChatTemplateInputs inputs;
  inputs.messages = nlohmann::ordered_json::parse(R"([{"role": "user", "content": "hi"}])");
  try {
    model->RenderChat(inputs);
    FAIL() << "a broken template rendered";
  } catch (const EngineError& error) {
    EXPECT_THAT(error.what(), HasSubstr("broken.gguf: tokenizer.chat_template"));
    EXPECT_THAT(error.what(), HasSubstr("line 2"));
  }
}

TEST(Model, MissingAndCorruptFiles) {
  try {
    Model::Load("/nonexistent/model.gguf");
    FAIL();
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kIo);
    EXPECT_THAT(error.what(), HasSubstr("/nonexistent/model.gguf"));
  }
  // A model whose tensor shapes do not match its metadata is refused, naming the tensor.
  const GgufFile real = GgufFile::Open(SharedDir() / "models/stories260K.gguf");
  GgufWriter writer;
  for (const GgufKeyValue& entry : real.metadata()) writer.Set(entry.key, entry.value);
  writer.Set("llama.feed_forward_length", uint32_t{100});
  for (const GgufTensorInfo& tensor : real.tensors()) {
    const std::span<const std::byte> data = real.TensorData(tensor);
    writer.AddTensor(tensor.name, tensor.type, tensor.shape, std::vector<std::byte>(data.begin(), data.end()));
  }
  troupe::testing::TempDir dir;
  writer.WriteFile(dir / "wrong.gguf");
  try {
    Model::Load(dir / "wrong.gguf");
    FAIL() << "a model with mismatched shapes loaded";
  } catch (const EngineError& error) {
    EXPECT_EQ(error.kind(), EngineError::Kind::kInvalidInput);
    EXPECT_THAT(error.what(), HasSubstr("blk.0.ffn_"));
    EXPECT_THAT(error.what(), HasSubstr("100"));
  }
}

}  // namespace
}  // namespace troupe::engine
