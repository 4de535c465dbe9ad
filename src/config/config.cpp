// The loader: defaults, then the YAML file, the environment and flags, every value applied through
// the settings table (settings_table_internal.h) so an error names the layer it came from; and
// `config show`'s rendering of the result.
#include "config/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/redact.h"
#include "config/settings_table_internal.h"

extern char** environ;

namespace troupe::config {
namespace {

// Where a value being applied came from, so its error can point there.
struct Origin {
  ValueSource source;
  std::string location;  // "troupe.yaml:3:9", "TROUPE_STORE_URL", "--listen"
};

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggestion(const std::string& key) {
  const SettingSpec* best = nullptr;
  size_t best_distance = 4;  // beyond this a suggestion is more confusing than helpful
  for (const auto& spec : Specs()) {
    const size_t distance = EditDistance(key, spec.info.key);
    if (distance < best_distance) {
      best_distance = distance;
      best = &spec;
    }
  }
  return best == nullptr ? "" : " (did you mean '" + best->info.key + "'?)";
}

Status ApplyValue(LoadedConfig& loaded, const SettingSpec& spec, const std::string& text,
                  const Origin& origin) {
  const std::string problem = spec.apply(loaded.config, text);
  if (!problem.empty()) {
    return InvalidArgument(origin.location + ": " + spec.info.key + ": " + problem, spec.info.key);
  }
  loaded.sources[spec.info.key] = origin.source;
  return Status::Ok();
}

std::string MarkOf(const std::string& file_name, const YAML::Mark& mark) {
  // yaml-cpp counts from 0; editors count from 1.
  return file_name + ":" + std::to_string(mark.line + 1) + ":" + std::to_string(mark.column + 1);
}

std::string ProviderFieldSuggestion(const std::string& field) {
  const ProviderFieldSpec* best = nullptr;
  size_t best_distance = 4;
  for (const auto& spec : ProviderFields()) {
    const size_t distance = EditDistance(field, spec.field);
    if (distance < best_distance) {
      best_distance = distance;
      best = &spec;
    }
  }
  return best == nullptr ? "" : " (did you mean '" + best->field + "'?)";
}

Status ApplyProviderValue(LoadedConfig& loaded, const std::string& name, const ProviderFieldSpec& spec,
                          const std::string& text, const Origin& origin) {
  const std::string key = "providers." + name + "." + spec.field;
  const std::string problem = spec.apply(loaded.config.providers[name], text);
  if (!problem.empty()) return InvalidArgument(origin.location + ": " + key + ": " + problem, key);
  loaded.sources[key] = origin.source;
  return Status::Ok();
}

// `providers:` maps each name to its fields.
Status ApplyProvidersNode(LoadedConfig& loaded, const YAML::Node& node, const std::string& file_name) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return InvalidArgument(MarkOf(file_name, node.Mark()) + ": 'providers' must map provider names to their settings",
                           "providers");
  }
  for (const auto& entry : node) {
    const YAML::Node& name_node = entry.first;
    const YAML::Node& fields = entry.second;
    const std::string where = MarkOf(file_name, name_node.Mark());
    if (!name_node.IsScalar()) return InvalidArgument(where + ": provider names must be plain names", "providers");
    const std::string name = name_node.Scalar();
    const std::string key = "providers." + name;
    if (std::string problem = CheckProviderName(name); !problem.empty()) {
      return InvalidArgument(where + ": " + key + ": " + problem, key);
    }
    if (name == "local") {
      return InvalidArgument(where + ": " + key + ": 'local' is the in-process model (configured under model)", key);
    }
    if (!fields.IsMap()) {
      return InvalidArgument(where + ": " + key + " must be a mapping of settings (base_url, model, ...)", key);
    }
    loaded.config.providers[name];  // declared, even before its fields are checked
    loaded.sources[key] = {"file", file_name + ":" + std::to_string(name_node.Mark().line + 1)};
    for (const auto& field_entry : fields) {
      const YAML::Node& field_node = field_entry.first;
      const YAML::Node& value = field_entry.second;
      const std::string field_where = MarkOf(file_name, field_node.Mark());
      if (!field_node.IsScalar()) return InvalidArgument(field_where + ": keys must be plain names", key);
      const std::string field = field_node.Scalar();
      const ProviderFieldSpec* spec = FindProviderField(field);
      if (spec == nullptr) {
        return InvalidArgument(field_where + ": unknown key '" + key + "." + field + "'" + ProviderFieldSuggestion(field),
                               key + "." + field);
      }
      if (value.IsMap() || value.IsSequence()) {
        return InvalidArgument(field_where + ": " + key + "." + field + ": expected a single value, not a " +
                                   (value.IsMap() ? "mapping" : "list"),
                               key + "." + field);
      }
      const std::string text = value.IsNull() ? "" : value.Scalar();
      const std::string value_mark = MarkOf(file_name, value.IsNull() ? field_node.Mark() : value.Mark());
      const std::string file_line = file_name + ":" + std::to_string(field_node.Mark().line + 1);
      TROUPE_RETURN_IF_ERROR(ApplyProviderValue(loaded, name, *spec, text, Origin{{"file", file_line}, value_mark}));
    }
  }
  return Status::Ok();
}

