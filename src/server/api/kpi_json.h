// A KPI report (store/kpi_report.h) as the API and `troupe kpis --json` show it: times in
// milliseconds, rates 0..1 beside the counts they come from, null where nothing was measured.
#pragma once

#include <cstdint>
#include <map>

#include <nlohmann/json.hpp>

#include "store/kpi_report.h"
#include "store/records.h"

namespace troupe::server::api {

nlohmann::json KpiValuesJson(const store::KpiValues& values);

// {"from","to" (inclusive days),"group_by","totals","groups":[{"key",...values}]}. Intent groups
// of unrouted conversations have key null; character groups add character_id, slug and name (from
// `characters`, when known).
nlohmann::json KpiReportJson(const store::KpiReport& report, store::KpiGrouping grouping,
                             const std::map<int64_t, store::Character>& characters);

}  // namespace troupe::server::api
