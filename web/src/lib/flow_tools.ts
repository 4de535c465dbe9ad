// The flow tools of the character editor (docs/studio.md, "Flows in the web studio"): the request
// bodies of flow generation and optimization, their jobs' results, the unified diff as typed lines
// and the per-stage performance as table cells. No DOM here: components/flow_tools.tsx draws it.
import type { Job } from "./jobs";
import { addModelOptions, type ModelOptionsForm } from "./model_options";

// ---- Requests ----

export interface GenerateFlowForm extends ModelOptionsForm {
  topic: string;
  goal: string;
  minor: boolean;
  minStages: string;
  maxStages: string;
  seed: string;
}

export const defaultGenerateForm = (minor: boolean): GenerateFlowForm => ({
  topic: "", goal: "", minor, minStages: "", maxStages: "", seed: "", temperature: "", provider: "",
});

const setNumber = (body: Record<string, unknown>, key: string, text: string) => {
  if (text.trim() !== "") body[key] = Number(text);
};

// The body of POST /api/v1/studio/flows/generate: blank numbers, temperature and provider are left
// out (the server's defaults apply).
export function generateFlowBody(form: GenerateFlowForm): Record<string, unknown> {
  const body: Record<string, unknown> = { topic: form.topic.trim(), goal: form.goal.trim() };
  if (form.minor) body.minor = true;
  setNumber(body, "min_stages", form.minStages);
  setNumber(body, "max_stages", form.maxStages);
  setNumber(body, "seed", form.seed);
  return addModelOptions(body, form);
}

export interface OptimizeFlowForm extends ModelOptionsForm {
  from: string; // YYYY-MM-DD, as an <input type="date"> gives it, or ""
  to: string;
  maxEdits: string;
}

export const defaultOptimizeForm = (): OptimizeFlowForm => ({ from: "", to: "", maxEdits: "", temperature: "", provider: "" });

// The body of POST /api/v1/studio/flows/optimize: a blank period, edit count, temperature or provider is left out.
export function optimizeFlowBody(characterId: number, form: OptimizeFlowForm): Record<string, unknown> {
  const body: Record<string, unknown> = { character_id: characterId };
  if (form.from.trim() !== "") body.from = form.from.trim();
  if (form.to.trim() !== "") body.to = form.to.trim();
  setNumber(body, "max_edits", form.maxEdits);
  return addModelOptions(body, form);
}

// Whether a card's extensions mark a minor, as the flow safety gate reads them (docs/flows.md):
// troupe.minor true, or troupe.age under 18 (a number, or a string holding one).
export function cardMarksMinor(extensions: unknown): boolean {
  const troupe = (extensions as { troupe?: { minor?: unknown; age?: unknown } } | null)?.troupe;
  if (!troupe || typeof troupe !== "object") return false;
  if (troupe.minor === true) return true;
  const age = typeof troupe.age === "number" ? troupe.age : typeof troupe.age === "string" && troupe.age.trim() !== "" ? Number(troupe.age) : NaN;
  return Number.isFinite(age) && age < 18;
}

// ---- Job results ----

export interface GeneratedFlow { flow: string; stages: string[] }

export function generatedFlow(job: Job): GeneratedFlow | null {
  const result = job.result as Partial<GeneratedFlow> | null;
  if (!result || typeof result.flow !== "string") return null;
  return { flow: result.flow, stages: Array.isArray(result.stages) ? result.stages : [] };
}

export interface FlowEdit { stage: string; prompt: string; messages_at_least: number | null; reason: string }

export interface StagePerformance {
  stage: string;
  reached: number | null;
  drop_off_rate: number | null;
  sentiment_mean: number | null;
  rating_mean: number | null;
}

export interface Optimization {
  character_id: number;
  edits: FlowEdit[];
  flow_before: string;
  flow_after: string;
  diff: string;
  performance: StagePerformance[];
}

export function optimization(job: Job): Optimization | null {
  const result = job.result as Partial<Optimization> | null;
  if (!result || typeof result.flow_after !== "string") return null;
  return {
    character_id: result.character_id ?? 0,
    edits: Array.isArray(result.edits) ? result.edits : [],
    flow_before: result.flow_before ?? "",
    flow_after: result.flow_after,
    diff: result.diff ?? "",
    performance: Array.isArray(result.performance) ? result.performance : [],
  };
}

