// Hides credentials before a value reaches a log line, an error message or `config show`.
#pragma once

#include <string>
#include <string_view>

namespace troupe {

// Whether a parameter or field name looks like it holds a credential: it contains token, key,
// secret, password, passwd, pwd, sig, auth or credential (any case).
bool LooksLikeSecretName(std::string_view name);

// "postgres://user:secret@host/db" -> "postgres://user:***@host/db"; query and fragment values
// whose names look secret ("?token=abc&sslmode=require" -> "?token=***&sslmode=require"); in
// key=value connection strings "password=secret" -> "password=***". Anything without credentials
// comes back unchanged.
std::string RedactUrlCredentials(std::string_view url);

// Masks credentials anywhere in free text, such as an upstream's error message: every URL as
// RedactUrlCredentials does, "Bearer <token>", "sk-..." style API keys, and name=value or
// "name": "value" pairs whose name looks secret.
std::string RedactSecrets(std::string_view text);

}  // namespace troupe
