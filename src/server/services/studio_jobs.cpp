#include "server/services/studio_jobs.h"

#include <string>
#include <utility>

#include "studio/bias_job.h"
#include "studio/flow_jobs.h"
#include "studio/generation_job.h"

namespace troupe::server {
namespace {

studio::JobHooks HooksOf(JobContext& context) {
  studio::JobHooks hooks;
  hooks.report_progress = [&context](double progress) { return context.ReportProgress(progress); };
  hooks.save_checkpoint = [&context](const std::string& checkpoint) { return context.SaveCheckpoint(checkpoint); };
  return hooks;
}

}  // namespace

void RegisterStudioJobs(JobRunner& runner, store::Store& store, chat::ProviderResolver providers,
                        std::filesystem::path intent_catalogs_dir) {
  runner.Register(std::string(studio::kGenerateCharactersJob),
                  [&store, providers](const store::Job& job, JobContext& context) {
                    return studio::RunGenerateCharactersJob(job, providers, store, HooksOf(context));
                  });
  runner.Register(std::string(studio::kCharacterStepJob), [providers](const store::Job& job, JobContext& context) {
    return studio::RunCharacterStepJob(job, providers, HooksOf(context));
  });
  runner.Register(std::string(studio::kGenerateFlowJob), [providers](const store::Job& job, JobContext& context) {
    return studio::RunGenerateFlowJob(job, providers, HooksOf(context));
  });
  runner.Register(std::string(studio::kOptimizeFlowJob),
                  [&store, providers](const store::Job& job, JobContext& context) {
                    return studio::RunOptimizeFlowJob(job, providers, store, HooksOf(context));
                  });
  runner.Register(std::string(studio::kBiasReviewJob),
                  [&store, providers, intent_catalogs_dir](const store::Job& job, JobContext& context) {
                    return studio::RunBiasReviewJob(job, providers, store, intent_catalogs_dir, HooksOf(context));
                  });
}

}  // namespace troupe::server
