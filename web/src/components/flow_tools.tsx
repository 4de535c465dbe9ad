// The flow tools beside the character editor's flow textarea: "Generate a flow" from a topic and a
// goal, and "Optimize this flow" from how its stages did; each runs a studio job (followed with
// useJob, Cancel while it runs) and hands its YAML to the textarea, which the operator then saves.
// They sit inside the editor's <form>, so they use no form of their own and Enter starts them.
// The optimizer works on the saved flow only (the API reads the stored one), and its Apply only
// onto the flow it was made for, so a proposal never lands on a flow it was not computed from.
import { useEffect, useState } from "preact/hooks";
import { ApiError } from "../lib/api";
import {
  defaultGenerateForm, defaultOptimizeForm, flowJobText, generateFlowBody, generatedFlow, optimization, optimizationFit, optimizeBlocker,
  optimizeFlowBody, parseDiff, performanceRows, type GenerateFlowForm, type GeneratedFlow, type Optimization, type OptimizationFit,
  type OptimizeFlowForm,
} from "../lib/flow_tools";
import type { Job } from "../lib/jobs";
import { checkModelOptions, MODEL_OPTION_FIELDS } from "../lib/model_options";
import { useApp } from "../context";
import { AdvancedOptions, ModelOptionsFields } from "./model_options";
import { JobProgress } from "./job_progress";
import "./flow_tools.css";

// Enter in a tool's field starts the tool instead of saving the whole character.
const enterStarts = (start: () => void) => (e: KeyboardEvent) => {
  if (e.key === "Enter") { e.preventDefault(); start(); }
};

interface Notice { text: string; error: boolean }
const NoticeLine = ({ notice }: { notice: Notice | null }) =>
  notice && <p class={notice.error ? "field-error" : "hint"} role={notice.error ? "alert" : "status"}>{notice.text}</p>;

// A refusal about the temperature or the provider (a 400, or a 404 for an unknown provider), as an
// error beside that field; null for any other problem.
function modelOptionError(problem: unknown): Record<string, string> | null {
  if (!(problem instanceof ApiError) || !(MODEL_OPTION_FIELDS as readonly string[]).includes(problem.field)) return null;
  return { [problem.field]: problem.message };
}

// ---- Generate a flow ----