// TROUPE_PROVIDERS_<NAME>_<FIELD>: the name is matched against the providers already declared
// (upper-cased, '-' as '_'), else declares a new one named in lower case.
Status ApplyProviderEnvironment(LoadedConfig& loaded, const std::map<std::string, std::string>& environment) {
  static constexpr std::string_view kPrefix = "TROUPE_PROVIDERS_";
  for (const auto& [variable, text] : environment) {
    if (variable.rfind(kPrefix, 0) != 0) continue;
    const std::string rest = variable.substr(kPrefix.size());
    const ProviderFieldSpec* field = nullptr;
    std::string env_name;
    for (const auto& spec : ProviderFields()) {
      const std::string suffix = "_" + ProviderEnvName(spec.field);
      if (rest.size() > suffix.size() && rest.compare(rest.size() - suffix.size(), suffix.size(), suffix) == 0 &&
          (field == nullptr || spec.field.size() > field->field.size())) {
        field = &spec;
        env_name = rest.substr(0, rest.size() - suffix.size());
      }
    }
    if (field == nullptr) {
      std::string fields;
      for (const auto& spec : ProviderFields()) fields += (fields.empty() ? "" : ", ") + ProviderEnvName(spec.field);
      return InvalidArgument(variable + ": not a provider setting; expected TROUPE_PROVIDERS_<NAME>_<FIELD> with FIELD one of " +
                                 fields,
                             "providers");
    }
    std::string name;
    for (const auto& [declared, unused] : loaded.config.providers) {
      if (ProviderEnvName(declared) == env_name) name = declared;
    }
    if (name.empty()) {
      for (char c : env_name) name += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const std::string key = "providers." + name;
      if (std::string problem = CheckProviderName(name); !problem.empty()) {
        return InvalidArgument(variable + ": " + key + ": " + problem, key);
      }
      if (name == "local") {
        return InvalidArgument(variable + ": " + key + ": 'local' is the in-process model (configured under model)", key);
      }
      loaded.config.providers[name];
      loaded.sources[key] = {"env", variable};
    }
    TROUPE_RETURN_IF_ERROR(ApplyProviderValue(loaded, name, *field, text, Origin{{"env", variable}, variable}));
  }
  return Status::Ok();
}

std::string CheckSecretName(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a secret's name must have 1 to 64 characters, got '" + name + "'";
  for (char c : name) {
    if (!(c >= 'A' && c <= 'Z') && !(c >= '0' && c <= '9') && c != '_') {
      return "a secret's name may hold A-Z, 0-9 and _, got '" + name + "'";
    }
  }
  return "";
}

// `tools.secrets:` maps each secret's NAME to its value.
Status ApplyToolSecretsNode(LoadedConfig& loaded, const YAML::Node& node, const std::string& file_name) {
  if (node.IsNull()) return Status::Ok();
  if (!node.IsMap()) {
    return InvalidArgument(MarkOf(file_name, node.Mark()) + ": 'tools.secrets' must map secret names to values",
                           "tools.secrets");
  }
  for (const auto& entry : node) {
    const std::string where = MarkOf(file_name, entry.first.Mark());
    const std::string name = entry.first.IsScalar() ? entry.first.Scalar() : "";
    const std::string key = "tools.secrets." + name;
    if (std::string problem = CheckSecretName(name); !problem.empty()) {
      return InvalidArgument(where + ": " + key + ": " + problem, key);
    }
    if (!entry.second.IsScalar()) return InvalidArgument(where + ": " + key + ": expected a single value", key);
    loaded.config.tools.secrets[name] = entry.second.Scalar();
    loaded.sources[key] = {"file", file_name + ":" + std::to_string(entry.first.Mark().line + 1)};
  }
  return Status::Ok();
}

// TROUPE_TOOLS_SECRET_<NAME>.
Status ApplyToolSecretEnvironment(LoadedConfig& loaded, const std::map<std::string, std::string>& environment) {
  static constexpr std::string_view kPrefix = "TROUPE_TOOLS_SECRET_";
  for (const auto& [variable, text] : environment) {
    if (variable.rfind(kPrefix, 0) != 0) continue;
    const std::string name = variable.substr(kPrefix.size());
    const std::string key = "tools.secrets." + name;
    if (std::string problem = CheckSecretName(name); !problem.empty()) {
      return InvalidArgument(variable + ": " + key + ": " + problem, key);
    }
    loaded.config.tools.secrets[name] = text;
    loaded.sources[key] = {"env", variable};
  }
  return Status::Ok();
}

