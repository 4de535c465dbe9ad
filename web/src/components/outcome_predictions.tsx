// The Analytics page's Predictions section: per outcome, the newest stored predictor (the one the
// server predicts with) with its held-out figures, reliability diagram and feature importance; every
// stored model in a table (CSV); and for studio keys a form that trains one as a job (progress,
// Cancel), after which the section reads the models again. Models are not per period or character,
// so the section ignores the page's filters.
import { useEffect, useMemo, useState } from "preact/hooks";
import { useApp } from "../context";
import { ApiError } from "../lib/api";
import type { Job } from "../lib/jobs";
import {
  defaultTrainForm, formatFigure, heldOutFigures, jobReason, modelsCsv, newestModels, OUTCOMES, outcomeModelsPath, outcomeTitles, sortedModels,
  trainBody, trainedModelId, trainingJobText, withReport, type OutcomeModel, type TrainForm,
} from "../lib/predictions";
import { CsvButton } from "./csv_button";
import { AdvancedOptions } from "./model_options";
import { ImportanceChart, ReliabilityChart } from "./prediction_charts";
import { JobProgress } from "./job_progress";
import "./outcome_predictions.css";

const day = (ms: number) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");

export function PredictionsSection({ canTrain }: { canTrain: boolean }) {
  const { api, report } = useApp();
  const [models, setModels] = useState<OutcomeModel[] | null>(null);
  const load = () => api.all<OutcomeModel>(outcomeModelsPath).then((list) => setModels(list.map(withReport)));
  useEffect(() => { load().catch(report); }, []);
  const newest = useMemo(() => newestModels(models ?? []), [models]);
  const untrained = OUTCOMES.filter((outcome) => !newest.some((model) => model.outcome === outcome));

  return (
    <section class="predictions" aria-labelledby="predictions-heading" data-testid="predictions">
      <h2 id="predictions-heading">Predictions</h2>
      <p class="hint">
        Outcome predictors trained on the stored conversations, measured on the conversations held out from training. The
        newest handoff model is the one the server predicts with while conversations run.
      </p>
      {canTrain && <TrainOutcomeModel onTrained={() => load().catch(report)} />}
      {models === null && <p class="hint">Loading…</p>}
      {newest.map((model) => <NewestModel key={model.id} model={model} />)}
      {models !== null && untrained.length > 0 && (
        <p class="hint" data-testid="untrained-outcomes">
          No model yet for {untrained.map((outcome) => outcomeTitles[outcome].toLowerCase()).join(", ")}
          {canTrain ? ": train one above." : " (a studio key trains them)."}
        </p>
      )}
      {models !== null && models.length > 0 && <ModelsTable models={models} />}
    </section>
  );
}

function NewestModel({ model }: { model: OutcomeModel }) {
  const headingId = `prediction-${model.outcome}-heading`;
  const r = model.report;
  return (
    <article class="prediction-model" data-testid={`prediction-${model.outcome}`} data-model={model.id} aria-labelledby={headingId}>
      <h3 id={headingId}>{outcomeTitles[model.outcome]} <span class="hint">model #{model.id}, trained {day(model.created_at)} UTC</span></h3>
      <p class="hint">
        From the first {model.first_messages} messages{model.outcome === "return" ? `, coming back within ${model.return_days} days` : ""};{" "}
        {r.train_examples} conversations trained on, {r.test_examples} held out ({r.test_positives} of them positive). Decisions at {r.threshold}.
      </p>
      <dl class="kpi-totals prediction-figures">
        {heldOutFigures(model).map((figure) => (
          <div class="card" key={figure.key} data-key={figure.key} title={figure.hint}>
            <dt>{figure.label}</dt><dd>{figure.value}</dd>
          </div>
        ))}
      </dl>
      <div class="kpi-charts">
        <ReliabilityChart title={`Reliability, model #${model.id}`} testId={`reliability-${model.outcome}`} bins={r.calibration} />
        <ImportanceChart title={`Feature importance, model #${model.id}`} testId={`importance-${model.outcome}`}
                         importance={r.feature_importance} />
      </div>
    </article>
  );
}

