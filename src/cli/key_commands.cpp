#include <iomanip>
#include <iostream>

#include "cli/commands.h"
#include "server/api/auth.h"
#include "store/api_keys.h"

namespace troupe::cli {
namespace {

struct CreateOptions {
  std::vector<std::string> scopes;
  std::optional<int64_t> user_id;
  std::string name;
};

void Create(CommandContext& context, const CreateOptions& options) {
  if (Status valid = server::CheckScopes(options.scopes, "--scope"); !valid.ok()) {
    context.Fail(valid);
    return;
  }
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  store::Store& database = **opened;
  if (options.user_id) {
    if (Result<store::User> user = database.users().Get(*options.user_id); !user.ok()) {
      context.Fail(user.status().WithContext("--user"));
      return;
    }
  }
  Result<store::MintedKey> minted = store::MintApiKey();
  if (!minted.ok()) {
    context.Fail(minted.status());
    return;
  }
  store::ApiKey key;
  key.name = options.name;
  key.prefix = minted->prefix;
  key.secret_hash = minted->secret_hash;
  key.scopes = options.scopes;
  key.user_id = options.user_id;
  Result<store::ApiKey> created = database.api_keys().Create(std::move(key));
  if (!created.ok()) {
    context.Fail(created.status());
    return;
  }
  store::AuditEntry entry;
  entry.actor = "cli";
  entry.action = "key.create";
  entry.target_type = "api_key";
  entry.target_id = std::to_string(created->id);
  if (Result<store::AuditEntry> audited = database.audit().Record(entry); !audited.ok()) {
    context.Fail(audited.status());
    return;
  }
  std::cout << minted->key << std::endl;
}

void List(CommandContext& context) {
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  std::cout << std::left << std::setw(6) << "ID" << std::setw(14) << "PREFIX" << std::setw(22) << "SCOPES"
            << std::setw(8) << "USER" << std::setw(9) << "STATE" << "NAME\n";
  store::PageRequest page;
  page.limit = 500;
  do {
    Result<store::Page<store::ApiKey>> keys = (*opened)->api_keys().List(page);
    if (!keys.ok()) {
      context.Fail(keys.status());
      return;
    }
    for (const store::ApiKey& key : keys->items) {
      std::string scopes;
      for (const std::string& scope : key.scopes) scopes += (scopes.empty() ? "" : ",") + scope;
      std::cout << std::left << std::setw(6) << key.id << std::setw(14) << key.prefix << std::setw(22) << scopes
                << std::setw(8) << (key.user_id ? std::to_string(*key.user_id) : "-") << std::setw(9)
                << (key.revoked_at ? "revoked" : "active") << key.name << "\n";
    }
    page.cursor = keys->next_cursor;
  } while (!page.cursor.empty());
}

void Revoke(CommandContext& context, int64_t id) {
  Result<std::unique_ptr<store::Store>> opened = context.OpenStore();
  if (!opened.ok()) {
    context.Fail(opened.status());
    return;
  }
  if (Status revoked = (*opened)->api_keys().Revoke(id); !revoked.ok()) {
    context.Fail(revoked);
    return;
  }
  store::AuditEntry entry;
  entry.actor = "cli";
  entry.action = "key.revoke";
  entry.target_type = "api_key";
  entry.target_id = std::to_string(id);
  if (Result<store::AuditEntry> audited = (*opened)->audit().Record(entry); !audited.ok()) {
    context.Fail(audited.status());
    return;
  }
  std::cerr << "revoked key " << id << "\n";
}

}  // namespace

void AddKeyCommands(CLI::App& app, CommandContext& context) {
  CLI::App* group = app.add_subcommand("keys", "Manage API keys");
  group->require_subcommand(1);

  auto create_options = std::make_shared<CreateOptions>();
  CLI::App* create = group->add_subcommand(
      "create", "Create an API key and print it, alone, on stdout (it is not shown again)");
  create->add_option("--scope", create_options->scopes, "admin, studio, agent or client (repeatable)")
      ->required()
      ->delimiter(',');
  create->add_option("--user", create_options->user_id, "bind the key to this end user id");
  create->add_option("--name", create_options->name, "a label to recognise the key by");
  create->callback([&context, create_options] { Create(context, *create_options); });

  group->add_subcommand("list", "List API keys (never their secrets)")->callback([&context] { List(context); });

  auto revoke_id = std::make_shared<int64_t>(0);
  CLI::App* revoke = group->add_subcommand("revoke", "Revoke an API key by id");
  revoke->add_option("ID", *revoke_id, "key id (see 'troupe keys list')")->required();
  revoke->callback([&context, revoke_id] { Revoke(context, *revoke_id); });
}

}  // namespace troupe::cli
