// The New experiment form: the character, name, kind and metric, how many trials (a number or a
// plan the server turns into one), and the variants editor (2 to 8 rows, the first the control),
// each row asking for what its kind changes. Errors, the browser's or the server's, show beside
// the field they name ("variants[1].system_prompt"), or above the form when it has no such field.
import { useState } from "preact/hooks";
import type { Character } from "../lib/api";
import { ApiError } from "../lib/api";
import {
  blankVariant, errorSlot, errorSlots, experimentBody, kMaxVariants, kMinVariants, metricLabels, newExperimentDraft,
  type Experiment, type ExperimentDraft, type ExperimentKind, type ExperimentMetric, type Sizing, type VariantDraft,
} from "../lib/experiments";
import { useApp } from "../context";

type Errors = Record<string, string>;

const kindLabels: Record<ExperimentKind, string> = {
  prompt: "System prompt", flow: "Flow", character: "Whole character",
};

// An input's error beside it, tied to it for screen readers.
function fieldError(errors: Errors, field: string) {
  const message = errors[field];
  const id = `experiment-error-${field.replace(/[^a-z0-9]+/gi, "-")}`;
  return {
    attributes: { "aria-invalid": message ? true : undefined, "aria-describedby": message ? id : undefined },
    message: message ? <span id={id} class="field-error" role="alert" data-field={field}>{message}</span> : null,
  };
}

