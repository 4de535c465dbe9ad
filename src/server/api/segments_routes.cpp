// /api/v1/segments: customer segments by rules or k-means (chat/customers/segments.h). Defining a
// segment writes no user; applying it evaluates every customer and makes the result its members,
// the users whose segment field is its name. Operators and studio keys manage them.
#include <nlohmann/json.hpp>

#include "chat/customers/segments.h"
#include "server/api/api_call.h"
#include "server/api/json_io.h"

namespace troupe::server::api {
namespace {

using nlohmann::json;

int64_t SegmentClockNow(const ApiCall& call) {
  const Clock& clock = call.options.clock != nullptr ? *call.options.clock : SystemClock::Instance();
  return clock.NowMillis();
}

std::string SegmentNameParam(const ApiCall& call) { return std::string(call.request.PathParam("segment_name")); }

// The segment as the API shows it; a k-means segment with its clusters' centroids from its last
// run and their current member counts.
Result<json> SegmentJson(ApiCall& call, const store::Segment& segment) {
  json body = {{"id", segment.id},
               {"name", segment.name},
               {"description", segment.description},
               {"kind", segment.kind},
               {"parent", segment.parent.empty() ? json(nullptr) : json(segment.parent)},
               {"member_count", segment.member_count},
               {"rules", nullptr},
               {"kmeans", nullptr},
               {"clusters", json::array()},
               {"last_run", nullptr},
               {"created_at", segment.created_at},
               {"updated_at", segment.updated_at}};
  const json definition = json::parse(segment.definition_json, nullptr, false);
  if (definition.is_object()) {
    for (const char* key : {"rules", "kmeans"}) {
      if (definition.contains(key)) body[key] = definition[key];
    }
  }
  if (segment.kind != "kmeans") return body;
  json result = json::parse(segment.result_json, nullptr, false);
  if (!result.is_object()) result = json::object();
  json clusters = result.value("clusters", json::array());
  int64_t members = 0;
  for (json& cluster : clusters) {
    TROUPE_ASSIGN_OR_RETURN(store::Segment stored, call.store.segments().Get(cluster.value("name", "")));
    cluster["member_count"] = stored.member_count;
    members += stored.member_count;
  }
  body["member_count"] = members;
  body["clusters"] = std::move(clusters);
  body["last_run"] = {{"evaluated", result.value("evaluated", 0)}, {"clustered", result.value("clustered", 0)},
                      {"skipped", result.value("skipped", 0)}, {"iterations", result.value("iterations", 0)}};
  return body;
}

Response SegmentResponse(ApiCall& call, const Result<store::Segment>& segment, int status = 200) {
  if (!segment.ok()) return Response::Error(segment.status());
  Result<json> body = SegmentJson(call, *segment);
  if (!body.ok()) return Response::Error(body.status());
  return Response::Json(*body, status);
}

Response CreateSegment(ApiCall& call) {
  HttpResult<json> body = ObjectBody(call.request);
  if (!body.ok()) return Response::Error(body.error());
  Result<store::Segment> created = chat::customers::DefineSegment(call.store, *body, SegmentClockNow(call));
  if (created.ok()) call.Audit("segment.create", "segment", created->id, {{"name", created->name}});
  return SegmentResponse(call, created, 201);
}

Response ListSegments(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  Result<store::Page<store::Segment>> found = call.store.segments().List(*page);
  if (!found.ok()) return Response::Error(found.status());
  json data = json::array();
  for (const store::Segment& segment : found->items) {
    Result<json> item = SegmentJson(call, segment);
    if (!item.ok()) return Response::Error(item.status());
    data.push_back(std::move(*item));
  }
  return Response::Json(
      {{"data", std::move(data)}, {"next_cursor", found->next_cursor.empty() ? json(nullptr) : json(found->next_cursor)}});
}

Response GetSegment(ApiCall& call) { return SegmentResponse(call, call.store.segments().Get(SegmentNameParam(call))); }

Response DeleteSegment(ApiCall& call) {
  Result<store::Segment> segment = call.store.segments().Get(SegmentNameParam(call));
  if (!segment.ok()) return Response::Error(segment.status());
  if (segment->kind == "cluster") {
    return Response::Error(FailedPrecondition("segment '" + segment->name + "' is a cluster of '" + segment->parent +
                                              "': delete '" + segment->parent + "'"));
  }
  Result<int64_t> emptied = call.store.segments().Delete(segment->name);
  if (!emptied.ok()) return Response::Error(emptied.status());
  call.Audit("segment.delete", "segment", segment->id, {{"name", segment->name}, {"members_removed", *emptied}});
  return Response::Json({{"name", segment->name}, {"members_removed", *emptied}});
}

Response ApplySegment(ApiCall& call) {
  Result<chat::customers::SegmentApplyReport> report =
      chat::customers::ApplySegment(call.store, SegmentNameParam(call), SegmentClockNow(call));
  if (!report.ok()) return Response::Error(report.status());
  json body = chat::customers::SegmentApplyReportJson(*report);
  call.Audit("segment.apply", "segment", 0,
             {{"name", report->name}, {"members", report->members}, {"added", report->added},
              {"removed", report->removed}});
  return Response::Json(body);
}

Response ListSegmentMembers(ApiCall& call) {
  Result<store::PageRequest> page = PageFromQuery(call.request);
  if (!page.ok()) return Response::Error(page.status());
  const std::string name = SegmentNameParam(call);
  if (Result<store::Segment> segment = call.store.segments().Get(name); !segment.ok()) {
    return Response::Error(segment.status());
  }
  Result<store::Page<store::User>> members = call.store.segments().Members(name, *page);
  if (!members.ok()) return Response::Error(members.status());
  return Response::Json(PageJson(*members));
}

}  // namespace

void AddSegmentRoutes(RouteTable& table) {
  table.push_back({"POST", "/api/v1/segments", "createSegment", "segments",
                   "Define a segment by rules, or by k-means (clustered at once into NAME-1..NAME-k)", {kScopeStudio},
                   false, {}, "SegmentCreate", "Segment", false, 201, CreateSegment});
  table.push_back({"GET", "/api/v1/segments", "listSegments", "segments", "List segments with their member counts",
                   {kScopeStudio}, false, {}, "", "Segment", true, 200, ListSegments});
  table.push_back({"GET", "/api/v1/segments/{segment_name}", "getSegment", "segments",
                   "A segment's definition, member count and (k-means) clusters with centroids", {kScopeStudio}, false,
                   {}, "", "Segment", false, 200, GetSegment});
  table.push_back({"DELETE", "/api/v1/segments/{segment_name}", "deleteSegment", "segments",
                   "Delete a segment (and its clusters); its members' segment becomes empty", {kScopeStudio}, false,
                   {}, "", "SegmentDeletion", false, 200, DeleteSegment});
  table.push_back({"POST", "/api/v1/segments/{segment_name}/apply", "applySegment", "segments",
                   "Evaluate a segment over every end user and write the members' segment field", {kScopeStudio},
                   false, {}, "", "SegmentApply", false, 200, ApplySegment});
  table.push_back({"GET", "/api/v1/segments/{segment_name}/members", "listSegmentMembers", "segments",
                   "The users whose segment is this one, oldest first", {kScopeStudio}, false, {}, "", "User", true,
                   200, ListSegmentMembers});
}

}  // namespace troupe::server::api
