#include "engine/jinja/globals.h"

#include <ctime>
#include <memory>

#include "engine/jinja/arguments.h"
#include "engine/jinja/renderer.h"
#include "engine/jinja/template_error.h"

namespace troupe::engine::jinja {
namespace {

class RangeFunction : public Callable {
 public:
  std::string_view Name() const override { return "range"; }
  Value Call(CallArguments arguments, Renderer& renderer) const override {
    if (!arguments.keyword.empty()) ThrowTemplateError("range() takes no keyword arguments");
    const auto& given = arguments.positional;
    if (given.empty() || given.size() > 3) ThrowTemplateError("range expected 1 to 3 arguments");
    for (const Value& argument : given) {
      if (!argument.IsInteger()) {
        ThrowTemplateError("'" + std::string(argument.TypeName()) + "' object cannot be interpreted as an integer");
      }
    }
    int64_t start = given.size() == 1 ? 0 : given[0].AsInt();
    int64_t stop = given.size() == 1 ? given[0].AsInt() : given[1].AsInt();
    int64_t step = given.size() == 3 ? given[2].AsInt() : 1;
    if (step == 0) ThrowTemplateError("range() arg 3 must not be zero");
    // Counted in long double so that no subtraction of extreme values can overflow.
    long double span = static_cast<long double>(stop) - static_cast<long double>(start);
    long double count = span / static_cast<long double>(step);
    if (count > static_cast<long double>(kMaxRange)) {
      ThrowTemplateError("Range too big. The sandbox blocks ranges larger than MAX_RANGE (" +
                         std::to_string(kMaxRange) + ").");
    }
    ValueList items;
    for (int64_t i = start; step > 0 ? i < stop : i > stop; i += step) {
      items.push_back(Value::Int(i));
      if (static_cast<int64_t>(items.size()) > kMaxRange) break;
    }
    renderer.Charge(static_cast<int64_t>(items.size()));
    return Value::List(std::move(items));
  }
};

// dict(**kwargs) and namespace(**kwargs) may also start from one mapping.
ValueEntries Entries(const CallArguments& arguments, const char* function) {
  if (arguments.positional.size() > 1) ThrowTemplateError(std::string(function) + "() takes at most one mapping");
  ValueEntries entries;
  if (arguments.positional.size() == 1) {
    if (!arguments.positional[0].IsDict()) ThrowTemplateError(std::string(function) + "() argument must be a mapping");
    entries = arguments.positional[0].AsDict();
  }
  for (const auto& [name, value] : arguments.keyword) {
    bool replaced = false;
    for (auto& entry : entries) {
      if (entry.first.IsString() && entry.first.AsString() == name) {
        entry.second = value;
        replaced = true;
      }
    }
    if (!replaced) entries.emplace_back(Value::String(name), value);
  }
  return entries;
}

class DictFunction : public Callable {
 public:
  std::string_view Name() const override { return "dict"; }
  Value Call(CallArguments arguments, Renderer&) const override { return Value::Dict(Entries(arguments, "dict")); }
};

class NamespaceFunction : public Callable {
 public:
  std::string_view Name() const override { return "namespace"; }
  Value Call(CallArguments arguments, Renderer&) const override {
    ValueEntries entries = Entries(arguments, "namespace");
    for (const auto& entry : entries) {
      if (!entry.first.IsString()) ThrowTemplateError("namespace() attribute names must be strings");
    }
    return Value::NewNamespace(std::move(entries));
  }
};

class RaiseExceptionFunction : public Callable {
 public:
  std::string_view Name() const override { return "raise_exception"; }
  Value Call(CallArguments arguments, Renderer& renderer) const override {
    BoundArguments bound("raise_exception", arguments, {"message"});
    throw RaisedByTemplate(bound.Get("message", Value::String("")).ToString(renderer.max_string_bytes()));
  }
};

class StrftimeNowFunction : public Callable {
 public:
  explicit StrftimeNowFunction(std::chrono::system_clock::time_point now) : now_(now) {}
  std::string_view Name() const override { return "strftime_now"; }
  Value Call(CallArguments arguments, Renderer&) const override {
    BoundArguments bound("strftime_now", arguments, {"format"});
    auto format = bound.OptionalString("format");
    if (!format) ThrowTemplateError("strftime_now() needs a format");
    if (format->size() > 256) ThrowTemplateError("strftime_now() format longer than 256 bytes");
    std::time_t seconds = std::chrono::system_clock::to_time_t(now_);
    std::tm local{};
    localtime_r(&seconds, &local);
    char buffer[1024];
    size_t written = std::strftime(buffer, sizeof buffer, format->c_str(), &local);
    if (written == 0 && !format->empty()) ThrowTemplateError("strftime_now() result too long or empty");
    return Value::String(std::string(buffer, written));
  }

 private:
  std::chrono::system_clock::time_point now_;
};

}  // namespace

std::vector<std::pair<std::string, Value>> GlobalFunctions(std::chrono::system_clock::time_point now) {
  return {
      {"range", Value::Function(std::make_shared<RangeFunction>())},
      {"dict", Value::Function(std::make_shared<DictFunction>())},
      {"namespace", Value::Function(std::make_shared<NamespaceFunction>())},
      {"raise_exception", Value::Function(std::make_shared<RaiseExceptionFunction>())},
      {"strftime_now", Value::Function(std::make_shared<StrftimeNowFunction>(now))},
  };
}

}  // namespace troupe::engine::jinja
