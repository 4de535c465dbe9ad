// A size check for YAML from outside, to run before building a tree of it. YAML aliases let a
// small text stand for a huge value ("billion laughs": a list of ten aliases to a list of ten
// aliases to ...), and a reader that copies what it reads (a string per alias) then allocates the
// expanded size. CheckYamlBounds walks the parser's event stream without building a tree, counting
// what the text expands to, so its time is linear in the text read and its memory is bounded by
// the text, whatever the text expands to: the count holds one entry per anchor and per open list
// or mapping, and yaml-cpp's scanner at most buffers the tokens of a flow collection that opens
// the document until it ends (it could be a mapping key), ~140 bytes per byte of text at worst
// ("[a,a,a,...]"). Pure and thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace troupe {

// Limits on a YAML text and on what it stands for once every alias is replaced by its anchor's
// value. A bound of 0 or below lets nothing of its kind through.
struct YamlBounds {
  int64_t max_text_bytes = 0;    // the text itself
  int64_t max_nodes = 0;         // scalars, nulls, lists and mappings (keys included), expanded
  int64_t max_scalar_bytes = 0;  // the bytes of every scalar (keys included), expanded
  int max_depth = 0;             // lists and mappings nested in one another, expanded
};

// Ok when `text` is at most one YAML document (none: empty text, comments only) within `bounds`.
// Otherwise kInvalidArgument, with the first problem found:
// - "YAML text too large: N bytes, more than the limit of M bytes" (no position: nothing is read);
// - "not valid YAML: <the parser's message> (line L, column C)", the wording ParseFlow used, also
//   for an alias to an anchor not yet defined;
// - "YAML too large: over the limit of M nodes|scalar bytes|levels of nesting once aliases are
//   expanded (line L, column C)" at the node, scalar or alias that crosses it; the walk stops
//   there, so a bomb costs no more than the text it has read;
// - "YAML alias refers to its own anchor, a value that would contain itself (line L, column C)";
// - "more than one YAML document (a second one starts at line L, column C); give one".
// Lines and columns count from 1. The field of the Status is empty: the caller knows what the text
// was for and can add it.
Status CheckYamlBounds(std::string_view text, const YamlBounds& bounds);

}  // namespace troupe
