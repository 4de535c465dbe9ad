// The studio's bias review (docs/studio.md, "Bias review"): a form that queues the
// studio.bias_review job for a character (components/bias_form.tsx), its progress with Cancel,
// then the report, a table per dimension (components/bias_report.tsx). The job is in the URL
// (/studio/bias?job=123), so a reload follows it again or shows its report.
import { useEffect, useState } from "preact/hooks";
import { BiasFormView, type Notice } from "../components/bias_form";
import { BiasReportView } from "../components/bias_report";
import { useApp } from "../context";
import type { Character } from "../lib/api";
import { biasJobReason, biasResult, defaultBiasForm, formFromPayload, kBiasJobKind, type BiasForm, type BiasResult } from "../lib/bias";
import { jobFinished, type Job } from "../lib/jobs";
import "./bias.css";

// What the page shows: nothing yet, the URL's job being read, a job followed while it runs, or a report.
export type Review =
  | { state: "none" }
  | { state: "loading"; jobId: number }
  | { state: "running"; job: Job }
  | { state: "done"; jobId: number; result: BiasResult };

const jobIdOf = (review: Review) =>
  review.state === "none" ? undefined : review.state === "running" ? review.job.id : review.jobId;

// jobId is the URL's ?job=: the review to follow or whose report to show.
export function BiasPage({ jobId }: { jobId?: number }) {
  const { api, navigate, report } = useApp();
  const [characters, setCharacters] = useState<Character[] | null>(null);
  const [form, setForm] = useState<BiasForm>(defaultBiasForm);
  const [review, setReview] = useState<Review>({ state: "none" });
  const [notice, setNotice] = useState<Notice | null>(null);

  useEffect(() => { api.all<Character>("/api/v1/characters").then(setCharacters).catch(report); }, []);

  useEffect(() => {
    if (jobId === undefined) return setReview({ state: "none" });
    if (jobIdOf(review) === jobId) return; // queued from this page: followed already
    let current = true;
    setReview({ state: "loading", jobId });
    api.json<Job>("GET", `/api/v1/jobs/${jobId}`)
      .then((job) => { if (current) follow(job); })
      .catch((problem) => {
        if (!current) return;
        setReview({ state: "none" });
        setNotice({ text: `Job #${jobId} could not be read: ${problem instanceof Error ? problem.message : String(problem)}`, error: true });
      });
    return () => { current = false; };
  }, [jobId]);

  // A job read from the URL: the form shows what it was asked, and it is followed or shown as it ended.
  function follow(job: Job) {
    if (job.kind !== kBiasJobKind) {
      setReview({ state: "none" });
      return setNotice({ text: `Job #${job.id} is a ${job.kind} job, not a bias review.`, error: true });
    }
    const asked = formFromPayload(job.payload);
    if (asked) setForm(asked);
    if (jobFinished(job)) finished(job);
    else setReview({ state: "running", job });
  }
  function finished(job: Job) {
    const result = job.status === "succeeded" ? biasResult(job) : null;
    if (result) {
      setNotice(null);
      return setReview({ state: "done", jobId: job.id, result });
    }
    setReview({ state: "none" });
    if (job.status === "cancelled") setNotice({ text: "The bias review was cancelled.", error: false });
    else if (job.status === "failed") setNotice({ text: `The bias review failed: ${biasJobReason(job)}`, error: true });
    else setNotice({ text: `Job #${job.id} finished, but its report could not be read.`, error: true });
  }
  function started(job: Job) {
    setNotice(null);
    setReview({ state: "running", job });
    navigate({ page: "bias", jobId: job.id });
  }

  return (
    <section class="bias" data-testid="bias">
      <div class="toolbar">
        <a href="/studio" onClick={(e) => { e.preventDefault(); navigate({ page: "studio" }); }}>← Studio</a>
        <h1>Bias review</h1>
      </div>
      <p class="hint">
        The same conversations held many times with a character, each with a user who states a gender, an age, a name or a first
        language in the first message; each variant's replies are compared with the first one's (the reference) on length,
        sentiment, refusals and how far the flow got. Nothing of a review reaches the database or the dashboards.
      </p>
      {characters === null ? <p class="empty">Loading…</p> : (
        <BiasFormView form={form} characters={characters} onChange={setForm} review={review} notice={notice}
                      onStarted={started} onFinished={finished} onNotice={setNotice} />
      )}
      {review.state === "loading" && <p class="hint" role="status">Reading job #{review.jobId}…</p>}
      {review.state === "done" && (
        <BiasReportView key={review.jobId} jobId={review.jobId} result={review.result} characters={characters ?? []} />
      )}
    </section>
  );
}
