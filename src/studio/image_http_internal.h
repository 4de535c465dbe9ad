// The blocking HTTP calls of the remote image providers, with the rules an address taken from a
// service's answer needs: http(s) only, no user name in the URL, the host on the allowed list,
// the address actually connected to checked (not loopback, private or link-local unless allowed),
// no redirects, no proxy from the environment, the answer capped in size, a timeout, and a
// cancellation flag polled while the transfer runs. Private to the studio library.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace troupe::studio {

struct ImageHttpCall {
  std::string service;  // "the OpenAI images service": how errors name who answered
  std::string method = "POST";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  int64_t timeout_ms = 120'000;
  size_t max_response_bytes = 32u << 20;
  bool refuse_private_addresses = false;
};

struct ImageHttpAnswer {
  long status = 0;
  std::string body;
};

// The answer, whatever its HTTP status; a Status only when there is none: kUnavailable (no
// connection, or `cancelled`), kDeadlineExceeded, kPermissionDenied (a private address refused),
// kPayloadTooLarge (over the cap).
Result<ImageHttpAnswer> PerformImageHttp(const ImageHttpCall& call, const std::atomic<bool>& cancelled);

// Ok for 2xx; otherwise the status code openai_provider.h's mapping gives the HTTP status, with
// the service's own error message ("error.message", "error", "detail") quoted, shortened.
Status StatusOfImageAnswer(const ImageHttpAnswer& answer, const std::string& service);

// The lowercased host of an http(s) URL on `allowed_hosts`; kPermissionDenied (field `field`) for
// another scheme, a user name, or a host not on the list; kInvalidArgument for a URL that does not
// parse.
Result<std::string> CheckImageUrl(const std::string& url, const std::vector<std::string>& allowed_hosts,
                                  const std::string& field);

// `base_url` without trailing slashes, followed by `path`.
std::string JoinImageUrl(const std::string& base_url, const std::string& path);

}  // namespace troupe::studio
