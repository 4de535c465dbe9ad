// Events pushed to an operator's HTTP endpoint (so far: messages a character wrote first, for
// services that forward them to users' phones). Each event is a durable job (kWebhookJob): it
// survives a restart, and a failed delivery (transport error, timeout, non-2xx answer) is retried
// by the job runner while attempts remain.
//
// The request: POST, Content-Type application/json, body {"id", "type", "created_at", "data"};
// headers X-Troupe-Event (the type), X-Troupe-Delivery (the job id, stable across retries, so the
// receiver can drop duplicates) and, when a secret is configured, X-Troupe-Timestamp (seconds) and
// X-Troupe-Signature: "sha256=" + hex HMAC-SHA256(secret, timestamp + "." + body).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "base/clock.h"
#include "base/status.h"
#include "store/store.h"

namespace troupe::server {

inline constexpr std::string_view kWebhookJob = "webhook.deliver";

struct WebhookOptions {
  std::string url;     // http:// or https://; "" = no webhook
  std::string secret;  // "" = unsigned
  int timeout_seconds = 10;
  const Clock* clock = nullptr;  // nullptr: the system clock (the timestamp header)
};

// Enqueues one event for delivery (up to 5 attempts).
Result<store::Job> EnqueueWebhookEvent(store::Store& store, std::string_view type, nlohmann::json data);

// POSTs the job's event. The result names the HTTP status; an error says what failed (the status
// and the start of the answer for a non-2xx reply).
Result<nlohmann::json> DeliverWebhookEvent(const store::Job& job, const WebhookOptions& options);

// The X-Troupe-Signature value for `body` sent at `timestamp` (for receivers' tests and docs).
std::string WebhookSignature(std::string_view secret, std::string_view timestamp, std::string_view body);

}  // namespace troupe::server
