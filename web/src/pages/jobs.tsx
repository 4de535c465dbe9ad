// The studio's job list: every background job (studio pipelines, summaries, campaign drafting,
// webhooks), newest first, filtered by status, kept current by job.updated events from the live
// feed (and a refetch whenever the feed reconnects), with Cancel for queued and running jobs.
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import type { Page } from "../lib/api";
import { canCancelJob, jobKindLabel, jobStatusText, upsertJob, type ListedJob } from "../lib/job_list";
import { cancelJob } from "../lib/jobs";
import { openLiveFeed } from "../lib/live";

const STATUSES = ["", "queued", "running", "succeeded", "failed", "cancelled"] as const;

function when(ms: number | undefined): string {
  return ms ? new Date(ms).toLocaleString() : "";
}

export function JobsPage() {
  const { api, report } = useApp();
  const [jobs, setJobs] = useState<ListedJob[] | null>(null);
  const [status, setStatus] = useState("");
  // The jobs whose Cancel was clicked and not answered yet: their button waits, so a second click sends nothing.
  const [cancelling, setCancelling] = useState<ReadonlySet<number>>(new Set());

  useEffect(() => {
    let stopped = false;
    const load = () =>
      api.json<Page<ListedJob>>("GET", `/api/v1/jobs?limit=100${status ? `&status=${status}` : ""}`)
        .then((page) => { if (!stopped) setJobs(page.data); })
        .catch(report);
    void load();
    const feed = openLiveFeed(api, (event) => {
      if (event.type !== "job.updated") return;
      try {
        const job = JSON.parse(event.data) as ListedJob;
        // A job that left the status shown leaves the list.
        if (status && job.status !== status) setJobs((current) => (current ?? []).filter((j) => j.id !== job.id));
        else setJobs((current) => upsertJob(current ?? [], job));
      } catch {
        // not JSON: the next refetch brings the job
      }
    }, () => { void load(); });
    return () => { stopped = true; feed.close(); };
  }, [status]);

  async function cancel(job: ListedJob) {
    setCancelling((ids) => new Set(ids).add(job.id));
    try {
      const updated = await cancelJob<ListedJob>(api, job.id);
      setJobs((current) => upsertJob(current ?? [], updated));
    } catch (error) {
      report(error);
    } finally {
      setCancelling((ids) => { const rest = new Set(ids); rest.delete(job.id); return rest; });
    }
  }

  return (
    <section class="jobs">
      <div class="toolbar">
        <h1>Jobs</h1>
        <label>Status
          <select name="job_status" value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => <option key={s} value={s}>{s || "any"}</option>)}
          </select>
        </label>
      </div>
      <p class="hint">Background work: the studio's pipelines, summaries, campaign drafting, webhooks. It updates live.</p>
      {jobs === null ? <p class="empty">Loading…</p> : jobs.length === 0 ? <p class="empty">No jobs.</p> : (
        <table class="job-list">
          <thead><tr><th>#</th><th>Kind</th><th>Status</th><th>Progress</th><th>Created</th><th>Error</th><th /></tr></thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.id} data-job-id={job.id} data-status={job.status}>
                <td>{job.id}</td>
                <td>{jobKindLabel(job.kind)}</td>
                <td><span class="pill">{jobStatusText(job)}</span></td>
                <td><progress max={1} value={Math.min(1, Math.max(0, job.progress || 0))} aria-label={`Job ${job.id} progress`} /></td>
                <td>{when(job.created_at)}</td>
                <td class="job-error">{job.error}</td>
                <td>{canCancelJob(job) && (
                  <button type="button" class="secondary" disabled={cancelling.has(job.id)} onClick={() => cancel(job)}>
                    {cancelling.has(job.id) ? "Cancelling…" : "Cancel"}
                  </button>
                )}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
