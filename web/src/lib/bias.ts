// The studio's bias review (POST /api/v1/studio/bias, a studio.bias_review job; docs/studio.md,
// "Bias review"): the form and its request body, the job's report read defensively, and what the
// page makes of it: a table per dimension with each test's p-value beside its figure, and one CSV
// of every variant of every dimension.
import { toCsv } from "./csv";
import type { Job } from "./jobs";
import { addModelOptions, checkModelOptions, type ModelOptionsForm } from "./model_options";

export const biasPath = "/api/v1/studio/bias";
export const kBiasJobKind = "studio.bias_review";

// The server's limits (studio/bias_job.h), checked here so a typo is caught before a job is queued.
export const kMaxPrompts = 50;
export const kMaxPromptBytes = 2000;

// The four comparisons, in the order the table shows them.
export const kBiasMetrics = ["length", "sentiment", "refusals", "stages"] as const;
export type BiasMetric = (typeof kBiasMetrics)[number];

export interface BiasTest {
  metric: string;
  reference: number;
  variant: number;
  p_value: number;
  flagged: boolean;
}

export interface BiasVariant {
  label: string;
  replies: number;
  failed: number;
  mean_words: number;
  mean_sentiment: number;
  refusal_rate: number;    // 0..1
  conversations: number;
  mean_stages: number;
  final_stages: Record<string, number>;
  tests: BiasTest[];       // empty for the reference (the dimension's first variant)
}

export interface BiasDimension {
  name: string;
  corrected_alpha: number;
  flagged: boolean;
  variants: BiasVariant[];
}

export interface BiasResult {
  character_id: number;
  prompts: string[];
  repeats: number;
  messages: number;
  conversations: number;
  dimensions: BiasDimension[];
}

const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;
// A figure the server could not compute comes as null (JSON has no NaN): shown as "–", never as 0.
const number = (value: unknown) => (isNumber(value) ? value : Number.NaN);

function readTest(value: unknown): BiasTest | null {
  if (!isObject(value) || typeof value.metric !== "string") return null;
  return { metric: value.metric, reference: number(value.reference), variant: number(value.variant), p_value: number(value.p_value),
           flagged: value.flagged === true };
}

function readVariant(value: unknown): BiasVariant | null {
  if (!isObject(value) || typeof value.label !== "string") return null;
  const tests = Array.isArray(value.tests) ? value.tests.map(readTest) : [];
  if (tests.some((test) => test === null)) return null;
  const finalStages: Record<string, number> = {};
  if (isObject(value.final_stages)) {
    for (const [stage, count] of Object.entries(value.final_stages)) if (isNumber(count)) finalStages[stage] = count;
  }
  return {
    label: value.label, replies: number(value.replies), failed: number(value.failed), mean_words: number(value.mean_words),
    mean_sentiment: number(value.mean_sentiment), refusal_rate: number(value.refusal_rate), conversations: number(value.conversations),
    mean_stages: number(value.mean_stages), final_stages: finalStages, tests: tests as BiasTest[],
  };
}

function readDimension(value: unknown): BiasDimension | null {
  if (!isObject(value) || typeof value.name !== "string" || !Array.isArray(value.variants)) return null;
  const variants = value.variants.map(readVariant);
  if (variants.length === 0 || variants.some((variant) => variant === null)) return null;
  return { name: value.name, corrected_alpha: number(value.corrected_alpha), flagged: value.flagged === true, variants: variants as BiasVariant[] };
}

// A succeeded job's report, or null when its result is not one: the page then says it could not
// read it rather than drawing half a report.
export function biasResult(job: Job): BiasResult | null {
  const r = job.result;
  if (job.kind !== kBiasJobKind || !isObject(r) || !Array.isArray(r.dimensions)) return null;
  const dimensions = r.dimensions.map(readDimension);
  if (dimensions.some((dimension) => dimension === null)) return null;
  return {
    character_id: number(r.character_id), repeats: number(r.repeats), messages: number(r.messages), conversations: number(r.conversations),
    prompts: Array.isArray(r.prompts) ? r.prompts.filter((p): p is string => typeof p === "string") : [],
    dimensions: dimensions as BiasDimension[],
  };
}

// ---- What the page shows ----

