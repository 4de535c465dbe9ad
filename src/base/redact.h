// Hides credentials before a value reaches a log line, an error message or `config show`.
#pragma once

#include <string>
#include <string_view>

namespace troupe {

// "postgres://user:secret@host/db" -> "postgres://user:***@host/db"; in key=value connection
// strings "password=secret" -> "password=***". Anything without credentials comes back unchanged.
std::string RedactUrlCredentials(std::string_view url);

}  // namespace troupe
