// The studio's pipelines on a job runner: character generation, flow generation and flow
// optimization, the bias review (studio/generation_job.h, studio/flow_jobs.h, studio/bias_job.h),
// each with its progress and checkpoints reported through the job's context, on the providers the
// chat runtime uses.
#pragma once

#include <filesystem>

#include "chat/runtime.h"
#include "server/services/job_runner.h"
#include "store/store.h"

namespace troupe::server {

// Before runner.Start(). `store` and whatever `providers` reaches must outlive the runner. The
// bias review's conversations read standalone intent catalogs from `intent_catalogs_dir` as the
// runtime does (<data_dir>/intents; empty: only cards' catalogs).
void RegisterStudioJobs(JobRunner& runner, store::Store& store, chat::ProviderResolver providers,
                        std::filesystem::path intent_catalogs_dir = {});

}  // namespace troupe::server
