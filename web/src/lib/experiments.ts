// Experiments as the studio shows them (/api/v1/studio/experiments): the records, the New
// experiment form and the body it posts, where the server's field errors go in that form, which
// actions each state allows, and the report's figures as text and as CSV.
import { toCsv } from "./csv";

export type ExperimentKind = "flow" | "prompt" | "character";
export type ExperimentMetric = "length" | "return" | "rating" | "resolution";
export type ExperimentStatus = "draft" | "running" | "stopped";
export type StopDecision = "continue" | "significant" | "inconclusive";

export const kMaxVariants = 8;
export const kMinVariants = 2;

export interface ExperimentVariantSpec {
  name: string;
  weight?: number;
  flow?: string;
  system_prompt?: string;
  character_id?: number;
}

export interface Experiment {
  id: number;
  character_id: number;
  name: string;
  kind: ExperimentKind;
  metric: ExperimentMetric;
  return_days: number;
  planned_trials: number;
  variants: ExperimentVariantSpec[];
  status: ExperimentStatus;
  started_at: number | null;
  stopped_at: number | null;
  created_at: number;
  updated_at: number;
}

export interface Estimate {
  value: number;
  low: number;
  high: number;
  successes?: number;
  standard_deviation?: number;
}

export interface AgainstControl {
  difference: number;
  low: number;
  high: number;
  test: string;
  statistic: number;
  p_value: number;
}

export interface VariantReport {
  name: string;
  assigned: number;
  measured: number;
  pending: number;
  estimate: Estimate | null;
  against_control: AgainstControl | null;
  decision: StopDecision | null;
}

export interface DayAssignments {
  day_start_ms: number;
  counts: number[];
}

export interface ExperimentReport {
  metric: ExperimentMetric;
  confidence: number;  // of every interval, e.g. 0.95
  proportion: boolean;
  planned_trials: number;
  variants: VariantReport[];
  days: DayAssignments[];
  summary: string;
  experiment: Experiment;
}

// "95%": the report's confidence level, as its intervals are labelled.
export const confidenceLabel = (report: ExperimentReport) => `${Math.round(report.confidence * 1000) / 10}%`;

// What each state allows, as the server's state machine (draft -> running -> stopped) does; the
// server still decides (a draft of a character that runs another experiment is refused with 412).
export const canStart = (status: ExperimentStatus) => status === "draft";
export const canStop = (status: ExperimentStatus) => status === "running";
export const canDelete = (status: ExperimentStatus) => status !== "running";

export function experimentsPath(characterId: number | null): string {
  return `/api/v1/studio/experiments${characterId === null ? "" : `?character_id=${characterId}`}`;
}

// ---- The New experiment form ----------------------------------------------------------------

// Every field as typed (text), so a half-typed number stays what the person typed.
export interface VariantDraft {
  name: string;
  weight: string;
  flow: string;
  systemPrompt: string;
  characterId: string;
}

export type Sizing = "none" | "trials" | "plan";

export interface ExperimentDraft {
  characterId: string;
  name: string;
  kind: ExperimentKind;
  metric: ExperimentMetric;
  returnDays: string;
  sizing: Sizing;
  plannedTrials: string;
  baselineRate: string;
  minimumEffect: string;
  variants: VariantDraft[];
}

export const blankVariant = (name: string): VariantDraft => ({ name, weight: "", flow: "", systemPrompt: "", characterId: "" });

export function newExperimentDraft(characterId: string): ExperimentDraft {
  return {
    characterId, name: "", kind: "prompt", metric: "rating", returnDays: "7", sizing: "trials", plannedTrials: "",
    baselineRate: "", minimumEffect: "", variants: [blankVariant("control"), blankVariant("B")],
  };
}

// The variant's own field for the kind; left out when empty, since an empty one means "the
// character as it is" (what a control usually plays) and the server refuses an empty string.
function variantBody(kind: ExperimentKind, row: VariantDraft, index: number, errors: Record<string, string>): ExperimentVariantSpec {
  const variant: ExperimentVariantSpec = { name: row.name.trim() };
  const weight = parseNumber(row.weight, `variants[${index}].weight`, errors);
  if (weight !== undefined) variant.weight = weight;
  if (kind === "prompt" && row.systemPrompt.trim()) variant.system_prompt = row.systemPrompt;
  if (kind === "flow" && row.flow.trim()) variant.flow = row.flow;
  if (kind === "character" && row.characterId) variant.character_id = Number(row.characterId);
  return variant;
}

// A number field: undefined when blank, an error (under the server's field path) when not a number.
function parseNumber(text: string, field: string, errors: Record<string, string>, integer = false): number | undefined {
  if (!text.trim()) return undefined;
  const value = Number(text.trim());
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    errors[field] = integer ? "a whole number" : "a number";
    return undefined;
  }
  return value;
}

export type BodyResult = { body: Record<string, unknown>; errors?: undefined } | { body?: undefined; errors: Record<string, string> };

