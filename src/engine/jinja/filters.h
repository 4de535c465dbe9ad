// Jinja2's builtin filters (`value | name(args)`) and tests (`value is name(args)`), with the
// Hugging Face tojson. Only the ones chat templates use are here; any other name fails when it
// is applied ("No filter named 'x'.", as Jinja2 says).
#pragma once

#include <string>
#include <string_view>

#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

class Renderer;

bool HasFilter(std::string_view name);
bool HasTest(std::string_view name);

// Both throw TemplateError for bad arguments or a value of the wrong type.
Value ApplyFilter(std::string_view name, const Value& value, const CallArguments& arguments, Renderer& renderer);
bool ApplyTest(std::string_view name, const Value& value, const CallArguments& arguments, Renderer& renderer);

}  // namespace troupe::engine::jinja
