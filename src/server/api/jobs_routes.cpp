// /api/v1/jobs: background work (summaries, studio pipelines, analytics) as the queue sees it.
// Jobs are enqueued by the features that need them, not through this API.
#include <nlohmann/json.hpp>

#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

Response ListJobs(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  store::JobQuery query;
  query.page = *page;
  query.kind = call.request.QueryParam("kind").value_or("");
  if (std::optional<std::string> status = call.request.QueryParam("status")) {
    query.status = store::ParseJobStatus(*status);
    if (!query.status) {
      return Response::Error(InvalidArgument(
          "status must be queued, running, succeeded, failed or cancelled", "status"));
    }
  }
  Result<store::Page<store::Job>> found = call.store.jobs().List(query);
  if (!found.ok()) return Response::Error(found.status());
  return Response::Json(PageJson(*found));
}

Response GetJob(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "job_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Job> job = call.store.jobs().Get(*id);
  if (!job.ok()) return Response::Error(job.status());
  return Response::Json(ToJson(*job));
}

Response CancelJob(ApiCall& call) {
  Result<int64_t> id = PathId(call.request, "job_id");
  if (!id.ok()) return Response::Error(id.status());
  Result<store::Job> job = call.store.jobs().Cancel(*id);
  if (!job.ok()) return Response::Error(job.status());
  call.Audit("job.cancel", "job", job->id, {{"kind", job->kind}});
  return Response::Json(ToJson(*job));
}

}  // namespace

Response QueueJob(ApiCall& call, std::string_view kind, const nlohmann::json& payload, nlohmann::json audit) {
  store::NewJob job;
  job.kind = std::string(kind);
  job.payload_json = payload.dump();
  Result<store::Job> queued = call.store.jobs().Enqueue(job);
  if (!queued.ok()) return Response::Error(queued.status());
  if (call.options.on_job_enqueued) call.options.on_job_enqueued();
  call.Audit(std::string(kind), "job", queued->id, std::move(audit));
  return Response::Json(ToJson(*queued), 202);
}

void AddJobRoutes(RouteTable& table) {
  const std::vector<std::string_view> studio = {kScopeStudio};
  table.push_back({"GET", "/api/v1/jobs", "listJobs", "jobs", "List jobs, newest first", studio,
                   false,
                   {{"status", "string", "queued, running, succeeded, failed or cancelled"},
                    {"kind", "string", "only jobs of this kind"}},
                   "", "Job", true, 200, ListJobs});
  table.push_back({"GET", "/api/v1/jobs/{job_id}", "getJob", "jobs", "Get a job", studio, false, {},
                   "", "Job", false, 200, GetJob});
  table.push_back({"POST", "/api/v1/jobs/{job_id}/cancel", "cancelJob", "jobs",
                   "Cancel a job: a queued one at once, a running one at its next progress report "
                   "(412 when it has already finished)",
                   studio, false, {}, "", "Job", false, 200, CancelJob});
}

}  // namespace troupe::server::api
