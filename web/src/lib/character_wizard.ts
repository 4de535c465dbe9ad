// The Create character wizard's logic (docs/studio.md, "The Create character wizard"): the brief's
// request, a generation job's progress in words, the candidates and their near-copy marks, a
// draft turned into form fields and back, the "edited after" hints, and a save error's field path
// turned into the form field it is about. No DOM here: the page (pages/create_character.tsx) draws it.
import { addModelOptions, checkModelOptions, type ModelOptionsForm } from "./model_options";

export const ROLES = ["companion", "advisor", "mascot", "support"] as const;
export type Role = (typeof ROLES)[number];

export const STEPS = ["concept", "background", "speech", "greetings", "image"] as const;
export type StepName = (typeof STEPS)[number];

export const STEP_TITLES: Record<StepName, string> = {
  concept: "Concept", background: "Background", speech: "Speech", greetings: "Greetings", image: "Image",
};

// ---- The brief and the generation job ----

export interface BriefForm extends ModelOptionsForm {
  theme: string;
  audience: string;
  role: Role;
  candidates: string;
  seed: string;
  regenerateNearCopies: boolean;
}

export const defaultBrief = (): BriefForm => ({
  theme: "", audience: "", role: "companion", candidates: "3", seed: "", temperature: "", provider: "", regenerateNearCopies: false,
});

const WHOLE = /^\d+$/;

// What the brief holds that the server would refuse, by field, before a job is queued. The form
// checks itself (noValidate): the browser's own check cannot show a message inside a closed <details>.
export function checkBrief(form: BriefForm): Record<string, string> {
  const problems = checkModelOptions(form);
  const candidates = form.candidates.trim();
  if (candidates !== "" && !(WHOLE.test(candidates) && Number(candidates) >= 1 && Number(candidates) <= 20)) {
    problems.candidates = "Candidates must be a whole number from 1 to 20.";
  }
  const seed = form.seed.trim();
  if (seed !== "" && !(WHOLE.test(seed) && Number.isSafeInteger(Number(seed)))) problems.seed = "The seed must be a whole number, 0 or more.";
  return problems;
}

// The body of POST /api/v1/studio/characters/generate. Blank numbers, temperature and provider are
// left out (the server's defaults apply); the wizard saves through /studio/drafts, so `save` is false.
export function generateBody(form: BriefForm): Record<string, unknown> {
  const body: Record<string, unknown> = {
    theme: form.theme.trim(), audience: form.audience.trim(), role: form.role,
    candidates: form.candidates.trim() === "" ? 3 : Number(form.candidates),
    regenerate_near_copies: form.regenerateNearCopies, save: false,
  };
  if (form.seed.trim() !== "") body.seed = Number(form.seed);
  return addModelOptions(body, form);
}

export { jobFinished, newerJob, type Job, type JobStatus } from "./jobs";
import type { Job } from "./jobs";

export const GENERATION_JOB_KIND = "studio.generate_characters";

const asFormText = (value: unknown) => (typeof value === "string" ? value : typeof value === "number" ? String(value) : "");

// The brief a generation job was queued with (its payload, as the server checked it), so the wizard
// opened on a job's URL shows the brief that made it; null for a job of another kind.
export function briefFromJob(job: Job): BriefForm | null {
  if (job.kind !== GENERATION_JOB_KIND) return null;
  const payload = (job.payload ?? {}) as Record<string, unknown>;
  const role = (ROLES as readonly unknown[]).includes(payload.role) ? (payload.role as Role) : "companion";
  const candidates = asFormText(payload.candidates);
  return {
    theme: asFormText(payload.theme), audience: asFormText(payload.audience), role, candidates: candidates || "3",
    seed: asFormText(payload.seed), temperature: asFormText(payload.temperature), provider: asFormText(payload.provider),
    regenerateNearCopies: payload.regenerate_near_copies === true,
  };
}

const clamp01 = (value: number) => Math.min(1, Math.max(0, Number.isFinite(value) ? value : 0));

