// A running job as the studio's tools show it: a progress bar, a status line and Cancel, following
// the job until it ends. `onDone` gets the finished job, read once more when the last update came
// without its result (a job.updated event does not carry it).
import { useEffect } from "preact/hooks";
import { useApp } from "../context";
import { jobFinished, type Job } from "../lib/jobs";
import { useJob } from "./use_job";
import "./job_progress.css";

export function JobProgress({ initial, label, text, onDone }: {
  initial: Job;
  label: string;               // names the progress bar ("Topics progress")
  text: (job: Job) => string;  // the status line
  onDone: (job: Job) => void;
}) {
  const { api } = useApp();
  const { job, cancel, cancelling } = useJob(initial);
  useEffect(() => {
    if (!jobFinished(job)) return;
    if (job.status === "succeeded" && job.result == null) {
      api.json<Job>("GET", `/api/v1/jobs/${job.id}`).catch(() => job).then(onDone);
    } else {
      onDone(job);
    }
  }, [job.status]);
  return (
    <div class="job-progress">
      <progress max={1} value={Math.min(1, Math.max(0, job.progress || 0))} aria-label={label} />
      <span class="hint" role="status">{text(job)}</span>
      <button type="button" class="secondary" disabled={cancelling} onClick={cancel}>{cancelling ? "Cancelling…" : "Cancel"}</button>
    </div>
  );
}
