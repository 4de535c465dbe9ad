// The studio's Create character wizard (/studio/create): a brief (theme, audience, role, how many
// candidates), the generation job's progress (job.updated events, or polling while the live feed is
// down) with Cancel, the candidates side by side with their consistency findings and near-copy
// marks, then the picked draft edited step by step and saved as an unpublished character. The job
// is in the URL (/studio/create?job=123), so a reload follows it again or shows its candidates.
import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, type Character } from "../lib/api";
import {
  briefFromJob, candidateEditKey, checkBrief, checkForm, defaultBrief, discardEditsQuestion, editField, editedAfterHint, findingWhere,
  formFieldOfError, formToDraft, generateBody, generationEnd, generationResult, jobFinished, messageBesideField, nearCopyMarks,
  progressText, startEdit, stepOfField, ROLES, STEPS, STEP_FIELDS, STEP_TITLES,
  type BriefForm, type Candidate, type CandidateEdit, type DialogueLine, type EditedAfter, type FieldSpec, type FieldValue,
  type GenerationResult, type Job, type Role, type StepName,
} from "../lib/character_wizard";
import { AdvancedOptions, ModelOptionsFields } from "../components/model_options";
import { useJob } from "../components/use_job";
import { StepPreview, usePreview } from "../components/wizard_previews";
import { picturePreviewRequest, voicePreviewRequest } from "../lib/previews";
import { useApp } from "../context";
import "./create_character.css";

type Errors = Record<string, string>;
interface Notice { text: string; error: boolean }
const STAGES = ["Brief", "Generate", "Pick", "Edit and save"];
const ADVANCED_FIELDS = ["seed", "temperature", "provider"];
const BRIEF_FIELDS = ["theme", "audience", "role", "candidates", ...ADVANCED_FIELDS];

// The generation the wizard shows: none (the brief), the URL's job being read, followed while it
// runs, or done with its candidates. A job that failed or was cancelled goes back to the brief.
type Generation =
  | { state: "none" }
  | { state: "loading"; jobId: number }
  | { state: "running"; job: Job }
  | { state: "done"; jobId: number; result: GenerationResult };

const jobIdOf = (generation: Generation) =>
  generation.state === "none" ? undefined : generation.state === "running" ? generation.job.id : generation.jobId;