// Where a generation is, in words. The server reports progress as steps done / (candidates x 5).
export function progressText(job: Job, candidates: number): string {
  switch (job.status) {
    case "queued":
      return job.error ? `Waiting to try again (${job.error})…` : "Waiting for a worker…";
    case "succeeded":
      return "Done.";
    case "failed":
      return `Generation failed: ${job.error || "no reason given"}`;
    case "cancelled":
      return "Cancelled.";
    case "running":
      break;
  }
  const progress = clamp01(job.progress);
  const percent = `${Math.round(progress * 100)}%`;
  if (job.cancel_requested) return `Cancelling after the current step… ${percent}`;
  const count = Math.max(1, Math.floor(candidates) || 1);
  const done = Math.round(progress * count * STEPS.length);
  if (done >= count * STEPS.length) return `Checking the candidates… ${percent}`;
  const candidate = Math.floor(done / STEPS.length) + 1;
  const step = STEPS[done % STEPS.length];
  return `Candidate ${candidate} of ${count}: ${STEP_TITLES[step].toLowerCase()} (step ${(done % STEPS.length) + 1} of ${STEPS.length}) · ${percent}`;
}

// ---- Candidates ----

export interface DialogueLine { user: string; character: string }

export interface Draft {
  brief: { theme: string; audience: string; role: string; [key: string]: unknown };
  steps: Partial<Record<StepName, Record<string, unknown>>>;
  stale: string[];
}

export interface Finding { severity: string; step: string; field: string; message: string }

export interface Candidate {
  name: string;
  role: string;
  age: number;
  minor: boolean;
  setting: string;
  pitch: string;
  traits: string[];
  consistency: Finding[];
  draft: Draft;
}

export interface DiversityPair {
  first: number; // 1-based, as the report numbers candidates
  second: number;
  same_name: boolean;
  trait_overlap: number;
  text_similarity: number;
  near_copy: boolean;
  reason: string;
}

export interface GenerationResult {
  candidates: Candidate[];
  diversity: { pairs: DiversityPair[]; near_copies: number[]; regenerated: number };
}

// The result of a succeeded job, or null when it is not the shape the wizard reads.
export function generationResult(job: Job): GenerationResult | null {
  const result = job.result as Partial<GenerationResult> | null;
  if (!result || !Array.isArray(result.candidates)) return null;
  const diversity: Partial<GenerationResult["diversity"]> = result.diversity ?? {};
  return {
    candidates: result.candidates,
    diversity: { pairs: diversity.pairs ?? [], near_copies: diversity.near_copies ?? [], regenerated: diversity.regenerated ?? 0 },
  };
}

// How a finished generation ended for the wizard: its candidates, or why there are none.
export type GenerationEnd = { result: GenerationResult } | { notice: string; error: boolean };

export function generationEnd(job: Job): GenerationEnd {
  if (job.status === "failed") return { notice: `Generation failed: ${job.error || "no reason given"}`, error: true };
  if (job.status === "cancelled") return { notice: "Generation cancelled. Change the brief and generate again.", error: false };
  const result = generationResult(job);
  return result ? { result } : { notice: "The generation finished, but its result could not be read.", error: true };
}

// Each candidate's near-copy marks (index 0 is candidate 1): one line per near-copy pair it is in.
export function nearCopyMarks(pairs: DiversityPair[], count: number): string[][] {
  const marks: string[][] = Array.from({ length: count }, () => []);
  for (const pair of pairs) {
    if (!pair.near_copy) continue;
    const why = pair.reason ? ` (${pair.reason})` : "";
    if (pair.first >= 1 && pair.first <= count) marks[pair.first - 1].push(`Near-copy of #${pair.second}${why}`);
    if (pair.second >= 1 && pair.second <= count) marks[pair.second - 1].push(`Near-copy of #${pair.first}${why}`);
  }
  return marks;
}

// Where a consistency finding points: its field, which names the step already
// ("greetings.first_message"), else its step.
export function findingWhere(finding: Finding): string {
  if (!finding.field) return finding.step;
  return finding.field.startsWith(`${finding.step}.`) || !finding.step ? finding.field : `${finding.step}.${finding.field}`;
}

// ---- The draft as a form ----

export type FieldKind = "line" | "text" | "age" | "lines" | "dialogues";
export interface FieldSpec { key: string; label: string; kind: FieldKind }

