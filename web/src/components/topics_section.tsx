// The Analytics page's Topics section (studio keys): a form that queues the analytics.topics job
// over a period's stored users' messages or, under Advanced, their feedback comments (every
// character or one; the count of topics, or "auto"
// to choose it by coherence; names from the language model if asked), its progress with Cancel,
// then the report: the summary, a table of topics with their trends, a chart of each topic's weekly
// share, and both as CSV. The job is in the URL (/analytics?topics_job=123), so a reload follows
// it again or shows its report. Shaping and checking live in lib/topics.ts.
import { useEffect, useMemo, useState } from "preact/hooks";
import { useApp } from "../context";
import { ApiError, type Character } from "../lib/api";
import { jobFinished, type Job } from "../lib/jobs";
import { defaultPeriod } from "../lib/kpis";
import {
  defaultTopicsForm, formFromPayload, kTopicsFormFields, kTopicsJobKind, topicsBody, topicsCsv, topicsJobReason, topicsJobText,
  topicsPath, topicsResult, topicsSummary, topicTableRows, weeklySeries, weeksCsv, type TopicsForm, type TopicsResult,
  type TopicSource,
} from "../lib/topics";
import { CsvButton } from "./csv_button";
import { DayChart } from "./day_chart";
import { AdvancedOptions } from "./model_options";
import { JobProgress } from "./job_progress";
import "./topics_section.css";

interface Notice { text: string; error: boolean }

// What the section shows: nothing yet, the URL's job being read, a job followed while it runs, or a report.
type Finding =
  | { state: "none" }
  | { state: "loading"; jobId: number }
  | { state: "running"; job: Job }
  | { state: "done"; jobId: number; result: TopicsResult };

const jobIdOf = (finding: Finding) =>
  finding.state === "none" ? undefined : finding.state === "running" ? finding.job.id : finding.jobId;

