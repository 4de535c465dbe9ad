// What a caller is told when a character's language model fails. A provider's error can carry the
// upstream's URL and whatever the upstream echoed (a rejected key among it), so only operators see
// it: an admin key gets the detail with credentials masked; anyone else a plain sentence per kind
// of failure with the request id, which finds the detail in the log. A refusal of the caller's own
// response_format or tool schemas (kInvalidArgument naming that field) is about the request, so
// every caller gets its detail and field. Every failure is logged once
// here, masked, with the request id.
#pragma once

#include <string>

#include "base/status.h"

namespace troupe::server::api {

// Who is asking, for ForCaller.
struct ErrorAudience {
  bool operator_detail = false;  // an admin key: the masked detail
  std::string request_id;
};

// `error` (from a provider, or from finding one) as the caller may see it: the same code and, for
// a prompt too long for the model's context or a refused response_format or tool schema, the same
// field; the message replaced as described above. Logs the masked detail at warning level.
Status ForCaller(const Status& error, const ErrorAudience& audience);

}  // namespace troupe::server::api