export function ExperimentForm({ characters, onCreated }: { characters: Character[]; onCreated: (created: Experiment) => void }) {
  const { api } = useApp();
  const [draft, setDraft] = useState<ExperimentDraft>(() => newExperimentDraft(characters[0] ? String(characters[0].id) : ""));
  const [errors, setErrors] = useState<Errors>({});
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof ExperimentDraft>(key: K, value: ExperimentDraft[K]) => setDraft({ ...draft, [key]: value });
  const text = (key: keyof ExperimentDraft) => (e: Event) => set(key, (e.target as HTMLInputElement).value as never);

  async function submit(event: Event) {
    event.preventDefault();
    const built = experimentBody(draft);
    if (!built.body) return setErrors(built.errors);
    setBusy(true);
    setErrors({});
    try {
      onCreated(await api.json<Experiment>("POST", "/api/v1/studio/experiments", built.body));
      setDraft(newExperimentDraft(draft.characterId));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const field = error instanceof ApiError ? errorSlot(error.field, errorSlots(draft.variants.length)) : "";
      setErrors({ [field]: message });
    } finally {
      setBusy(false);
    }
  }

  const error = (field: string) => fieldError(errors, field);
  return (
    <form class="card experiment-form" onSubmit={submit} aria-label="New experiment" noValidate>
      <h2>New experiment</h2>
      {errors[""] && <p class="field-error" role="alert">{errors[""]}</p>}
      <div class="row">
        <label>Character
          <select name="experiment_character" value={draft.characterId} {...error("character_id").attributes}
                  onChange={text("characterId")}>
            {characters.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
          </select>{error("character_id").message}
        </label>
        <label class="grow">Name <input name="experiment_name" value={draft.name} onInput={text("name")} {...error("name").attributes} />
          {error("name").message}</label>
      </div>
      <div class="row">
        <label>What varies
          <select name="experiment_kind" value={draft.kind} onChange={text("kind")} {...error("kind").attributes}>
            {(Object.keys(kindLabels) as ExperimentKind[]).map((k) => <option key={k} value={k}>{kindLabels[k]}</option>)}
          </select>{error("kind").message}
        </label>
        <label>Metric
          <select name="experiment_metric" value={draft.metric} onChange={text("metric")} {...error("metric").attributes}>
            {(Object.keys(metricLabels) as ExperimentMetric[]).map((m) => <option key={m} value={m}>{metricLabels[m]}</option>)}
          </select>{error("metric").message}
        </label>
        {draft.metric === "return" && (
          <label>Return within (days)
            <input name="return_days" class="narrow" inputMode="numeric" value={draft.returnDays} onInput={text("returnDays")}
                   {...error("return_days").attributes} />{error("return_days").message}
          </label>
        )}
      </div>
      <TrialsFields draft={draft} set={set} error={error} />
      <VariantsEditor draft={draft} onChange={(variants) => set("variants", variants)} error={error}
                      characters={characters} />
      <button type="submit" disabled={busy || !draft.characterId}>{busy ? "Creating…" : "Create experiment"}</button>
    </form>
  );
}

// How long the experiment runs: planned trials per variant, a plan the server sizes, or none (then
// the report has no stop rule and says so).
function TrialsFields({ draft, set, error }: {
  draft: ExperimentDraft; set: <K extends keyof ExperimentDraft>(key: K, value: ExperimentDraft[K]) => void;
  error: (field: string) => ReturnType<typeof fieldError>;
}) {
  const choice = (sizing: Sizing, label: string) => (
    <label class="inline">
      <input type="radio" name="experiment_sizing" value={sizing} checked={draft.sizing === sizing}
             onChange={() => set("sizing", sizing)} /> {label}
    </label>
  );
  const input = (key: "plannedTrials" | "baselineRate" | "minimumEffect", field: string) => ({
    value: draft[key], inputMode: "decimal" as const, class: "narrow", ...error(field).attributes,
    onInput: (e: Event) => set(key, (e.target as HTMLInputElement).value),
  });
  return (
    <fieldset class="experiment-trials" {...error("plan").attributes}>
      <legend>Trials per variant</legend>
      <div class="row">
        {choice("trials", "A number")}
        {choice("plan", "Plan them from a rate")}
        {choice("none", "None (no stop rule)")}
      </div>
      {draft.sizing === "trials" && (
        <label>Planned trials <input name="planned_trials" {...input("plannedTrials", "planned_trials")} />
          {error("planned_trials").message}</label>
      )}
      {draft.sizing === "plan" && (
        <div class="row">
          <label>Baseline rate <span class="hint">(0 to 1, the control's)</span>
            <input name="baseline_rate" {...input("baselineRate", "plan.baseline_rate")} />{error("plan.baseline_rate").message}
          </label>
          <label>Minimum effect <span class="hint">(absolute, e.g. 0.02)</span>
            <input name="minimum_effect" {...input("minimumEffect", "plan.minimum_effect")} />{error("plan.minimum_effect").message}
          </label>
        </div>
      )}
      {error("plan").message}
    </fieldset>
  );
}

function VariantsEditor({ draft, onChange, error, characters }: {
  draft: ExperimentDraft; onChange: (variants: VariantDraft[]) => void; error: (field: string) => ReturnType<typeof fieldError>;
  characters: Character[];
}) {
  const rows = draft.variants;
  const update = (index: number, fields: Partial<VariantDraft>) =>
    onChange(rows.map((row, i) => (i === index ? { ...row, ...fields } : row)));
  const nextName = () => String.fromCharCode("A".charCodeAt(0) + rows.length);
  return (
    <fieldset class="experiment-variants" aria-describedby={error("variants").attributes["aria-describedby"]}>
      <legend>Variants <span class="hint">({kMinVariants} to {kMaxVariants}; a field left empty plays the character as it is)</span></legend>
      {error("variants").message}
      {rows.map((row, index) => (
        <VariantRow key={index} index={index} row={row} kind={draft.kind} characters={characters} error={error}
                    onChange={(fields) => update(index, fields)}
                    onRemove={rows.length > kMinVariants ? () => onChange(rows.filter((_, i) => i !== index)) : undefined} />
      ))}
      <button type="button" class="secondary" disabled={rows.length >= kMaxVariants}
              onClick={() => onChange([...rows, blankVariant(nextName())])}>Add variant</button>
    </fieldset>
  );
}

function VariantRow({ index, row, kind, characters, error, onChange, onRemove }: {
  index: number; row: VariantDraft; kind: ExperimentKind; characters: Character[];
  error: (field: string) => ReturnType<typeof fieldError>; onChange: (fields: Partial<VariantDraft>) => void;
  onRemove?: () => void;
}) {
  const label = `Variant ${index + 1}${index === 0 ? " (control)" : ""}`;
  const path = (field: string) => `variants[${index}].${field}`;
  const value = (key: keyof VariantDraft) => (e: Event) => onChange({ [key]: (e.target as HTMLInputElement).value });
  return (
    <div class="experiment-variant" role="group" aria-label={label} data-index={index}>
      <div class="row">
        <b>{label}</b>
        <label>Name <input name={`variant_${index}_name`} value={row.name} onInput={value("name")} {...error(path("name")).attributes} />
          {error(path("name")).message}</label>
        <label>Weight <input name={`variant_${index}_weight`} class="narrow" inputMode="decimal" placeholder="1" value={row.weight}
                             onInput={value("weight")} {...error(path("weight")).attributes} />{error(path("weight")).message}</label>
        {onRemove && <button type="button" class="ghost" aria-label={`Remove variant ${index + 1}`} onClick={onRemove}>×</button>}
      </div>
      {kind === "prompt" && (
        <label>System prompt
          <textarea name={`variant_${index}_system_prompt`} value={row.systemPrompt} onInput={value("systemPrompt")}
                    placeholder="empty: the card's own" {...error(path("system_prompt")).attributes} />
          {error(path("system_prompt")).message}
        </label>
      )}
      {kind === "flow" && (
        <label>Flow YAML
          <textarea name={`variant_${index}_flow`} class="code" value={row.flow} onInput={value("flow")}
                    placeholder="empty: the character's own flow" {...error(path("flow")).attributes} />
          {error(path("flow")).message}
        </label>
      )}
      {kind === "character" && (
        <label>Played by
          <select name={`variant_${index}_character`} value={row.characterId} onChange={value("characterId")}
                  {...error(path("character_id")).attributes}>
            <option value="">the character as it is</option>
            {characters.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
          </select>{error(path("character_id")).message}
        </label>
      )}
      {error(`variants[${index}]`).message}
    </div>
  );
}
