// Topics of the stored users' messages or feedback comments as the Analytics page finds them (POST
// /api/v1/analytics/topics, an analytics.topics job): the form and its request body, the job's
// result read defensively, and what the page makes of it: the topics table, the summary line, one
// chart series of weekly shares per topic, and both tables' CSV.
import { toCsv } from "./csv";
import type { Job } from "./jobs";

export const topicsPath = "/api/v1/analytics/topics";
export const kTopicsJobKind = "analytics.topics";

export interface TopicCandidate {
  topics: number;
  mean_npmi: number;
  mean_umass: number;
}

export interface Topic {
  rank: number;
  topic: number;            // the model's index, which each week's `shares` are by
  share: number;            // of the training tokens, 0..1
  npmi: number;
  umass: number;
  words: string[];
  slope_per_week?: number;  // share (0..1) gained per week
  name?: string;
  name_from_model?: boolean;
  name_problem?: string;
}

export interface TopicWeek {
  week: string;             // its Monday, YYYY-MM-DD
  messages: number;
  shares: number[];         // by topic index
}

// What a period's topics are found in: the users' messages, or their feedback comments.
export type TopicSource = "messages" | "comments";

export interface TopicsResult {
  source: string;           // what was read, in words ("feedback comments from ... to ...")
  kind: TopicSource;        // as the job was asked
  from: string;
  to: string;
  character_id: number | null;
  messages: number;
  vocabulary: number;
  tokens: number;
  topic_count: number;
  iterations: number;
  seed: number;
  candidates: TopicCandidate[];
  mean_npmi: number;
  mean_umass: number;
  topics: Topic[];
  weeks: TopicWeek[];
}

const isNumber = (value: unknown): value is number => typeof value === "number" && Number.isFinite(value);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

function readTopic(value: unknown): Topic | null {
  if (!isObject(value) || !isNumber(value.rank) || !isNumber(value.topic) || !isNumber(value.share) || !Array.isArray(value.words)) {
    return null;
  }
  const topic: Topic = {
    rank: value.rank, topic: value.topic, share: value.share,
    npmi: isNumber(value.npmi) ? value.npmi : Number.NaN, umass: isNumber(value.umass) ? value.umass : Number.NaN,
    words: value.words.filter((word): word is string => typeof word === "string"),
  };
  if (isNumber(value.slope_per_week)) topic.slope_per_week = value.slope_per_week;
  if (typeof value.name === "string" && value.name !== "") topic.name = value.name;
  if (typeof value.name_from_model === "boolean") topic.name_from_model = value.name_from_model;
  if (typeof value.name_problem === "string" && value.name_problem !== "") topic.name_problem = value.name_problem;
  return topic;
}

function readWeek(value: unknown): TopicWeek | null {
  if (!isObject(value) || typeof value.week !== "string" || !isNumber(value.messages) || !Array.isArray(value.shares)) return null;
  return { week: value.week, messages: value.messages, shares: value.shares.map((share) => (isNumber(share) ? share : Number.NaN)) };
}

// A succeeded job's report, or null when its result is not one (another kind of job, or a result
// without topics): the page then says it could not read it rather than drawing half a report.
export function topicsResult(job: Job): TopicsResult | null {
  const r = job.result;
  if (job.kind !== kTopicsJobKind || !isObject(r) || !Array.isArray(r.topics)) return null;
  const topics = r.topics.map(readTopic);
  if (topics.some((topic) => topic === null)) return null;
  const number = (value: unknown) => (isNumber(value) ? value : Number.NaN);
  const candidates = Array.isArray(r.candidates)
    ? r.candidates.filter(isObject).map((c) => ({ topics: number(c.topics), mean_npmi: number(c.mean_npmi), mean_umass: number(c.mean_umass) }))
    : [];
  const weeks = Array.isArray(r.weeks) ? r.weeks.map(readWeek).filter((week): week is TopicWeek => week !== null) : [];
  const kind: TopicSource = isObject(job.payload) && job.payload.source === "comments" ? "comments" : "messages";
  return {
    source: typeof r.source === "string" ? r.source : "", kind, from: typeof r.from === "string" ? r.from : "",
    to: typeof r.to === "string" ? r.to : "", character_id: isNumber(r.character_id) ? r.character_id : null,
    messages: number(r.messages), vocabulary: number(r.vocabulary), tokens: number(r.tokens), topic_count: number(r.topic_count),
    iterations: number(r.iterations), seed: number(r.seed), candidates, mean_npmi: number(r.mean_npmi), mean_umass: number(r.mean_umass),
    topics: (topics as Topic[]).sort((a, b) => a.rank - b.rank), weeks: [...weeks].sort((a, b) => (a.week < b.week ? -1 : a.week > b.week ? 1 : 0)),
  };
}

// ---- What the page shows ----

// A topic's name when the model gave one (or the fallback the server wrote), else its first three words.
export function topicTitle(topic: Topic): string {
  return topic.name ?? (topic.words.slice(0, 3).join(", ") || `topic ${topic.topic}`);
}