// Checks that span keys, once every layer is applied.
Status ValidateWhole(const LoadedConfig& loaded) {
  for (const auto& [name, provider] : loaded.config.providers) {
    if (provider.base_url.empty()) {
      const ValueSource& declared = loaded.sources.at("providers." + name);
      return InvalidArgument(declared.detail + ": providers." + name + ": base_url is required (e.g. https://api.openai.com/v1)",
                             "providers." + name + ".base_url");
    }
  }
  for (const auto& [key, chosen] : {std::pair<std::string, std::string>{"chat.default_provider", loaded.config.chat.default_provider},
                                     {"chat.summary_provider", loaded.config.chat.summary_provider}}) {
    if (chosen.empty() || chosen == "local" || loaded.config.providers.count(chosen) > 0) continue;
    const ValueSource& source = loaded.sources.at(key);
    std::string known = "local";
    for (const auto& [name, provider] : loaded.config.providers) known += ", " + name;
    return InvalidArgument((source.detail.empty() ? source.kind : source.detail) + ": " + key + ": no provider named '" +
                               chosen + "' (configured: " + known + ")",
                           key);
  }
  return Status::Ok();
}

Status ApplyYamlNode(LoadedConfig& loaded, const YAML::Node& node, const std::string& prefix,
                     const std::string& file_name) {
  if (!node.IsMap()) {
    const std::string what = prefix.empty() ? "the file" : "'" + prefix + "'";
    return InvalidArgument(MarkOf(file_name, node.Mark()) + ": " + what + " must be a mapping of keys to values",
                           prefix);
  }
  for (const auto& entry : node) {
    const YAML::Node& key_node = entry.first;
    const YAML::Node& value = entry.second;
    if (!key_node.IsScalar()) {
      return InvalidArgument(MarkOf(file_name, key_node.Mark()) + ": keys must be plain names", prefix);
    }
    const std::string key = prefix.empty() ? key_node.Scalar() : prefix + "." + key_node.Scalar();
    const std::string where = MarkOf(file_name, key_node.Mark());
    if (key == "providers") {
      TROUPE_RETURN_IF_ERROR(ApplyProvidersNode(loaded, value, file_name));
    } else if (key == "tools.secrets") {
      TROUPE_RETURN_IF_ERROR(ApplyToolSecretsNode(loaded, value, file_name));
    } else if (const SettingSpec* spec = FindSpec(key)) {
      if (value.IsMap() || value.IsSequence()) {
        return InvalidArgument(where + ": " + key + ": expected a single value, not a " +
                                   (value.IsMap() ? "mapping" : "list"),
                               key);
      }
      const std::string text = value.IsNull() ? "" : value.Scalar();
      const std::string value_mark = MarkOf(file_name, value.IsNull() ? key_node.Mark() : value.Mark());
      const std::string file_line = file_name + ":" + std::to_string(key_node.Mark().line + 1);
      TROUPE_RETURN_IF_ERROR(ApplyValue(loaded, *spec, text, Origin{{"file", file_line}, value_mark}));
    } else if (IsSectionPrefix(key)) {
      if (value.IsNull()) continue;  // an empty section keeps its defaults
      TROUPE_RETURN_IF_ERROR(ApplyYamlNode(loaded, value, key, file_name));
    } else {
      return InvalidArgument(where + ": unknown key '" + key + "'" + Suggestion(key), key);
    }
  }
  return Status::Ok();
}

Status ApplyYamlText(LoadedConfig& loaded, const std::string& yaml, const std::string& file_name) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml);
  } catch (const YAML::Exception& error) {
    return InvalidArgument(MarkOf(file_name, error.mark) + ": invalid YAML: " + error.msg);
  }
  if (!root.IsDefined() || root.IsNull()) return Status::Ok();  // empty file: all defaults
  try {
    return ApplyYamlNode(loaded, root, "", file_name);
  } catch (const YAML::Exception& error) {
    return InvalidArgument(MarkOf(file_name, error.mark) + ": " + error.msg);
  }
}

LoadedConfig Defaults() {
  LoadedConfig loaded;
  for (const auto& spec : Specs()) loaded.sources[spec.info.key] = {"default", ""};
  return loaded;
}

}  // namespace

std::string Config::EffectiveStoreUrl() const {
  if (!store.url.empty()) return store.url;
  return "sqlite://" + (std::filesystem::path(data_dir) / "troupe.db").string();
}