// Every step's fields (docs/studio.md, "Character generation"), in the order the form shows them.
export const STEP_FIELDS: Record<StepName, FieldSpec[]> = {
  concept: [
    { key: "name", label: "Name", kind: "line" }, { key: "age", label: "Age", kind: "age" },
    { key: "role", label: "Role", kind: "line" }, { key: "setting", label: "Setting", kind: "text" },
    { key: "pitch", label: "Pitch", kind: "line" }, { key: "traits", label: "Traits (one per line)", kind: "lines" },
  ],
  background: [
    { key: "backstory", label: "Backstory", kind: "text" }, { key: "personality", label: "Personality", kind: "text" },
    { key: "likes", label: "Likes (one per line)", kind: "lines" }, { key: "dislikes", label: "Dislikes (one per line)", kind: "lines" },
  ],
  speech: [
    { key: "catchphrases", label: "Catchphrases (one per line)", kind: "lines" },
    { key: "vocabulary", label: "Vocabulary (one per line)", kind: "lines" },
    { key: "sentence_style", label: "Sentence style", kind: "text" },
    { key: "example_dialogues", label: "Example dialogues", kind: "dialogues" },
  ],
  greetings: [
    { key: "first_message", label: "First message", kind: "text" },
    { key: "alternates", label: "Other greetings (one per line)", kind: "lines" },
  ],
  image: [
    { key: "prompt", label: "Image prompt", kind: "text" }, { key: "negative_prompt", label: "Negative prompt", kind: "text" },
  ],
};

export type FieldValue = string | DialogueLine[];
export type DraftForm = Record<StepName, Record<string, FieldValue>>;

// "a\n b \n\nc" -> ["a", "b", "c"]: one item per line, trimmed, blank lines dropped.
export const splitLines = (text: string): string[] => text.split(/\r?\n/).map((line) => line.trim()).filter(Boolean);

const asText = (value: unknown): string => (typeof value === "string" ? value : value === undefined || value === null ? "" : String(value));

function fieldToForm(kind: FieldKind, value: unknown): FieldValue {
  if (kind === "lines") return Array.isArray(value) ? value.map(asText).join("\n") : asText(value);
  if (kind === "dialogues") {
    if (!Array.isArray(value)) return [];
    return value.map((line) => ({ user: asText(line?.user), character: asText(line?.character) }));
  }
  return asText(value);
}

export function draftToForm(draft: Draft): DraftForm {
  const form = {} as DraftForm;
  for (const step of STEPS) {
    const output = draft.steps[step] ?? {};
    form[step] = {};
    for (const field of STEP_FIELDS[step]) form[step][field.key] = fieldToForm(field.kind, output[field.key]);
  }
  return form;
}

// A whole number 1..150 (the concept schema's ages), or null.
export function parseAge(text: string): number | null {
  if (!/^\s*\d{1,3}\s*$/.test(text)) return null;
  const age = Number(text);
  return age >= 1 && age <= 150 ? age : null;
}

// What the form holds that the server would refuse for certain, by field key ("concept.age").
export function checkForm(form: DraftForm): Record<string, string> {
  const problems: Record<string, string> = {};
  if (parseAge(form.concept.age as string) === null) problems["concept.age"] = "The age must be a whole number from 1 to 150.";
  if ((form.concept.name as string).trim() === "") problems["concept.name"] = "The name must not be blank.";
  return problems;
}

function fieldFromForm(kind: FieldKind, value: FieldValue): unknown {
  if (kind === "lines") return splitLines(value as string);
  if (kind === "age") return parseAge(value as string) ?? (value as string);
  if (kind === "dialogues") {
    return (value as DialogueLine[]).map((line) => ({ user: line.user.trim(), character: line.character.trim() }))
      .filter((line) => line.user !== "" || line.character !== "");
  }
  return (value as string).trim();
}

// The draft to save: the original with every step's fields taken from the form (keys the form does
// not know are kept), and no stale marks, since the server recomputes them and refuses stale steps.
export function formToDraft(form: DraftForm, original: Draft): Draft {
  const steps: Draft["steps"] = {};
  for (const step of STEPS) {
    const output: Record<string, unknown> = { ...(original.steps[step] ?? {}) };
    for (const field of STEP_FIELDS[step]) output[field.key] = fieldFromForm(field.kind, form[step][field.key]);
    steps[step] = output;
  }
  return { ...original, brief: { ...original.brief }, steps, stale: [] };
}

// ---- "Edited after" hints ----

// For each step, the earlier step edited since it was written (the hint the page shows), if any.
export type EditedAfter = Partial<Record<StepName, StepName>>;

// Editing a step, as the server's ApplyStepReply marks stale steps: every later step now names it;
// the edited step itself is taken as reviewed.
export function markEdited(marks: EditedAfter, edited: StepName): EditedAfter {
  const next: EditedAfter = { ...marks };
  delete next[edited];
  for (const step of STEPS.slice(STEPS.indexOf(edited) + 1)) next[step] = edited;
  return next;
}