// The POST body of the form, or errors keyed by the field paths the server uses. Only what the
// browser can tell (a number that is not one, a missing plan figure) is checked here; the rest
// (names, weights' range, flows, the plan's range) is the server's to judge.
export function experimentBody(draft: ExperimentDraft): BodyResult {
  const errors: Record<string, string> = {};
  const body: Record<string, unknown> = {
    character_id: Number(draft.characterId), name: draft.name.trim(), kind: draft.kind, metric: draft.metric,
  };
  if (draft.metric === "return") body.return_days = parseNumber(draft.returnDays, "return_days", errors, true);
  if (draft.sizing === "trials") {
    const trials = parseNumber(draft.plannedTrials, "planned_trials", errors, true);
    if (trials !== undefined) body.planned_trials = trials;
  } else if (draft.sizing === "plan") {
    const baseline = parseNumber(draft.baselineRate, "plan.baseline_rate", errors);
    const effect = parseNumber(draft.minimumEffect, "plan.minimum_effect", errors);
    if (!draft.baselineRate.trim()) errors["plan.baseline_rate"] = "the control's expected rate, e.g. 0.10";
    if (!draft.minimumEffect.trim()) errors["plan.minimum_effect"] = "the smallest difference worth finding, e.g. 0.02";
    body.plan = { baseline_rate: baseline, minimum_effect: effect };
  }
  body.variants = draft.variants.map((row, index) => variantBody(draft.kind, row, index, errors));
  return Object.keys(errors).length > 0 ? { errors } : { body };
}

// Where a server error about `field` shows: the field itself when the form has a place for it,
// else its nearest parent that has one ("variants[1].flow" -> "variants[1]" -> "variants",
// "plan.alpha" -> "plan"), else "" (above the form).
export function errorSlot(field: string, slots: readonly string[]): string {
  let path = field;
  while (path) {
    if (slots.includes(path)) return path;
    const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
    path = cut > 0 ? path.slice(0, cut) : "";
  }
  return "";
}

// The places the form shows errors, for `variantCount` rows.
export function errorSlots(variantCount: number): string[] {
  const slots = ["character_id", "name", "kind", "metric", "return_days", "planned_trials", "plan",
                 "plan.baseline_rate", "plan.minimum_effect", "variants"];
  for (let i = 0; i < variantCount; ++i) {
    slots.push(`variants[${i}]`, ...["name", "weight", "flow", "system_prompt", "character_id"].map((f) => `variants[${i}].${f}`));
  }
  return slots;
}

// ---- The report as text and CSV ---------------------------------------------------------------

export const metricLabels: Record<ExperimentMetric, string> = {
  length: "User messages per conversation",
  return: "Came back",
  rating: "Mean CSAT rating (1 to 5)",
  resolution: "Resolved without a person",
};

export function metricLabel(metric: ExperimentMetric, returnDays: number): string {
  return metric === "return" ? `Came back within ${returnDays} day${returnDays === 1 ? "" : "s"}` : metricLabels[metric];
}

// A rate as a percentage, a value with two decimals.
export function formatValue(value: number, proportion: boolean): string {
  return proportion ? `${(value * 100).toFixed(1)}%` : value.toFixed(2);
}

// A difference with its sign: percentage points for rates.
export function formatDifference(value: number, proportion: boolean): string {
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  const size = Math.abs(value);
  return proportion ? `${sign}${(size * 100).toFixed(1)} pp` : `${sign}${size.toFixed(2)}`;
}

export function formatInterval(low: number, high: number, proportion: boolean, difference = false): string {
  const format = difference ? formatDifference : formatValue;
  return `${format(low, proportion)} to ${format(high, proportion)}`;
}

export function formatPValue(p: number): string {
  return p < 0.001 ? "< 0.001" : p.toFixed(3);
}

export const decisionLabels: Record<StopDecision, string> = {
  continue: "keep running",
  significant: "significant",
  inconclusive: "inconclusive",
};

// The variants table as CSV: raw figures (rates 0..1), empty where there is nothing yet.
export function variantsCsv(report: ExperimentReport): string {
  return toCsv(
    ["variant", "control", "assigned", "measured", "pending", "estimate", "estimate_low", "estimate_high",
     "difference", "difference_low", "difference_high", "test", "statistic", "p_value", "decision"],
    report.variants.map((v, index) => [
      v.name, index === 0, v.assigned, v.measured, v.pending, v.estimate?.value, v.estimate?.low, v.estimate?.high,
      v.against_control?.difference, v.against_control?.low, v.against_control?.high, v.against_control?.test,
      v.against_control?.statistic, v.against_control?.p_value, v.decision,
    ]));
}

// What a variant changes, in a few words, for the report's header.
export function variantChange(experiment: Experiment, variant: ExperimentVariantSpec,
                              characterName: (id: number) => string): string {
  if (experiment.kind === "prompt") return variant.system_prompt ? `system prompt: ${variant.system_prompt}` : "the card's own system prompt";
  if (experiment.kind === "flow") return variant.flow ? `its own flow (${variant.flow.split("\n").length} lines)` : "the character's own flow";
  return variant.character_id ? `played by ${characterName(variant.character_id)}` : "the character as it is";
}
