// The studio's pipelines on a job runner: character generation, flow generation and flow
// optimization (studio/generation_job.h, studio/flow_jobs.h), each with its progress and
// checkpoints reported through the job's context, on the providers the chat runtime uses.
#pragma once

#include "chat/runtime.h"
#include "server/services/job_runner.h"
#include "store/store.h"

namespace troupe::server {

// Before runner.Start(). `store` and whatever `providers` reaches must outlive the runner.
void RegisterStudioJobs(JobRunner& runner, store::Store& store, chat::ProviderResolver providers);

}  // namespace troupe::server
