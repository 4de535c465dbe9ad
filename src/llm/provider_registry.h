// The named providers of one process, built from the configuration: "local" (the in-process
// engine, when a model is loaded) and each `providers.<name>` entry (OpenAI-compatible). A
// character or flow stage names the provider it wants (a cheap one for classification, a larger
// one for replies); "" means `chat.default_provider`.
//
// Every provider handed out reports each finished call to the observer set with SetObserver
// (the server's Prometheus metrics), so callers never wrap providers themselves.
//
// Thread safety: after building, Find/Default/names may be called from any thread; SetObserver
// may be called at any time (calls already running report to whichever observer is set when
// they finish).
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "config/config.h"
#include "llm/local_model.h"
#include "llm/provider.h"

namespace troupe::llm {

class ProviderRegistry {
 public:
  explicit ProviderRegistry(std::string default_name = "local");
  ~ProviderRegistry();
  ProviderRegistry(const ProviderRegistry&) = delete;
  ProviderRegistry& operator=(const ProviderRegistry&) = delete;

  // Registers `provider` under its info().name. kConflict when the name is taken.
  Status Add(std::unique_ptr<Provider> provider);
  // A name that is known but cannot serve now (the local engine without a model): Find returns
  // `why`, which must be an error.
  Status AddUnavailable(std::string name, Status why);

  // The provider called `name` ("" = the default). kNotFound listing the configured names for an
  // unknown name; the stored error for an unavailable one.
  Result<Provider*> Find(std::string_view name) const;
  Result<Provider*> Default() const { return Find(""); }
  const std::string& default_name() const { return default_name_; }
  // Every configured name, sorted, unavailable ones included.
  std::vector<std::string> names() const;

  // Where finished calls are reported; null for nowhere. `observer` must outlive the registry or
  // be replaced first.
  void SetObserver(ProviderObserver* observer) { observer_.store(observer); }

 private:
  std::string default_name_;
  std::atomic<ProviderObserver*> observer_{nullptr};
  std::map<std::string, std::unique_ptr<Provider>, std::less<>> providers_;  // wrapped
  std::map<std::string, Status, std::less<>> unavailable_;
};

// The registry for `config`: "local" over `local_model` (null: registered as unavailable with
// `missing_model_hint`, e.g. how to get a model) with model.context_length, cache_slots and
// max_queued_requests (and `draft_model` for speculative decoding), and every configured remote provider. kInvalidArgument naming the
// provider for settings the providers refuse.
Result<std::unique_ptr<ProviderRegistry>> BuildProviderRegistry(const config::Config& config,
                                                                 std::shared_ptr<LocalModel> local_model,
                                                                 std::string missing_model_hint = {},
                                                                 std::shared_ptr<LocalModel> draft_model = {});

}  // namespace troupe::llm