Result<LoadedConfig> LoadFromYamlText(const std::string& yaml, const std::string& file_name) {
  LoadedConfig loaded = Defaults();
  TROUPE_RETURN_IF_ERROR(ApplyYamlText(loaded, yaml, file_name));
  TROUPE_RETURN_IF_ERROR(ValidateWhole(loaded));
  return loaded;
}

Result<LoadedConfig> Load(const LoadRequest& request) {
  LoadedConfig loaded = Defaults();

  if (request.file) {
    std::ifstream in(*request.file, std::ios::binary);
    if (!in) {
      return Status(StatusCode::kNotFound, "config file '" + *request.file + "' cannot be read", "--config");
    }
    std::stringstream text;
    text << in.rdbuf();
    TROUPE_RETURN_IF_ERROR(ApplyYamlText(loaded, text.str(), *request.file));
  }

  for (const auto& spec : Specs()) {
    std::vector<std::string> names = {spec.info.env};
    if (spec.info.key == "data_dir") names.insert(names.begin(), "TROUPE_DATA");
    if (spec.info.key == "model.path") names.insert(names.begin(), "TROUPE_MODEL");
    for (const auto& name : names) {
      auto found = request.environment.find(name);
      if (found == request.environment.end()) continue;
      TROUPE_RETURN_IF_ERROR(ApplyValue(loaded, spec, found->second, Origin{{"env", name}, name}));
    }
  }
  TROUPE_RETURN_IF_ERROR(ApplyProviderEnvironment(loaded, request.environment));
  TROUPE_RETURN_IF_ERROR(ApplyToolSecretEnvironment(loaded, request.environment));

  for (const auto& [key, text] : request.flags) {
    const SettingSpec* spec = FindSpec(key);
    if (spec == nullptr) return InvalidArgument("unknown setting '" + key + "'" + Suggestion(key), key);
    auto name = request.flag_names.find(key);
    const std::string flag = name != request.flag_names.end() ? name->second : "--" + key;
    TROUPE_RETURN_IF_ERROR(ApplyValue(loaded, *spec, text, Origin{{"flag", flag}, flag}));
  }
  TROUPE_RETURN_IF_ERROR(ValidateWhole(loaded));
  return loaded;
}

std::string Render(const LoadedConfig& loaded) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  std::string open_section;
  for (const auto& spec : Specs()) {
    const std::string& key = spec.info.key;
    const size_t dot = key.find('.');
    const std::string section = dot == std::string::npos ? "" : key.substr(0, dot);
    const std::string leaf = dot == std::string::npos ? key : key.substr(dot + 1);
    if (section != open_section) {
      if (!open_section.empty()) out << YAML::EndMap;
      if (!section.empty()) out << YAML::Key << section << YAML::Value << YAML::BeginMap;
      open_section = section;
    }
    std::string value = spec.format(loaded.config);
    if (spec.redact) value = spec.redact(value);
    const ValueSource& source = loaded.sources.at(key);
    std::string origin = source.kind + (source.detail.empty() ? "" : " " + source.detail);
    if (key == "store.url" && value.empty()) {
      value = RedactUrlCredentials(loaded.config.EffectiveStoreUrl());
      origin += ", derived from data_dir";
    }
    out << YAML::Key << leaf << YAML::Value << value << YAML::Comment(origin);
    if (key == "tools.max_steps" && !loaded.config.tools.secrets.empty()) {
      out << YAML::Key << "secrets" << YAML::Value << YAML::BeginMap;
      for (const auto& [name, unused] : loaded.config.tools.secrets) {
        const ValueSource& secret_source = loaded.sources.at("tools.secrets." + name);
        out << YAML::Key << name << YAML::Value << "***"
            << YAML::Comment(secret_source.kind + " " + secret_source.detail);
      }
      out << YAML::EndMap;
    }
  }
  if (!open_section.empty()) out << YAML::EndMap;
  if (!loaded.config.providers.empty()) {
    out << YAML::Key << "providers" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, provider] : loaded.config.providers) {
      out << YAML::Key << name << YAML::Value << YAML::BeginMap;
      for (const auto& spec : ProviderFields()) {
        std::string value = spec.format(provider);
        if (spec.redact) value = spec.redact(value);
        auto source = loaded.sources.find("providers." + name + "." + spec.field);
        const std::string origin = source == loaded.sources.end()
                                       ? "default"
                                       : source->second.kind + (source->second.detail.empty() ? "" : " " + source->second.detail);
        out << YAML::Key << spec.field << YAML::Value << value << YAML::Comment(origin);
      }
      out << YAML::EndMap;
    }
    out << YAML::EndMap;
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

std::map<std::string, std::string> TroupeEnvironment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    if (text.rfind("TROUPE_", 0) != 0) continue;
    const size_t equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return variables;
}

}  // namespace troupe::config
