// Python semantics for what templates do with values: arithmetic (int overflow is an error, not
// a wrap), `in`, attribute and item lookup (missing things are Undefined, as in Jinja2; using an
// Undefined further raises its hint), iteration and slicing. Errors are TemplateError.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "engine/jinja/ast.h"
#include "engine/jinja/value.h"

namespace troupe::engine::jinja {

// + - * / // % ** ~. `max_bytes` bounds strings and lists the operator builds.
Value Arithmetic(BinaryOp op, const Value& left, const Value& right, size_t max_bytes);
Value Negate(const Value& value);
bool Contains(const Value& container, const Value& item);

// `object.name`: dict keys and namespace attributes; str and dict methods become bound methods.
Value GetAttribute(const Value& object, const std::string& name);
// `object[key]`: dict keys, list and str indices (negative from the end).
Value GetItem(const Value& object, const Value& key);
// `object[start:stop:step]` on lists and strings.
Value Slice(const Value& object, const std::optional<int64_t>& start, const std::optional<int64_t>& stop,
            const std::optional<int64_t>& step);

// What `for` walks: list items, dict keys, the characters of a string; Undefined is empty.
ValueList Iterate(const Value& value);

// Raises the UndefinedError of an undefined value (its hint).
[[noreturn]] void FailUndefined(const Value& undefined);

}  // namespace troupe::engine::jinja
