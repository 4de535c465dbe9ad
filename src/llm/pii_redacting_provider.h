// A provider that replaces personal data (e-mail addresses, phone numbers, card numbers, IBANs:
// base/pii.h) in everything it sends with placeholders ("[email]", ...) before the request leaves:
// message texts, tool-call arguments and tool results. For remote providers an operator may not
// send customers' data to (`providers.<name>.redact_pii`). The reply comes back as the model wrote
// it; what it cannot know it cannot repeat.
#pragma once

#include <memory>

#include "llm/provider.h"

namespace troupe::llm {

std::unique_ptr<Provider> RedactPersonalData(std::unique_ptr<Provider> inner);

// The request as RedactPersonalData sends it on.
ChatRequest WithoutPersonalData(ChatRequest request);

}  // namespace troupe::llm
