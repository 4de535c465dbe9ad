// `troupe models pull [NAME | URL]` and `troupe models list`: getting a model is one command.
// Downloads land in DATA_DIR/models; Ctrl-C leaves the partial file for the next pull to resume.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <set>

#include "cli/commands.h"
#include "cli/interrupt.h"
#include "llm/model_catalog.h"
#include "llm/model_download.h"

namespace troupe::cli {
namespace {

namespace fs = std::filesystem;

std::string Mebibytes(uint64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
  return text;
}

std::string ApproximateSize(uint64_t bytes) {
  char text[32];
  if (bytes >= 1'000'000'000) {
    std::snprintf(text, sizeof text, "%.1f GB", static_cast<double>(bytes) / 1e9);
  } else {
    std::snprintf(text, sizeof text, "%.0f MB", static_cast<double>(bytes) / 1e6);
  }
  return text;
}

std::string Duration(double seconds) {
  const auto whole = static_cast<uint64_t>(seconds + 0.5);
  char text[32];
  if (whole >= 3600) {
    std::snprintf(text, sizeof text, "%" PRIu64 ":%02" PRIu64 ":%02" PRIu64, whole / 3600, whole / 60 % 60,
                  whole % 60);
  } else {
    std::snprintf(text, sizeof text, "%" PRIu64 ":%02" PRIu64, whole / 60, whole % 60);
  }
  return text;
}

// Draws download progress on stderr: a bar redrawn in place on a terminal, otherwise one line
// per tenth of the file (logs and CI output stay readable).
class ProgressPrinter {
 public:
  ProgressPrinter() : terminal_(::isatty(STDERR_FILENO) == 1) {}

  void operator()(const llm::DownloadProgress& progress) {
    if (terminal_) {
      DrawBar(progress);
    } else {
      PrintMilestone(progress);
    }
  }

 private:
  void DrawBar(const llm::DownloadProgress& progress) {
    std::string line = "\r";
    if (progress.bytes_total && *progress.bytes_total > 0) {
      const double fraction =
          std::min(1.0, static_cast<double>(progress.bytes_done) / static_cast<double>(*progress.bytes_total));
      constexpr int kWidth = 30;
      const int filled = static_cast<int>(fraction * kWidth);
      line += "[" + std::string(filled, '#') + std::string(kWidth - filled, '-') + "] ";
      char percent[16];
      std::snprintf(percent, sizeof percent, "%5.1f%% ", fraction * 100);
      line += percent;
      line += Mebibytes(progress.bytes_done) + " / " + Mebibytes(*progress.bytes_total);
    } else {
      line += Mebibytes(progress.bytes_done);
    }
    if (progress.bytes_per_second > 0) {
      line += "  " + Mebibytes(static_cast<uint64_t>(progress.bytes_per_second)) + "/s";
      if (progress.bytes_total && *progress.bytes_total > progress.bytes_done && !progress.finished) {
        line += "  ETA " + Duration(static_cast<double>(*progress.bytes_total - progress.bytes_done) /
                                    progress.bytes_per_second);
      }
    }
    line += "\x1b[K";  // clear what a longer previous line left
    if (progress.finished) line += "\n";
    std::cerr << line << std::flush;
  }

  void PrintMilestone(const llm::DownloadProgress& progress) {
    // Tenths of the file, or every 100 MiB when the size is unknown.
    uint64_t step = 0;
    std::string where = Mebibytes(progress.bytes_done);
    if (progress.bytes_total && *progress.bytes_total > 0) {
      step = progress.bytes_done * 10 / *progress.bytes_total;
      where = std::to_string(step * 10) + "% (" + where + " of " + Mebibytes(*progress.bytes_total) + ")";
    } else {
      step = progress.bytes_done / (100ull << 20);
    }
    if (printed_any_ && step == last_step_) return;
    printed_any_ = true;
    last_step_ = step;
    std::cerr << "troupe: downloaded " << where << "\n" << std::flush;
  }

