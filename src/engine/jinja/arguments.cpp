#include "engine/jinja/arguments.h"

#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {

BoundArguments::BoundArguments(std::string_view function, const CallArguments& arguments,
                               std::initializer_list<std::string_view> parameters)
    : function_(function), names_(parameters), values_(parameters.size(), nullptr) {
  if (arguments.positional.size() > names_.size()) {
    ThrowTemplateError(function_ + "() takes at most " + std::to_string(names_.size()) + " argument(s) (" +
                       std::to_string(arguments.positional.size()) + " given)");
  }
  for (size_t i = 0; i < arguments.positional.size(); ++i) values_[i] = &arguments.positional[i];
  for (const auto& [name, value] : arguments.keyword) {
    size_t index = 0;
    while (index < names_.size() && names_[index] != name) ++index;
    if (index == names_.size()) ThrowTemplateError(function_ + "() got an unexpected keyword argument '" + name + "'");
    if (values_[index] != nullptr) ThrowTemplateError(function_ + "() got multiple values for argument '" + name + "'");
    values_[index] = &value;
  }
}

const Value* BoundArguments::Find(std::string_view name) const {
  for (size_t i = 0; i < names_.size(); ++i) {
    if (names_[i] == name) return values_[i];
  }
  return nullptr;
}

Value BoundArguments::Get(std::string_view name, Value fallback) const {
  const Value* value = Find(name);
  return value != nullptr ? *value : fallback;
}

const Value& BoundArguments::Require(std::string_view name) const {
  const Value* value = Find(name);
  if (value == nullptr) ThrowTemplateError(function_ + "() missing required argument '" + std::string(name) + "'");
  return *value;
}

std::optional<std::string> BoundArguments::OptionalString(std::string_view name) const {
  const Value* value = Find(name);
  if (value == nullptr || value->IsNone()) return std::nullopt;
  if (!value->IsString()) {
    ThrowTemplateError(function_ + "() argument '" + std::string(name) + "' must be str, not " +
                       std::string(value->TypeName()));
  }
  return value->AsString();
}

int64_t BoundArguments::Int(std::string_view name, int64_t fallback) const {
  const Value* value = Find(name);
  if (value == nullptr || value->IsNone()) return fallback;
  if (!value->IsInteger()) {
    ThrowTemplateError(function_ + "() argument '" + std::string(name) + "' must be an integer, not " +
                       std::string(value->TypeName()));
  }
  return value->AsInt();
}

bool BoundArguments::Bool(std::string_view name, bool fallback) const {
  const Value* value = Find(name);
  return value != nullptr ? value->Truthy() : fallback;
}

}  // namespace troupe::engine::jinja
