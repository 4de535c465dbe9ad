// The analytics dashboards' data (GET /api/v1/analytics/overview, a character's evaluation runs) and
// what the Analytics page makes of it: uPlot series per day, the funnel's percentages, two runs
// compared metric by metric, and each table's CSV.
import { toCsv } from "./csv";

export interface AnalyticsDay {
  day: string;
  conversations: number;
  user_messages: number;
  assistant_messages: number;
  sentiment_count: number;
  sentiment_mean: number | null;
  thumbs_up: number;
  thumbs_down: number;
  csat_count: number;
  csat_mean: number | null;
}

export interface FunnelStage {
  stage: string;
  at_stage: number;
  reached: number;
  drop_off: number | null;
  drop_off_rate: number | null;
  sentiment_count: number;
  sentiment_mean: number | null;
  rating_count: number;
  rating_mean: number | null;
}

export interface AnalyticsOverview {
  from: string;
  to: string;
  character_id: number | null;
  days: AnalyticsDay[];
  funnel: { flow: string; stages: FunnelStage[]; other_stages: FunnelStage[] } | null;
}

export interface EvalRun {
  id: number;
  character_id: number;
  dataset: string;
  dataset_fingerprint: string;
  provider: string;
  cases: number;
  bleu: number;
  chrf: number;
  rouge_l: number;
  perplexity: number | null;
  created_at: number;
}

export function overviewPath(from: string, to: string, characterId: number | null): string {
  const query = new URLSearchParams({ from, to });
  if (characterId !== null) query.set("character_id", String(characterId));
  return `/api/v1/analytics/overview?${query.toString()}`;
}

export function evalRunsPath(characterId: number): string {
  return `/api/v1/characters/${characterId}/eval-runs`;
}

// uPlot's shape: x in seconds (each UTC midnight), then one array per series; null where a day has
// nothing to average.
export interface OverviewSeries {
  x: number[];
  conversations: number[];
  messages: number[];
  userMessages: number[];
  assistantMessages: number[];
  sentiment: (number | null)[];
  thumbsUp: number[];
  thumbsDown: number[];
  csat: (number | null)[];
}

export function overviewSeries(days: AnalyticsDay[]): OverviewSeries {
  const sorted = [...days].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  return {
    x: sorted.map((d) => Date.parse(`${d.day}T00:00:00Z`) / 1000),
    conversations: sorted.map((d) => d.conversations),
    messages: sorted.map((d) => d.user_messages + d.assistant_messages),
    userMessages: sorted.map((d) => d.user_messages),
    assistantMessages: sorted.map((d) => d.assistant_messages),
    sentiment: sorted.map((d) => d.sentiment_mean),
    thumbsUp: sorted.map((d) => d.thumbs_up),
    thumbsDown: sorted.map((d) => d.thumbs_down),
    csat: sorted.map((d) => d.csat_mean),
  };
}

// A funnel stage with the share of the first stage's conversations that reached it (0..100), for
// the bars; null when no conversation entered the funnel.
export interface FunnelRow extends FunnelStage {
  reachedPercent: number | null;
  dropOffPercent: number | null;
}

export function funnelRows(stages: FunnelStage[]): FunnelRow[] {
  const entered = stages.length > 0 ? stages[0].reached : 0;
  return stages.map((stage) => ({
    ...stage,
    reachedPercent: entered > 0 ? (stage.reached / entered) * 100 : null,
    dropOffPercent: stage.drop_off_rate === null ? null : stage.drop_off_rate * 100,
  }));
}

export interface RunComparison {
  metric: string;
  a: number | null;
  b: number | null;
  delta: number | null;  // b - a
}

const comparedMetrics: [string, (run: EvalRun) => number | null][] = [
  ["cases", (run) => run.cases],
  ["bleu", (run) => run.bleu],
  ["chrf", (run) => run.chrf],
  ["rouge_l", (run) => run.rouge_l],
  ["perplexity", (run) => run.perplexity],
];

export function compareRuns(a: EvalRun, b: EvalRun): RunComparison[] {
  return comparedMetrics.map(([metric, read]) => {
    const first = read(a);
    const second = read(b);
    return { metric, a: first, b: second, delta: first === null || second === null ? null : second - first };
  });
}

// "0.42", "–" for nothing measured; "+0.05" when `signed`.
export function formatScore(value: number | null, signed = false): string {
  if (value === null) return "–";
  const text = value.toFixed(Number.isInteger(value) ? 0 : 3);
  return signed && value > 0 ? `+${text}` : text;
}

export function formatPercent(value: number | null): string {
  return value === null ? "–" : `${Math.round(value)}%`;
}

export function daysCsv(days: AnalyticsDay[]): string {
  return toCsv(
    ["day", "conversations", "user_messages", "assistant_messages", "sentiment_mean", "sentiment_count", "thumbs_up",
     "thumbs_down", "csat_mean", "csat_count"],
    days.map((d) => [d.day, d.conversations, d.user_messages, d.assistant_messages, d.sentiment_mean, d.sentiment_count,
                     d.thumbs_up, d.thumbs_down, d.csat_mean, d.csat_count]));
}

export function funnelCsv(stages: FunnelStage[], others: FunnelStage[] = []): string {
  const row = (s: FunnelStage, inFlow: boolean) =>
    [s.stage, inFlow, s.at_stage, inFlow ? s.reached : null, s.drop_off, s.drop_off_rate, s.sentiment_mean,
     s.sentiment_count, s.rating_mean, s.rating_count];
  return toCsv(
    ["stage", "in_flow", "at_stage", "reached", "drop_off", "drop_off_rate", "sentiment_mean", "sentiment_count",
     "rating_mean", "rating_count"],
    [...stages.map((s) => row(s, true)), ...others.map((s) => row(s, false))]);
}

export function evalRunsCsv(runs: EvalRun[]): string {
  return toCsv(
    ["id", "created_at", "dataset", "dataset_fingerprint", "provider", "cases", "bleu", "chrf", "rouge_l", "perplexity"],
    runs.map((r) => [r.id, new Date(r.created_at).toISOString(), r.dataset, r.dataset_fingerprint, r.provider, r.cases,
                     r.bleu, r.chrf, r.rouge_l, r.perplexity]));
}

export function comparisonCsv(a: EvalRun, b: EvalRun): string {
  return toCsv(["metric", `run_${a.id}`, `run_${b.id}`, "delta"],
               compareRuns(a, b).map((c) => [c.metric, c.a, c.b, c.delta]));
}
