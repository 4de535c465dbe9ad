#include "llm/provider_registry.h"

#include <chrono>

#include "llm/local_provider.h"
#include "llm/observed_provider.h"
#include "llm/pii_redacting_provider.h"
#include "llm/openai_provider.h"

namespace troupe::llm {
namespace {

// Reports each finished call to whichever observer the registry holds at the time.
class ReportingProvider final : public ForwardingProvider {
 public:
  ReportingProvider(std::unique_ptr<Provider> inner, const std::atomic<ProviderObserver*>& observer)
      : ForwardingProvider(std::move(inner)), observer_(observer) {}

  std::shared_ptr<ChatCall> Start(ChatRequest request, ChatCallbacks callbacks) override {
    const auto started = std::chrono::steady_clock::now();
    auto done = std::move(callbacks.on_done);
    callbacks.on_done = [this, started, done = std::move(done)](Result<ChatResult> result) {
      if (ProviderObserver* observer = observer_.load()) {
        const double total_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
        observer->OnCall(MakeCallRecord(inner().info().name, result, total_ms));
      }
      done(std::move(result));
    };
    return inner().Start(std::move(request), std::move(callbacks));
  }

 private:
  const std::atomic<ProviderObserver*>& observer_;
};

}  // namespace

ProviderRegistry::ProviderRegistry(std::string default_name) : default_name_(std::move(default_name)) {}

ProviderRegistry::~ProviderRegistry() = default;

Status ProviderRegistry::Add(std::unique_ptr<Provider> provider) {
  std::string name = provider->info().name;
  if (providers_.count(name) != 0 || unavailable_.count(name) != 0) {
    return Status(StatusCode::kConflict, "a provider named '" + name + "' is already registered", "provider");
  }
  providers_.emplace(std::move(name), std::make_unique<ReportingProvider>(std::move(provider), observer_));
  return Status::Ok();
}

Status ProviderRegistry::AddUnavailable(std::string name, Status why) {
  if (providers_.count(name) != 0 || unavailable_.count(name) != 0) {
    return Status(StatusCode::kConflict, "a provider named '" + name + "' is already registered", "provider");
  }
  if (why.ok()) why = Status(StatusCode::kUnavailable, "provider " + name + " is not available");
  unavailable_.emplace(std::move(name), std::move(why));
  return Status::Ok();
}

Result<Provider*> ProviderRegistry::Find(std::string_view name) const {
  const std::string_view wanted = name.empty() ? std::string_view(default_name_) : name;
  if (auto found = providers_.find(wanted); found != providers_.end()) return found->second.get();
  if (auto found = unavailable_.find(wanted); found != unavailable_.end()) return found->second;
  std::string known;
  for (const std::string& each : names()) known += (known.empty() ? "" : ", ") + each;
  return Status(StatusCode::kNotFound,
                "no provider named '" + std::string(wanted) + "' (configured: " + (known.empty() ? "none" : known) + ")",
                "provider");
}

std::vector<std::string> ProviderRegistry::names() const {
  std::vector<std::string> out;
  auto available = providers_.begin();
  auto missing = unavailable_.begin();
  while (available != providers_.end() || missing != unavailable_.end()) {
    if (missing == unavailable_.end() || (available != providers_.end() && available->first < missing->first)) {
      out.push_back((available++)->first);
    } else {
      out.push_back((missing++)->first);
    }
  }
  return out;
}

Result<std::unique_ptr<ProviderRegistry>> BuildProviderRegistry(const config::Config& config,
                                                                 std::shared_ptr<LocalModel> local_model,
                                                                 std::string missing_model_hint,
                                                                 std::shared_ptr<LocalModel> draft_model) {
  auto registry = std::make_unique<ProviderRegistry>(config.chat.default_provider);
  if (local_model) {
    LocalProviderOptions options;
    options.name = "local";
    options.context_length = config.model.context_length;
    options.cache_slots = config.model.cache_slots;
    options.kv_cache_bytes = static_cast<uint64_t>(config.model.kv_cache_bytes);
    options.kv_cache_type = config.model.kv_cache_type;
    options.draft = std::move(draft_model);
    options.draft_tokens = config.model.draft_tokens;
    options.max_queued = static_cast<size_t>(config.model.max_queued_requests);
    TROUPE_ASSIGN_OR_RETURN(std::unique_ptr<Provider> local, MakeLocalProvider(std::move(local_model), options));
    TROUPE_RETURN_IF_ERROR(registry->Add(std::move(local)));
  } else {
    if (missing_model_hint.empty()) missing_model_hint = "provider local: no model is loaded (set model.path)";
    TROUPE_RETURN_IF_ERROR(
        registry->AddUnavailable("local", Status(StatusCode::kUnavailable, std::move(missing_model_hint), "model.path")));
  }
  for (const auto& [name, settings] : config.providers) {
    OpenAiProviderOptions options;
    options.name = name;
    options.base_url = settings.base_url;
    options.api_key = settings.api_key;
    options.model = settings.model;
    options.api_version = settings.api_version;
    options.first_token_timeout = std::chrono::seconds(settings.timeout_seconds);
    options.idle_timeout = std::chrono::seconds(settings.idle_timeout_seconds);
    options.connect_timeout = std::chrono::seconds(settings.connect_timeout_seconds);
    options.total_timeout = std::chrono::seconds(settings.total_timeout_seconds);
    options.max_retries = settings.max_retries;
    options.context_length = settings.context_length;
    Result<std::unique_ptr<Provider>> provider = MakeOpenAiProvider(std::move(options));
    if (!provider.ok()) {
      const std::string field = "providers." + name + "." + provider.status().field();
      return Status(provider.status().code(), provider.status().message(), field);
    }
    TROUPE_RETURN_IF_ERROR(
        registry->Add(settings.redact_pii ? RedactPersonalData(std::move(*provider)) : std::move(*provider)));
  }
  return registry;
}

}  // namespace troupe::llm
