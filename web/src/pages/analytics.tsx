// The analytics dashboards (GET /api/v1/analytics/overview): volume, sentiment (users' messages and
// their feedback comments) and feedback per day for every character or one, that character's stage funnel with its drop-off, and its evaluation
// runs with two compared side by side; and the outcome predictors' held-out reports, with training
// for studio keys (components/outcome_predictions.tsx); and for studio keys the topics of a period's
// messages as a job (components/topics_section.tsx), followed from the URL's ?topics_job=. Every
// table downloads as CSV.
import { useEffect, useMemo, useState } from "preact/hooks";
import { CsvButton } from "../components/csv_button";
import { DayChart } from "../components/day_chart";
import { PredictionsSection } from "../components/outcome_predictions";
import { TopicsSection } from "../components/topics_section";
import { useApp } from "../context";
import {
  compareRuns, comparisonCsv, daysCsv, evalRunsCsv, evalRunsPath, formatPercent, formatScore, funnelCsv, funnelRows, regeneratedText,
  overviewPath, overviewSeries, type AnalyticsOverview, type EvalRun, type FunnelStage,
} from "../lib/analytics";
import type { Character } from "../lib/api";
import { defaultPeriod } from "../lib/kpis";
import { abilitiesOf } from "../lib/session";

export function AnalyticsPage({ topicsJobId }: { topicsJobId?: number }) {
  const { api, report, session } = useApp();
  const canSeeRuns = abilitiesOf(session.scopes).studio;
  const [period, setPeriod] = useState(() => defaultPeriod(Date.now()));
  const [characters, setCharacters] = useState<Character[]>([]);
  const [characterId, setCharacterId] = useState<number | null>(null);
  const [overview, setOverview] = useState<AnalyticsOverview | null>(null);
  const [runs, setRuns] = useState<EvalRun[] | null>(null);
  const [loading, setLoading] = useState(false);

  const load = async (character: number | null) => {
    setLoading(true);
    try {
      const [next, nextRuns] = await Promise.all([
        api.json<AnalyticsOverview>("GET", overviewPath(period.from, period.to, character)),
        character !== null && canSeeRuns ? api.all<EvalRun>(evalRunsPath(character)) : Promise.resolve(null),
      ]);
      setOverview(next);
      setRuns(nextRuns);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    api.all<Character>("/api/v1/characters").then(setCharacters).catch(report);
    load(null).catch(report);
  }, []);

  const submit = (event: Event) => {
    event.preventDefault();
    load(characterId).catch(report);
  };
  const scope = overview ? `${overview.character_id ?? "all"}-${overview.from}-${overview.to}` : "";
  return (
    <section class="kpis analytics">
      {/* Named, since the Topics form below has a period and a character of its own. */}
      <form class="kpi-period" aria-label="Dashboards' period" onSubmit={submit}>
        <h1>Analytics</h1>
        <label>From <input type="date" name="from" value={period.from} required
                           onInput={(e) => setPeriod({ ...period, from: (e.target as HTMLInputElement).value })} /></label>
        <label>To <input type="date" name="to" value={period.to} required
                         onInput={(e) => setPeriod({ ...period, to: (e.target as HTMLInputElement).value })} /></label>
        <label>Character{" "}
          <select name="character" value={characterId === null ? "" : String(characterId)}
                  onChange={(e) => {
                    const value = (e.target as HTMLSelectElement).value;
                    setCharacterId(value === "" ? null : Number(value));
                  }}>
            <option value="">All characters</option>
            {characters.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
          </select>
        </label>
        <button type="submit" disabled={loading}>{loading ? "Loading…" : "Show"}</button>
        <span class="hint">UTC days; conversations by the day they started, messages, ratings and comments by their own.</span>
      </form>
      {overview && <Dashboards overview={overview} scope={scope} />}
      {overview?.funnel && <Funnel stages={overview.funnel.stages} others={overview.funnel.other_stages}
                                   flow={overview.funnel.flow} scope={scope} />}
      {runs && <EvalRuns runs={runs} characterId={overview?.character_id ?? 0} />}
      <PredictionsSection canTrain={canSeeRuns} />
      {canSeeRuns && <TopicsSection characters={characters} jobId={topicsJobId} />}
    </section>
  );
}

function Dashboards({ overview, scope }: { overview: AnalyticsOverview; scope: string }) {
  const series = useMemo(() => overviewSeries(overview.days), [overview]);
  return (
    <>
      <div class="kpi-charts">
        <DayChart title="Volume" testId="chart-volume" x={series.x}
                  lines={[["Conversations", series.conversations, "#6d4aff"],
                          ["Messages", series.messages, "#e07a00"]]} />
        {/* Both scored by the same lexicon, so the two lines compare directly. */}
        <DayChart title="Mean sentiment (-1..1)" testId="chart-sentiment" x={series.x} range={[-1, 1]}
                  lines={[["User messages", series.sentiment, "#2a9d4b"],
                          ["Feedback comments", series.commentSentiment, "#d35400"]]} />
        <DayChart title="Ratings and comments" testId="chart-ratings" x={series.x}
                  lines={[["Thumbs up", series.thumbsUp, "#1f77b4"],
                          ["Thumbs down", series.thumbsDown, "#c0392b"],
                          ["Mean CSAT (1..5)", series.csat, "#8e44ad"],
                          ["Comments", series.comments, "#7f8c8d"]]} />
      </div>
      <table class="kpi-table" data-testid="analytics-days">
        <caption>Per day <CsvButton fileName={`analytics-days-${scope}.csv`} csv={() => daysCsv(overview.days)} /></caption>
        <thead>
          <tr>
            <th scope="col">Day</th><th scope="col">Conversations</th><th scope="col">User messages</th>
            <th scope="col">Assistant messages</th><th scope="col">Sentiment</th><th scope="col">Thumbs up</th>
            <th scope="col">Thumbs down</th><th scope="col">CSAT</th><th scope="col">Comments</th>
            <th scope="col">Comment sentiment</th>
          </tr>
        </thead>
        <tbody>
          {overview.days.map((d) => (
            <tr key={d.day} data-key={d.day}>
              <th scope="row">{d.day}</th><td>{d.conversations}</td><td>{d.user_messages}</td>
              <td>{d.assistant_messages}</td><td>{formatScore(d.sentiment_mean)}</td><td>{d.thumbs_up}</td>
              <td>{d.thumbs_down}</td><td>{formatScore(d.csat_mean)}</td><td>{d.comments}</td>
              <td>{formatScore(d.comment_sentiment_mean)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </>
  );
}

function Funnel({ stages, others, flow, scope }: { stages: FunnelStage[]; others: FunnelStage[]; flow: string; scope: string }) {
  const rows = funnelRows(stages);
  return (
    <table class="kpi-table funnel" data-testid="analytics-funnel">
      <caption>
        Stage funnel{flow ? ` (flow ${flow})` : ""}{" "}
        <CsvButton fileName={`analytics-funnel-${scope}.csv`} csv={() => funnelCsv(stages, others)} />
      </caption>
      <thead>
        <tr>
          <th scope="col">Stage</th><th scope="col">Reached</th><th scope="col">At stage now</th>
          <th scope="col">Dropped before next</th><th scope="col">Sentiment</th><th scope="col">Rating</th>
          <th scope="col">Regenerated replies</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.stage} data-key={r.stage}>
            <th scope="row">{r.stage}</th>
            <td>
              <span class="funnel-bar" style={{ width: `${r.reachedPercent ?? 0}%` }} />
              {r.reached} ({formatPercent(r.reachedPercent)})
            </td>
            <td>{r.at_stage}</td>
            <td>{r.drop_off === null ? "–" : `${r.drop_off} (${formatPercent(r.dropOffPercent)})`}</td>
            <td>{formatScore(r.sentiment_mean)}</td>
            <td>{formatScore(r.rating_mean)}</td>
            <td>{regeneratedText(r)}</td>
          </tr>
        ))}
        {others.map((r) => (
          <tr key={`other-${r.stage}`} data-key={`other:${r.stage}`} class="other-stage">
            <th scope="row">{r.stage} (not in the flow)</th><td>–</td><td>{r.at_stage}</td><td>–</td>
            <td>{formatScore(r.sentiment_mean)}</td><td>{formatScore(r.rating_mean)}</td>
            <td>{regeneratedText(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function EvalRuns({ runs, characterId }: { runs: EvalRun[]; characterId: number }) {
  const [chosen, setChosen] = useState<number[]>(() => runs.slice(-2).map((r) => r.id));
  useEffect(() => setChosen(runs.slice(-2).map((r) => r.id)), [runs]);
  const toggle = (id: number) =>
    setChosen((current) => (current.includes(id) ? current.filter((c) => c !== id) : [...current, id].slice(-2)));
  const picked = runs.filter((r) => chosen.includes(r.id));
  return (
    <>
      <table class="kpi-table" data-testid="analytics-eval-runs">
        <caption>
          Evaluation runs{" "}
          <CsvButton fileName={`eval-runs-character-${characterId}.csv`} csv={() => evalRunsCsv(runs)} />
        </caption>
        <thead>
          <tr>
            <th scope="col">Compare</th><th scope="col">Run</th><th scope="col">Dataset</th><th scope="col">Provider</th>
            <th scope="col">Cases</th><th scope="col">BLEU</th><th scope="col">chrF</th><th scope="col">ROUGE-L</th>
            <th scope="col">Perplexity</th>
          </tr>
        </thead>
        <tbody>
          {runs.length === 0 && <tr><td colSpan={9} class="empty">No evaluation runs (troupe eval --character).</td></tr>}
          {runs.map((r) => (
            <tr key={r.id} data-key={r.id}>
              <td><input type="checkbox" aria-label={`Compare run ${r.id}`} checked={chosen.includes(r.id)}
                         onChange={() => toggle(r.id)} /></td>
              <th scope="row">#{r.id} {new Date(r.created_at).toISOString().slice(0, 16).replace("T", " ")}</th>
              <td>{r.dataset}</td><td>{r.provider}</td><td>{r.cases}</td><td>{formatScore(r.bleu)}</td>
              <td>{formatScore(r.chrf)}</td><td>{formatScore(r.rouge_l)}</td><td>{formatScore(r.perplexity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {picked.length === 2 && <Comparison a={picked[0]} b={picked[1]} />}
    </>
  );
}

function Comparison({ a, b }: { a: EvalRun; b: EvalRun }) {
  return (
    <table class="kpi-table" data-testid="analytics-comparison">
      <caption>
        Run #{a.id} and run #{b.id} side by side{a.dataset_fingerprint !== b.dataset_fingerprint ? " (different datasets)" : ""}{" "}
        <CsvButton fileName={`eval-runs-${a.id}-vs-${b.id}.csv`} csv={() => comparisonCsv(a, b)} />
      </caption>
      <thead>
        <tr><th scope="col">Metric</th><th scope="col">#{a.id}</th><th scope="col">#{b.id}</th><th scope="col">Change</th></tr>
      </thead>
      <tbody>
        {compareRuns(a, b).map((c) => (
          <tr key={c.metric} data-key={c.metric}>
            <th scope="row">{c.metric}</th><td>{formatScore(c.a)}</td><td>{formatScore(c.b)}</td>
            <td>{formatScore(c.delta, true)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
