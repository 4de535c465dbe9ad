// The bias review's form (pages/bias.tsx): the character, the prompts (one per line, blank for the
// built-in six) and, under Advanced, repeats, max tokens, temperature and provider. Each error,
// the form's own or the server's, shows beside the field it names; while the job runs the form
// shows its progress and Cancel instead of the button.
import { useState } from "preact/hooks";
import { useApp } from "../context";
import { ApiError, type Character } from "../lib/api";
import { biasBody, biasJobText, biasPath, kBiasFormFields, kMaxPrompts, type BiasForm } from "../lib/bias";
import type { Job } from "../lib/jobs";
import type { Review } from "../pages/bias";
import { JobProgress } from "./job_progress";
import { AdvancedOptions, ModelOptionsFields } from "./model_options";

export interface Notice { text: string; error: boolean }

// The server's refusal as an error beside the field it names (a 400, the 404 of an unknown
// character or provider), null for any other problem.
function fieldError(problem: unknown): Record<string, string> | null {
  if (!(problem instanceof ApiError) || !(kBiasFormFields as readonly string[]).includes(problem.field)) return null;
  if (problem.status !== 400 && problem.status !== 404) return null;
  return { [problem.field]: problem.message };
}

interface FormProps {
  form: BiasForm;
  characters: Character[];
  onChange: (form: BiasForm) => void;
  review: Review;
  notice: Notice | null;
  onStarted: (job: Job) => void;
  onFinished: (job: Job) => void;
  onNotice: (notice: Notice | null) => void;
}

export function BiasFormView({ form, characters, onChange, review, notice, onStarted, onFinished, onNotice }: FormProps) {
  const { api, report } = useApp();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState(false);
  const busy = starting || review.state === "running" || review.state === "loading";

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    const { body, errors: problems } = biasBody(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setStarting(true);
    onNotice(null);
    try {
      onStarted(await api.json<Job>("POST", biasPath, body));
    } catch (problem) {
      const besideField = fieldError(problem);
      if (besideField) setErrors(besideField);
      else if (problem instanceof ApiError && problem.status === 400) onNotice({ text: problem.message, error: true });
      else report(problem);
    } finally {
      setStarting(false);
    }
  }

  return (
    <form class="card bias-form" aria-label="Review for bias" onSubmit={submit}>
      <BiasFields form={form} characters={characters} errors={errors} onChange={onChange} />
      {review.state !== "running" && <button type="submit" disabled={busy}>{starting ? "Starting…" : "Review for bias"}</button>}
      {review.state === "running" && (
        <JobProgress key={review.job.id} initial={review.job} label="Bias review progress" text={biasJobText} onDone={onFinished} />
      )}
      {notice && <p class={notice.error ? "field-error" : "hint"} role={notice.error ? "alert" : "status"}>{notice.text}</p>}
    </form>
  );
}

// The form's fields, each with the error (keyed by the body's field) beside it.
function BiasFields({ form, characters, errors, onChange }: {
  form: BiasForm; characters: Character[]; errors: Record<string, string>; onChange: (form: BiasForm) => void;
}) {
  const field = (name: string) => ({
    "aria-invalid": errors[name] ? true : undefined,
    "aria-describedby": errors[name] ? `bias-${name}-error` : undefined,
  });
  const error = (name: string) => errors[name] && <span id={`bias-${name}-error`} class="field-error" role="alert">{errors[name]}</span>;
  const text = (key: "prompts" | "repeats" | "maxTokens") => ({
    value: form[key], onInput: (e: Event) => onChange({ ...form, [key]: (e.target as HTMLInputElement).value }),
  });
  const number = { class: "narrow", inputMode: "numeric" as const };
  return (
    <>
      <label>Character{" "}
        <select name="bias-character" value={form.characterId === null ? "" : String(form.characterId)} {...field("character_id")}
                onChange={(e) => {
                  const value = (e.target as HTMLSelectElement).value;
                  onChange({ ...form, characterId: value === "" ? null : Number(value) });
                }}>
          <option value="">Choose a character…</option>
          {characters.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
        </select>
        {error("character_id")}
      </label>
      <label>Prompts <span class="hint">(one per line, at most {kMaxPrompts}; blank for the six built-in ones)</span>
        <textarea name="bias-prompts" rows={4} {...text("prompts")} {...field("prompts")}
                  placeholder={"Can you help me plan my week?\nWhat should I cook tonight?"} />
        {error("prompts")}
      </label>
      <AdvancedOptions hasError={Boolean(errors.repeats || errors.max_tokens || errors.temperature || errors.provider)}>
        <div class="row">
          <label>Repeats <span class="hint">(conversations per variant, 1 to 20; stages are compared from 2)</span>
            <input name="bias-repeats" {...number} placeholder="2" {...text("repeats")} {...field("repeats")} />{error("repeats")}
          </label>
          <label>Max tokens <span class="hint">(per reply, 1 to 1024)</span>
            <input name="bias-max-tokens" {...number} placeholder="64" {...text("maxTokens")} {...field("max_tokens")} />{error("max_tokens")}
          </label>
        </div>
        <div class="row">
          <ModelOptionsFields namePrefix="bias-" form={form} errors={errors} defaultTemperature="0.7"
                              onChange={(options) => onChange({ ...form, ...options })} />
        </div>
      </AdvancedOptions>
    </>
  );
}
