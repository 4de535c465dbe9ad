#include <pthread.h>
#include <signal.h>

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "base/build_info.h"
#include "chat/campaigns.h"
#include "chat/example_characters.h"
#include "chat/runtime.h"
#include "chat/tools/tool_runner.h"
#include "cli/commands.h"
#include "cli/reply_media_config.h"
#include "llm/local_model.h"
#include "llm/model_catalog.h"
#include "llm/provider_registry.h"
#include "server/api/api.h"
#include "server/http/http_server.h"
#include "server/services/job_runner.h"
#include "server/services/engine_metrics.h"
#include "server/services/kpi_metrics.h"
#include "server/services/outcome_predictions.h"
#include "server/services/topic_jobs.h"
#include "server/services/provider_metrics.h"
#include "server/services/studio_jobs.h"
#include "server/http/web_ui.h"
#include "server/services/webhook.h"
#include "store/api_keys.h"

namespace troupe::cli {
namespace {

// On the first start of a new store, the example characters (examples.install). A failure is
// logged and start-up goes on: the examples are a welcome, not something to refuse serving over,
// and the next start tries again since nothing was recorded.
void InstallExamples(store::Store& database, const std::string& data_dir) {
  Result<chat::ExampleInstallReport> report = chat::InstallExampleCharacters(database, data_dir);
  if (!report.ok()) {
    spdlog::error("could not install the example characters: {}", report.status().message());
    return;
  }
  if (!report->installed.empty()) {
    std::string slugs;
    for (const std::string& slug : report->installed) slugs += (slugs.empty() ? "" : ", ") + slug;
    spdlog::info("published the example characters: {}", slugs);
  } else if (report->first_run && !report->present.empty()) {
    spdlog::info("the example characters were already there (another node installed them)");
  } else if (report->first_run) {
    spdlog::info("the store already has characters, so the examples were not installed");
  }
}

// On first start with no usable key, make an admin key so the operator can get in.
Status EnsureAdminKey(store::Store& database) {
  TROUPE_ASSIGN_OR_RETURN(int64_t active, database.api_keys().CountActive());
  if (active > 0) return Status::Ok();
  TROUPE_ASSIGN_OR_RETURN(store::MintedKey minted, store::MintApiKey());
  store::ApiKey key;
  key.name = "first admin key";
  key.prefix = minted.prefix;
  key.secret_hash = minted.secret_hash;
  key.scopes = {"admin"};
  TROUPE_ASSIGN_OR_RETURN(store::ApiKey created, database.api_keys().Create(std::move(key)));
  store::AuditEntry entry;
  entry.actor = "system";
  entry.action = "key.create";
  entry.target_type = "api_key";
  entry.target_id = std::to_string(created.id);
  TROUPE_ASSIGN_OR_RETURN(store::AuditEntry audited, database.audit().Record(entry));
  (void)audited;
  std::cout << "Created the first admin API key (it is shown only this once):\n\n    " << minted.key
            << "\n\nSend it as 'Authorization: Bearer <key>'; make more with 'troupe keys create'.\n"
            << std::flush;
  return Status::Ok();
}

server::HttpServerOptions ServerOptionsFrom(const config::ServerConfig& config) {
  server::HttpServerOptions options;
  options.listen = config.listen;
  options.io_threads = config.io_threads;
  options.body_limit_bytes = config.body_limit_bytes;
  options.request_timeout = std::chrono::seconds(config.request_timeout_seconds);
  options.shutdown_grace = std::chrono::seconds(config.shutdown_grace_seconds);
  options.sse_heartbeat = std::chrono::seconds(config.sse_heartbeat_seconds);
  options.version = std::string(Version());
  options.background_threads = config.handler_threads;
  options.background_queue = static_cast<size_t>(config.handler_queue);
  return options;
}

// Holds SIGINT and SIGTERM pending from the start of `serve` until the server's signal handler is
// installed, so a signal during start-up (a migration can take a while) is not the default "die
// mid-transaction" but a clean stop once start-up finishes. If start-up fails, they stay blocked
// and the process exits with the start-up error's code.
class HeldStopSignals {
 public:
  HeldStopSignals() {
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, &previous_);
  }
  // Restores the previous mask: a signal that arrived meanwhile is delivered now, to the handler.
  void Release() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

