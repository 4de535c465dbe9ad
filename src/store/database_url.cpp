#include "store/database_url.h"

#include <cctype>

#include "base/redact.h"
#include "store/store.h"

namespace troupe::store {
namespace {

// "host=localhost dbname=troupe": the first token is a libpq keyword followed by '='.
bool LooksLikeConninfo(std::string_view text) {
  size_t i = 0;
  while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
  const size_t start = i;
  while (i < text.size() && (std::isalnum(static_cast<unsigned char>(text[i])) || text[i] == '_')) ++i;
  if (i == start) return false;
  while (i < text.size() && text[i] == ' ') ++i;
  return i < text.size() && text[i] == '=';
}

}  // namespace

Result<DatabaseTarget> ParseDatabaseUrl(std::string_view url) {
  if (url.empty()) return InvalidArgument("the database URL is empty", "store.url");
  DatabaseTarget target;
  if (url.starts_with("postgres://") || url.starts_with("postgresql://") || LooksLikeConninfo(url)) {
    target.backend = DatabaseTarget::Backend::kPostgres;
    target.location = std::string(url);
    return target;
  }
  std::string_view path = url;
  if (path.starts_with("sqlite://")) {
    path.remove_prefix(9);  // sqlite:///abs/path keeps its leading '/'
  } else if (path.starts_with("sqlite:")) {
    path.remove_prefix(7);
  } else if (const size_t scheme_end = path.find("://"); scheme_end != std::string_view::npos) {
    return InvalidArgument("unsupported database URL scheme '" + std::string(path.substr(0, scheme_end)) +
                               "' in " + RedactDatabaseUrl(url) + " (use sqlite:// or postgres://)",
                           "store.url");
  }
  if (const size_t query = path.find('?'); query != std::string_view::npos) path = path.substr(0, query);
  if (path.empty()) return InvalidArgument("the SQLite URL names no file", "store.url");
  target.location = std::string(path);
  return target;
}

std::string RedactDatabaseUrl(std::string_view url) { return RedactUrlCredentials(url); }

}  // namespace troupe::store
