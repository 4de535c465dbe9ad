// An experiment's status and the buttons that move it (Start, Stop, Delete), shared by the list
// and the report.
import { useState } from "preact/hooks";
import { useApp } from "../context";
import { canDelete, canStart, canStop, type Experiment } from "../lib/experiments";

export function StatusPill({ experiment }: { experiment: Experiment }) {
  const since = experiment.status === "running" ? experiment.started_at : experiment.status === "stopped" ? experiment.stopped_at : null;
  return (
    <span class={`pill status-${experiment.status}`} data-testid="experiment-status"
          title={since ? `since ${new Date(since).toLocaleString()}` : undefined}>{experiment.status}</span>
  );
}

// Start, Stop and Delete as the state allows. The server may still refuse (a character runs one
// experiment at a time): its message shows here, beside the buttons that were refused.
export function ExperimentActions({ experiment, onChanged, onDeleted }: {
  experiment: Experiment; onChanged: (updated: Experiment) => void; onDeleted: () => void;
}) {
  const { api } = useApp();
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const base = `/api/v1/studio/experiments/${experiment.id}`;

  async function act(action: () => Promise<void>) {
    setBusy(true);
    setProblem("");
    try {
      await action();
    } catch (error) {
      setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  }
  const move = (to: "start" | "stop") => act(async () => onChanged(await api.json<Experiment>("POST", `${base}/${to}`, {})));
  const remove = () => {
    if (!confirm(`Delete the experiment ${experiment.name} and every conversation's assignment to it?`)) return;
    void act(async () => {
      await api.json("DELETE", base);
      onDeleted();
    });
  };
  return (
    <div class="experiment-actions">
      <div class="row">
        {canStart(experiment.status) && <button type="button" disabled={busy} onClick={() => move("start")}>Start</button>}
        {canStop(experiment.status) && <button type="button" disabled={busy} onClick={() => move("stop")}>Stop</button>}
        {canDelete(experiment.status) && <button type="button" class="ghost" disabled={busy} onClick={remove}>Delete</button>}
      </div>
      {problem && <p class="field-error" role="alert">{problem}</p>}
    </div>
  );
}
