// An evaluation dataset for `troupe eval --character`: JSON Lines, one case per line, each an object
// with a string "prompt" (the user's message to the character) and the expected reply as a string
// "reference" or an array of strings "references" (several acceptable replies; BLEU, chrF and
// ROUGE score against all of them). Other fields are ignored; blank lines are skipped; a line
// ending in CR is fine.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace troupe::analytics {

struct EvalCase {
  std::string prompt;
  std::vector<std::string> references;  // at least one
};

// kInvalidArgument names the source and line ("qa.jsonl:3: ...") for a line that is not a JSON
// object, lacks a string "prompt", or has neither a string "reference" nor a non-empty array of
// strings "references"; and for a file with no case at all.
Result<std::vector<EvalCase>> ParseEvalDataset(std::string_view content, std::string_view source_name);

// Reads a file and parses it as above; kNotFound when it does not exist, kUnavailable when it
// cannot be read.
Result<std::vector<EvalCase>> ReadEvalDataset(const std::string& path);

}  // namespace troupe::analytics
