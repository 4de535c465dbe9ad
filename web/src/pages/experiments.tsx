// The studio's experiments: the list (filtered by character) with each one's status and metric,
// Start / Stop / Delete as its state allows (the server's refusal shown on its row), the New
// experiment form, and one experiment's report (components/experiment_report.tsx).
import { useEffect, useState } from "preact/hooks";
import { ExperimentActions, StatusPill } from "../components/experiment_actions";
import { ExperimentForm } from "../components/experiment_form";
import { ExperimentReportView } from "../components/experiment_report";
import { useApp } from "../context";
import type { Character } from "../lib/api";
import { experimentsPath, metricLabel, type Experiment } from "../lib/experiments";
import "./experiments.css";

export function ExperimentsPage({ experimentId }: { experimentId?: number }) {
  const characters = useCharacters();
  return experimentId
    ? <ExperimentReportView experimentId={experimentId} characters={characters} />
    : <ExperimentList characters={characters} />;
}

// Loads the characters once: the list, the form and the report name them, the form picks among them.
function useCharacters(): Character[] | null {
  const { api, report } = useApp();
  const [characters, setCharacters] = useState<Character[] | null>(null);
  useEffect(() => { api.all<Character>("/api/v1/characters").then(setCharacters).catch(report); }, []);
  return characters;
}

function ExperimentList({ characters }: { characters: Character[] | null }) {
  const { api, navigate, report } = useApp();
  const [characterId, setCharacterId] = useState<number | null>(null);
  const [experiments, setExperiments] = useState<Experiment[] | null>(null);
  const [formOpen, setFormOpen] = useState(false);
  const [notice, setNotice] = useState("");

  const load = () => api.all<Experiment>(experimentsPath(characterId)).then(setExperiments).catch(report);
  useEffect(() => { load(); }, [characterId]);

  const characterName = (id: number) => characters?.find((c) => c.id === id)?.name ?? `#${id}`;
  const replace = (updated: Experiment) => setExperiments((list) => (list ?? []).map((e) => (e.id === updated.id ? updated : e)));
  const remove = (id: number) => setExperiments((list) => (list ?? []).filter((e) => e.id !== id));
  return (
    <section class="experiments">
      <div class="toolbar">
        <a href="/studio" onClick={(e) => { e.preventDefault(); navigate({ page: "studio" }); }}>← Studio</a>
        <h1>Experiments</h1>
        <label>Filter by character{" "}
          <select name="experiment_filter" value={characterId === null ? "" : String(characterId)}
                  onChange={(e) => { const value = (e.target as HTMLSelectElement).value; setCharacterId(value ? Number(value) : null); }}>
            <option value="">All characters</option>
            {(characters ?? []).map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
          </select>
        </label>
        <button type="button" aria-expanded={formOpen} onClick={() => setFormOpen(!formOpen)}>New experiment</button>
      </div>
      <p class="hint">
        New conversations with a character that runs an experiment are split between its variants by end user;
        each variant's outcome is compared with the control's (the first variant).
      </p>
      {notice && <p class="banner info" role="status">{notice}</p>}
      {formOpen && characters && (
        <ExperimentForm characters={characters} onCreated={(created) => {
          setNotice(`Created ${created.name}. Start it to split new conversations.`);
          setFormOpen(false);
          load();
        }} />
      )}
      {experiments === null ? <p class="empty">Loading…</p> : experiments.length === 0 ? <p class="empty">No experiments yet.</p> : (
        <table class="kpi-table experiment-list" data-testid="experiment-list">
          <thead>
            <tr><th scope="col">Name</th><th scope="col">Character</th><th scope="col">Varies</th><th scope="col">Metric</th>
              <th scope="col">Variants</th><th scope="col">Status</th><th scope="col">Actions</th></tr>
          </thead>
          <tbody>
            {experiments.map((experiment) => (
              <tr key={experiment.id} data-id={experiment.id} data-status={experiment.status}>
                <th scope="row">
                  <a href={`/studio/experiments/${experiment.id}`}
                     onClick={(e) => { e.preventDefault(); navigate({ page: "experiments", experimentId: experiment.id }); }}>
                    {experiment.name}
                  </a>
                </th>
                <td>{characterName(experiment.character_id)}</td>
                <td>{experiment.kind}</td>
                <td>{metricLabel(experiment.metric, experiment.return_days)}</td>
                <td>{experiment.variants.length}</td>
                <td><StatusPill experiment={experiment} /></td>
                <td><ExperimentActions experiment={experiment} onChanged={replace} onDeleted={() => remove(experiment.id)} /></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