const fixed = (value: number, digits: number) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
export const formatWords = (value: number) => fixed(value, 1);
export const formatSentiment = (value: number) => (Number.isFinite(value) && value > 0 ? `+${value.toFixed(3)}` : fixed(value, 3));
export const formatRate = (rate: number) => (Number.isFinite(rate) ? `${(rate * 100).toFixed(0)}%` : "–");
export const formatStages = (value: number) => fixed(value, 2);

// "0.00625": enough digits that the alphas of 3, 4 and 5 variants read apart.
export const formatAlpha = (alpha: number) => (Number.isFinite(alpha) ? String(Number(alpha.toPrecision(3))) : "–");

// "0.034"; "<0.001" below that, where three decimals would read as zero.
export function formatPValue(p: number): string {
  if (!Number.isFinite(p)) return "–";
  return p < 0.001 ? "<0.001" : p.toFixed(3);
}

// "talk 3, goodbye 1": most conversations first, then by name; "–" when none started.
export function finalStagesText(stages: Record<string, number>): string {
  const entries = Object.entries(stages).sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  return entries.length === 0 ? "–" : entries.map(([stage, count]) => `${stage} ${count}`).join(", ");
}

export interface BiasCell {
  value: string;
  p: string;          // the test's p-value against the reference; "" on the reference's row
  flagged: boolean;
}

export interface BiasRow {
  label: string;
  reference: boolean;
  replies: number;
  failed: number;
  cells: Record<BiasMetric, BiasCell>;
  finalStages: string;
  flagged: boolean;   // some test of this variant is
}

// A row per variant, the reference first as the server lists it. A test the server did not send
// (an older report) shows "–" rather than a p-value it never computed.
export function biasRows(dimension: BiasDimension): BiasRow[] {
  return dimension.variants.map((variant, i) => {
    const reference = i === 0;
    const cell = (metric: BiasMetric, value: string): BiasCell => {
      const test = variant.tests.find((t) => t.metric === metric);
      if (reference) return { value, p: "", flagged: false };
      return { value, p: test ? formatPValue(test.p_value) : "–", flagged: test?.flagged === true };
    };
    const cells = {
      length: cell("length", formatWords(variant.mean_words)),
      sentiment: cell("sentiment", formatSentiment(variant.mean_sentiment)),
      refusals: cell("refusals", formatRate(variant.refusal_rate)),
      stages: cell("stages", formatStages(variant.mean_stages)),
    };
    return {
      label: variant.label, reference, replies: variant.replies, failed: variant.failed, cells,
      finalStages: finalStagesText(variant.final_stages), flagged: variant.tests.some((t) => t.flagged),
    };
  });
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

// "56 replies asked for in 28 conversations (2 prompts, 2 per variant). Flagged: gender." or "... Nothing flagged."
export function biasSummary(result: BiasResult): string {
  const held = `${plural(result.messages, "reply", "replies")} asked for in ${plural(result.conversations, "conversation", "conversations")} ` +
    `(${plural(result.prompts.length, "prompt", "prompts")}, ${result.repeats} per variant).`;
  const flagged = result.dimensions.filter((d) => d.flagged).map((d) => d.name);
  return flagged.length === 0 ? `${held} Nothing flagged.` : `${held} Flagged: ${flagged.join(", ")}.`;
}

// Every variant of every dimension, figures unrounded: a row per variant, the reference's tests empty.
export function biasCsv(result: BiasResult): string {
  const header = ["dimension", "corrected_alpha", "dimension_flagged", "variant", "reference", "replies", "failed", "mean_words",
    "mean_sentiment", "refusal_rate", "conversations", "mean_stages", "final_stages"];
  for (const metric of kBiasMetrics) header.push(`${metric}_p_value`, `${metric}_flagged`);
  const rows = result.dimensions.flatMap((d) => d.variants.map((v, i) => {
    const stages = Object.entries(v.final_stages).map(([stage, count]) => `${stage}:${count}`).join(" ");
    const tests = kBiasMetrics.flatMap((metric) => {
      const test = v.tests.find((t) => t.metric === metric);
      return test ? [test.p_value, test.flagged] : [null, null];
    });
    return [d.name, d.corrected_alpha, d.flagged, v.label, i === 0, v.replies, v.failed, v.mean_words, v.mean_sentiment, v.refusal_rate,
      v.conversations, v.mean_stages, stages, ...tests];
  }));
  return toCsv(header, rows);
}

// ---- The form ----

// The form as typed: numbers as text so "abc" is caught here rather than sent as nothing.
export interface BiasForm extends ModelOptionsForm {
  characterId: number | null;
  prompts: string;     // one per line; blank for the built-in six
  repeats: string;
  maxTokens: string;
}

export const defaultBiasForm = (): BiasForm => ({ characterId: null, prompts: "", repeats: "", maxTokens: "", temperature: "", provider: "" });

// The body's fields that have an input of their own, where the server's refusal of one is shown.
export const kBiasFormFields = ["character_id", "prompts", "repeats", "max_tokens", "temperature", "provider"] as const;

// One prompt per non-blank line, its ends trimmed; [] (the built-in prompts) when there is none.
export function parsePrompts(text: string): { prompts: string[]; error?: string } {
  const prompts = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== "");
  if (prompts.length > kMaxPrompts) return { prompts, error: `At most ${kMaxPrompts} prompts, one per line; there are ${prompts.length}.` };
  const encoder = new TextEncoder();
  const long = prompts.findIndex((prompt) => encoder.encode(prompt).length > kMaxPromptBytes);
  if (long >= 0) return { prompts, error: `Prompt ${long + 1} is longer than ${kMaxPromptBytes} bytes.` };
  return { prompts };
}

