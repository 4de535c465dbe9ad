// `troupe users export|delete`: an end user's right of access and right to erasure from the
// operator's shell, through the same store calls and the same JSON as the API's
// GET /api/v1/users/{id}/export and DELETE /api/v1/users/{id}. Both are recorded in the audit log
// with actor "cli".
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "chat/reply_media.h"
#include "cli/commands.h"
#include "server/api/user_archive_json.h"

namespace troupe::cli {
namespace {

// Names the user: an id, or the operator's external id.
struct UserChoice {
  std::optional<int64_t> id;
  std::string external_id;
};

struct UserExportOptions {
  UserChoice user;
  std::string output;  // "" or "-": stdout
};

struct UserDeleteOptions {
  UserChoice user;
  bool yes = false;
  bool json = false;
};

Result<store::User> FindUser(store::Store& store, const UserChoice& choice) {
  if (choice.id) {
    Result<store::User> user = store.users().Get(*choice.id);
    if (!user.ok()) return user.status().WithContext("ID");
    return user;
  }
  if (choice.external_id.empty()) {
    return Status(StatusCode::kInvalidArgument, "name the user: ID or --external-id", "ID");
  }
  Result<store::User> user = store.users().GetByExternalId(choice.external_id);
  if (!user.ok()) return user.status().WithContext("--external-id");
  return user;
}

// Writes `bytes` to `path`, creating it readable by its owner only: an export is personal data.
Status WritePrivateFile(const std::string& path, const std::string& bytes) {
  const int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Status(StatusCode::kUnavailable, path + ": " + std::strerror(errno), "-o");
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return Status(StatusCode::kUnavailable, path + ": " + std::strerror(error), "-o");
    }
    written += static_cast<size_t>(n);
  }
  if (close(fd) != 0) return Status(StatusCode::kUnavailable, path + ": " + std::strerror(errno), "-o");
  return Status::Ok();
}

Status AuditUserAction(store::Store& store, std::string action, int64_t user_id, nlohmann::json details) {
  store::AuditEntry entry;
  entry.actor = "cli";
  entry.action = std::move(action);
  entry.target_type = "user";
  entry.target_id = std::to_string(user_id);
  entry.details_json = details.dump();
  return store.audit().Record(std::move(entry)).status();
}

Status ExportUser(CommandContext& context, const UserExportOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  TROUPE_ASSIGN_OR_RETURN(store::User user, FindUser(*database, options.user));
  TROUPE_ASSIGN_OR_RETURN(store::UserArchive archive, database->user_data().Export(user.id));
  const std::string bytes =
      server::api::UserArchiveJson(archive, SystemClock::Instance().NowMillis())
          .dump(2, ' ', false, nlohmann::json::error_handler_t::replace) +
      "\n";
  if (options.output.empty() || options.output == "-") {
    std::cout << bytes << std::flush;
  } else {
    TROUPE_RETURN_IF_ERROR(WritePrivateFile(options.output, bytes));
    std::cerr << "wrote user " << user.id << "'s data to " << options.output << "\n";
  }
  return AuditUserAction(*database, "user.export", user.id, nlohmann::json::object());
}

Status DeleteUser(CommandContext& context, const UserDeleteOptions& options) {
  TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> database, context.OpenStore());
  TROUPE_ASSIGN_OR_RETURN(store::User user, FindUser(*database, options.user));
  if (!options.yes) {
    return Status(StatusCode::kFailedPrecondition,
                  "not deleting user " + std::to_string(user.id) +
                      ": this removes the user and everything stored about them for good; run again with --yes",
                  "--yes");
  }
  // Their voice messages and pictures are files under data_dir: listed before the rows go.
  TROUPE_ASSIGN_OR_RETURN(const std::vector<int64_t> conversations, chat::ConversationIdsOf(*database, user.id));
  TROUPE_ASSIGN_OR_RETURN(store::DeletionReport report, database->user_data().DeleteUser(user.id));
  TROUPE_ASSIGN_OR_RETURN(const config::LoadedConfig* loaded, context.Configuration());
  chat::RemoveConversationMedia(std::filesystem::path(loaded->config.data_dir) / "media", conversations);
  const nlohmann::json report_json = server::api::DeletionReportJson(report);
  if (options.json) {
    std::cout << report_json.dump() << std::endl;
  } else {
    std::cout << "deleted user " << report.user_id << "\n";
    for (const auto& [kind, count] : report_json["deleted"].items()) std::cout << "  " << kind << " " << count << "\n";
    std::cout << "  running jobs asked to stop " << report.jobs_cancelled << std::endl;
  }
  return AuditUserAction(*database, "user.delete", user.id, report_json["deleted"]);
}

void AddUserChoice(CLI::App& command, UserChoice& choice) {
  CLI::Option* id = command.add_option("ID", choice.id, "the user's id");
  command.add_option("--external-id", choice.external_id, "the user's external id instead of ID")->excludes(id);
}

}  // namespace

void AddUserCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("users", "Import end users' profiles, or export or delete everything stored about one");
  group->require_subcommand(1);
  AddUserImportCommand(*group, context);

  auto export_options = std::make_shared<UserExportOptions>();
  CLI::App* exported = group->add_subcommand(
      "export", "Write everything stored about a user as one JSON archive (stdout by default)");
  AddUserChoice(*exported, export_options->user);
  exported->add_option("-o,--output", export_options->output,
                       "file to write, created readable by its owner only ('-' or absent: stdout)");
  exported->callback([&context, export_options] {
    if (Status status = ExportUser(context, *export_options); !status.ok()) context.Fail(status);
  });

  auto delete_options = std::make_shared<UserDeleteOptions>();
  CLI::App* deleted = group->add_subcommand(
      "delete", "Delete a user and everything stored about them, in one transaction (needs --yes)");
  AddUserChoice(*deleted, delete_options->user);
  deleted->add_flag("--yes", delete_options->yes, "really delete: there is no undo");
  deleted->add_flag("--json", delete_options->json, "print the report as JSON");
  deleted->callback([&context, delete_options] {
    if (Status status = DeleteUser(context, *delete_options); !status.ok()) context.Fail(status);
  });
}

}  // namespace troupe::cli
