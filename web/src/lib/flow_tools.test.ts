import { describe, expect, it } from "vitest";
import {
  cardMarksMinor, defaultGenerateForm, defaultOptimizeForm, flowJobText, generateFlowBody, generatedFlow, optimization, optimizationFit,
  optimizeBlocker, optimizeFlowBody, parseDiff, percent, performanceRows, sameFlow, type Optimization,
} from "./flow_tools";
import type { Job } from "./jobs";

const job = (fields: Partial<Job>): Job => ({ id: 1, kind: "studio.optimize_flow", status: "running", progress: 0, result: null, error: "", ...fields });

describe("request bodies", () => {
  it("leave blank numbers out of a generation", () => {
    const form = { ...defaultGenerateForm(false), topic: " tea ", goal: "a calm chat " };
    expect(generateFlowBody(form)).toEqual({ topic: "tea", goal: "a calm chat" });
  });
  it("send the minor flag and stage range when given", () => {
    const form = { ...defaultGenerateForm(true), topic: "t", goal: "g", minStages: "3", maxStages: "4", seed: "7" };
    expect(generateFlowBody(form)).toEqual({ topic: "t", goal: "g", minor: true, min_stages: 3, max_stages: 4, seed: 7 });
  });
  it("leave a blank period and edit count out of an optimization", () => {
    expect(optimizeFlowBody(5, defaultOptimizeForm())).toEqual({ character_id: 5 });
    expect(optimizeFlowBody(5, { ...defaultOptimizeForm(), from: "2026-11-01", to: " ", maxEdits: "2" }))
      .toEqual({ character_id: 5, from: "2026-11-01", max_edits: 2 });
  });
  it("send a temperature and a provider only when filled", () => {
    const form = { ...defaultGenerateForm(false), topic: "t", goal: "g", temperature: "0.3", provider: "remote" };
    expect(generateFlowBody(form)).toEqual({ topic: "t", goal: "g", temperature: 0.3, provider: "remote" });
    expect(optimizeFlowBody(5, { ...defaultOptimizeForm(), temperature: "1.5" })).toEqual({ character_id: 5, temperature: 1.5 });
  });
});

describe("cardMarksMinor", () => {
  it("reads troupe.minor and troupe.age as the safety gate does", () => {
    expect(cardMarksMinor({ troupe: { minor: true } })).toBe(true);
    expect(cardMarksMinor({ troupe: { age: 12 } })).toBe(true);
    expect(cardMarksMinor({ troupe: { age: "15" } })).toBe(true);
    expect(cardMarksMinor({ troupe: { age: 34, minor: false } })).toBe(false);
    expect(cardMarksMinor({ troupe: { age: "" } })).toBe(false);
    expect(cardMarksMinor({})).toBe(false);
    expect(cardMarksMinor(null)).toBe(false);
  });
});

describe("parseDiff", () => {
  it("types each line and keeps its prefix", () => {
    const diff = "--- flow_before\n+++ flow_after\n@@ -1,3 +1,3 @@\n start: talk\n-    prompt: Old.\n+    prompt: New.\n";
    expect(parseDiff(diff)).toEqual([
      { kind: "header", text: "--- flow_before" }, { kind: "header", text: "+++ flow_after" },
      { kind: "hunk", text: "@@ -1,3 +1,3 @@" }, { kind: "context", text: " start: talk" },
      { kind: "removed", text: "-    prompt: Old." }, { kind: "added", text: "+    prompt: New." },
    ]);
  });
  it("makes nothing of an empty diff", () => {
    expect(parseDiff("")).toEqual([]);
  });
});

describe("performance", () => {
  it("shows rates as percentages and a missing value as -", () => {
    expect(percent(0)).toBe("0%");
    expect(percent(0.125)).toBe("12.5%");
    expect(percent(1)).toBe("100%");
    expect(percent(null)).toBe("-");
    expect(performanceRows([
      { stage: "hello", reached: 4, drop_off_rate: 0.25, sentiment_mean: 0.5, rating_mean: null },
      { stage: "friends", reached: null, drop_off_rate: null, sentiment_mean: null, rating_mean: 1 },
    ])).toEqual([
      { stage: "hello", reached: "4", dropOff: "25%", sentiment: "0.50", rating: "-" },
      { stage: "friends", reached: "-", dropOff: "-", sentiment: "-", rating: "1.00" },
    ]);
  });
});

describe("job results", () => {
  it("reads a generated flow and an optimization, or null", () => {
    expect(generatedFlow(job({ result: { flow: "start: a\n", stages: ["a"] } }))).toEqual({ flow: "start: a\n", stages: ["a"] });
    expect(generatedFlow(job({ result: null }))).toBeNull();
    expect(optimization(job({ result: { flow_after: "x", diff: "" } }))?.edits).toEqual([]);
    expect(optimization(job({ result: { edits: [] } }))).toBeNull();
  });
  it("says where a job is", () => {
    expect(flowJobText(job({ status: "queued" }))).toBe("Waiting for a worker…");
    expect(flowJobText(job({ progress: 0.5 }))).toBe("Asking the model… 50%");
    expect(flowJobText(job({ status: "failed", error: "model busy" }))).toBe("Failed: model busy");
  });
});

describe("the optimizer and the flow field", () => {
  const saved = "start: a\nstages:\n  a:\n    prompt: Hi.\n";
  const proposal = (after: string): Optimization => ({
    character_id: 1, edits: [], flow_before: saved, flow_after: after, diff: "", performance: [],
  });

  it("takes CRLF and a trailing newline as the same flow", () => {
    expect(sameFlow(saved, saved.replace(/\n/g, "\r\n"))).toBe(true);
    expect(sameFlow(saved, saved.trimEnd())).toBe(true);
    expect(sameFlow(saved, saved.replace("Hi.", "Hello."))).toBe(false);
  });

  it("starts only on the saved flow, since the API optimizes that one", () => {
    expect(optimizeBlocker(saved, saved)).toBeNull();
    expect(optimizeBlocker(saved, `${saved}\n# draft\n`)).toMatch(/differs from the saved flow/);
    expect(optimizeBlocker(saved, "")).toMatch(/differs from the saved flow/);
    expect(optimizeBlocker("  ", "start: a")).toMatch(/no saved flow/);
  });

  it("offers Apply only while the field holds the flow the proposal was made for", () => {
    // The server's flow_before is the saved flow re-serialized (comments gone): the field is
    // compared with what it held when Optimize was pressed instead.
    const field = `# Pip's flow\n${saved}`;
    const after = saved.replace("Hi.", "Hello there.");
    expect(optimizationFit(proposal(after), field, field)).toBe("applicable");
    expect(optimizationFit(proposal(after), field, after)).toBe("applied");
    expect(optimizationFit(proposal(after), field, "start: b\nstages:\n  b:\n    prompt: Other.\n")).toBe("stale");
    expect(optimizationFit(proposal(after), field, saved)).toBe("stale");
    expect(optimizationFit(proposal(saved), field, field)).toBe("unchanged");
    expect(optimizationFit(proposal(" "), field, field)).toBe("unchanged");
  });
});
