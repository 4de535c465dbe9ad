import { describe, expect, it } from "vitest";
import {
  compareRuns, comparisonCsv, daysCsv, evalRunsCsv, formatScore, funnelCsv, funnelRows, overviewPath, overviewSeries,
  regeneratedText,
  type AnalyticsDay, type EvalRun, type FunnelStage,
} from "./analytics";

const quiet: AnalyticsDay = {
  day: "2026-03-02", conversations: 0, user_messages: 0, assistant_messages: 0, sentiment_count: 0,
  sentiment_mean: null, thumbs_up: 0, thumbs_down: 0, csat_count: 0, csat_mean: null, comments: 0,
  comment_sentiment_count: 0, comment_sentiment_mean: null,
};
const busy: AnalyticsDay = {
  day: "2026-03-01", conversations: 5, user_messages: 3, assistant_messages: 2, sentiment_count: 2,
  sentiment_mean: 0.25, thumbs_up: 1, thumbs_down: 2, csat_count: 1, csat_mean: 4, comments: 3,
  comment_sentiment_count: 2, comment_sentiment_mean: -0.5,
};

const stage = (name: string, atStage: number, reached: number, dropOff: number | null, rate: number | null): FunnelStage => ({
  stage: name, at_stage: atStage, reached, drop_off: dropOff, drop_off_rate: rate, sentiment_count: 0,
  sentiment_mean: null, rating_count: 0, rating_mean: null, replies: 0, regenerated: 0, first_kept: 0,
  regenerated_rate: null,
});

const run = (id: number, bleu: number, perplexity: number | null): EvalRun => ({
  id, character_id: 1, dataset: "greetings.jsonl", dataset_fingerprint: "f", provider: "local", cases: 4, bleu,
  chrf: 0.5, rouge_l: 0.25, perplexity, created_at: Date.parse("2026-03-01T12:00:00Z"),
});

describe("analytics", () => {
  it("builds the overview query, with a character or without", () => {
    expect(overviewPath("2026-03-01", "2026-03-07", null)).toBe("/api/v1/analytics/overview?from=2026-03-01&to=2026-03-07");
    expect(overviewPath("2026-03-01", "2026-03-07", 12)).toBe(
      "/api/v1/analytics/overview?from=2026-03-01&to=2026-03-07&character_id=12");
  });

  it("turns days into chart series in day order, with gaps for means", () => {
    const series = overviewSeries([quiet, busy]);
    expect(series.x).toEqual([Date.parse("2026-03-01T00:00:00Z") / 1000, Date.parse("2026-03-02T00:00:00Z") / 1000]);
    expect(series.conversations).toEqual([5, 0]);
    expect(series.messages).toEqual([5, 0]);
    expect(series.sentiment).toEqual([0.25, null]);
    expect(series.thumbsDown).toEqual([2, 0]);
    expect(series.csat).toEqual([4, null]);
    expect(series.commentSentiment).toEqual([-0.5, null]);
    expect(series.comments).toEqual([3, 0]);
  });

  it("gives each funnel stage its share of the conversations that entered", () => {
    const rows = funnelRows([stage("intro", 2, 4, 2, 0.5), stage("friendly", 1, 2, 1, 0.5), stage("close", 1, 1, null, null)]);
    expect(rows.map((r) => r.reachedPercent)).toEqual([100, 50, 25]);
    expect(rows.map((r) => r.dropOffPercent)).toEqual([50, 50, null]);
    expect(funnelRows([stage("intro", 0, 0, null, null)])[0].reachedPercent).toBeNull();
  });

  it("compares two runs metric by metric, the second minus the first", () => {
    const compared = compareRuns(run(1, 0.25, 12), run(2, 0.5, null));
    expect(compared.find((c) => c.metric === "bleu")).toEqual({ metric: "bleu", a: 0.25, b: 0.5, delta: 0.25 });
    expect(compared.find((c) => c.metric === "perplexity")!.delta).toBeNull();
    expect(formatScore(0.25, true)).toBe("+0.250");
    expect(formatScore(-0.1, true)).toBe("-0.100");
    expect(formatScore(null)).toBe("–");
  });

  it("says how many of a stage's replies were regenerated", () => {
    const base = stage("intro", 2, 4, 2, 0.5);
    expect(regeneratedText(base)).toBe("–");
    expect(regeneratedText({ ...base, replies: 8, regenerated: 2, regenerated_rate: 0.25 })).toBe("2 of 8 (25%)");
    expect(regeneratedText({ ...base, replies: 8, regenerated: 2, first_kept: 1, regenerated_rate: 0.25 })).toBe(
      "2 of 8 (25%), 1 back to the first");
  });

  it("writes every table as CSV with raw numbers", () => {
    expect(daysCsv([busy]).split("\r\n")).toEqual([
      "day,conversations,user_messages,assistant_messages,sentiment_mean,sentiment_count,thumbs_up,thumbs_down,csat_mean," +
        "csat_count,comments,comment_sentiment_mean,comment_sentiment_count",
      "2026-03-01,5,3,2,0.25,2,1,2,4,1,3,-0.5,2", ""]);
    expect(daysCsv([quiet]).split("\r\n")[1]).toBe("2026-03-02,0,0,0,,0,0,0,,0,0,,0");
    const swiped = { ...stage("intro", 2, 4, 2, 0.5), replies: 8, regenerated: 2, first_kept: 1, regenerated_rate: 0.25 };
    expect(funnelCsv([swiped], [stage("gone, old", 1, 0, null, null)]).split("\r\n")).toEqual([
      "stage,in_flow,at_stage,reached,drop_off,drop_off_rate,sentiment_mean,sentiment_count,rating_mean,rating_count," +
        "replies,regenerated,first_kept,regenerated_rate",
      "intro,true,2,4,2,0.5,,0,,0,8,2,1,0.25", '"gone, old",false,1,,,,,0,,0,0,0,0,', ""]);
    expect(evalRunsCsv([run(7, 0.125, null)]).split("\r\n")[1]).toBe(
      "7,2026-03-01T12:00:00.000Z,greetings.jsonl,f,local,4,0.125,0.5,0.25,");
    expect(comparisonCsv(run(1, 0.25, 12), run(2, 0.5, 10)).split("\r\n").slice(0, 3)).toEqual([
      "metric,run_1,run_2,delta", "cases,4,4,0", "bleu,0.25,0.5,0.25"]);
  });
});
