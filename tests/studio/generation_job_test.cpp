// Character generation as a job: drafts survive JSON (the checkpoint, the API), requests are
// checked field by field, and on the local engine with the shared stories260K model a job reports
// progress, checkpoints after every step, stops when told to, resumes from its checkpoint to the
// very result an uninterrupted run gives, and saves its candidates as draft characters.
#include "studio/generation_job.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "studio/draft_json.h"
#include "studio_providers.h"

namespace troupe::studio {
namespace {

using ::testing::HasSubstr;

const char* const kDraftJsonReplies[] = {
    R"({"name":"Ada Quill","age":34,"role":"companion","setting":"a lighthouse","pitch":"A keeper.","traits":["patient","curious"]})",
    R"({"backstory":"Ada has kept the lighthouse for ten years.","personality":"Calm.","likes":["tea"],"dislikes":["fog"]})",
    R"({"catchphrases":["Steady."],"vocabulary":["beacon"],"sentence_style":"Short.","example_dialogues":[{"user":"Hi","character":"Evening."}]})",
};

CharacterDraft HandWrittenDraft() {
  CharacterDraft draft;
  draft.brief = GenerationBrief{"a lighthouse keeper", "adults", CharacterRole::kAdvisor, {}};
  const TextLimits limits;
  for (size_t i = 0; i < 3; ++i) {
    Status applied = ApplyStepReply(draft, kCharacterSteps[i], kDraftJsonReplies[i], limits);
    EXPECT_TRUE(applied.ok()) << applied.ToString();
  }
  return draft;
}

TEST(DraftJsonTest, ADraftReadsBackAsItWasWithItsStaleMarks) {
  CharacterDraft draft = HandWrittenDraft();
  draft.stale.insert(CharacterStep::kSpeech);
  const nlohmann::ordered_json json = DraftToJson(draft);
  EXPECT_EQ(json["brief"]["role"], "advisor");
  EXPECT_EQ(json["steps"]["concept"]["name"], "Ada Quill");
  EXPECT_EQ(json["stale"], nlohmann::ordered_json::array({"speech"}));
  Result<CharacterDraft> read = DraftFromJson(nlohmann::ordered_json::parse(json.dump()), TextLimits{});
  ASSERT_TRUE(read.ok()) << read.status().ToString();
  EXPECT_EQ(read->replies, draft.replies);  // key order too: later prompts quote these
  EXPECT_EQ(read->stale, draft.stale);
  EXPECT_EQ(read->brief.theme, draft.brief.theme);
  EXPECT_FALSE(read->Has(CharacterStep::kGreetings));
}

TEST(DraftJsonTest, WhatIsWrongIsNamedByItsPath) {
  nlohmann::ordered_json json = DraftToJson(HandWrittenDraft());
  auto field_of = [](const nlohmann::ordered_json& edited) {
    return DraftFromJson(edited, TextLimits{}).status().field();
  };
  nlohmann::ordered_json edited = json;
  edited["steps"]["concept"]["age"] = 0;
  EXPECT_EQ(field_of(edited), "draft.steps.concept.age");
  EXPECT_THAT(DraftFromJson(edited, TextLimits{}).status().message(), HasSubstr("whole number 1..150"));
  edited = json;
  edited["steps"]["villain"] = nlohmann::ordered_json::object();
  EXPECT_EQ(field_of(edited), "draft.steps");
  edited = json;
  edited["stale"] = {"concept", "later"};
  EXPECT_EQ(field_of(edited), "draft.stale[1]");
  edited = json;
  edited["brief"]["theme"] = " ";
  EXPECT_EQ(field_of(edited), "draft.brief.theme");
  edited = json;
  edited.erase("brief");
  EXPECT_EQ(field_of(edited), "draft.brief");
  EXPECT_EQ(DraftFromJson(nlohmann::ordered_json::array(), TextLimits{}).status().field(), "draft");
}

TEST(GenerateCharactersRequestTest, DefaultsAndFieldByFieldErrors) {
  const nlohmann::json minimal = {{"theme", "a lighthouse"}, {"audience", "adults"}, {"role", "mascot"}};
  Result<GenerateCharactersRequest> request = ParseGenerateCharactersRequest(minimal);
  ASSERT_TRUE(request.ok()) << request.status().ToString();
  EXPECT_EQ(request->candidates, 1);
  EXPECT_EQ(request->seed, 1u);
  EXPECT_FALSE(request->save);
  Result<GenerateCharactersRequest> again = ParseGenerateCharactersRequest(GenerateCharactersPayload(*request));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->brief.role, CharacterRole::kMascot);