// ---- The optimizer and the flow field ----

const normalFlow = (text: string) => text.replace(/\r\n?/g, "\n").replace(/\s+$/, "");

// Whether two flow texts are the same flow as the field and the server hold them (a textarea
// turns CRLF into LF; a trailing newline is no change).
export const sameFlow = (a: string, b: string) => normalFlow(a) === normalFlow(b);

// Why "Optimize" cannot start, or null. The optimizer measures how far conversations got in each
// stage of the *saved* flow and proposes edits to that flow; the API takes no flow text, so a field
// holding anything else would be optimized as something it is not.
export function optimizeBlocker(savedFlow: string, fieldFlow: string): string | null {
  if (savedFlow.trim() === "") return "This character has no saved flow of its own: save one first.";
  if (!sameFlow(savedFlow, fieldFlow)) {
    return "The flow field differs from the saved flow. The optimizer measures the saved flow's stages and edits that flow, " +
      "not what is in the field: save the character first (or undo the change) to optimize it.";
  }
  return null;
}

// An optimization against the field now: "applicable" while the field holds the flow it was made
// for (madeFor: the field when Optimize was pressed, which was the saved flow; not flow_before,
// which the server re-serializes without comments), "applied" once the field holds its result,
// "unchanged" when it changes nothing, else "stale" (another flow was put in or typed since, and
// Apply would overwrite it with edits made for another).
export type OptimizationFit = "applicable" | "applied" | "unchanged" | "stale";

export function optimizationFit(result: Optimization, madeFor: string, fieldFlow: string): OptimizationFit {
  if (sameFlow(result.flow_before, result.flow_after) || result.flow_after.trim() === "") return "unchanged";
  if (sameFlow(fieldFlow, madeFor)) return "applicable";
  if (sameFlow(fieldFlow, result.flow_after)) return "applied";
  return "stale";
}

// Where a flow job is, in words.
export function flowJobText(job: Job): string {
  switch (job.status) {
    case "queued": return job.error ? `Waiting to try again (${job.error})…` : "Waiting for a worker…";
    case "succeeded": return "Done.";
    case "failed": return `Failed: ${job.error || "no reason given"}`;
    case "cancelled": return "Cancelled.";
    default: {
      const percent = `${Math.round(Math.min(1, Math.max(0, job.progress || 0)) * 100)}%`;
      return job.cancel_requested ? `Cancelling… ${percent}` : `Asking the model… ${percent}`;
    }
  }
}

// ---- The diff ----

export type DiffKind = "added" | "removed" | "context" | "hunk" | "header";
export interface DiffLine { kind: DiffKind; text: string }

// A unified diff, one typed line per text line; the text keeps its +/-/space prefix so the change
// reads without colour. A trailing newline makes no empty last line.
export function parseDiff(diff: string): DiffLine[] {
  if (diff === "") return [];
  const lines = diff.replace(/\r?\n$/, "").split(/\r?\n/);
  return lines.map((text) => {
    if (text.startsWith("+++") || text.startsWith("---")) return { kind: "header", text };
    if (text.startsWith("@@")) return { kind: "hunk", text };
    if (text.startsWith("+")) return { kind: "added", text };
    if (text.startsWith("-")) return { kind: "removed", text };
    return { kind: "context", text };
  });
}

// ---- Performance ----

export interface PerformanceRow { stage: string; reached: string; dropOff: string; sentiment: string; rating: string }

const fixed = (value: number | null | undefined, digits: number) =>
  typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "-";

// A 0..1 rate as a percentage with at most one decimal ("0%", "12.5%"), "-" for none.
export function percent(rate: number | null | undefined): string {
  if (typeof rate !== "number" || !Number.isFinite(rate)) return "-";
  return `${Math.round(rate * 1000) / 10}%`;
}

export function performanceRows(performance: StagePerformance[]): PerformanceRow[] {
  return performance.map((row) => ({
    stage: row.stage,
    reached: typeof row.reached === "number" ? String(row.reached) : "-",
    dropOff: percent(row.drop_off_rate),
    sentiment: fixed(row.sentiment_mean, 2),
    rating: fixed(row.rating_mean, 2),
  }));
}
