// The conversation flow a generated character starts with (chat/flow.h; docs/flows.md): one small
// flow per role for adults, and for a minor a friendship-only flow whatever the role (no flirty or
// romantic stage, no romantic wording), which passes the flow validator's safety gate. An operator
// edits the flow afterwards like any other. Pure and thread-safe.
#pragma once

#include <string_view>

#include "studio/character_steps.h"

namespace troupe::studio {

// The flow YAML for `role`; the friendship-only flow when `minor`.
std::string_view RoleFlowYaml(CharacterRole role, bool minor);

}  // namespace troupe::studio