  auto field_of = [&minimal](const char* key, nlohmann::json value) {
    nlohmann::json edited = minimal;
    if (value.is_null()) {
      edited.erase(key);
    } else {
      edited[key] = value;
    }
    return ParseGenerateCharactersRequest(edited).status().field();
  };
  EXPECT_EQ(field_of("theme", nullptr), "theme");
  EXPECT_EQ(field_of("role", "villain"), "role");
  EXPECT_EQ(field_of("candidates", 0), "candidates");
  EXPECT_EQ(field_of("candidates", 21), "candidates");
  EXPECT_EQ(field_of("candidates", "3"), "candidates");
  EXPECT_EQ(field_of("seed", -1), "seed");
  EXPECT_EQ(field_of("temperature", 2.5), "temperature");
  EXPECT_EQ(field_of("save", "yes"), "save");
  EXPECT_EQ(field_of("provider", 3), "provider");
  EXPECT_EQ(ParseGenerateCharactersRequest(nlohmann::json::array()).status().code(), StatusCode::kInvalidArgument);
}

class GenerationJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    provider_ = ::troupe::testing::StoriesProvider();
    ASSERT_NE(provider_, nullptr) << "the shared stories260K model did not load";
    store::StoreOptions store_options;
    store_options.url = "sqlite://" + (dir_ / "troupe.db").string();
    Result<std::unique_ptr<store::Store>> opened = store::Store::Open(store_options);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(*opened);
    ASSERT_TRUE(store_->Migrate().ok());
  }

  store::Job JobFor(nlohmann::json payload, std::string checkpoint = "") const {
    store::Job job;
    job.id = 1;
    job.kind = std::string(kGenerateCharactersJob);
    job.payload_json = payload.dump();
    job.checkpoint_json = std::move(checkpoint);
    return job;
  }

  ProviderLookup Providers() {
    return [this](std::string_view name) -> Result<llm::Provider*> {
      if (name.empty() || name == "local") return provider_.get();
      return NotFound("no provider named '" + std::string(name) + "'");
    };
  }

  static nlohmann::json Payload() {
    return {{"theme", "a lighthouse keeper on a stormy coast"},
            {"audience", "adults who like cosy mysteries"},
            {"role", "companion"},
            {"candidates", 2},
            {"seed", 11}};
  }

  ::troupe::testing::TempDir dir_;
  std::unique_ptr<llm::Provider> provider_;
  std::unique_ptr<store::Store> store_;
};

TEST_F(GenerationJobTest, AnInterruptedJobResumesFromItsCheckpointToTheSameResult) {
  std::vector<double> progress;
  std::vector<std::string> checkpoints;
  JobHooks hooks;
  hooks.report_progress = [&progress](double value) {
    progress.push_back(value);
    return true;
  };
  hooks.save_checkpoint = [&checkpoints](const std::string& checkpoint) {
    checkpoints.push_back(checkpoint);
    return true;
  };
  Result<nlohmann::json> whole = RunGenerateCharactersJob(JobFor(Payload()), Providers(), *store_, hooks);
  ASSERT_TRUE(whole.ok()) << whole.status().ToString();
  ASSERT_EQ((*whole)["candidates"].size(), 2u);
  for (const nlohmann::json& candidate : (*whole)["candidates"]) {
    EXPECT_TRUE(candidate.contains("card"));
    EXPECT_EQ(candidate["draft"]["steps"].size(), kCharacterSteps.size());
    EXPECT_FALSE(candidate.contains("character"));  // not saved
  }
  EXPECT_EQ((*whole)["diversity"]["pairs"].size(), 1u);
  ASSERT_EQ(checkpoints.size(), 2 * kCharacterSteps.size());  // one per step of each candidate
  ASSERT_FALSE(progress.empty());
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_EQ(progress.back(), 1.0);

  // Stopped when it wanted to save its seventh checkpoint (the second candidate's second step):
  // the sixth is what the store holds.
  int saves = 0;
  JobHooks stopping;
  stopping.save_checkpoint = [&saves](const std::string&) { return ++saves < 7; };
  Result<nlohmann::json> stopped = RunGenerateCharactersJob(JobFor(Payload()), Providers(), *store_, stopping);
  ASSERT_FALSE(stopped.ok());
  EXPECT_THAT(stopped.status().message(), HasSubstr("cancelled"));

  int resumed_saves = 0;
  JobHooks resuming;
  resuming.save_checkpoint = [&resumed_saves](const std::string&) { return ++resumed_saves > 0; };
  Result<nlohmann::json> resumed =
      RunGenerateCharactersJob(JobFor(Payload(), checkpoints[5]), Providers(), *store_, resuming);
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed_saves, 4);  // only the steps that were left
  EXPECT_EQ(*resumed, *whole);
}

TEST_F(GenerationJobTest, SavedCandidatesBecomeDraftCharactersAndACancelStopsTheJob) {
  nlohmann::json payload = Payload();
  payload["candidates"] = 1;
  payload["save"] = true;
  Result<nlohmann::json> saved = RunGenerateCharactersJob(JobFor(payload), Providers(), *store_, {});
  ASSERT_TRUE(saved.ok()) << saved.status().ToString();
  const nlohmann::json& candidate = (*saved)["candidates"][0];
  ASSERT_TRUE(candidate.contains("character"));
  Result<store::Character> stored = store_->characters().Get(candidate["character"]["id"].get<int64_t>());
  ASSERT_TRUE(stored.ok());
  EXPECT_FALSE(stored->published);
  EXPECT_EQ(stored->name, candidate["name"].get<std::string>());

  JobHooks cancelled;
  cancelled.report_progress = [](double) { return false; };
  Result<nlohmann::json> stopped = RunGenerateCharactersJob(JobFor(payload), Providers(), *store_, cancelled);
  ASSERT_FALSE(stopped.ok());
  EXPECT_THAT(stopped.status().message(), HasSubstr("cancelled"));

  payload["provider"] = "elsewhere";
  EXPECT_EQ(RunGenerateCharactersJob(JobFor(payload), Providers(), *store_, {}).status().code(),
            StatusCode::kNotFound);
}

}  // namespace
}  // namespace troupe::studio
