// A provider that reports every finished call (time to first token, tokens/s, tokens in and out, or
// the error's code) to an observer, so the server can keep Prometheus metrics per provider without
// the providers knowing about metrics. ProviderRegistry wraps its providers this way itself.
#pragma once

#include <memory>

#include "llm/provider.h"

namespace troupe::llm {

// Wraps `inner`; `observer` must outlive the result.
std::unique_ptr<Provider> Observe(std::unique_ptr<Provider> inner, ProviderObserver& observer);

// The record of one finished call of `provider` that took `total_ms`.
ProviderCallRecord MakeCallRecord(const std::string& provider, const Result<ChatResult>& result, double total_ms);

}  // namespace troupe::llm