// jobId is the URL's ?job=: the generation job to follow or whose candidates to show, so a reload
// or a shared link comes back to the same generation.
export function CreateCharacterPage({ jobId }: { jobId?: number }) {
  const { api, navigate } = useApp();
  const [brief, setBrief] = useState<BriefForm>(defaultBrief);
  const [generation, setGeneration] = useState<Generation>({ state: "none" });
  const [picked, setPicked] = useState<number | null>(null);
  const [edits, setEdits] = useState<Record<string, CandidateEdit>>({});
  const [notice, setNotice] = useState<Notice | null>(null);

  useEffect(() => {
    setPicked(null);
    if (jobId === undefined) {
      setGeneration({ state: "none" });
      return;
    }
    if (jobIdOf(generation) === jobId) return; // queued from this page: followed already
    let current = true;
    setGeneration({ state: "loading", jobId });
    api.json<Job>("GET", `/api/v1/jobs/${jobId}`)
      .then((job) => { if (current) follow(job); })
      .catch((problem) => {
        if (!current) return;
        setGeneration({ state: "none" });
        setNotice({ text: `Job #${jobId} could not be read: ${problem instanceof Error ? problem.message : String(problem)}`, error: true });
      });
    return () => { current = false; };
  }, [jobId]);

  // A job read from the URL: its brief comes back, and it is followed or shown as it ended.
  function follow(job: Job) {
    const queuedBrief = briefFromJob(job);
    if (!queuedBrief) {
      setGeneration({ state: "none" });
      return setNotice({ text: `Job #${job.id} is a ${job.kind} job, not a character generation.`, error: true });
    }
    setBrief(queuedBrief);
    if (jobFinished(job)) finished(job);
    else setGeneration({ state: "running", job });
  }
  function finished(job: Job) {
    const end = generationEnd(job);
    if ("result" in end) {
      setNotice(null);
      setGeneration({ state: "done", jobId: job.id, result: end.result });
    } else {
      setNotice({ text: end.notice, error: end.error });
      setGeneration({ state: "none" });
    }
  }
  function started(queued: Job) {
    setNotice(null);
    setEdits({}); // the operator agreed to lose them (BriefStep asks)
    setGeneration({ state: "running", job: queued });
    navigate({ page: "create", jobId: queued.id });
  }
  const backToBrief = () => { setNotice(null); navigate({ page: "create" }); };

  const result = generation.state === "done" ? generation.result : null;
  const candidate = result && picked !== null ? result.candidates[picked] : undefined;
  const stage = candidate ? 3 : result ? 2 : generation.state === "none" ? 0 : 1;
  const editOf = (index: number) => (generation.state === "done" ? edits[candidateEditKey(generation.jobId, index)] : undefined);
  const pickedEdit = candidate && picked !== null ? editOf(picked) ?? startEdit(picked + 1, candidate.draft) : null;
  const changeEdit = (update: (edit: CandidateEdit) => CandidateEdit) => {
    if (generation.state !== "done" || picked === null || !candidate) return;
    const key = candidateEditKey(generation.jobId, picked);
    setEdits((all) => ({ ...all, [key]: update(all[key] ?? startEdit(picked + 1, candidate.draft)) }));
  };
  return (
    <section class="wizard">
      <div class="toolbar">
        <a href="/studio" onClick={(e) => { e.preventDefault(); navigate({ page: "studio" }); }}>← Studio</a>
        <h1>Create character</h1>
      </div>
      <ol class="wizard-stages" aria-label="Wizard steps">
        {STAGES.map((name, i) => <li key={name} aria-current={i === stage ? "step" : undefined} class={i < stage ? "done" : ""}>{name}</li>)}
      </ol>
      {notice && <p class={`banner ${notice.error ? "error" : "info"}`} role={notice.error ? "alert" : "status"}>{notice.text}</p>}
      {stage === 0 && <BriefStep form={brief} discardQuestion={discardEditsQuestion(Object.values(edits))} onChange={setBrief} onQueued={started} />}
      {generation.state === "loading" && <p class="empty" role="status">Reading job #{generation.jobId}…</p>}
      {generation.state === "running" && (
        <GenerationStep key={generation.job.id} initial={generation.job} candidates={generateBody(brief).candidates as number} onDone={finished} />
      )}
      {stage === 2 && result && <CandidatesStep result={result} editOf={editOf} onPick={setPicked} onBack={backToBrief} />}
      {stage === 3 && candidate && pickedEdit && (
        <EditStep key={picked} candidate={candidate} edit={pickedEdit} seed={brief.seed} onChange={changeEdit} onBack={() => setPicked(null)} />
      )}
    </section>
  );
}

// ---- 1. The brief ----

// discardQuestion, when edits of the last candidates would be lost, is asked before generating.
function BriefStep({ form, discardQuestion, onChange, onQueued }: {
  form: BriefForm; discardQuestion: string | null; onChange: (form: BriefForm) => void; onQueued: (job: Job) => void;
}) {
  const { api, report } = useApp();
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const field = (name: "theme" | "audience" | "candidates" | "seed") => ({
    name, value: form[name], "aria-invalid": errors[name] ? true : undefined,
    onInput: (e: Event) => onChange({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });
  const error = (name: string) => errors[name] && <span class="field-error" role="alert">{errors[name]}</span>;

  async function generate(event: Event) {
    event.preventDefault();
    const problems = checkBrief(form);
    if (Object.keys(problems).length > 0) return setErrors(problems);
    if (discardQuestion && !window.confirm(discardQuestion)) return;
    setBusy(true);
    setErrors({});
    try {
      onQueued(await api.json<Job>("POST", "/api/v1/studio/characters/generate", generateBody(form)));
    } catch (problem) {
      // An unknown provider is a 404 naming the field: it belongs beside the field too.
      if (problem instanceof ApiError && BRIEF_FIELDS.includes(problem.field)) setErrors({ [problem.field]: problem.message });
      else report(problem);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="card wizard-brief" onSubmit={generate} aria-label="Brief" noValidate>
      <h2>What should the characters be?</h2>
      <label>Theme <span class="hint">(a world, a trade, a mood)</span><input required {...field("theme")} />{error("theme")}</label>
      <label>Audience <span class="hint">(who will talk with them)</span><input required {...field("audience")} />{error("audience")}</label>
      <div class="row">
        <label>Role
          <select name="role" value={form.role} onChange={(e) => onChange({ ...form, role: (e.target as HTMLSelectElement).value as Role })}>
            {ROLES.map((role) => <option key={role} value={role}>{role}</option>)}
          </select>
          {error("role")}
        </label>
        <label>Candidates <input type="number" min="1" max="20" class="narrow" {...field("candidates")} />{error("candidates")}</label>
      </div>
      <AdvancedOptions hasError={ADVANCED_FIELDS.some((name) => errors[name])}>
        <div class="row">
          <label>Seed <input type="number" min="0" step="1" class="narrow" placeholder="1" {...field("seed")} />{error("seed")}</label>
          <ModelOptionsFields form={form} errors={errors} defaultTemperature="0.9" onChange={(options) => onChange({ ...form, ...options })} />
          <label class="inline">
            <input type="checkbox" checked={form.regenerateNearCopies}
                   onChange={(e) => onChange({ ...form, regenerateNearCopies: (e.target as HTMLInputElement).checked })} />
            Make near-copies again
          </label>
        </div>
      </AdvancedOptions>
      <button type="submit" disabled={busy || !form.theme.trim() || !form.audience.trim()}>{busy ? "Starting…" : "Generate"}</button>
    </form>
  );
}

// ---- 2. The generation job ----

// onDone gets the finished job, read again once if it succeeded but came without its result.
function GenerationStep({ initial, candidates, onDone }: { initial: Job; candidates: number; onDone: (job: Job) => void }) {
  const { api } = useApp();
  const { job, cancel, cancelling } = useJob(initial);

  useEffect(() => {
    if (!jobFinished(job)) return;
    if (job.status === "succeeded" && !generationResult(job)) api.json<Job>("GET", `/api/v1/jobs/${job.id}`).catch(() => job).then(onDone);
    else onDone(job);
  }, [job.status]);

  return (
    <div class="card wizard-progress">
      <h2>Generating {candidates === 1 ? "a candidate" : `${candidates} candidates`}</h2>
      <progress max={1} value={Math.min(1, Math.max(0, job.progress || 0))} aria-label="Generation progress" />
      <p data-testid="generation-status" role="status">{progressText(job, candidates)}</p>
      <p class="hint">Each candidate is written in five steps: concept, background, speech, greetings, image prompt.</p>
      <button type="button" class="secondary" disabled={cancelling} onClick={cancel}>{cancelling ? "Cancelling…" : "Cancel"}</button>
    </div>
  );
}

// ---- 3. The candidates ----

function CandidatesStep({ result, editOf, onPick, onBack }: {
  result: GenerationResult; editOf: (index: number) => CandidateEdit | undefined; onPick: (index: number) => void; onBack: () => void;
}) {
  const marks = nearCopyMarks(result.diversity.pairs, result.candidates.length);
  const nearCopies = result.diversity.pairs.filter((pair) => pair.near_copy).length;
  return (
    <div class="wizard-candidates">
      <div class="row">
        <h2>Pick a candidate</h2>
        <span class="hint">{result.candidates.length} made · {nearCopies === 0 ? "no near-copies" : `${nearCopies} near-copy pair${nearCopies > 1 ? "s" : ""}`}
          {result.diversity.regenerated > 0 && ` · ${result.diversity.regenerated} made again`}</span>
        <div class="spacer" />
        <button type="button" class="secondary" onClick={onBack}>Back to the brief</button>
      </div>
      <ul class="cards">
        {result.candidates.map((candidate, i) => (
          <CandidateCard key={i} number={i + 1} candidate={candidate} marks={marks[i]} edited={editOf(i)?.edited === true}
                         onPick={() => onPick(i)} />
        ))}
      </ul>
    </div>
  );
}

function CandidateCard({ number, candidate, marks, edited, onPick }: {
  number: number; candidate: Candidate; marks: string[]; edited: boolean; onPick: () => void;
}) {
  const name = candidate.name || "(no name)";
  return (
    <li class="card candidate" data-candidate={number}>
      <div class="row">
        <span class="candidate-number">#{number}</span>
        <h3 class="candidate-name">{name}</h3>
        <span class="pill">age {candidate.age}</span>
        {candidate.minor && <span class="pill warn" title="Under 18: saved with a friendship-only flow">minor</span>}
        {edited && <span class="pill" title="You changed this draft: picking it again shows your edits">edited</span>}
      </div>
      {candidate.pitch && <p class="pitch">{candidate.pitch}</p>}
      {candidate.traits.length > 0 && <div class="tags small">{candidate.traits.map((trait, i) => <span key={i} class="tag">{trait}</span>)}</div>}
      {marks.map((mark) => <p key={mark} class="near-copy" role="note">{mark}</p>)}
      {candidate.consistency.length > 0 && (
        <>
          <p class="findings-title">Consistency</p>
          <ul class="findings" aria-label={`Consistency findings of candidate ${number}`}>
            {candidate.consistency.map((finding, i) => (
              <li key={i} class={`finding ${finding.severity}`}>{findingWhere(finding)}: {finding.message}</li>
            ))}
          </ul>
        </>
      )}
      <button type="button" aria-label={`${edited ? "Go on editing" : "Pick"} candidate ${number}, ${name}`} onClick={onPick}>
        {edited ? "Go on editing" : "Pick"}
      </button>
    </li>
  );
}

// ---- 4. Edit and save ----

// The edit lives in the page (onChange updates it), so Back to the candidates keeps it; the
// previews live here, so they last while this candidate is open. seed is the brief's, for pictures.
function EditStep({ candidate, edit, seed, onChange, onBack }: {
  candidate: Candidate; edit: CandidateEdit; seed: string; onChange: (update: (edit: CandidateEdit) => CandidateEdit) => void; onBack: () => void;
}) {
  const { api, navigate, report } = useApp();
  const [errors, setErrors] = useState<Errors>({});
  const [saving, setSaving] = useState(false);
  const picture = usePreview("picture");
  const voice = usePreview("voice");
  const { form, step, editedAfter } = edit;
  const setStep = (next: StepName) => onChange((current) => ({ ...current, step: next }));

  const change = (key: string, value: FieldValue) => {
    onChange((current) => editField(current, candidate.draft, step, key, value));
    setErrors((current) => {
      const { [`${step}.${key}`]: _answered, ...rest } = current;
      return rest;
    });
  };
  const showErrors = (found: Errors) => {
    setErrors(found);
    const first = Object.keys(found).map(stepOfField).find((s) => s !== null);
    if (first) setStep(first);
  };

  async function save() {
    const problems = checkForm(form);
    if (Object.keys(problems).length > 0) return showErrors(problems);
    setSaving(true);
    setErrors({});
    try {
      const saved = await api.json<Character>("POST", "/api/v1/studio/drafts", { draft: formToDraft(form, candidate.draft) });
      navigate({ page: "character", characterId: saved.id });
    } catch (problem) {
      if (problem instanceof ApiError && (problem.status === 400 || problem.status === 412)) {
        showErrors({ [formFieldOfError(problem.field, problem.message) || "draft"]: messageBesideField(problem.message) });
      } else {
        report(problem);
      }
      setSaving(false);
    }
  }

  const index = STEPS.indexOf(step);
  const general = errors.draft ?? errors.brief;
  return (
    <div class="wizard-edit">
      <div class="row">
        <h2>Edit {(form.concept.name as string) || "the draft"}</h2>
        <div class="spacer" />
        <button type="button" class="secondary" onClick={onBack}>Back to the candidates</button>
        <button type="button" onClick={save} disabled={saving}>{saving ? "Saving…" : "Save as draft character"}</button>
      </div>
      {general && <p class="field-error" role="alert">{general}</p>}
      <StepTabs current={step} editedAfter={editedAfter} errors={errors} onSelect={setStep} />
      <fieldset class="wizard-step" aria-describedby={editedAfter[step] ? "edited-after" : undefined}>
        <legend>{index + 1}. {STEP_TITLES[step]}</legend>
        {editedAfter[step] && <p id="edited-after" class="hint edited-after">{editedAfterHint(editedAfter[step]!)}</p>}
        {errors[step] && <p class="field-error" role="alert">{errors[step]}</p>}
        {STEP_FIELDS[step].map((spec) => (
          <FieldInput key={`${step}.${spec.key}`} id={`${step}.${spec.key}`} spec={spec} value={form[step][spec.key]}
                      error={errors[`${step}.${spec.key}`]} onChange={(value) => change(spec.key, value)} />
        ))}
        <StepPreview step={step} name={form.concept.name as string} picture={picture} voice={voice}
                     pictureRequest={() => picturePreviewRequest(formToDraft(form, candidate.draft), seed)}
                     voiceRequest={() => voicePreviewRequest(formToDraft(form, candidate.draft))} />
      </fieldset>
      <div class="row">
        <button type="button" class="secondary" disabled={index === 0} onClick={() => setStep(STEPS[index - 1])}>← {index > 0 ? STEP_TITLES[STEPS[index - 1]] : "Back"}</button>
        <button type="button" class="secondary" disabled={index === STEPS.length - 1} onClick={() => setStep(STEPS[index + 1])}>{index < STEPS.length - 1 ? STEP_TITLES[STEPS[index + 1]] : "Next"} →</button>
      </div>
    </div>
  );
}

function StepTabs({ current, editedAfter, errors, onSelect }: {
  current: StepName; editedAfter: EditedAfter; errors: Errors; onSelect: (step: StepName) => void;
}) {
  const hasError = (step: StepName) => Object.keys(errors).some((key) => stepOfField(key) === step);
  return (
    <nav class="step-tabs" aria-label="Draft steps">
      {STEPS.map((step, i) => (
        <button key={step} type="button" class={`ghost${step === current ? " on" : ""}`} aria-current={step === current ? "step" : undefined}
                onClick={() => onSelect(step)}>
          {i + 1}. {STEP_TITLES[step]}
          {editedAfter[step] && <span class="pill warn" title={editedAfterHint(editedAfter[step]!)}>edited after</span>}
          {hasError(step) && <span class="pill error-pill">error</span>}
        </button>
      ))}
    </nav>
  );
}

function FieldInput({ id, spec, value, error, onChange }: {
  id: string; spec: FieldSpec; value: FieldValue; error?: string; onChange: (value: FieldValue) => void;
}) {
  const described = error ? `${id}-error` : undefined;
  const message = error && <p id={described} class="field-error" role="alert">{error}</p>;
  if (spec.kind === "dialogues") {
    return <DialogueEditor label={spec.label} lines={value as DialogueLine[]} onChange={onChange}>{message}</DialogueEditor>;
  }
  const text = value as string;
  const input = (e: Event) => onChange((e.target as HTMLInputElement | HTMLTextAreaElement).value);
  const common = { name: id, value: text, onInput: input, "aria-invalid": error ? true : undefined, "aria-describedby": described };
  return (
    <label>{spec.label}
      {spec.kind === "line" || spec.kind === "age"
        ? <input {...common} inputMode={spec.kind === "age" ? "numeric" : undefined} class={spec.kind === "age" ? "narrow" : undefined} />
        : <textarea {...common} rows={spec.kind === "lines" ? Math.max(3, text.split("\n").length + 1) : 4} />}
      {message}
    </label>
  );
}

// Example dialogues: a user line and the character's answer per pair; blank pairs are dropped on save.
function DialogueEditor({ label, lines, onChange, children }: {
  label: string; lines: DialogueLine[]; onChange: (lines: DialogueLine[]) => void; children?: ComponentChildren;
}) {
  const set = (i: number, part: keyof DialogueLine, text: string) =>
    onChange(lines.map((line, j) => (j === i ? { ...line, [part]: text } : line)));
  return (
    <fieldset class="list-field dialogues">
      <legend>{label}</legend>
      {lines.map((line, i) => (
        <div class="dialogue" key={i}>
          <label>User {i + 1}<input value={line.user} onInput={(e) => set(i, "user", (e.target as HTMLInputElement).value)} /></label>
          <label>Character {i + 1}<textarea value={line.character} onInput={(e) => set(i, "character", (e.target as HTMLTextAreaElement).value)} /></label>
          <button type="button" class="ghost" aria-label={`Remove dialogue ${i + 1}`} onClick={() => onChange(lines.filter((_, j) => j !== i))}>×</button>
        </div>
      ))}
      <button type="button" class="secondary" onClick={() => onChange([...lines, { user: "", character: "" }])}>Add dialogue</button>
      {children}
    </fieldset>
  );
}