function ModelsTable({ models }: { models: OutcomeModel[] }) {
  const sorted = sortedModels(models);
  const inUse = new Set(newestModels(models).map((model) => model.id));
  const figure = formatFigure;
  return (
    <table class="kpi-table" data-testid="prediction-models">
      <caption>
        Every model, newest first{" "}
        <CsvButton fileName="outcome-models.csv" csv={() => modelsCsv(models)} />
      </caption>
      <thead>
        <tr>
          <th scope="col">Model</th><th scope="col">Outcome</th><th scope="col">First messages</th><th scope="col">Held out</th>
          <th scope="col">AUC</th><th scope="col">Precision</th><th scope="col">Recall</th><th scope="col">F1</th>
          <th scope="col">Accuracy</th><th scope="col">Brier</th>
        </tr>
      </thead>
      <tbody>
        {sorted.map((m) => (
          <tr key={m.id} data-key={m.id}>
            <th scope="row">#{m.id} {day(m.created_at)}{inUse.has(m.id) && <span class="pill">in use</span>}</th>
            <td>{m.outcome}</td><td>{m.first_messages}</td><td>{m.report.test_examples} of {m.examples}</td>
            <td>{figure(m.report.auc)}</td><td>{figure(m.report.precision)}</td><td>{figure(m.report.recall)}</td>
            <td>{figure(m.report.f1)}</td><td>{figure(m.report.accuracy)}</td><td>{figure(m.report.brier)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

// ---- Training ----

interface Notice { text: string; error: boolean }

// The body's fields that have an input of their own, where the server's refusal of one is shown.
const kFormFields = ["first_messages", "return_days", "test_share", "seed"];

function TrainOutcomeModel({ onTrained }: { onTrained: () => void }) {
  const { api, report } = useApp();
  const [form, setForm] = useState<TrainForm>(defaultTrainForm);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [job, setJob] = useState<Job | null>(null);
  const [starting, setStarting] = useState(false);
  const [notice, setNotice] = useState<Notice | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (job || starting) return;
    const { body, errors: problems } = trainBody(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setStarting(true);
    setNotice(null);
    try {
      setJob(await api.json<Job>("POST", outcomeModelsPath, body));
    } catch (problem) {
      if (problem instanceof ApiError && problem.status === 400 && kFormFields.includes(problem.field)) setErrors({ [problem.field]: problem.message });
      else if (problem instanceof ApiError && problem.status === 400) setNotice({ text: problem.message, error: true });
      else report(problem);
    } finally {
      setStarting(false);
    }
  }
  function finished(done: Job) {
    setJob(null);
    if (done.status === "succeeded") {
      const id = trainedModelId(done);
      setNotice({ text: id === null ? "Trained." : `Trained model #${id}.`, error: false });
      onTrained();
    } else if (done.status === "cancelled") {
      setNotice({ text: "Training cancelled.", error: false });
    } else {
      setNotice({ text: `Training failed: ${jobReason(done)}`, error: true });
    }
  }

  const field = (key: "firstMessages" | "returnDays" | "testShare" | "seed", name: string) => ({
    input: {
      name: `train-${name}`, value: form[key], inputMode: key === "testShare" ? "decimal" as const : "numeric" as const,
      class: "narrow", "aria-invalid": errors[name] ? true : undefined,
      "aria-describedby": errors[name] ? `train-${name}-error` : undefined,
      onInput: (e: Event) => setForm({ ...form, [key]: (e.target as HTMLInputElement).value }),
    },
    error: errors[name] && <span id={`train-${name}-error`} class="field-error" role="alert">{errors[name]}</span>,
  });
  const firstMessages = field("firstMessages", "first_messages");
  const returnDays = field("returnDays", "return_days");
  const testShare = field("testShare", "test_share");
  const seed = field("seed", "seed");
  const advancedError = Boolean(errors.return_days || errors.test_share || errors.seed);
  return (
    <form class="card train-outcome-model" aria-label="Train a predictor" onSubmit={submit}>
      <h3>Train a predictor</h3>
      <div class="row">
        <label>Outcome
          <select name="train-outcome" value={form.outcome}
                  onChange={(e) => setForm({ ...form, outcome: (e.target as HTMLSelectElement).value as TrainForm["outcome"] })}>
            {OUTCOMES.map((outcome) => <option key={outcome} value={outcome}>{outcomeTitles[outcome]}</option>)}
          </select>
        </label>
        {/* Text, not type=number: a number input reports "abc" as blank, which would send nothing silently. */}
        <label>First messages <span class="hint">(1 to 1000)</span>
          <input {...firstMessages.input} placeholder="6" />{firstMessages.error}
        </label>
      </div>
      <AdvancedOptions hasError={advancedError}>
        <div class="row">
          <label>Return days <span class="hint">(return only)</span><input {...returnDays.input} placeholder="7" />{returnDays.error}</label>
          <label>Test share <span class="hint">(held out, 0 to 1)</span><input {...testShare.input} placeholder="0.25" />{testShare.error}</label>
          <label>Seed<input {...seed.input} placeholder="1" />{seed.error}</label>
        </div>
      </AdvancedOptions>
      {!job && <button type="submit" disabled={starting}>{starting ? "Starting…" : "Train"}</button>}
      {job && <JobProgress key={job.id} initial={job} label="Training progress" text={trainingJobText} onDone={finished} />}
      {notice && <p class={notice.error ? "field-error" : "hint"} role={notice.error ? "alert" : "status"}>{notice.text}</p>}
    </form>
  );
}
