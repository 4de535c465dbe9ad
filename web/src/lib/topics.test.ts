import { describe, expect, it } from "vitest";
import type { Job } from "./jobs";
import {
  defaultTopicsForm, formFromPayload, topicsBody, topicsCsv, topicsJobText, topicsResult, topicsSummary, topicTableRows, topicTitle,
  topicTrend, weeklySeries, weeksCsv, type Topic, type TopicsForm,
} from "./topics";

// A report as the server writes it: ranks by share, shares by topic index in each week.
const report = {
  source: "users' messages from 2026-11-08 to 2026-12-07", from: "2026-11-08", to: "2026-12-07", character_id: null,
  messages: 120, vocabulary: 85, tokens: 640, topic_count: 2, iterations: 500, seed: 1, alpha: 0.1, beta: 0.01,
  candidates: [{ topics: 2, mean_npmi: 0.2, mean_umass: -1.5 }, { topics: 4, mean_npmi: 0.05, mean_umass: -2 }],
  mean_npmi: 0.2, mean_umass: -1.5,
  topics: [
    { rank: 2, topic: 0, share: 0.35, npmi: 0.1, umass: -2.25, words: ["rain", "umbrella", "cloud", "storm"], slope_per_week: -0.0312 },
    { rank: 1, topic: 1, share: 0.65, npmi: 0.3, umass: -0.75, words: ["pizza", "cheese", "oven"], slope_per_week: 0.0312 },
  ],
  weeks: [
    { week: "2026-11-16", messages: 0, shares: [0, 0] },
    { week: "2026-11-09", messages: 70, shares: [0.4, 0.6] },
    { week: "2026-11-23", messages: 50, shares: [0.25, 0.75] },
  ],
};

const job = (fields: Partial<Job>): Job => ({ id: 9, kind: "analytics.topics", status: "succeeded", progress: 1, result: report, error: "", ...fields });

const read = () => {
  const result = topicsResult(job({}));
  if (!result) throw new Error("the report should be read");
  return result;
};

const form = (fields: Partial<TopicsForm>): TopicsForm => ({ ...defaultTopicsForm({ from: "2026-11-08", to: "2026-12-07" }), ...fields });

describe("topicsResult", () => {
  it("reads the report with topics in rank order and weeks in order of their Monday", () => {
    const result = read();
    expect(result.topics.map((t) => [t.rank, t.topic])).toEqual([[1, 1], [2, 0]]);
    expect(result.weeks.map((w) => w.week)).toEqual(["2026-11-09", "2026-11-16", "2026-11-23"]);
    expect(result.character_id).toBeNull();
    expect(result.candidates).toHaveLength(2);
  });

  it("refuses a result that is not a topics report", () => {
    expect(topicsResult(job({ kind: "analytics.train_outcomes" }))).toBeNull();
    expect(topicsResult(job({ result: null }))).toBeNull();
    expect(topicsResult(job({ result: { topics: [{ rank: 1 }] } }))).toBeNull();
  });

  it("keeps a report without weeks, and names only when given", () => {
    const result = topicsResult(job({ result: { ...report, weeks: undefined } }));
    expect(result?.weeks).toEqual([]);
    expect(result?.topics[0].name).toBeUndefined();
  });
});

