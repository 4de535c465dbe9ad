// Segment definitions and runs: every customer is read page by page through the store, rules
// or k-means decide the members, and one Assign writes them.
#include "chat/customers/segments.h"

#include <map>

#include "chat/customers/customer_fields.h"
#include "chat/customers/kmeans.h"
#include "chat/customers/segment_rules.h"

namespace troupe::chat::customers {
namespace {

struct KMeansDefinition {
  std::vector<std::string> fields;
  int k = 3;
  uint64_t seed = 1;
};

struct Clustering {
  int64_t evaluated = 0;
  std::vector<int64_t> user_ids;  // the customers clustered, in the order of the points
  KMeansResult result;
};

Result<std::vector<store::Customer>> AllCustomers(store::Store& store, int64_t now) {
  std::vector<store::Customer> customers;
  store::PageRequest page{"", 500};
  while (true) {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::Customer> batch, store.customers().ListCustomers(page, now));
    for (store::Customer& customer : batch.items) customers.push_back(std::move(customer));
    if (batch.next_cursor.empty()) return customers;
    page.cursor = batch.next_cursor;
  }
}

Result<KMeansDefinition> ParseKMeansDefinition(const nlohmann::json& kmeans) {
  if (!kmeans.is_object()) return InvalidArgument("kmeans must be an object {fields, k, seed}", "kmeans");
  for (const auto& [key, unused] : kmeans.items()) {
    if (key != "fields" && key != "k" && key != "seed") {
      return InvalidArgument("unknown key '" + key + "' (kmeans has fields, k and seed)", "kmeans." + key);
    }
  }
  KMeansDefinition definition;
  auto fields = kmeans.find("fields");
  if (fields == kmeans.end() || !fields->is_array() || fields->empty() ||
      fields->size() > static_cast<size_t>(kMaxKMeansFields)) {
    return InvalidArgument("fields must be an array of 1 to " + std::to_string(kMaxKMeansFields) + " field names",
                           "kmeans.fields");
  }
  for (const nlohmann::json& field : *fields) {
    if (!field.is_string() || field.get<std::string>().empty()) {
      return InvalidArgument("every field must be a non-empty string", "kmeans.fields");
    }
    definition.fields.push_back(field.get<std::string>());
  }
  auto k = kmeans.find("k");
  if (k == kmeans.end() || !k->is_number_integer() || k->get<int64_t>() < 1 || k->get<int64_t>() > kMaxKMeansClusters) {
    return InvalidArgument("k must be an integer from 1 to " + std::to_string(kMaxKMeansClusters), "kmeans.k");
  }
  definition.k = static_cast<int>(k->get<int64_t>());
  if (auto seed = kmeans.find("seed"); seed != kmeans.end()) {
    if (!seed->is_number_integer() || seed->get<int64_t>() < 0) {
      return InvalidArgument("seed must be a non-negative integer", "kmeans.seed");
    }
    definition.seed = seed->get<uint64_t>();
  }
  return definition;
}

nlohmann::json KMeansDefinitionJson(const KMeansDefinition& definition) {
  return {{"fields", definition.fields}, {"k", definition.k}, {"seed", definition.seed}};
}

std::string ClusterName(std::string_view segment, int index) { return std::string(segment) + "-" + std::to_string(index + 1); }

Result<Clustering> Cluster(store::Store& store, const KMeansDefinition& definition, int64_t now) {
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Customer> customers, AllCustomers(store, now));
  Clustering clustering;
  clustering.evaluated = static_cast<int64_t>(customers.size());
  std::vector<std::vector<double>> points;
  for (const store::Customer& customer : customers) {
    std::vector<double> point;
    for (const std::string& field : definition.fields) {
      std::optional<double> value = NumericValue(CustomerField(customer, field, now));
      if (!value) break;
      point.push_back(*value);
    }
    if (point.size() != definition.fields.size()) continue;
    points.push_back(std::move(point));
    clustering.user_ids.push_back(customer.user.id);
  }
  KMeansOptions options;
  options.k = definition.k;
  options.seed = definition.seed;
  Result<KMeansResult> result = KMeans(points, options);
  if (!result.ok()) {
    return InvalidArgument(result.status().message() + " (customers with a number in every field of kmeans.fields)",
                           "kmeans.k");
  }
  clustering.result = std::move(result).value();
  return clustering;
}