// The legend's and the weekly CSV's name for a topic: its rank first, since two may share a name.
export const topicLabel = (topic: Topic) => `#${topic.rank} ${topicTitle(topic)}`;

// "31.0%"; "–" when missing.
export function formatShare(share: number): string {
  return Number.isFinite(share) ? `${(share * 100).toFixed(1)}%` : "–";
}

export function formatCoherence(value: number): string {
  return Number.isFinite(value) ? value.toFixed(3) : "–";
}

export type Trend = "up" | "down" | "flat" | "none";

// The slope as percentage points of share per week, with its sign. A single week has no trend (the
// server writes 0 then), so the page says so instead of showing a flat line it never measured.
export function topicTrend(topic: Topic, weeks: number): { trend: Trend; text: string } {
  const slope = topic.slope_per_week;
  if (weeks < 2 || slope === undefined) return { trend: "none", text: "–" };
  const points = slope * 100;
  const rounded = Math.abs(points).toFixed(1);
  if (rounded === "0.0") return { trend: "flat", text: "±0.0 pts/week" };
  return points > 0 ? { trend: "up", text: `+${rounded} pts/week` } : { trend: "down", text: `−${rounded} pts/week` };
}

export interface TopicTableRow {
  key: number;       // the topic's index
  rank: number;
  name: string;      // "" without names
  nameNote: string;  // why the fallback name stands in, "" otherwise
  words: string;
  share: string;
  npmi: string;
  trend: Trend;
  trendText: string;
}