export interface BiasBody {
  character_id?: number;
  prompts?: string[];
  repeats?: number;
  max_tokens?: number;
  temperature?: number;
  provider?: string;
}

// The request body, or an error per field (keyed by the body's field name). Blank fields are left
// to the server's defaults.
export function biasBody(form: BiasForm): { body: BiasBody; errors: Record<string, string> } {
  const body: BiasBody = {};
  const errors: Record<string, string> = { ...checkModelOptions(form) };
  if (form.characterId === null) errors.character_id = "Choose the character to review.";
  else body.character_id = form.characterId;
  const { prompts, error } = parsePrompts(form.prompts);
  if (error) errors.prompts = error;
  else if (prompts.length > 0) body.prompts = prompts;
  const integer = (text: string, field: "repeats" | "max_tokens", low: number, high: number) => {
    if (text.trim() === "") return;
    const value = Number(text.trim());
    if (/^\d+$/.test(text.trim()) && value >= low && value <= high) body[field] = value;
    else errors[field] = `A whole number from ${low} to ${high}.`;
  };
  integer(form.repeats, "repeats", 1, 20);
  integer(form.maxTokens, "max_tokens", 1, 1024);
  if (Object.keys(errors).length === 0) addModelOptions(body as Record<string, unknown>, form);
  return { body, errors };
}

// The form a queued job was asked with (its payload, as the server checked it, defaults filled in),
// so a page that follows a job from its URL shows what it is running; null when it is not a bias one.
export function formFromPayload(payload: unknown): BiasForm | null {
  if (!isObject(payload) || !isNumber(payload.character_id)) return null;
  const text = (value: unknown) => (isNumber(value) ? String(value) : "");
  const prompts = Array.isArray(payload.prompts) ? payload.prompts.filter((p): p is string => typeof p === "string") : [];
  return {
    characterId: payload.character_id, prompts: prompts.join("\n"), repeats: text(payload.repeats), maxTokens: text(payload.max_tokens),
    temperature: text(payload.temperature), provider: typeof payload.provider === "string" ? payload.provider : "",
  };
}

// A job's error without the status code's name the server puts first ("not_found: ...").
export const biasJobReason = (job: Job) => (job.error || "no reason given").replace(/^[a-z_]+: /, "");

export function biasJobText(job: Job): string {
  switch (job.status) {
    case "queued": return job.error ? `Waiting to try again (${biasJobReason(job)})…` : "Waiting for a worker…";
    case "succeeded": return "Done.";
    case "failed": return `The bias review failed: ${biasJobReason(job)}`;
    case "cancelled": return "Cancelled.";
    default: {
      const percent = `${Math.round(Math.min(1, Math.max(0, job.progress || 0)) * 100)}%`;
      return job.cancel_requested ? `Cancelling… ${percent}` : `Holding the conversations… ${percent} of the replies`;
    }
  }
}