export function FlowGenerator({ minor, onUse }: { minor: boolean; onUse: (flow: string) => void }) {
  const { api, report } = useApp();
  const [form, setForm] = useState<GenerateFlowForm>(() => defaultGenerateForm(minor));
  const [job, setJob] = useState<Job | null>(null);
  const [result, setResult] = useState<GeneratedFlow | null>(null);
  const [notice, setNotice] = useState<Notice | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState(false);

  // The card's extensions may load or change after the form was made: the checkbox follows them until touched.
  const [minorTouched, setMinorTouched] = useState(false);
  useEffect(() => { if (!minorTouched) setForm((current) => ({ ...current, minor })); }, [minor]);

  const ready = form.topic.trim() !== "" && form.goal.trim() !== "" && !job && !starting;
  async function start() {
    if (!ready) return;
    const problems = checkModelOptions(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setStarting(true);
    setNotice(null);
    setResult(null);
    try {
      setJob(await api.json<Job>("POST", "/api/v1/studio/flows/generate", generateFlowBody(form)));
    } catch (problem) {
      const besideField = modelOptionError(problem);
      if (besideField) setErrors(besideField);
      else if (problem instanceof ApiError && problem.status === 400) setNotice({ text: problem.message, error: true });
      else report(problem);
    } finally {
      setStarting(false);
    }
  }
  function finished(done: Job) {
    setJob(null);
    const flow = done.status === "succeeded" ? generatedFlow(done) : null;
    setResult(flow);
    if (done.status === "cancelled") setNotice({ text: "Generation cancelled.", error: false });
    else if (!flow) setNotice({ text: done.status === "failed" ? flowJobText(done) : "The generation finished, but its flow could not be read.", error: true });
  }

  const text = (name: "topic" | "goal" | "minStages" | "maxStages" | "seed") => ({
    name: `flow-${name}`, value: form[name], onKeyDown: enterStarts(start),
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <details class="flow-tool" aria-label="Generate a flow">
      <summary>Generate a flow</summary>
      <label>Topic<input {...text("topic")} placeholder="a tea shop" /></label>
      <label>Goal<input {...text("goal")} placeholder="the visitor picks a tea they like" /></label>
      <div class="row">
        <label class="inline"><input type="checkbox" checked={form.minor}
               onChange={(e) => { setMinorTouched(true); setForm({ ...form, minor: (e.target as HTMLInputElement).checked }); }} /> For a minor</label>
        <label>Fewest stages<input type="number" min="2" max="12" class="narrow" placeholder="5" {...text("minStages")} /></label>
        <label>Most stages<input type="number" min="2" max="12" class="narrow" placeholder="7" {...text("maxStages")} /></label>
        <label>Seed<input type="number" min="0" class="narrow" placeholder="1" {...text("seed")} /></label>
      </div>
      <AdvancedOptions hasError={Object.keys(errors).length > 0}>
        <div class="row">
          <ModelOptionsFields namePrefix="flow-" form={form} errors={errors} defaultTemperature="0.9" onKeyDown={enterStarts(start)}
                              onChange={(options) => setForm({ ...form, ...options })} />
        </div>
      </AdvancedOptions>
      {!job && <button type="button" disabled={!ready} onClick={start}>{starting ? "Starting…" : "Generate flow"}</button>}
      {job && <JobProgress key={job.id} initial={job} label="Flow generation progress" text={flowJobText} onDone={finished} />}
      <NoticeLine notice={notice} />
      {result && (
        <div class="flow-result">
          <p class="hint">Stages: {result.stages.join(" → ") || "(none named)"}</p>
          <pre class="code flow-yaml" aria-label="Generated flow">{result.flow}</pre>
          <button type="button" onClick={() => { onUse(result.flow); setNotice({ text: "Put into the flow field: save the character to keep it.", error: false }); }}>
            Use this flow
          </button>
        </div>
      )}
    </details>
  );
}

// ---- Optimize this flow ----

// savedFlow is the character's flow as stored, which the optimizer measures; fieldFlow what the
// flow field holds now, which an optimization must have been made for to be applied.
export function FlowOptimizer({ characterId, savedFlow, fieldFlow, onApply }: {
  characterId: number; savedFlow: string; fieldFlow: string; onApply: (flow: string) => void;
}) {
  const { api, report } = useApp();
  const [form, setForm] = useState<OptimizeFlowForm>(defaultOptimizeForm);
  const [job, setJob] = useState<Job | null>(null);
  const [result, setResult] = useState<Optimization | null>(null);
  const [madeFor, setMadeFor] = useState(""); // the field's flow when Optimize was pressed
  const [notice, setNotice] = useState<Notice | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState(false);
  const blocker = optimizeBlocker(savedFlow, fieldFlow);

  async function start() {
    if (job || starting || blocker) return;
    const problems = checkModelOptions(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setStarting(true);
    setNotice(null);
    setResult(null);
    setMadeFor(fieldFlow);
    try {
      setJob(await api.json<Job>("POST", "/api/v1/studio/flows/optimize", optimizeFlowBody(characterId, form)));
    } catch (problem) {
      const besideField = modelOptionError(problem);
      if (besideField) setErrors(besideField);
      else if (problem instanceof ApiError && problem.status === 412) setNotice({ text: "This character has no flow of its own: save one first.", error: true });
      else if (problem instanceof ApiError && problem.status === 400) setNotice({ text: problem.message, error: true });
      else report(problem);
    } finally {
      setStarting(false);
    }
  }
  function finished(done: Job) {
    setJob(null);
    const found = done.status === "succeeded" ? optimization(done) : null;
    setResult(found);
    if (done.status === "cancelled") setNotice({ text: "Optimization cancelled.", error: false });
    else if (!found) setNotice({ text: done.status === "failed" ? flowJobText(done) : "The optimization finished, but its result could not be read.", error: true });
  }

  const field = (name: "from" | "to" | "maxEdits") => ({
    name: `optimize-${name}`, value: form[name], onKeyDown: enterStarts(start),
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });
  return (
    <details class="flow-tool" aria-label="Optimize this flow">
      <summary>Optimize this flow</summary>
      <p class="hint">The model reads how each stage did (reached, drop-off, sentiment, ratings) and proposes edits. Blank period: the last 30 days.</p>
      <div class="row">
        <label>From<input type="date" {...field("from")} /></label>
        <label>To<input type="date" {...field("to")} /></label>
        <label>Max edits<input type="number" min="1" max="10" class="narrow" placeholder="3" {...field("maxEdits")} /></label>
      </div>
      <AdvancedOptions hasError={Object.keys(errors).length > 0}>
        <div class="row">
          <ModelOptionsFields namePrefix="optimize-" form={form} errors={errors} defaultTemperature="0.7" onKeyDown={enterStarts(start)}
                              onChange={(options) => setForm({ ...form, ...options })} />
        </div>
      </AdvancedOptions>
      {blocker && !job && <p class="flow-blocker" role="note">{blocker}</p>}
      {!job && <button type="button" disabled={starting || blocker !== null} onClick={start}>{starting ? "Starting…" : "Optimize"}</button>}
      {job && <JobProgress key={job.id} initial={job} label="Flow optimization progress" text={flowJobText} onDone={finished} />}
      <NoticeLine notice={notice} />
      {result && <OptimizationView result={result} fit={optimizationFit(result, madeFor, fieldFlow)} onApply={() => onApply(result.flow_after)} />}
    </details>
  );
}

const FIT_HINTS: Record<OptimizationFit, string> = {
  applicable: "",
  applied: "Applied to the flow field: save the character to keep it.",
  unchanged: "Nothing to apply: the proposal leaves the flow as it is.",
  stale: "The flow field has changed since this was proposed (another flow was put in, or it was edited): " +
    "these edits were made for the flow before it, so they cannot be applied. Optimize again for the flow now in the field.",
};

function OptimizationView({ result, fit, onApply }: { result: Optimization; fit: OptimizationFit; onApply: () => void }) {
  const rows = performanceRows(result.performance);
  const lines = parseDiff(result.diff);
  return (
    <div class="flow-result">
      <div class="table-scroll">
        <table class="flow-performance" aria-label="Stage performance">
          <thead><tr><th>Stage</th><th>Reached</th><th>Drop-off</th><th>Sentiment</th><th>Rating</th></tr></thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.stage} data-stage={row.stage}>
                <td>{row.stage}</td><td>{row.reached}</td><td>{row.dropOff}</td><td>{row.sentiment}</td><td>{row.rating}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <h3>Edits</h3>
      {result.edits.length === 0 ? <p class="hint">The model proposed no edit.</p> : (
        <ol class="flow-edits" aria-label="Edits">
          {result.edits.map((edit, i) => (
            <li key={i} class="flow-edit">
              <strong>{edit.stage}</strong>: {edit.reason || "(no reason given)"}
              {edit.prompt && <div class="hint">New prompt: {edit.prompt}</div>}
              {typeof edit.messages_at_least === "number" && <div class="hint">Move on after {edit.messages_at_least} messages</div>}
            </li>
          ))}
        </ol>
      )}
      <h3>Changes</h3>
      {lines.length === 0 ? <p class="hint">The flow is unchanged.</p> : (
        <div class="diff code" role="list" aria-label="Changes to the flow">
          {lines.map((line, i) => <div key={i} role="listitem" class={`diff-line ${line.kind}`}>{line.text || " "}</div>)}
        </div>
      )}
      {FIT_HINTS[fit] && <p class={`hint flow-fit ${fit}`} role="status">{FIT_HINTS[fit]}</p>}
      <button type="button" onClick={onApply} disabled={fit !== "applicable"}>{fit === "applied" ? "Applied" : "Apply"}</button>
    </div>
  );
}