describe("the topics table", () => {
  it("shows each topic's words, share, coherence and trend with its sign", () => {
    const rows = topicTableRows(read());
    expect(rows.map((r) => [r.rank, r.words, r.share, r.npmi, r.trend, r.trendText])).toEqual([
      [1, "pizza, cheese, oven", "65.0%", "0.300", "up", "+3.1 pts/week"],
      [2, "rain, umbrella, cloud, storm", "35.0%", "0.100", "down", "−3.1 pts/week"],
    ]);
    expect(rows[0].name).toBe("");
  });

  it("shows no trend from a single week, and a flat one when it rounds to nothing", () => {
    const topic: Topic = { rank: 1, topic: 0, share: 1, npmi: 0, umass: 0, words: ["a"], slope_per_week: 0 };
    expect(topicTrend(topic, 1)).toEqual({ trend: "none", text: "–" });
    expect(topicTrend({ ...topic, slope_per_week: 0.0002 }, 3)).toEqual({ trend: "flat", text: "±0.0 pts/week" });
    expect(topicTrend({ ...topic, slope_per_week: undefined }, 3).trend).toBe("none");
  });

  it("names a topic by the model's name, else by its first three words, and says why a fallback stands in", () => {
    const named = { ...report.topics[1], name: "Pizza night", name_from_model: true };
    const fallback = { ...report.topics[0], name: "rain, umbrella, cloud", name_from_model: false, name_problem: "the reply was not JSON" };
    const result = topicsResult(job({ result: { ...report, topics: [named, fallback] } }));
    if (!result) throw new Error("the report should be read");
    expect(result.topics.map(topicTitle)).toEqual(["Pizza night", "rain, umbrella, cloud"]);
    expect(topicTableRows(result).map((r) => [r.name, r.nameNote])).toEqual([["Pizza night", ""], ["rain, umbrella, cloud", "the reply was not JSON"]]);
    expect(topicTitle(read().topics[1])).toBe("rain, umbrella, cloud");
  });

  it("sums up the corpus and the candidates tried, or only the count given", () => {
    expect(topicsSummary(read())).toBe(
      "120 messages, 85 words kept, 640 tokens. 2 topics, mean NPMI 0.200, chosen by coherence among 2 (NPMI 0.200), 4 (NPMI 0.050).");
    const given = topicsResult(job({ result: { ...report, candidates: [report.candidates[0]], messages: 1 } }));
    expect(given && topicsSummary(given)).toBe("1 message, 85 words kept, 640 tokens. 2 topics, mean NPMI 0.200.");
  });

  it("counts comments as comments when the job read the feedback", () => {
    expect(read().kind).toBe("messages");
    const comments = topicsResult(job({ payload: { source: "comments" }, result: { ...report, candidates: [], messages: 40 } }));
    expect(comments?.kind).toBe("comments");
    expect(comments && topicsSummary(comments)).toBe("40 comments, 85 words kept, 640 tokens. 2 topics, mean NPMI 0.200.");
  });
});

describe("the weekly chart and the CSV", () => {
  it("draws one series per topic in rank order, by topic index, a gap for a week without messages", () => {
    const { x, lines } = weeklySeries(read());
    expect(x).toEqual([Date.UTC(2026, 10, 9) / 1000, Date.UTC(2026, 10, 16) / 1000, Date.UTC(2026, 10, 23) / 1000]);
    expect(lines.map(([label]) => label)).toEqual(["#1 pizza, cheese, oven", "#2 rain, umbrella, cloud"]);
    expect(lines[0][1]).toEqual([60, null, 75]);
    expect(lines[1][1]).toEqual([40, null, 25]);
    expect(new Set(lines.map(([, , color]) => color)).size).toBe(2);
  });

  it("writes the topics table unrounded, a row per topic", () => {
    expect(topicsCsv(read()).split("\r\n")).toEqual([
      "rank,topic,name,name_from_model,words,share,npmi,umass,slope_per_week",
      "1,1,,,pizza cheese oven,0.65,0.3,-0.75,0.0312",
      "2,0,,,rain umbrella cloud storm,0.35,0.1,-2.25,-0.0312",
      "",
    ]);
  });

  it("writes the weekly shares with a column per topic named as in the legend", () => {
    expect(weeksCsv(read()).split("\r\n")).toEqual([
      "week,messages,\"#1 pizza, cheese, oven\",\"#2 rain, umbrella, cloud\"",
      "2026-11-09,70,0.6,0.4",
      "2026-11-16,0,0,0",
      "2026-11-23,50,0.75,0.25",
      "",
    ]);
  });
});

