// The macros of the Character Card ecosystem, as SillyTavern expands them: {{char}} and {{user}}
// (any case, spaces inside the braces allowed) and the older <BOT> and <USER>. Unknown {{...}}
// macros are left as written so a card that uses one shows it rather than losing text.
#pragma once

#include <string>
#include <string_view>

namespace troupe::chat {

struct MacroValues {
  std::string char_name;  // {{char}}, <BOT>
  std::string user_name;  // {{user}}, <USER>
};

std::string ExpandMacros(std::string_view text, const MacroValues& values);

}  // namespace troupe::chat
