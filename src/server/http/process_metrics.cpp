// process_* metrics from /proc, in the names the Prometheus client libraries use, so the usual
// dashboards work unchanged.
#include <dirent.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include "server/http/metrics.h"

namespace troupe::server {
namespace {

// Fields of /proc/self/stat after the command name (which may contain spaces and parentheses,
// so we split after the last ')'). Index 0 is field 3 (state).
std::vector<std::string> StatFields() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  std::getline(file, line);
  std::vector<std::string> fields;
  size_t close = line.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(line.substr(close + 1));
  std::string field;
  while (rest >> field) fields.push_back(field);
  return fields;
}

double TicksPerSecond() {
  long ticks = sysconf(_SC_CLK_TCK);
  return ticks > 0 ? static_cast<double>(ticks) : 100.0;
}

double CpuSeconds() {
  std::vector<std::string> fields = StatFields();
  // utime is field 14 and stime field 15 (1-based), i.e. indexes 11 and 12 here.
  if (fields.size() < 13) return 0;
  return (std::stod(fields[11]) + std::stod(fields[12])) / TicksPerSecond();
}

double ResidentBytes() {
  std::ifstream file("/proc/self/statm");
  long size_pages = 0;
  long resident_pages = 0;
  if (!(file >> size_pages >> resident_pages)) return 0;
  return static_cast<double>(resident_pages) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double OpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return 0;
  int count = 0;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count - 1;  // not the descriptor opendir itself holds
}

double StartTimeSeconds() {
  std::ifstream stat("/proc/stat");
  std::string key;
  double boot_time = 0;
  while (stat >> key) {
    if (key == "btime") {
      stat >> boot_time;
      break;
    }
    stat.ignore(1 << 20, '\n');
  }
  std::vector<std::string> fields = StatFields();
  // starttime is field 22, index 19 here, in ticks since boot.
  if (fields.size() < 20) return boot_time;
  return boot_time + std::stod(fields[19]) / TicksPerSecond();
}

}  // namespace

void RegisterProcessMetrics(MetricsRegistry& registry) {
  using Type = CallbackMetric::Type;
  registry.AddCallback("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
                       Type::kCounter, CpuSeconds);
  registry.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                       Type::kGauge, ResidentBytes);
  registry.AddCallback("process_open_fds", "Number of open file descriptors.", Type::kGauge,
                       OpenFds);
  // The start time does not change; read it once.
  double start = StartTimeSeconds();
  registry.AddCallback("process_start_time_seconds",
                       "Start time of the process since unix epoch in seconds.", Type::kGauge,
                       [start] { return start; });
}

}  // namespace troupe::server