describe("topicsBody", () => {
  it("sends the period, the character and the typed numbers, leaving blanks to the server", () => {
    expect(topicsBody(form({})).body).toEqual({ from: "2026-11-08", to: "2026-12-07", topics: "auto", name_topics: false });
    const { body, errors } = topicsBody(form({ characterId: 4, topicsMode: "count", count: " 3 ", nameTopics: true,
                                               iterations: "50", seed: "0", topWords: "6" }));
    expect(errors).toEqual({});
    expect(body).toEqual({ from: "2026-11-08", to: "2026-12-07", character_id: 4, topics: 3, name_topics: true,
                           iterations: 50, seed: 0, top_words: 6 });
    expect(topicsBody(form({ topicsMode: "count", count: "5, 10,15" })).body.topics).toBe("5,10,15");
    expect(topicsBody(form({ from: "", to: "" })).body).toEqual({ topics: "auto", name_topics: false });
  });

  it("asks for the feedback comments only when chosen, the messages being the server's default", () => {
    expect(topicsBody(form({ source: "comments" })).body).toEqual(
      { from: "2026-11-08", to: "2026-12-07", source: "comments", topics: "auto", name_topics: false });
    expect(topicsBody(form({ source: "messages" })).body.source).toBeUndefined();
  });

  it("names each field it refuses, in the server's bounds", () => {
    const { errors } = topicsBody(form({ from: "08/11/2026", topicsMode: "count", count: "0", iterations: "5001", seed: "-1", topWords: "2.5" }));
    expect(Object.keys(errors).sort()).toEqual(["from", "iterations", "seed", "top_words", "topics"]);
    expect(errors.iterations).toBe("a whole number from 1 to 5000");
    expect(errors.seed).toBe("a whole number, 0 or more");
    expect(topicsBody(form({ topicsMode: "count", count: "" })).errors.topics).toMatch(/count/);
    expect(topicsBody(form({ topicsMode: "count", count: "5,abc" })).errors.topics).toMatch(/count/);
    expect(topicsBody(form({ from: "2026-12-08", to: "2026-12-07" })).errors).toEqual({ to: "not before the first day" });
    expect(topicsBody(form({ topicsMode: "auto", count: "abc" })).errors).toEqual({});
  });

  it("fills the form back from a queued job's payload", () => {
    const payload = { from: "2026-01-01", to: "2026-01-31", character_id: 2, topics: "8", top_words: 10, iterations: 40, seed: 3,
                      min_documents: 3, max_document_fraction: 0.5, name_topics: true, provider: "" };
    expect(formFromPayload(payload)).toEqual({ from: "2026-01-01", to: "2026-01-31", characterId: 2, source: "messages",
                                               topicsMode: "count", count: "8", nameTopics: true, iterations: "40", seed: "3",
                                               topWords: "10" });
    expect(formFromPayload({ ...payload, source: "comments" })?.source).toBe("comments");
    expect(formFromPayload({ ...payload, topics: "auto", character_id: null })).toMatchObject({ topicsMode: "auto", count: "", characterId: null });
    expect(formFromPayload({ outcome: "handoff" })).toBeNull();
  });
});

describe("topicsJobText", () => {
  it("says where the job is and why it failed, without the code's name", () => {
    expect(topicsJobText(job({ status: "queued", result: null }))).toBe("Waiting for a worker…");
    expect(topicsJobText(job({ status: "running", progress: 0.42, result: null }))).toBe("Reading the messages and sampling topics… 42%");
    expect(topicsJobText(job({ status: "running", progress: 0.5, cancel_requested: true }))).toBe("Cancelling… 50%");
    expect(topicsJobText(job({ status: "failed", error: "invalid_argument: users' messages: 0 messages; try a longer period" })))
      .toBe("Finding topics failed: users' messages: 0 messages; try a longer period");
  });
});