export function topicTableRows(result: TopicsResult): TopicTableRow[] {
  return result.topics.map((topic) => {
    const { trend, text } = topicTrend(topic, result.weeks.length);
    return {
      key: topic.topic, rank: topic.rank, name: topic.name ?? "",
      nameNote: topic.name !== undefined && topic.name_from_model === false ? topic.name_problem ?? "not named by the model" : "",
      words: topic.words.join(", "), share: formatShare(topic.share), npmi: formatCoherence(topic.npmi), trend, trendText: text,
    };
  });
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

// "120 messages, 85 words kept, 640 tokens. 5 topics, chosen by coherence among 5 (NPMI 0.123), 10 (0.101)."
// ("40 comments, ..." for feedback comments.)
export function topicsSummary(result: TopicsResult): string {
  const texts = result.kind === "comments" ? plural(result.messages, "comment", "comments")
    : plural(result.messages, "message", "messages");
  const corpus = `${texts}, ${plural(result.vocabulary, "word", "words")} kept, ` +
    `${plural(result.tokens, "token", "tokens")}.`;
  const chosen = `${plural(result.topic_count, "topic", "topics")}, mean NPMI ${formatCoherence(result.mean_npmi)}`;
  if (result.candidates.length < 2) return `${corpus} ${chosen}.`;
  const tried = result.candidates.map((c) => `${c.topics} (NPMI ${formatCoherence(c.mean_npmi)})`).join(", ");
  return `${corpus} ${chosen}, chosen by coherence among ${tried}.`;
}

// A color per series, in rank order; wraps after ten (a chart of more is hard to read anyway).
const kPalette = ["#6d4aff", "#e07a00", "#2a9d4b", "#c0392b", "#1f77b4", "#8e44ad", "#b8860b", "#17becf", "#d6336c", "#7f7f7f"];

export type TopicLine = [string, (number | null)[], string];

// uPlot's shape: x as each week's Monday (seconds, UTC), then per topic in rank order its share of
// that week's messages in percent; a gap for a week with no message (its shares say nothing).
export function weeklySeries(result: TopicsResult): { x: number[]; lines: TopicLine[] } {
  const x = result.weeks.map((w) => Date.parse(`${w.week}T00:00:00Z`) / 1000);
  const lines = result.topics.map((topic, i): TopicLine => [
    topicLabel(topic),
    result.weeks.map((w) => {
      const share = w.shares[topic.topic];
      return w.messages > 0 && Number.isFinite(share) ? share * 100 : null;
    }),
    kPalette[i % kPalette.length],
  ]);
  return { x, lines };
}

// The topics table as CSV: figures unrounded, words space-separated in order of probability.
export function topicsCsv(result: TopicsResult): string {
  return toCsv(
    ["rank", "topic", "name", "name_from_model", "words", "share", "npmi", "umass", "slope_per_week"],
    result.topics.map((t) => [t.rank, t.topic, t.name, t.name_from_model, t.words.join(" "), t.share, t.npmi, t.umass, t.slope_per_week]));
}

// The weekly shares as CSV: a row per week, a column per topic in rank order named as in the legend.
export function weeksCsv(result: TopicsResult): string {
  return toCsv(
    ["week", "messages", ...result.topics.map(topicLabel)],
    result.weeks.map((w) => [w.week, w.messages, ...result.topics.map((t) => w.shares[t.topic])]));
}

// ---- The form ----

// The form as typed: numbers as text so "abc" is caught here rather than sent as nothing.
export interface TopicsForm {
  from: string;
  to: string;
  characterId: number | null;
  source: TopicSource;
  topicsMode: "auto" | "count";
  count: string;
  nameTopics: boolean;
  iterations: string;
  seed: string;
  topWords: string;
}

export const defaultTopicsForm = (period: { from: string; to: string }): TopicsForm => ({
  from: period.from, to: period.to, characterId: null, source: "messages", topicsMode: "auto", count: "", nameTopics: false,
  iterations: "", seed: "", topWords: "",
});

export interface TopicsBody {
  from?: string;
  to?: string;
  character_id?: number;
  source?: TopicSource;     // the server reads messages when absent
  topics: number | string;  // a count, "auto", or candidates such as "5,10,15"
  top_words?: number;
  iterations?: number;
  seed?: number;
  name_topics: boolean;
}

// The body's fields that have an input of their own, where the server's refusal of one is shown.
export const kTopicsFormFields = ["from", "to", "character_id", "source", "topics", "top_words", "iterations", "seed"] as const;

const kDay = /^\d{4}-\d{2}-\d{2}$/;

// "8" or "5, 10, 15" as counts, each 1..1000 as the server takes them; null otherwise.
function topicCounts(text: string): number[] | null {
  const parts = text.split(",").map((part) => part.trim());
  if (!parts.every((part) => /^\d{1,4}$/.test(part))) return null;
  const counts = parts.map(Number);
  return counts.every((count) => count >= 1 && count <= 1000) ? counts : null;
}

// The request body, or an error per field (keyed by the body's field name). Blank numbers are left
// to the server's defaults; the period's length is the server's to judge.
export function topicsBody(form: TopicsForm): { body: TopicsBody; errors: Record<string, string> } {
  const body: TopicsBody = { topics: "auto", name_topics: form.nameTopics };
  const errors: Record<string, string> = {};
  for (const field of ["from", "to"] as const) {
    const day = form[field].trim();
    if (day === "") continue;
    if (kDay.test(day) && !Number.isNaN(Date.parse(`${day}T00:00:00Z`))) body[field] = day;
    else errors[field] = "a day as YYYY-MM-DD";
  }
  if (body.from && body.to && body.to < body.from) errors.to = "not before the first day";
  if (form.characterId !== null) body.character_id = form.characterId;
  if (form.source === "comments") body.source = "comments";
  const integer = (text: string, low: number, high: number): number | string => {
    const value = Number(text.trim());
    if (Number.isInteger(value) && value >= low && value <= high) return value;
    return Number.isFinite(high) ? `a whole number from ${low} to ${high}` : `a whole number, ${low} or more`;
  };
  const optional = (text: string, field: "top_words" | "iterations" | "seed", low: number, high: number) => {
    if (text.trim() === "") return;
    const value = integer(text, low, high);
    if (typeof value === "number") body[field] = value;
    else errors[field] = value;
  };
  if (form.topicsMode === "count") {
    const counts = topicCounts(form.count);
    if (counts === null) errors.topics = "a count from 1 to 1000, such as 8, or several to choose from, such as 5,10,15";
    else body.topics = counts.length === 1 ? counts[0] : counts.join(",");
  }
  optional(form.topWords, "top_words", 1, 100);
  optional(form.iterations, "iterations", 1, 5000);
  optional(form.seed, "seed", 0, Infinity);
  return { body, errors };
}

// The form a queued job was asked with (its payload, as the server checked it), so a page that
// follows a job from its URL shows what it is running; null when the payload is not a topics one.
export function formFromPayload(payload: unknown): TopicsForm | null {
  if (!isObject(payload) || typeof payload.from !== "string" || typeof payload.to !== "string") return null;
  const text = (value: unknown) => (isNumber(value) ? String(value) : "");
  const topics = typeof payload.topics === "string" ? payload.topics : text(payload.topics);
  const count = topicCounts(topics) ? topics : "";
  return {
    from: payload.from, to: payload.to, characterId: isNumber(payload.character_id) ? payload.character_id : null,
    source: payload.source === "comments" ? "comments" : "messages", topicsMode: count ? "count" : "auto", count, nameTopics: payload.name_topics === true,
    iterations: text(payload.iterations), seed: text(payload.seed), topWords: text(payload.top_words),
  };
}

// A job's error without the status code's name the server puts first ("invalid_argument: ...").
export const topicsJobReason = (job: Job) => (job.error || "no reason given").replace(/^[a-z_]+: /, "");

export function topicsJobText(job: Job): string {
  switch (job.status) {
    case "queued": return job.error ? `Waiting to try again (${topicsJobReason(job)})…` : "Waiting for a worker…";
    case "succeeded": return "Done.";
    case "failed": return `Finding topics failed: ${topicsJobReason(job)}`;
    case "cancelled": return "Cancelled.";
    default: {
      const percent = `${Math.round(Math.min(1, Math.max(0, job.progress || 0)) * 100)}%`;
      return job.cancel_requested ? `Cancelling… ${percent}` : `Reading the messages and sampling topics… ${percent}`;
    }
  }
}