 private:
  sigset_t previous_;
};

nlohmann::json ModelReport(const llm::ConfiguredModel& local, const config::Config& config) {
  if (!local.model) return {{"loaded", false}, {"hint", local.missing_hint}};
  const llm::ModelInfo& info = local.model->info();
  const uint64_t trained = info.hyperparameters->context_length;
  const uint64_t context = std::min<uint64_t>(trained, static_cast<uint64_t>(config.model.context_length));
  return {{"loaded", true},
          {"path", info.path},
          {"name", info.name},
          {"architecture", info.architecture},
          {"file_type", info.file_type},
          {"parameters", info.parameter_count},
          {"context_length", context},
          {"trained_context_length", trained},
          {"memory_bytes", info.tensor_bytes}};
}

// The campaign drafting job, and the scan that delivers campaign messages held back by quiet hours
// once those end.
void RegisterCampaignJobs(server::JobRunner& jobs, chat::Campaigns& campaigns) {
  jobs.Register(std::string(chat::kCampaignDraftJob), [&campaigns](const store::Job& job, server::JobContext& job_context) {
    return campaigns.RunDraftJob(job, [&job_context](double progress) { return job_context.ReportProgress(progress); });
  });
  jobs.AddPeriodic("campaign-delivery-scan", 60'000, [&campaigns] {
    if (Result<chat::DeliveryReport> report = campaigns.Scan(); !report.ok()) {
      spdlog::warn("campaign delivery scan failed: {}", report.status().ToString());
    } else if (report->delivered > 0) {
      spdlog::info("{} campaign message(s) delivered after quiet hours", report->delivered);
    }
  });
}

