// Characters: every card field, a unique slug derived from the name, and optimistic versioning.
#include <algorithm>
#include <cctype>

#include "store/repo/repositories.h"

namespace troupe::store::repo {
namespace {

// Every column but id, in the order CharacterValues binds them.
constexpr std::string_view kFields =
    "slug, name, description, personality, scenario, first_mes, mes_example, creator_notes, "
    "system_prompt, post_history_instructions, alternate_greetings, character_book_json, tags, creator, "
    "character_version, extensions_json, nickname, creator_notes_multilingual_json, source, "
    "group_only_greetings, assets_json, creation_date, modification_date, flow, avatar, published, "
    "version, created_at, updated_at";
constexpr int kFieldCount = 29;

std::string Columns() { return "id, " + std::string(kFields); }

std::vector<sql::Value> CharacterValues(const Character& c) {
  return {c.slug,
          c.name,
          c.description,
          c.personality,
          c.scenario,
          c.first_mes,
          c.mes_example,
          c.creator_notes,
          c.system_prompt,
          c.post_history_instructions,
          EncodeStringArray(c.alternate_greetings),
          sql::NullIfEmpty(c.character_book_json),
          EncodeStringArray(c.tags),
          c.creator,
          c.character_version,
          c.extensions_json,
          c.nickname,
          sql::NullIfEmpty(c.creator_notes_multilingual_json),
          EncodeStringArray(c.source),
          EncodeStringArray(c.group_only_greetings),
          sql::NullIfEmpty(c.assets_json),
          sql::Nullable(c.creation_date),
          sql::Nullable(c.modification_date),
          c.flow,
          c.avatar,
          c.published,
          c.version,
          c.created_at,
          c.updated_at};
}

Character ReadCharacter(const sql::Row& row) {
  sql::RowReader read(row);
  Character c;
  c.id = read.Int();
  c.slug = read.Text();
  c.name = read.Text();
  c.description = read.Text();
  c.personality = read.Text();
  c.scenario = read.Text();
  c.first_mes = read.Text();
  c.mes_example = read.Text();
  c.creator_notes = read.Text();
  c.system_prompt = read.Text();
  c.post_history_instructions = read.Text();
  c.alternate_greetings = DecodeStringArray(read.Text());
  c.character_book_json = read.Text();
  c.tags = DecodeStringArray(read.Text());
  c.creator = read.Text();
  c.character_version = read.Text();
  c.extensions_json = read.Text();
  c.nickname = read.Text();
  c.creator_notes_multilingual_json = read.Text();
  c.source = DecodeStringArray(read.Text());
  c.group_only_greetings = DecodeStringArray(read.Text());
  c.assets_json = read.Text();
  c.creation_date = read.OptionalInt();
  c.modification_date = read.OptionalInt();
  c.flow = read.Text();
  c.avatar = read.Text();
  c.published = read.Bool();
  c.version = read.Int();
  c.created_at = read.Int();
  c.updated_at = read.Int();
  return c;
}

bool IsSlugCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

Status ValidateSlug(const std::string& slug) {
  if (slug.size() > 100 || slug.front() == '-' || slug.front() == '.' ||
      !std::all_of(slug.begin(), slug.end(), IsSlugCharacter)) {
    return InvalidArgument("slug must be 1-100 lowercase letters, digits, '-', '_' or '.', not starting "
                           "with '-' or '.'",
                           "slug");
  }
  return Status::Ok();
}

Status Validate(Character& c) {
  if (c.name.empty()) return InvalidArgument("name must not be empty", "name");
  if (c.extensions_json.empty()) c.extensions_json = "{}";
  TROUPE_RETURN_IF_ERROR(ValidateJson(c.extensions_json, "extensions_json", false, JsonShape::kObject));
  TROUPE_RETURN_IF_ERROR(ValidateJson(c.character_book_json, "character_book_json", true, JsonShape::kObject));
  TROUPE_RETURN_IF_ERROR(ValidateJson(c.creator_notes_multilingual_json, "creator_notes_multilingual_json",
                                      true, JsonShape::kObject));
  TROUPE_RETURN_IF_ERROR(ValidateJson(c.assets_json, "assets_json", true, JsonShape::kArray));
  if (!c.slug.empty()) TROUPE_RETURN_IF_ERROR(ValidateSlug(c.slug));
  return Status::Ok();
}

// "Seraphina the Bold!" -> "seraphina-the-bold". Non-ASCII letters are dropped; a name with
// nothing usable becomes "character".
std::string SlugFromName(std::string_view name) {
  std::string slug;
  for (char raw : name) {
    const auto c = static_cast<unsigned char>(raw);
    if (std::isalnum(c) && c < 0x80) {
      slug += static_cast<char>(std::tolower(c));
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() >= 80) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  return slug.empty() ? "character" : slug;
}

class Characters final : public CharacterRepository {
 public:
  explicit Characters(const Context& context) : context_(context) {}

  Result<Character> Create(Character character) override {
    TROUPE_RETURN_IF_ERROR(Validate(character));
    character.version = 1;
    character.created_at = character.updated_at = context_.Now();
    const bool derive_slug = character.slug.empty();
    // PostgreSQL lets two creators pick the same free slug at once; the loser retries.
    for (int attempt = 0;; ++attempt) {
      Result<Character> created = TryCreate(character, derive_slug);
      if (created.ok() || !derive_slug || created.status().code() != StatusCode::kConflict || attempt == 4) {
        return created;
      }
    }
  }

  Result<Character> Get(int64_t id) override {
    return GetWhere("id = $1", id, "character " + std::to_string(id) + " not found");
  }

  Result<Character> GetBySlug(std::string_view slug) override {
    return GetWhere("slug = $1", std::string(slug), "no character with slug '" + std::string(slug) + "'");
  }

  Result<Character> Update(Character character) override {
    TROUPE_RETURN_IF_ERROR(Validate(character));
    const int64_t expected_version = character.version;
    character.version = expected_version + 1;
    character.updated_at = context_.Now();
    std::vector<sql::Value> params = CharacterValues(character);
    params.emplace_back(character.id);
    params.emplace_back(expected_version);
    // Every field but created_at; the version in the WHERE clause is the optimistic lock.
    std::string assignments;
    size_t start = 0;
    for (int index = 1; index <= kFieldCount; ++index) {
      const size_t comma = std::string_view(kFields).find(',', start);
      const std::string_view field = std::string_view(kFields).substr(start, comma - start);
      start = comma == std::string_view::npos ? comma : comma + 2;
      if (field == "created_at") continue;
      if (!assignments.empty()) assignments += ", ";
      const std::string param = "$" + std::to_string(index);
      // An empty slug keeps the current one.
      assignments += std::string(field) + " = " +
                     (field == "slug" ? "COALESCE(NULLIF(" + param + ", ''), slug)" : param);
    }
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    Result<sql::Rows> rows = connection->Query(
        "UPDATE characters SET " + assignments + " WHERE id = $" + std::to_string(kFieldCount + 1) +
            " AND version = $" + std::to_string(kFieldCount + 2) + " RETURNING " + Columns(),
        params);
    if (!rows.ok()) return SlugTaken(character.slug, rows.status());
    if (!rows->empty()) return ReadCharacter(rows->front());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows current,
                            connection->Query("SELECT version FROM characters WHERE id = $1", {character.id}));
    if (current.empty()) return NotFound("character " + std::to_string(character.id) + " not found");
    return FieldError(StatusCode::kConflict,
                      "character " + std::to_string(character.id) + " was changed by someone else (version " +
                          std::to_string(current.front().Int(0)) + ", the update was for version " +
                          std::to_string(expected_version) + ")",
                      "version");
  }

  Status Delete(int64_t id) override {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    Result<int64_t> changed = connection->Exec("DELETE FROM characters WHERE id = $1", {id});
    if (!changed.ok()) {
      if (changed.status().code() != StatusCode::kConflict) return changed.status();
      return Conflict("character " + std::to_string(id) + " still has conversations");
    }
    if (*changed == 0) return NotFound("character " + std::to_string(id) + " not found");
    return Status::Ok();
  }

  Result<Page<Character>> List(const CharacterQuery& query) override {
    const int limit = PageLimit(query.page);
    std::vector<sql::Value> params;
    std::string where = "TRUE";
    if (!query.page.cursor.empty()) {
      TROUPE_ASSIGN_OR_RETURN(std::vector<int64_t> keys, DecodeCursor(query.page.cursor, 1));
      where += " AND id > " + Bind(params, keys[0]);
    }
    if (query.published) where += " AND published = " + Bind(params, *query.published);
    if (!query.tag.empty()) {
      where += " AND " + context_.dialect->JsonArrayContains("tags", Bind(params, query.tag));
    }
    if (!query.search.empty()) {
      const std::string pattern = Bind(params, ContainsPattern(query.search));
      const std::string like = " " + std::string(context_.dialect->CaseInsensitiveLike()) + " " + pattern +
                               " ESCAPE '\\'";
      where += " AND (name" + like + " OR nickname" + like + " OR description" + like + " OR " +
               context_.dialect->JsonAsText("tags") + like + ")";
    }
    const std::string limit_param = Bind(params, int64_t{limit + 1});
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(sql::Rows rows,
                            connection->Query("SELECT " + Columns() + " FROM characters WHERE " + where +
                                                  " ORDER BY id LIMIT " + limit_param,
                                              params));
    std::vector<Character> characters;
    for (const sql::Row& row : rows) characters.push_back(ReadCharacter(row));
    return MakePage(std::move(characters), limit,
                    [](const Character& c) { return std::vector<int64_t>{c.id}; });
  }

 private:
  Result<Character> TryCreate(Character character, bool derive_slug) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(auto transaction, sql::Transaction::Begin(*connection, sql::TransactionMode::kWrite));
    if (derive_slug) {
      TROUPE_ASSIGN_OR_RETURN(character.slug, FreeSlug(*connection, SlugFromName(character.name)));
    }
    std::string placeholders;
    for (int index = 1; index <= kFieldCount; ++index) {
      placeholders += (index > 1 ? ", $" : "$") + std::to_string(index);
    }
    Result<sql::Rows> rows = connection->Query("INSERT INTO characters (" + std::string(kFields) +
                                                   ") VALUES (" + placeholders + ") RETURNING id",
                                               CharacterValues(character));
    if (!rows.ok()) return SlugTaken(character.slug, rows.status());
    character.id = rows->at(0).Int(0);
    TROUPE_RETURN_IF_ERROR(transaction.Commit());
    return character;
  }