// jobId is the URL's ?topics_job=: the job to follow or whose report to show.
export function TopicsSection({ characters, jobId }: { characters: Character[]; jobId?: number }) {
  const { api, navigate } = useApp();
  const [form, setForm] = useState<TopicsForm>(() => defaultTopicsForm(defaultPeriod(Date.now())));
  const [finding, setFinding] = useState<Finding>({ state: "none" });
  const [notice, setNotice] = useState<Notice | null>(null);

  useEffect(() => {
    if (jobId === undefined) return setFinding({ state: "none" });
    if (jobIdOf(finding) === jobId) return; // queued from this page: followed already
    let current = true;
    setFinding({ state: "loading", jobId });
    api.json<Job>("GET", `/api/v1/jobs/${jobId}`)
      .then((job) => { if (current) follow(job); })
      .catch((problem) => {
        if (!current) return;
        setFinding({ state: "none" });
        setNotice({ text: `Job #${jobId} could not be read: ${problem instanceof Error ? problem.message : String(problem)}`, error: true });
      });
    return () => { current = false; };
  }, [jobId]);

  // A job read from the URL: the form shows what it was asked, and it is followed or shown as it ended.
  function follow(job: Job) {
    if (job.kind !== kTopicsJobKind) {
      setFinding({ state: "none" });
      return setNotice({ text: `Job #${job.id} is a ${job.kind} job, not a topics one.`, error: true });
    }
    const asked = formFromPayload(job.payload);
    if (asked) setForm(asked);
    if (jobFinished(job)) finished(job);
    else setFinding({ state: "running", job });
  }
  function finished(job: Job) {
    const result = job.status === "succeeded" ? topicsResult(job) : null;
    if (result) {
      setNotice(null);
      return setFinding({ state: "done", jobId: job.id, result });
    }
    setFinding({ state: "none" });
    if (job.status === "cancelled") setNotice({ text: "Finding topics was cancelled.", error: false });
    else if (job.status === "failed") setNotice({ text: `Finding topics failed: ${topicsJobReason(job)}`, error: true });
    else setNotice({ text: `Job #${job.id} finished, but its report could not be read.`, error: true });
  }
  function started(job: Job) {
    setNotice(null);
    setFinding({ state: "running", job });
    navigate({ page: "analytics", topicsJobId: job.id });
  }

  return (
    <section class="topics" aria-labelledby="topics-heading" data-testid="topics">
      <h2 id="topics-heading">Topics</h2>
      <p class="hint">
        What the users wrote about over a period: topics found in their stored messages (LDA), or in their feedback comments
        (under Advanced), each with its top words, its share of the words, how well its words go together (NPMI, -1 to 1) and
        how its share moved from week to week.
      </p>
      <FindTopicsForm form={form} characters={characters} onChange={setForm} finding={finding} notice={notice}
                      onStarted={started} onFinished={finished} onNotice={setNotice} />
      {finding.state === "loading" && <p class="hint" role="status">Reading job #{finding.jobId}…</p>}
      {finding.state === "done" && <TopicsReport key={finding.jobId} jobId={finding.jobId} result={finding.result} characters={characters} />}
    </section>
  );
}

// The server's refusal as an error beside the field it names (a 400, or the 404 of an unknown
// character), null for any other problem.
function fieldError(problem: unknown): Record<string, string> | null {
  if (!(problem instanceof ApiError) || !(kTopicsFormFields as readonly string[]).includes(problem.field)) return null;
  if (problem.status !== 400 && !(problem.status === 404 && problem.field === "character_id")) return null;
  return { [problem.field]: problem.message };
}

interface FormProps {
  form: TopicsForm;
  characters: Character[];
  onChange: (form: TopicsForm) => void;
  finding: Finding;
  notice: Notice | null;
  onStarted: (job: Job) => void;
  onFinished: (job: Job) => void;
  onNotice: (notice: Notice | null) => void;
}

function FindTopicsForm({ form, characters, onChange, finding, notice, onStarted, onFinished, onNotice }: FormProps) {
  const { api, report } = useApp();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [starting, setStarting] = useState(false);
  const busy = starting || finding.state === "running" || finding.state === "loading";

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    const { body, errors: problems } = topicsBody(form);
    setErrors(problems);
    if (Object.keys(problems).length > 0) return;
    setStarting(true);
    onNotice(null);
    try {
      onStarted(await api.json<Job>("POST", topicsPath, body));
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
    <form class="card find-topics" aria-label="Find topics" onSubmit={submit}>
      <h3>Find topics</h3>
      <TopicsFields form={form} characters={characters} errors={errors} onChange={onChange} />
      {finding.state !== "running" && <button type="submit" disabled={busy}>{starting ? "Starting…" : "Find topics"}</button>}
      {finding.state === "running" && <JobProgress key={finding.job.id} initial={finding.job} label="Topics progress" text={topicsJobText} onDone={onFinished} />}
      {notice && <p class={notice.error ? "field-error" : "hint"} role={notice.error ? "alert" : "status"}>{notice.text}</p>}
    </form>
  );
}

// The form's fields, each with the error (keyed by the body's field) beside it.
function TopicsFields({ form, characters, errors, onChange }: {
  form: TopicsForm; characters: Character[]; errors: Record<string, string>; onChange: (form: TopicsForm) => void;
}) {
  const field = (name: string) => ({
    "aria-invalid": errors[name] ? true : undefined,
    "aria-describedby": errors[name] ? `topics-${name}-error` : undefined,
  });
  const error = (name: string) => errors[name] && <span id={`topics-${name}-error`} class="field-error" role="alert">{errors[name]}</span>;
  const text = (key: "from" | "to" | "count" | "iterations" | "seed" | "topWords") => ({
    value: form[key], onInput: (e: Event) => onChange({ ...form, [key]: (e.target as HTMLInputElement).value }),
  });
  const number = { class: "narrow", inputMode: "numeric" as const };
  return (
    <>
      <div class="row">
        <label>From<input type="date" name="topics-from" {...text("from")} {...field("from")} />{error("from")}</label>
        <label>To<input type="date" name="topics-to" {...text("to")} {...field("to")} />{error("to")}</label>
        <label>Character{" "}
          <select name="topics-character" value={form.characterId === null ? "" : String(form.characterId)} {...field("character_id")}
                  onChange={(e) => {
                    const value = (e.target as HTMLSelectElement).value;
                    onChange({ ...form, characterId: value === "" ? null : Number(value) });
                  }}>
            <option value="">All characters</option>
            {characters.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
          </select>
          {error("character_id")}
        </label>
      </div>
      <div class="row">
        <label>Topics{" "}
          <select name="topics-mode" value={form.topicsMode}
                  onChange={(e) => onChange({ ...form, topicsMode: (e.target as HTMLSelectElement).value as TopicsForm["topicsMode"] })}>
            <option value="auto">Auto (by coherence)</option>
            <option value="count">A count</option>
          </select>
          {form.topicsMode === "auto" && error("topics")}
        </label>
        {form.topicsMode === "count" && (
          // Text, not type=number: "5,10,15" (candidates to choose among) is a count too.
          <label>Count <span class="hint">(1 to 1000, or 5,10,15)</span>
            <input name="topics-count" {...number} placeholder="8" {...text("count")} {...field("topics")} />{error("topics")}
          </label>
        )}
      </div>
      <label class="inline">
        <input type="checkbox" name="topics-name" checked={form.nameTopics}
               onChange={(e) => onChange({ ...form, nameTopics: (e.target as HTMLInputElement).checked })} /> Name topics with the language model
      </label>
      <AdvancedOptions hasError={Boolean(errors.source || errors.iterations || errors.seed || errors.top_words)}>
        <div class="row">
          <label>Read{" "}
            <select name="topics-source" value={form.source} {...field("source")}
                    onChange={(e) => onChange({ ...form, source: (e.target as HTMLSelectElement).value as TopicSource })}>
              <option value="messages">Users' messages</option>
              <option value="comments">Feedback comments</option>
            </select>
            {error("source")}
          </label>
        </div>
        <div class="row">
          <label>Iterations <span class="hint">(1 to 5000)</span>
            <input name="topics-iterations" {...number} placeholder="500" {...text("iterations")} {...field("iterations")} />{error("iterations")}
          </label>
          <label>Seed<input name="topics-seed" {...number} placeholder="1" {...text("seed")} {...field("seed")} />{error("seed")}</label>
          <label>Top words <span class="hint">(1 to 100)</span>
            <input name="topics-top-words" {...number} placeholder="10" {...text("topWords")} {...field("top_words")} />{error("top_words")}
          </label>
        </div>
      </AdvancedOptions>
    </>
  );
}

function TopicsReport({ jobId, result, characters }: { jobId: number; result: TopicsResult; characters: Character[] }) {
  const rows = useMemo(() => topicTableRows(result), [result]);
  const series = useMemo(() => weeklySeries(result), [result]);
  const named = rows.some((row) => row.name !== "");
  const character = result.character_id === null ? "every character" : characters.find((c) => c.id === result.character_id)?.name ??
    `character #${result.character_id}`;
  const scope = `${result.character_id ?? "all"}-${result.from}-${result.to}`;
  const description = `Share of each week's ${result.kind} per topic, in percent: ${series.lines.map(([label]) => label).join("; ")}.`;
  return (
    <article class="topics-report" data-testid="topics-report" data-job={jobId} aria-labelledby="topics-report-heading">
      <h3 id="topics-report-heading">Topics of the {result.source}, {character} <span class="hint">job #{jobId}</span></h3>
      <p class="hint" data-testid="topics-summary">{topicsSummary(result)}</p>
      <table class="kpi-table topics-table" data-testid="topics-table">
        <caption>Topics, largest share first <CsvButton fileName={`topics-${scope}.csv`} csv={() => topicsCsv(result)} /></caption>
        <thead>
          <tr>
            <th scope="col">Rank</th>{named && <th scope="col">Name</th>}<th scope="col">Top words</th><th scope="col">Share</th>
            <th scope="col" title="Normalized pointwise mutual information of the top words: -1 to 1, higher is more coherent">NPMI</th>
            <th scope="col" title="Least-squares slope of the topic's weekly share, in percentage points">Trend per week</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} data-key={row.key}>
              <th scope="row">{row.rank}</th>
              {named && <td class="topic-name" title={row.nameNote || undefined}>{row.name}{row.nameNote && <span class="pill">fallback</span>}</td>}
              <td class="topic-words">{row.words}</td><td>{row.share}</td><td>{row.npmi}</td>
              <td class={`topic-trend ${row.trend}`} data-trend={row.trend}>{row.trendText}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {result.weeks.length < 2 && <p class="hint">All these {result.kind} fall in one week: a trend needs two or more.</p>}
      <DayChart title="Weekly share of each topic (%)" testId="topics-chart" x={series.x} lines={series.lines} percent description={description}
                stepSeconds={7 * 86_400} />
      <p class="topics-weeks-csv">
        <CsvButton fileName={`topics-weeks-${scope}.csv`} csv={() => weeksCsv(result)} label="Download weekly shares (CSV)" />
      </p>
    </article>
  );
}
