#include "studio/draft_json.h"

#include <string>

namespace troupe::studio {
namespace {

using DraftJson = nlohmann::ordered_json;

Result<std::string> BriefText(const DraftJson& brief, const char* key, const std::string& field) {
  const auto found = brief.find(key);
  if (found == brief.end() || !found->is_string()) return InvalidArgument(field + " must be a string", field);
  return found->get<std::string>();
}

Result<GenerationBrief> ReadBrief(const DraftJson& json, const std::string& field) {
  if (!json.is_object()) return InvalidArgument(field + " must be an object", field);
  GenerationBrief brief;
  TROUPE_ASSIGN_OR_RETURN(brief.theme, BriefText(json, "theme", field + ".theme"));
  TROUPE_ASSIGN_OR_RETURN(brief.audience, BriefText(json, "audience", field + ".audience"));
  TROUPE_ASSIGN_OR_RETURN(std::string role, BriefText(json, "role", field + ".role"));
  TROUPE_ASSIGN_OR_RETURN(brief.role, ParseRole(role, field + ".role"));
  if (const auto others = json.find("different_from"); others != json.end()) {
    if (!others->is_array()) return InvalidArgument(field + ".different_from must be a list of names", field);
    for (const DraftJson& name : *others) {
      if (!name.is_string()) return InvalidArgument(field + ".different_from must be a list of names", field);
      brief.different_from.push_back(name.get<std::string>());
    }
  }
  Status checked = CheckBrief(brief);
  if (!checked.ok()) return InvalidArgument(field + "." + checked.message(), field + "." + checked.field());
  return brief;
}

}  // namespace

TextLimits EditedDraftLimits() { return LimitsForContext(int64_t{1} << 20); }

DraftJson DraftToJson(const CharacterDraft& draft) {
  DraftJson brief = {{"theme", draft.brief.theme}, {"audience", draft.brief.audience}, {"role", RoleName(draft.brief.role)}};
  if (!draft.brief.different_from.empty()) brief["different_from"] = draft.brief.different_from;
  DraftJson steps = DraftJson::object();
  DraftJson stale = DraftJson::array();
  for (CharacterStep step : kCharacterSteps) {
    if (!draft.Has(step)) continue;
    steps[std::string(StepName(step))] = DraftJson::parse(draft.replies[static_cast<size_t>(step)], nullptr, false);
    if (draft.stale.count(step) > 0) stale.push_back(StepName(step));
  }
  return DraftJson{{"brief", brief}, {"steps", steps}, {"stale", stale}};
}

Result<CharacterDraft> DraftFromJson(const DraftJson& json, const TextLimits& limits, std::string_view field) {
  const std::string prefix(field);
  if (!json.is_object()) return InvalidArgument(prefix + " must be an object", prefix);
  const auto brief = json.find("brief");
  if (brief == json.end()) return InvalidArgument(prefix + ".brief is missing", prefix + ".brief");
  CharacterDraft draft;
  TROUPE_ASSIGN_OR_RETURN(draft.brief, ReadBrief(*brief, prefix + ".brief"));

  const auto steps = json.find("steps");
  if (steps != json.end()) {
    if (!steps->is_object()) return InvalidArgument(prefix + ".steps must be an object", prefix + ".steps");
    for (const auto& item : steps->items()) TROUPE_RETURN_IF_ERROR(ParseStep(item.key(), prefix + ".steps").status());
    for (CharacterStep step : kCharacterSteps) {
      const auto output = steps->find(std::string(StepName(step)));
      if (output == steps->end()) continue;
      Status applied = ApplyStepReply(draft, step, output->dump(), limits);
      if (!applied.ok()) {
        return InvalidArgument(prefix + ".steps." + applied.message(), prefix + ".steps." + applied.field());
      }
    }
  }
  // The stale marks as saved replace those the replies' order implied.
  draft.stale.clear();
  if (const auto stale = json.find("stale"); stale != json.end()) {
    if (!stale->is_array()) return InvalidArgument(prefix + ".stale must be a list of step names", prefix + ".stale");
    for (size_t i = 0; i < stale->size(); ++i) {
      const std::string at = prefix + ".stale[" + std::to_string(i) + "]";
      if (!(*stale)[i].is_string()) return InvalidArgument(at + " must be a step name", at);
      TROUPE_ASSIGN_OR_RETURN(CharacterStep step, ParseStep((*stale)[i].get<std::string>(), at));
      if (draft.Has(step)) draft.stale.insert(step);
    }
  }
  return draft;
}

}  // namespace troupe::studio