  bool terminal_;
  bool printed_any_ = false;
  uint64_t last_step_ = 0;
};

struct PullOptions {
  std::string name;  // catalog name or URL; "" = the default entry
  std::string url;
  std::string sha256;
  std::optional<uint64_t> size;
  bool force = false;
};

std::string CatalogNames() {
  std::string names;
  for (const llm::CatalogEntry& entry : llm::ModelCatalog()) {
    names += (names.empty() ? "" : ", ") + std::string(entry.name);
  }
  return names;
}

bool IsUrl(const std::string& text) { return text.starts_with("http://") || text.starts_with("https://"); }

void Pull(CommandContext& context, const PullOptions& options) {
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  const fs::path data_dir = (*loaded)->config.data_dir;

  llm::DownloadRequest request;
  std::string label;
  if (!options.url.empty() || IsUrl(options.name)) {
    if (!options.url.empty() && !options.name.empty()) {
      context.Fail(InvalidArgument("give a catalog NAME or --url, not both", "--url"));
      return;
    }
    request.url = options.url.empty() ? options.name : options.url;
    const std::string file_name = llm::FileNameFromUrl(request.url);
    if (file_name.empty()) {
      context.Fail(InvalidArgument("the URL does not end in a file name: " + request.url, "--url"));
      return;
    }
    request.destination = llm::ModelsDirectory(data_dir) / file_name;
    label = file_name;
  } else {
    std::optional<llm::CatalogEntry> entry =
        options.name.empty() ? llm::DefaultCatalogEntry() : llm::FindCatalogEntry(options.name);
    if (!entry) {
      context.Fail(InvalidArgument("no catalog model '" + options.name + "' (one of: " + CatalogNames() +
                                   "; or give an https:// URL of a GGUF file)"));
      return;
    }
    request.url = std::string(entry->url);
    request.destination = llm::InstalledPath(*entry, data_dir);
    if (entry->exact_bytes > 0) request.expected_size = entry->exact_bytes;
    request.expected_sha256 = std::string(entry->sha256);
    label = std::string(entry->name) + " (~" + ApproximateSize(entry->approximate_bytes) + ", " +
            std::string(entry->license) + ")";
  }
  if (!options.sha256.empty()) request.expected_sha256 = options.sha256;
  if (options.size) request.expected_size = options.size;

  std::error_code error;
  if (!options.force && fs::exists(request.destination, error)) {
    std::cerr << "troupe: " << label << " is already downloaded (--force fetches it again)\n";
    std::cout << request.destination.string() << "\n";
    return;
  }
  std::cerr << "troupe: pulling " << label << "\n  from " << request.url << "\n";
  const fs::path part = llm::PartialPathFor(request.destination);
  if (fs::exists(part, error)) {
    std::cerr << "  resuming after " << Mebibytes(fs::file_size(part, error)) << " already in " << part.string()
              << "\n";
  }

  ProgressPrinter printer;
  request.on_progress = [&printer](const llm::DownloadProgress& progress) { printer(progress); };
  StopOnInterrupt stop_on_interrupt;
  request.cancel = InterruptFlag();
  Result<llm::DownloadResult> result = llm::DownloadModelFile(request);
  if (!result.ok()) {
    if (InterruptRequested() && result.status().code() == StatusCode::kUnavailable) {
      const uint64_t kept = fs::exists(part, error) ? fs::file_size(part, error) : 0;
      std::cerr << "troupe: interrupted; " << Mebibytes(kept) << " kept in " << part.string()
                << ", run the same command again to resume\n";
      context.exit_code = 130;  // the shell's convention for "stopped by Ctrl-C"
      return;
    }
    context.Fail(result.status());
    return;
  }
  std::cerr << "troupe: verified " << Mebibytes(result->size) << ", sha256 " << result->sha256 << "\n";
  std::cout << result->path.string() << "\n";
}

// ---- troupe models list ----

void List(CommandContext& context) {
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  const fs::path data_dir = (*loaded)->config.data_dir;
  const fs::path folder = llm::ModelsDirectory(data_dir);
  std::error_code error;

  std::cout << "Catalog ('troupe models pull NAME'; * marks the default):\n";
  std::set<std::string> catalog_files;
  for (const llm::CatalogEntry& entry : llm::ModelCatalog()) {
    catalog_files.insert(std::string(entry.file_name));
    const fs::path path = llm::InstalledPath(entry, data_dir);
    std::string state;
    if (fs::is_regular_file(path, error)) {
      state = "installed, " + Mebibytes(fs::file_size(path, error));
    } else if (fs::exists(llm::PartialPathFor(path), error)) {
      state = "partial, " + Mebibytes(fs::file_size(llm::PartialPathFor(path), error)) + ": pull to resume";
    } else {
      state = "~" + ApproximateSize(entry.approximate_bytes);
    }
    const bool is_default = entry.name == llm::DefaultCatalogEntry().name;
    std::printf("%c %-30s %-32s %s\n", is_default ? '*' : ' ', std::string(entry.name).c_str(), state.c_str(),
                std::string(entry.description).c_str());
  }

  std::vector<std::pair<std::string, uint64_t>> others;
  if (fs::is_directory(folder, error)) {
    for (const fs::directory_entry& file : fs::directory_iterator(folder, error)) {
      const std::string name = file.path().filename().string();
      if (!file.is_regular_file(error) || file.path().extension() != ".gguf" || catalog_files.count(name) > 0) {
        continue;
      }
      others.emplace_back(name, file.file_size(error));
    }
  }
  std::sort(others.begin(), others.end());
  std::cout << "\nOther GGUF files in " << folder.string() << ":";
  if (others.empty()) std::cout << " none";
  std::cout << "\n";
  for (const auto& [name, size] : others) std::printf("  %-62s %s\n", name.c_str(), Mebibytes(size).c_str());
  std::cout << std::flush;
}

}  // namespace

void AddPullCommands(CLI::App& models, CommandContext& context) {
  auto pull_options = std::make_shared<PullOptions>();
  CLI::App* pull = models.add_subcommand(
      "pull", "Download a model into DATA_DIR/models (default: " + std::string(llm::DefaultCatalogEntry().name) +
                  "), resuming an interrupted download and verifying the file");
  pull->add_option("name", pull_options->name, "catalog name (see 'troupe models list'), a unique prefix, or a URL");
  pull->add_option("--url", pull_options->url, "download any GGUF file from this http(s) URL instead");
  pull->add_option("--sha256", pull_options->sha256, "expected SHA-256 of the file (hex)");
  pull->add_option("--size", pull_options->size, "expected size of the file in bytes");
  pull->add_flag("--force", pull_options->force, "download again even if the file is already there");
  pull->callback([&context, pull_options] { Pull(context, *pull_options); });

  CLI::App* list = models.add_subcommand(
      "list", "List the catalog, which models are downloaded, and other GGUF files in DATA_DIR/models");
  list->callback([&context] { List(context); });
}

}  // namespace troupe::cli
