// `troupe users import FILE.csv` and `troupe segments list|apply`: customer profiles and segments
// from the operator's shell, through the same calls and JSON as POST /api/v1/users/import and
// /api/v1/segments. Imports and applications are recorded in the audit log with actor "cli".
#include <fstream>
#include <iostream>
#include <sstream>

#include "chat/customers/profile_import.h"
#include "chat/customers/segments.h"
#include "cli/commands.h"

namespace troupe::cli {
namespace {

struct UserImportOptions {
  std::string file;
  bool json = false;
};

struct SegmentApplyOptions {
  std::string name;
  bool json = false;
};

Result<std::string> ReadCsvFile(const std::string& path) {
  if (path == "-") {
    std::ostringstream text;
    text << std::cin.rdbuf();
    return text.str();
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) return Status(StatusCode::kInvalidArgument, path + ": cannot be read", "FILE");
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

Status AuditCustomerAction(store::Store& store, std::string action, std::string target_type, nlohmann::json details) {
  store::AuditEntry entry;
  entry.actor = "cli";
  entry.action = std::move(action);
  entry.target_type = std::move(target_type);
  entry.target_id = "0";
  entry.details_json = details.dump();
  return store.audit().Record(std::move(entry)).status();
}

Status ImportUsers(CommandContext& context, const UserImportOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(std::string text, ReadCsvFile(options.file));
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  Result<chat::customers::ProfileImportReport> report = chat::customers::ImportProfiles(*database, text);
  if (!report.ok()) return report.status().WithContext(options.file);
  const nlohmann::json report_json = chat::customers::ProfileImportReportJson(*report);
  if (options.json) {
    std::cout << report_json.dump() << std::endl;
  } else {
    std::cout << "imported " << options.file << ": " << report->lines << " lines, " << report->created
              << " users created, " << report->updated << " updated, " << report->failed << " left out" << std::endl;
  }
  for (const std::string& error : report->errors) std::cerr << error << "\n";
  TROUPE_RETURN_IF_ERROR(AuditCustomerAction(*database, "user.import", "user",
                                             {{"lines", report->lines}, {"created", report->created},
                                              {"updated", report->updated}, {"failed", report->failed}}));
  if (report->failed > 0) {
    return Status(StatusCode::kInvalidArgument,
                  std::to_string(report->failed) + " line(s) left out (listed above); the others were imported",
                  "FILE");
  }
  return Status::Ok();
}

Status ApplySegmentCommand(CommandContext& context, const SegmentApplyOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  Result<chat::customers::SegmentApplyReport> report =
      chat::customers::ApplySegment(*database, options.name, SystemClock::Instance().NowMillis());
  if (!report.ok()) return report.status().WithContext("NAME");
  const nlohmann::json report_json = chat::customers::SegmentApplyReportJson(*report);
  if (options.json) {
    std::cout << report_json.dump() << std::endl;
  } else {
    std::cout << "applied segment " << report->name << ": " << report->members << " members of "
              << report->evaluated << " users (" << report->added << " added, " << report->removed << " removed)\n";
    for (const nlohmann::json& cluster : report->clusters) {
      std::cout << "  " << cluster["name"].get<std::string>() << " " << cluster["size"] << " " << cluster["centroid"].dump()
                << "\n";
    }
    std::cout << std::flush;
  }
  return AuditCustomerAction(*database, "segment.apply", "segment", report_json);
}

Status ListSegmentsCommand(CommandContext& context) {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  store::PageRequest page{"", 500};
  while (true) {
    TROUPE_ASSIGN_OR_RETURN(store::Page<store::Segment> batch, database->segments().List(page));
    for (const store::Segment& segment : batch.items) {
      std::cout << segment.name << "\t" << segment.kind << "\t" << segment.member_count << "\t" << segment.description
                << "\n";
    }
    if (batch.next_cursor.empty()) break;
    page.cursor = batch.next_cursor;
  }
  std::cout << std::flush;
  return Status::Ok();
}

}  // namespace

void AddUserImportCommand(CLI::App& users, CommandContext& context) {
  auto options = std::make_shared<UserImportOptions>();
  CLI::App* imported = users.add_subcommand(
      "import", "Create or update users and their profiles from a CSV (header: external_id, display_name?, fields)");
  imported->add_option("FILE", options->file, "the CSV file ('-': stdin)")->required();
  imported->add_flag("--json", options->json, "print the report as JSON");
  imported->callback([&context, options] {
    if (Status status = ImportUsers(context, *options); !status.ok()) context.Fail(status);
  });
}

void AddSegmentCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("segments", "List customer segments or apply one to the users");
  group->require_subcommand(1);
  CLI::App* list = group->add_subcommand("list", "Print each segment: name, kind, members, description");
  list->callback([&context] {
    if (Status status = ListSegmentsCommand(context); !status.ok()) context.Fail(status);
  });
  auto options = std::make_shared<SegmentApplyOptions>();
  CLI::App* apply = group->add_subcommand("apply", "Evaluate a segment and write its members' segment field");
  apply->add_option("NAME", options->name, "the segment (a k-means segment applies all its clusters)")->required();
  apply->add_flag("--json", options->json, "print the report as JSON");
  apply->callback([&context, options] {
    if (Status status = ApplySegmentCommand(context, *options); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
