#include "engine/tokenizer/pcre_pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <new>

#include "engine/error.h"
#include "engine/tokenizer/utf8.h"

namespace troupe::engine::tokenization {
namespace {

constexpr size_t kJitStackStart = 32 * 1024;
constexpr size_t kJitStackMax = 1024 * 1024;
constexpr uint32_t kHeapLimitKibibytes = 256 * 1024;

// Per-thread matching resources: the JIT stack is per thread by PCRE2's rules, and a long run
// of one character class (a megabyte of spaces) needs more than the default 32 KiB.
struct ThreadMatchContext {
  pcre2_match_context* context = nullptr;
  pcre2_jit_stack* jit_stack = nullptr;

  ThreadMatchContext() {
    context = pcre2_match_context_create(nullptr);
    jit_stack = pcre2_jit_stack_create(kJitStackStart, kJitStackMax, nullptr);
    if (context != nullptr) {
      pcre2_set_heap_limit(context, kHeapLimitKibibytes);
      if (jit_stack != nullptr) {
        pcre2_jit_stack_assign(context, nullptr, jit_stack);
      }
    }
  }
  ~ThreadMatchContext() {
    pcre2_jit_stack_free(jit_stack);
    pcre2_match_context_free(context);
  }
  ThreadMatchContext(const ThreadMatchContext&) = delete;
  ThreadMatchContext& operator=(const ThreadMatchContext&) = delete;
};

pcre2_match_context* MatchContextForThisThread() {
  thread_local ThreadMatchContext resources;
  return resources.context;
}

struct MatchDataDeleter {
  void operator()(pcre2_match_data* data) const { pcre2_match_data_free(data); }
};

}  // namespace

struct PcrePattern::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() { pcre2_code_free(code); }
};

PcrePattern::PcrePattern(std::string_view pattern)
    : pattern_(pattern), compiled_(std::make_unique<Compiled>()) {
  int error_code = 0;
  PCRE2_SIZE error_offset = 0;
  compiled_->code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern_.data()), pattern_.size(),
                    PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &error_code, &error_offset,
                    nullptr);
  if (compiled_->code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error_code, message, sizeof message);
    ThrowUnsupported("pre-tokenizer pattern /" + pattern_ + "/ does not compile at offset " +
                     std::to_string(error_offset) + ": " +
                     reinterpret_cast<const char*>(message));
  }
  // Without JIT support the interpreter does the same work, only slower.
  pcre2_jit_compile(compiled_->code, PCRE2_JIT_COMPLETE);
}

PcrePattern::PcrePattern(PcrePattern&&) noexcept = default;
PcrePattern& PcrePattern::operator=(PcrePattern&&) noexcept = default;
PcrePattern::~PcrePattern() = default;

std::vector<ByteRange> PcrePattern::FindAll(std::string_view subject) const {
  std::unique_ptr<pcre2_match_data, MatchDataDeleter> match_data(
      pcre2_match_data_create_from_pattern(compiled_->code, nullptr));
  if (match_data == nullptr) {
    throw std::bad_alloc();
  }
  pcre2_match_context* context = MatchContextForThisThread();
  const auto subject_start = reinterpret_cast<PCRE2_SPTR>(subject.data());

  const auto match_at = [&](size_t start, uint32_t options) -> int {
    int result = pcre2_match(compiled_->code, subject_start, subject.size(), start,
                             options | PCRE2_NO_UTF_CHECK, match_data.get(), context);
    if (result == PCRE2_ERROR_JIT_STACKLIMIT) {
      result = pcre2_match(compiled_->code, subject_start, subject.size(), start,
                           options | PCRE2_NO_UTF_CHECK | PCRE2_NO_JIT, match_data.get(),
                           context);
    }
    if (result < 0 && result != PCRE2_ERROR_NOMATCH) {
      PCRE2_UCHAR message[256];
      pcre2_get_error_message(result, message, sizeof message);
      ThrowUnsupported("pre-tokenizer pattern /" + pattern_ + "/ failed on " +
                       std::to_string(subject.size()) + " bytes of text: " +
                       reinterpret_cast<const char*>(message));
    }
    return result;
  };

  std::vector<ByteRange> matches;
  size_t start = 0;
  while (start <= subject.size()) {
    if (match_at(start, 0) == PCRE2_ERROR_NOMATCH) {
      break;
    }
    const PCRE2_SIZE* bounds = pcre2_get_ovector_pointer(match_data.get());
    ByteRange match{bounds[0], bounds[1]};
    if (match.begin == match.end) {
      matches.push_back(match);
      // std::regex_iterator's rule after an empty match: a non-empty match starting right there
      // wins; otherwise step over one character.
      if (match.end < subject.size() &&
          match_at(match.end, PCRE2_NOTEMPTY_ATSTART | PCRE2_ANCHORED) >= 0) {
        bounds = pcre2_get_ovector_pointer(match_data.get());
        matches.push_back({bounds[0], bounds[1]});
        start = bounds[1];
        continue;
      }
      if (match.end >= subject.size()) {
        break;
      }
      start = match.end +
              std::min(Utf8SequenceLength(static_cast<unsigned char>(subject[match.end])),
                       subject.size() - match.end);
      continue;
    }
    matches.push_back(match);
    start = match.end;
  }
  return matches;
}

}  // namespace troupe::engine::tokenization
