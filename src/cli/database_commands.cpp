#include <algorithm>
#include <chrono>
#include <iomanip>
#include <iostream>

#include "cli/commands.h"

namespace troupe::cli {
namespace {

std::string FormatTime(int64_t millis) {
  const std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::ostringstream text;
  text << std::put_time(&utc, "%Y-%m-%dT%H:%M:%SZ");
  return text.str();
}

void Migrate(CommandContext& context) {
  Result<CommandContext::MigratedStore> migrated = context.ConnectAndMigrate();
  if (!migrated.ok()) {
    context.Fail(migrated.status());
    return;
  }
  store::Store& database = *migrated->store;
  const std::vector<int>& applied = migrated->applied;
  Result<store::MigrationReport> report = database.Migrations();
  if (!report.ok()) {
    context.Fail(report.status());
    return;
  }
  for (const store::MigrationState& migration : report->migrations) {
    if (std::find(applied.begin(), applied.end(), migration.version) != applied.end()) {
      std::cout << "applied " << std::setw(4) << std::setfill('0') << migration.version << std::setfill(' ')
                << " " << migration.name << "\n";
    }
  }
  std::cout << database.backend() << " database " << database.redacted_url() << " is at schema version "
            << report->current_version << "\n";
}

void PrintStatus(CommandContext& context) {
  Result<std::unique_ptr<store::Store>> opened = context.ConnectStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  Result<store::MigrationReport> report = (*opened)->Migrations();
  if (!report.ok()) {
    context.Fail(report.status());
    return;
  }
  std::cout << "database: " << report->backend << " " << (*opened)->redacted_url() << "\n"
            << "schema version: " << report->current_version << " (this build knows up to "
            << report->latest_version << ")\n\n";
  std::cout << std::left << std::setw(9) << "VERSION" << std::setw(32) << "NAME" << "APPLIED\n";
  for (const store::MigrationState& migration : report->migrations) {
    std::ostringstream version;
    version << std::setw(4) << std::setfill('0') << migration.version;
    std::cout << std::left << std::setw(9) << version.str() << std::setw(32) << migration.name
              << (migration.applied_at ? FormatTime(*migration.applied_at)
                                       : (migration.applied ? "yes" : "pending"))
              << "\n";
  }
  if (report->current_version > report->latest_version) {
    context.Fail(FailedPrecondition("the database was written by a newer Troupe (schema version " +
                                    std::to_string(report->current_version) + "); upgrade Troupe"));
  }
}

}  // namespace

void AddDatabaseCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("db", "Manage the database schema");
  group->require_subcommand(1);
  group->add_subcommand("migrate", "Apply pending migrations, each in its own transaction")
      ->callback([&context] { Migrate(context); });
  group->add_subcommand("status", "List the migrations and which are applied")
      ->callback([&context] { PrintStatus(context); });
}

}  // namespace troupe::cli