void Serve(CommandContext& context) {
  HeldStopSignals held_signals;
  Result<const config::LoadedConfig*> loaded = context.Configuration();
  if (!loaded.ok()) {
    context.Fail(loaded.status());
    return;
  }
  const config::Config& config = (*loaded)->config;
  spdlog::info("troupe {} (commit {}) starting", Version(), GitCommit());

  // The API's routes need the store, and the router is fixed when the server is created, so the
  // store comes first; the held signals keep start-up interruptible without dying mid-migration.
  Result<CommandContext::MigratedStore> migrated = context.ConnectAndMigrate();
  if (!migrated.ok()) {
    context.Fail(migrated.status());
    return;
  }
  store::Store& database = *migrated->store;
  for (int version : migrated->applied) spdlog::info("applied database migration {:04d}", version);
  if (Status admin = EnsureAdminKey(database); !admin.ok()) {
    context.Fail(admin);
    return;
  }
  if (config.examples.install) InstallExamples(database, config.data_dir);

  Result<llm::ConfiguredModel> local_model = llm::LoadConfiguredModel(config);
  if (!local_model.ok()) {
    context.Fail(local_model.status());
    return;
  }
  if (local_model->model) {
    const llm::ModelInfo& info = local_model->model->info();
    spdlog::info("model {} loaded: {} {}, {} parameters, {} MiB", info.path, info.architecture, info.file_type,
                 info.parameter_count, info.tensor_bytes >> 20);
  } else {
    spdlog::warn("{}", local_model->missing_hint);
  }

  // The named providers: "local" over the loaded model (unavailable, with the hint, without one)
  // and every providers.<name> entry of the configuration; each call is counted on /metrics.
  const nlohmann::json model_report = ModelReport(*local_model, config);
  server::MetricsRegistry metrics;
  server::ProviderMetrics provider_metrics(metrics);
  server::KpiMetrics kpi_metrics(metrics, database, SystemClock::Instance());
  Result<std::unique_ptr<llm::ProviderRegistry>> registry =
      llm::BuildProviderRegistry(config, local_model->model, local_model->missing_hint, local_model->draft);
  if (!registry.ok()) {
    context.Fail(registry.status());
    return;
  }
  (*registry)->SetObserver(&provider_metrics);
  if (Result<llm::Provider*> local = (*registry)->Find("local"); local.ok()) {
    server::AddEngineMetrics(metrics, **local);
  }
  for (const std::string& name : (*registry)->names()) {
    Result<llm::Provider*> provider = (*registry)->Find(name);
    if (provider.ok()) {
      spdlog::info("provider {}: {} {} ({} tokens of context)", name, (*provider)->info().kind,
                   (*provider)->info().model, (*provider)->info().context_length);
    }
  }
  llm::ProviderRegistry& named = **registry;
  chat::ProviderResolver providers = [&named](std::string_view name) { return named.Find(name); };
  server::EventHub events;
  server::JobRunnerOptions job_options;
  job_options.workers = 1;
  job_options.on_change = [&events](const store::Job& job) { server::PublishJobUpdated(events, job); };
  server::JobRunner jobs(database, job_options);
  server::WebhookOptions webhook;
  webhook.url = config.chat.proactive_webhook_url;
  webhook.secret = config.chat.proactive_webhook_secret;
  // Tool calls wait on the operator's backend on their own loop, so a slow backend never holds a
  // provider's stream. Declared before the runtime: its Shutdown waits for the turns using it.
  llm::CurlLoop tool_loop;
  chat::RuntimeOptions runtime_options;
  auto outcome_predictor = std::make_shared<server::StoredOutcomePredictor>(database, SystemClock::Instance());
  runtime_options.outcome_predictor = outcome_predictor;
  runtime_options.tool_runner =
      std::make_shared<chat::tools::ToolRunner>(tool_loop, chat::tools::ToolRunnerOptions{config.tools.secrets});
  runtime_options.max_tool_steps = config.tools.max_steps;
  runtime_options.intent_catalogs_dir = std::filesystem::path(config.data_dir) / "intents";
  Result<std::shared_ptr<chat::ReplyMedia>> reply_media = ReplyMediaFrom(config);
  if (!reply_media.ok()) {
    context.Fail(reply_media.status());
    return;
  }
  runtime_options.reply_media = std::move(*reply_media);
  runtime_options.media_dir = std::filesystem::path(config.data_dir) / "media";
  runtime_options.summary.threshold = config.chat.summary_after_messages;
  runtime_options.summary.keep_recent = config.chat.summary_keep_recent;
  runtime_options.summary_provider = config.chat.summary_provider;
  runtime_options.recall_limit = config.chat.recall_messages;
  runtime_options.agent_presence_timeout_ms = int64_t{config.support.presence_timeout} * 1000;
  runtime_options.limits.per_node = config.chat.max_turns;
  runtime_options.limits.per_user = config.chat.max_turns_per_user;
  // The in-process engine refuses requests past its queue; admitting no more turns than it takes
  // (one running, the rest queued) turns that refusal into a 429 before a stream starts.
  runtime_options.limits.providers["local"] =
      config.chat.local_max_turns > 0 ? config.chat.local_max_turns : config.model.max_queued_requests + 1;
  for (const auto& [name, provider] : config.providers) {
    if (provider.max_turns > 0) runtime_options.limits.providers[name] = provider.max_turns;
  }
  auto on_message_stored = [&events, &database, &jobs, &webhook](const store::Conversation& conversation,
                                                                 const store::Message& message) {
    server::PublishMessageCreated(events, conversation, message);
    if (webhook.url.empty()) return;
    const nlohmann::json metadata = nlohmann::json::parse(message.metadata_json, nullptr, false);
    const auto proactive = metadata.is_object() ? metadata.find("proactive") : metadata.end();
    if (proactive == metadata.end() || !proactive->is_boolean() || !proactive->get<bool>()) return;
    nlohmann::json data = {{"conversation_id", conversation.id},
                           {"user_id", conversation.user_id},
                           {"character_id", conversation.character_id},
                           {"message", {{"id", message.id}, {"content", message.content}, {"created_at", message.created_at}}}};
    if (Result<store::Job> queued = server::EnqueueWebhookEvent(database, "message.proactive", std::move(data)); queued.ok()) {
      jobs.Wake();
    } else {
      spdlog::warn("proactive message {} not queued for the webhook: {}", message.id, queued.status().ToString());
    }
  };
  runtime_options.on_message_stored = on_message_stored;
  runtime_options.on_job_enqueued = [&jobs] { jobs.Wake(); };
  runtime_options.on_conversation_changed = [&events](const store::Conversation& conversation) {
    server::PublishConversationUpdated(events, conversation);
  };
  chat::ChatRuntime runtime(database, providers, runtime_options);
  for (std::string_view kind : {chat::kProactiveJob, chat::kSummarizeJob}) {
    jobs.Register(std::string(kind), [&runtime](const store::Job& job, server::JobContext& job_context) {
      return runtime.RunJob(job, [&job_context](double progress) { return job_context.ReportProgress(progress); });
    });
  }
  jobs.Register(std::string(server::kWebhookJob), [&webhook](const store::Job& job, server::JobContext&) {
    return server::DeliverWebhookEvent(job, webhook);
  });
  jobs.AddPeriodic("proactive-scan", 60'000, [&runtime] {
    if (Result<int> enqueued = runtime.ScanProactive(); !enqueued.ok()) {
      spdlog::warn("proactive scan failed: {}", enqueued.status().ToString());
    } else if (*enqueued > 0) {
      spdlog::info("{} proactive message(s) due", *enqueued);
    }
  });
  chat::CampaignOptions campaign_options;
  campaign_options.on_message_stored = on_message_stored;
  campaign_options.on_job_enqueued = [&jobs] { jobs.Wake(); };
  chat::Campaigns campaigns(database, providers, campaign_options);
  RegisterCampaignJobs(jobs, campaigns);
  // The studio's pipelines and analytics training run on a runner of their own: a character batch
  // can take minutes, and summaries, proactive messages and webhooks must not wait behind it.
  server::JobRunnerOptions studio_job_options = job_options;
  studio_job_options.worker_id = server::DefaultJobWorkerId() + "-studio";
  server::JobRunner studio_jobs(database, studio_job_options);
  server::RegisterStudioJobs(studio_jobs, database, providers, std::filesystem::path(config.data_dir) / "intents");
  server::RegisterAnalyticsJobs(studio_jobs, database, SystemClock::Instance(),
                                [outcome_predictor] { outcome_predictor->Refresh(); });
  server::RegisterTopicsJob(studio_jobs, database, SystemClock::Instance(), providers);
  server::Router router;
  server::ApiOptions api_options;
  api_options.campaigns = &campaigns;
  api_options.on_job_enqueued = [&studio_jobs] { studio_jobs.Wake(); };
  api_options.events = &events;
  api_options.runtime = &runtime;
  api_options.providers = providers;
  api_options.rate_limit_per_second = config.server.rate_limit_per_second;
  api_options.rate_limit_burst = config.server.rate_limit_burst;
  api_options.data_dir = config.data_dir;
  api_options.agent_presence_timeout_ms = int64_t{config.support.presence_timeout} * 1000;
  std::vector<server::ApiRouteInfo> routes = server::AddApiRoutes(router, database, api_options);
  server::AddWebUi(router, config.server.web_dir);
  if (!config.server.web_dir.empty()) spdlog::info("web UI served from {}", config.server.web_dir);
  spdlog::debug("{} API routes registered", routes.size());

  Result<std::unique_ptr<server::HttpServer>> http =
      server::HttpServer::Create(ServerOptionsFrom(config.server), std::move(router), metrics);
  if (!http.ok()) {
    context.Fail(http.status());
    return;
  }
  (*http)->StopOnSignals();
  held_signals.Release();
  (*http)->AddReadinessCheck("database", [&database] { return database.Ping(); });
  (*http)->AddReadinessReport("model", [report = model_report] { return report; });
  spdlog::info("{} database {} ready; data directory {}", database.backend(), database.redacted_url(),
               config.data_dir);

  jobs.Start();
  studio_jobs.Start();
  // Returns once every connection is done and the server's handler pool has stopped. On SIGTERM
  // turns in flight keep streaming through the grace period; those still running after it see
  // their streams cancelled, which cancels them.
  (*http)->Run();
  // Waits for the cancelled turns to store what they wrote, marked incomplete.
  runtime.Shutdown();
  studio_jobs.Stop();  // a pipeline in the middle goes back to the queue with its checkpoint
  jobs.Stop();
  spdlog::info("stopped");
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& context) {
  CLI::App* command = app.add_subcommand("serve", "Run the Troupe server until SIGINT or SIGTERM");
  AddSettingFlag(*command, context, "listen", "server.listen", "HTTP address HOST:PORT (port 0: any free port)");
  AddSettingFlag(*command, context, "io-threads", "server.io_threads", "threads serving HTTP");
  AddSettingFlag(*command, context, "model", "model.path", "GGUF model to run in-process (env: TROUPE_MODEL)");
  AddSettingFlag(*command, context, "web-dir", "server.web_dir",
                 "serve the web UI from this directory (development: web/dist) instead of the built-in copy");
  command->callback([&context] { Serve(context); });
}

}  // namespace troupe::cli