nlohmann::json ClusteringJson(std::string_view name, const KMeansDefinition& definition, const Clustering& clustering) {
  nlohmann::json clusters = nlohmann::json::array();
  for (size_t c = 0; c < clustering.result.sizes.size(); ++c) {
    nlohmann::json centroid = nlohmann::json::object();
    for (size_t d = 0; d < definition.fields.size(); ++d) centroid[definition.fields[d]] = clustering.result.centroids[c][d];
    clusters.push_back({{"name", ClusterName(name, static_cast<int>(c))}, {"size", clustering.result.sizes[c]},
                        {"centroid", std::move(centroid)}});
  }
  const int64_t clustered = static_cast<int64_t>(clustering.user_ids.size());
  return {{"evaluated", clustering.evaluated}, {"clustered", clustered},
          {"skipped", clustering.evaluated - clustered}, {"iterations", clustering.result.iterations},
          {"inertia", clustering.result.inertia}, {"clusters", std::move(clusters)}};
}

Result<store::Segment> DefineKMeans(store::Store& store, store::Segment segment, const nlohmann::json& kmeans,
                                    int64_t now) {
  TROUPE_ASSIGN_OR_RETURN(KMeansDefinition definition, ParseKMeansDefinition(kmeans));
  TROUPE_ASSIGN_OR_RETURN(Clustering clustering, Cluster(store, definition, now));
  segment.kind = "kmeans";
  segment.definition_json = nlohmann::json{{"kmeans", KMeansDefinitionJson(definition)}}.dump();
  segment.result_json = ClusteringJson(segment.name, definition, clustering).dump();
  std::vector<store::Segment> rows = {segment};
  for (int c = 0; c < definition.k; ++c) {
    store::Segment cluster;
    cluster.name = ClusterName(segment.name, c);
    cluster.description = "cluster " + std::to_string(c + 1) + " of " + segment.name;
    cluster.kind = "cluster";
    cluster.parent = segment.name;
    cluster.definition_json = nlohmann::json{{"index", c + 1}}.dump();
    rows.push_back(std::move(cluster));
  }
  TROUPE_RETURN_IF_ERROR(store.segments().CreateAll(std::move(rows)));
  return store.segments().Get(segment.name);
}

Result<SegmentApplyReport> ApplyKMeans(store::Store& store, store::Segment segment, int64_t now) {
  const nlohmann::json definition_json = nlohmann::json::parse(segment.definition_json, nullptr, false);
  if (!definition_json.is_object() || !definition_json.contains("kmeans")) {
    return Internal("segment '" + segment.name + "' has no kmeans definition");
  }
  TROUPE_ASSIGN_OR_RETURN(KMeansDefinition definition, ParseKMeansDefinition(definition_json["kmeans"]));
  TROUPE_ASSIGN_OR_RETURN(Clustering clustering, Cluster(store, definition, now));
  std::map<std::string, std::vector<int64_t>> members;
  for (int c = 0; c < definition.k; ++c) members[ClusterName(segment.name, c)];
  for (size_t i = 0; i < clustering.user_ids.size(); ++i) {
    members[ClusterName(segment.name, clustering.result.assignment[i])].push_back(clustering.user_ids[i]);
  }
  TROUPE_ASSIGN_OR_RETURN(store::SegmentAssignment assigned, store.segments().Assign(members));
  const nlohmann::json result = ClusteringJson(segment.name, definition, clustering);
  segment.result_json = result.dump();
  TROUPE_RETURN_IF_ERROR(store.segments().Update(std::move(segment)).status());
  SegmentApplyReport report;
  report.evaluated = clustering.evaluated;
  report.skipped = result["skipped"].get<int64_t>();
  report.members = assigned.members;
  report.added = assigned.added;
  report.removed = assigned.removed;
  report.clusters = result["clusters"];
  return report;
}