  // `base`, or the first of base-2, base-3... that no character uses.
  static Result<std::string> FreeSlug(sql::Connection& connection, const std::string& base) {
    // The base holds only [a-z0-9-], so it needs no LIKE escaping.
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection.Query("SELECT slug FROM characters WHERE slug = $1 OR slug LIKE $2", {base, base + "-%"}));
    std::vector<std::string> taken;
    for (const sql::Row& row : rows) taken.push_back(row.Text(0));
    const auto is_taken = [&](const std::string& slug) {
      return std::find(taken.begin(), taken.end(), slug) != taken.end();
    };
    if (!is_taken(base)) return base;
    for (int suffix = 2;; ++suffix) {
      std::string candidate = base + "-" + std::to_string(suffix);
      if (!is_taken(candidate)) return candidate;
    }
  }

  static Status SlugTaken(const std::string& slug, const Status& status) {
    if (status.code() != StatusCode::kConflict) return status;
    return FieldError(StatusCode::kConflict, "the slug '" + slug + "' is taken", "slug");
  }

  Result<Character> GetWhere(std::string_view condition, sql::Value key, std::string not_found) {
    TROUPE_ASSIGN_OR_RETURN(auto connection, context_.pool->Acquire());
    TROUPE_ASSIGN_OR_RETURN(
        sql::Rows rows,
        connection->Query("SELECT " + Columns() + " FROM characters WHERE " + std::string(condition),
                          {std::move(key)}));
    if (rows.empty()) return NotFound(std::move(not_found));
    return ReadCharacter(rows.front());
  }

  Context context_;
};

}  // namespace

std::unique_ptr<CharacterRepository> NewCharacterRepository(const Context& context) {
  return std::make_unique<Characters>(context);
}

}  // namespace troupe::store::repo
