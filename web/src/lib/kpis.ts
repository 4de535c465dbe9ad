// The support KPIs as GET /api/v1/kpis returns them, and what the KPI page makes of them: the
// default period, day series for the charts (gaps where nothing was measured) and the text of a
// figure in a table, and each table's CSV.
import { toCsv } from "./csv";

export interface KpiValues {
  conversations: number;
  first_response_ms: number | null;
  first_responses: number;
  average_response_ms: number | null;
  replies: number;
  resolution_rate: number | null;
  resolved: number;
  handoff_rate: number | null;
  handed_off: number;
  agent_load_reduction: number | null;
  resolved_without_human: number;
  csat: number | null;
  csat_mean: number | null;
  csat_ratings: number;
  csat_satisfied: number;
  routing_accuracy: number | null;
  routing_reviews: number;
  routing_correct: number;
  campaign_reply_rate: number | null;
  campaign_sends: number;
  campaign_replies: number;
}

export interface KpiGroup extends KpiValues {
  key: string | null;
  character_id?: number;
  character_slug?: string | null;
  character_name?: string | null;
}

export type KpiGrouping = "day" | "intent" | "character";

export interface KpiReport {
  from: string;
  to: string;
  group_by: KpiGrouping;
  totals: KpiValues;
  groups: KpiGroup[];
}

export function kpiPath(from: string, to: string, groupBy: KpiGrouping): string {
  const query = new URLSearchParams({ from, to, group_by: groupBy });
  return `/api/v1/kpis?${query.toString()}`;
}

// "YYYY-MM-DD" of a time, in UTC (the API's days are UTC days).
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

// The last 30 days up to today (UTC), as the API's default.
export function defaultPeriod(nowMs: number): { from: string; to: string } {
  return { from: utcDay(nowMs - 29 * 86_400_000), to: utcDay(nowMs) };
}

// Chart data in uPlot's shape: x in seconds since the epoch (each day's midnight, UTC), then one
// array per series, null where that day has nothing to measure.
export interface DaySeries {
  x: number[];
  firstResponseSeconds: (number | null)[];
  averageResponseSeconds: (number | null)[];
  resolutionPercent: (number | null)[];
  handoffPercent: (number | null)[];
  loadReductionPercent: (number | null)[];
  csatPercent: (number | null)[];
  csatMean: (number | null)[];
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
const percent = (rate: number | null) => (rate === null ? null : rate * 100);

export function daySeries(groups: KpiGroup[]): DaySeries {
  const days = groups.filter((group) => group.key !== null).sort((a, b) => (a.key! < b.key! ? -1 : 1));
  return {
    x: days.map((group) => Date.parse(`${group.key}T00:00:00Z`) / 1000),
    firstResponseSeconds: days.map((group) => seconds(group.first_response_ms)),
    averageResponseSeconds: days.map((group) => seconds(group.average_response_ms)),
    resolutionPercent: days.map((group) => percent(group.resolution_rate)),
    handoffPercent: days.map((group) => percent(group.handoff_rate)),
    loadReductionPercent: days.map((group) => percent(group.agent_load_reduction)),
    csatPercent: days.map((group) => percent(group.csat)),
    csatMean: days.map((group) => group.csat_mean),
  };
}

// "1.5 s", "850 ms", "2.1 min"; "–" for nothing measured.
export function formatDuration(ms: number | null): string {
  if (ms === null) return "–";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${(ms / 60_000).toFixed(1)} min`;
}

// "67% (2/3)": the rate and the counts it comes from; "–" for nothing measured.
export function formatRate(rate: number | null, part: number, whole: number): string {
  if (rate === null) return "–";
  return `${Math.round(rate * 100)}% (${part}/${whole})`;
}

// The label of an intent group: "(not routed)" for conversations without a routed intent.
export function intentLabel(group: KpiGroup): string {
  return group.key === null || group.key === "" ? "(not routed)" : group.key;
}

export function characterLabel(group: KpiGroup): string {
  return group.character_name || group.character_slug || `#${group.key}`;
}

// A table of groups as CSV: `column` names the first column (day, intent, character), then every
// figure unformatted (times in ms, rates 0..1, empty where nothing was measured).
export function kpiGroupsCsv(column: string, groups: KpiGroup[], label: (group: KpiGroup) => string): string {
  return toCsv(
    [column, "conversations", "first_response_ms", "average_response_ms", "resolution_rate", "resolved",
     "handoff_rate", "handed_off", "agent_load_reduction", "resolved_without_human", "csat", "csat_mean",
     "csat_ratings", "routing_accuracy", "routing_reviews", "routing_correct"],
    groups.map((g) => [label(g), g.conversations, g.first_response_ms, g.average_response_ms, g.resolution_rate,
                       g.resolved, g.handoff_rate, g.handed_off, g.agent_load_reduction, g.resolved_without_human,
                       g.csat, g.csat_mean, g.csat_ratings, g.routing_accuracy, g.routing_reviews,
                       g.routing_correct]));
}
