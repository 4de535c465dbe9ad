// One compiled PCRE2 pattern (8-bit, UTF and Unicode properties, JIT when the platform has it),
// used by the pre-tokenizers to split text. The PCRE2 handle is wrapped here and nowhere else.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace troupe::engine::tokenization {

struct ByteRange {
  size_t begin = 0;
  size_t end = 0;
};

class PcrePattern {
 public:
  // Compiles `pattern`. The patterns are the engine's own, so a pattern that does not compile is
  // a bug: it throws EngineError(kUnsupported) quoting the pattern and PCRE2's message.
  explicit PcrePattern(std::string_view pattern);
  PcrePattern(PcrePattern&&) noexcept;
  PcrePattern& operator=(PcrePattern&&) noexcept;
  ~PcrePattern();

  // Every match in `subject`, left to right, without overlap, as std::regex_iterator finds them:
  // after an empty match the search first looks for a non-empty match at the same place, then
  // moves one character on. `subject` must be valid UTF-8 (not checked again). Thread-safe.
  std::vector<ByteRange> FindAll(std::string_view subject) const;

  const std::string& pattern() const { return pattern_; }

 private:
  struct Compiled;
  std::string pattern_;
  std::unique_ptr<Compiled> compiled_;
};

}  // namespace troupe::engine::tokenization
