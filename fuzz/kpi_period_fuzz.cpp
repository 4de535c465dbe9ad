// The KPI period from the query string (?from=&to=, `troupe kpis --from --to`): any text, split at
// the first newline into from and to. A day that parses formats back to itself; a period that
// parses starts at a UTC midnight, ends after it starts and covers at most kMaxKpiDays days; a
// refusal names from or to.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "store/kpi_report.h"

using namespace troupe;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t split = text.find('\n');
  const std::string_view from = text.substr(0, split);
  const std::string_view to = split == std::string_view::npos ? std::string_view() : text.substr(split + 1);
  constexpr int64_t kDay = 86'400'000;
  for (std::string_view day : {from, to}) {
    if (std::optional<int64_t> ms = store::ParseKpiDay(day)) {
      if (*ms % kDay != 0 || store::KpiDay(*ms) != day) std::abort();
    }
  }
  Result<std::pair<int64_t, int64_t>> period = store::ParseKpiPeriod(from, to, 1'772'323'200'000);
  if (period.ok()) {
    const auto [begin, end] = *period;
    if (begin % kDay != 0 || end <= begin || (end - begin) / kDay > store::kMaxKpiDays) std::abort();
  } else if (period.status().field() != "from" && period.status().field() != "to") {
    std::abort();
  }
  return 0;
}
