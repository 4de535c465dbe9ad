// The table of every setting `config::Load` knows: its key, environment name, description, how its
// text is checked and applied, and how `troupe config show` prints it (secrets hidden); and the
// same for each field of a `providers.<name>` entry. Private to src/config (the `_internal.h`
// suffix): the loader (config.cpp) walks the table, and the rest of Troupe sees it only as
// `config::Settings()`.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "config/config.h"

namespace troupe::config {

// One setting: how to read it from text, check it, and print it back.
struct SettingSpec {
  SettingInfo info;
  // Sets the value from text; returns "" or what is wrong with the text.
  std::function<std::string(Config&, const std::string&)> apply;
  std::function<std::string(const Config&)> format;
  // How `config show` prints a secret value; empty for settings that are not secret.
  std::function<std::string(const std::string&)> redact;
};

// One field of a `providers.<name>` entry.
struct ProviderFieldSpec {
  std::string field;  // "base_url"
  std::string description;
  bool secret = false;
  std::function<std::string(ProviderConfig&, const std::string&)> apply;
  std::function<std::string(const ProviderConfig&)> format;
  // How `config show` prints the value; empty: as it is.
  std::function<std::string(const std::string&)> redact;
};

// Every top-level setting, in the order `config show` prints them (grouped by section).
const std::vector<SettingSpec>& Specs();
// The setting called `key` ("server.listen"), or null.
const SettingSpec* FindSpec(const std::string& key);
// Whether `prefix` ("server") is a section some setting lives under.
bool IsSectionPrefix(const std::string& prefix);

// Every field of a provider entry, in the order `config show` prints them.
const std::vector<ProviderFieldSpec>& ProviderFields();
// The field called `field` ("base_url"), or null.
const ProviderFieldSpec* FindProviderField(const std::string& field);
// A provider name or field as it appears in an environment variable: upper case, '-' as '_'.
std::string ProviderEnvName(const std::string& name);
// "" for a valid provider name, else what is wrong with it. Names become YAML keys and
// environment variable names, so they stay plain.
std::string CheckProviderName(const std::string& name);

}  // namespace troupe::config
