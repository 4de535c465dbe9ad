// CheckYamlBounds: yaml-cpp's event parser with a handler that counts what the text expands to.
// An anchored value's expanded size is known when its last event has been seen, so an alias costs
// one lookup however large its anchor is, and nothing is ever expanded.
#include "base/yaml_bounds.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

namespace troupe {
namespace {

std::string Position(const YAML::Mark& mark) {
  if (mark.is_null()) return "";
  return " (line " + std::to_string(mark.line + 1) + ", column " + std::to_string(mark.column + 1) + ")";
}

// Thrown from the handler to stop the parser at the first problem; caught in CheckYamlBounds.
struct Refusal {
  Status status;
};

// What a value stands for with every alias inside it replaced.
struct Expanded {
  int64_t nodes = 0;
  int64_t scalar_bytes = 0;
  int height = 0;  // levels of lists and mappings, itself included (0 for a scalar)
};

class BoundsCounter : public YAML::EventHandler {
 public:
  explicit BoundsCounter(const YamlBounds& bounds) : bounds_(bounds) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      Refuse("more than one YAML document (a second one starts at line " + std::to_string(mark.line + 1) +
             ", column " + std::to_string(mark.column + 1) + "); give one");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override { Leaf(mark, anchor, 0); }
  void OnScalar(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& value) override {
    Leaf(mark, anchor, static_cast<int64_t>(value.size()));
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    // The parser refuses an alias to an anchor it has not seen, so a missing entry is an anchor
    // whose value has begun but not ended: the alias is inside it.
    if (it == anchors_.end() || !it->second.has_value()) {
      Refuse("YAML alias refers to its own anchor, a value that would contain itself" + Position(mark));
    }
    Add(mark, *it->second);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    Open(mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    Open(mark, anchor);
  }
  void OnMapEnd() override { Close(); }

 private:
  // A list or mapping whose end has not been seen yet.
  struct OpenCollection {
    YAML::anchor_t anchor;
    int64_t nodes_before;         // the running totals before it began
    int64_t scalar_bytes_before;
    int deepest;                  // the deepest expanded level inside it so far (its own, at least)
  };

  [[noreturn]] void Refuse(const std::string& message) {
    throw Refusal{Status(StatusCode::kInvalidArgument, message)};
  }

  // Counts a value of `size` placed here and stops at the first limit it crosses.
  void Add(const YAML::Mark& mark, const Expanded& size) {
    nodes_ += size.nodes;
    scalar_bytes_ += size.scalar_bytes;
    const int depth = static_cast<int>(open_.size()) + size.height;
    if (!open_.empty()) open_.back().deepest = std::max(open_.back().deepest, depth);
    auto over = [&](const std::string& limit) {
      Refuse("YAML too large: over the limit of " + limit + " once aliases are expanded" + Position(mark));
    };
    if (nodes_ > bounds_.max_nodes) over(std::to_string(bounds_.max_nodes) + " nodes");
    if (scalar_bytes_ > bounds_.max_scalar_bytes) over(std::to_string(bounds_.max_scalar_bytes) + " scalar bytes");
    if (depth > bounds_.max_depth) over(std::to_string(bounds_.max_depth) + " levels of nesting");
  }

  void Leaf(const YAML::Mark& mark, YAML::anchor_t anchor, int64_t scalar_bytes) {
    const Expanded size{1, scalar_bytes, 0};
    Add(mark, size);
    if (anchor != YAML::NullAnchor) anchors_[anchor] = size;
  }

  void Open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    Add(mark, Expanded{1, 0, 1});
    const int depth = static_cast<int>(open_.size()) + 1;
    open_.push_back({anchor, nodes_ - 1, scalar_bytes_, depth});
    if (anchor != YAML::NullAnchor) anchors_[anchor] = std::nullopt;  // begun, not ended
  }

  void Close() {
    const OpenCollection done = open_.back();
    open_.pop_back();
    if (!open_.empty()) open_.back().deepest = std::max(open_.back().deepest, done.deepest);
    if (done.anchor != YAML::NullAnchor) {
      anchors_[done.anchor] = Expanded{nodes_ - done.nodes_before, scalar_bytes_ - done.scalar_bytes_before,
                                       done.deepest - static_cast<int>(open_.size())};
    }
  }

  const YamlBounds& bounds_;
  int documents_ = 0;
  int64_t nodes_ = 0;
  int64_t scalar_bytes_ = 0;
  std::vector<OpenCollection> open_;
  // Every anchor seen, by the parser's id: its expanded size, or nullopt while its value is open.
  std::unordered_map<YAML::anchor_t, std::optional<Expanded>> anchors_;
};

}  // namespace

Status CheckYamlBounds(std::string_view text, const YamlBounds& bounds) {
  if (static_cast<int64_t>(text.size()) > bounds.max_text_bytes) {
    return Status(StatusCode::kInvalidArgument, "YAML text too large: " + std::to_string(text.size()) +
                                                    " bytes, more than the limit of " +
                                                    std::to_string(bounds.max_text_bytes) + " bytes");
  }
  std::istringstream stream{std::string(text)};
  BoundsCounter counter(bounds);
  try {
    YAML::Parser parser(stream);
    // Reading on after the first document is what finds a second one (OnDocumentStart refuses it).
    while (parser.HandleNextDocument(counter)) {
    }
  } catch (const Refusal& refusal) {
    return refusal.status;
  } catch (const YAML::Exception& error) {
    return Status(StatusCode::kInvalidArgument, "not valid YAML: " + error.msg + Position(error.mark));
  }
  return Status::Ok();
}

}  // namespace troupe