Result<SegmentApplyReport> ApplyRules(store::Store& store, const store::Segment& segment, int64_t now) {
  const nlohmann::json definition = nlohmann::json::parse(segment.definition_json, nullptr, false);
  if (!definition.is_object() || !definition.contains("rules")) {
    return Internal("segment '" + segment.name + "' has no rules");
  }
  TROUPE_ASSIGN_OR_RETURN(SegmentRules rules, ParseSegmentRules(definition["rules"]));
  TROUPE_ASSIGN_OR_RETURN(std::vector<store::Customer> customers, AllCustomers(store, now));
  std::vector<int64_t> matching;
  for (const store::Customer& customer : customers) {
    if (MatchesRules(rules, customer, now)) matching.push_back(customer.user.id);
  }
  TROUPE_ASSIGN_OR_RETURN(store::SegmentAssignment assigned, store.segments().Assign({{segment.name, matching}}));
  SegmentApplyReport report;
  report.evaluated = static_cast<int64_t>(customers.size());
  report.members = assigned.members;
  report.added = assigned.added;
  report.removed = assigned.removed;
  return report;
}

}  // namespace

Result<store::Segment> DefineSegment(store::Store& store, const nlohmann::json& body, int64_t now) {
  if (!body.is_object()) return InvalidArgument("the body must be a JSON object", "body");
  for (const auto& [key, unused] : body.items()) {
    if (key != "name" && key != "description" && key != "rules" && key != "kmeans") {
      return InvalidArgument("unknown field '" + key + "'", key);
    }
  }
  store::Segment segment;
  auto name = body.find("name");
  if (name == body.end() || !name->is_string()) return InvalidArgument("name must be a string", "name");
  segment.name = name->get<std::string>();
  if (auto description = body.find("description"); description != body.end()) {
    if (!description->is_string()) return InvalidArgument("description must be a string", "description");
    segment.description = description->get<std::string>();
  }
  const bool has_rules = body.contains("rules");
  if (has_rules == body.contains("kmeans")) return InvalidArgument("give either rules or kmeans", "rules");
  if (!has_rules) return DefineKMeans(store, std::move(segment), body["kmeans"], now);
  TROUPE_ASSIGN_OR_RETURN(SegmentRules rules, ParseSegmentRules(body["rules"]));
  segment.kind = "rules";
  segment.definition_json = nlohmann::json{{"rules", SegmentRulesJson(rules)}}.dump();
  return store.segments().Create(std::move(segment));
}

Result<SegmentApplyReport> ApplySegment(store::Store& store, std::string_view name, int64_t now) {
  TROUPE_ASSIGN_OR_RETURN(store::Segment segment, store.segments().Get(name));
  if (segment.kind == "cluster") {
    return FailedPrecondition("segment '" + segment.name + "' is a cluster of the k-means segment '" +
                              segment.parent + "': apply '" + segment.parent + "'");
  }
  Result<SegmentApplyReport> report =
      segment.kind == "kmeans" ? ApplyKMeans(store, segment, now) : ApplyRules(store, segment, now);
  if (report.ok()) report->name = segment.name;
  return report;
}

nlohmann::json SegmentApplyReportJson(const SegmentApplyReport& report) {
  nlohmann::json json = {{"name", report.name},       {"evaluated", report.evaluated}, {"members", report.members},
                         {"added", report.added},     {"removed", report.removed}};
  json["skipped"] = report.skipped;
  json["clusters"] = report.clusters;
  return json;
}

}  // namespace troupe::chat::customers