export const editedAfterHint = (earlier: StepName) =>
  `${STEP_TITLES[earlier]} was edited after this step was written: check that it still fits.`;

// ---- Edits kept per candidate ----

// The operator's edits to one candidate's draft, kept while they look at the other candidates and
// come back; only a new generation discards them.
export interface CandidateEdit {
  number: number; // 1-based, as the cards number the candidates
  form: DraftForm;
  editedAfter: EditedAfter;
  step: StepName; // the step shown when the operator comes back
  edited: boolean; // the form differs from the draft as generated
}

// One key per job and candidate, so a candidate of another job (back and forward in the history)
// never shows these edits.
export const candidateEditKey = (jobId: number, index: number) => `${jobId}#${index}`;

export const startEdit = (number: number, draft: Draft): CandidateEdit => ({
  number, form: draftToForm(draft), editedAfter: {}, step: "concept", edited: false,
});

const sameValue = (a: FieldValue, b: FieldValue) => (typeof a === "string" || typeof b === "string" ? a === b : JSON.stringify(a) === JSON.stringify(b));

export function sameForm(a: DraftForm, b: DraftForm): boolean {
  return STEPS.every((step) => STEP_FIELDS[step].every((field) => sameValue(a[step][field.key], b[step][field.key])));
}

// One field changed: the later steps are marked "edited after", and the edit knows whether the
// form still differs from the generated draft (typing a change back is no edit to lose).
export function editField(edit: CandidateEdit, draft: Draft, step: StepName, key: string, value: FieldValue): CandidateEdit {
  const form = { ...edit.form, [step]: { ...edit.form[step], [key]: value } };
  return { ...edit, form, editedAfter: markEdited(edit.editedAfter, step), edited: !sameForm(form, draftToForm(draft)) };
}

// What to ask before a new generation discards edits ("…candidates #1 (Wren), #3 (Ada)…"), or
// null when no candidate was edited.
export function discardEditsQuestion(edits: CandidateEdit[]): string | null {
  const edited = edits.filter((edit) => edit.edited).sort((a, b) => a.number - b.number);
  if (edited.length === 0) return null;
  const which = edited.map((edit) => `#${edit.number} (${(edit.form.concept.name as string).trim() || "no name"})`).join(", ");
  return `A new generation discards your edits to candidate${edited.length > 1 ? "s" : ""} ${which}. Generate anyway?`;
}

// ---- Save errors ----

const isStep = (text: string): text is StepName => (STEPS as readonly string[]).includes(text);

// The form field a save error is about: "concept.age", a step ("speech") when no field of it is
// named, "brief" for the brief, or "" for the form as a whole. The server names a path like
// draft.steps.concept.age (a rule), draft.steps.concept (a schema violation, whose message then
// names the member as "$.pitch"), or only the step (a 412 for a missing or stale step).
export function formFieldOfError(field: string, message = ""): string {
  const path = field.replace(/^draft\./, "").replace(/^steps\./, "");
  const [head, member] = path.split(/[.[]/);
  if (head === "brief") return "brief";
  if (!isStep(head)) return "";
  const named = member ?? /\$\.([a-z_]+)/.exec(message)?.[1];
  if (named && STEP_FIELDS[head].some((spec) => spec.key === named)) return `${head}.${named}`;
  return head;
}

// The schema checker's words for a bound, as a person would say them.
const BOUND_WORDS: Array<[string, string]> = [
  ["longer than maxLength", "too long"], ["shorter than minLength", "too short (is it empty?)"],
  ["more items than maxItems", "too many items"], ["fewer items than minItems", "too few items (is it empty?)"],
];

// A save error's message as shown beside its field: without the path it starts with, which the
// field's place already says ("draft.steps.concept: $.pitch: longer than maxLength" -> "Too long").
export function messageBesideField(message: string): string {
  let text = message.replace(/^(?:[$\w.[\]]+: )+/, "");
  for (const [bound, words] of BOUND_WORDS) if (text === bound) text = words;
  return text ? text[0].toUpperCase() + text.slice(1) : message;
}

// The step a form field key belongs to ("concept.age" -> "concept"), if any.
export function stepOfField(key: string): StepName | null {
  const head = key.split(".")[0];
  return isStep(head) ? head : null;
}
