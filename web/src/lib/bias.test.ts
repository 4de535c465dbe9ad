import { describe, expect, it } from "vitest";
import {
  biasBody, biasCsv, biasJobText, biasResult, biasRows, biasSummary, defaultBiasForm, finalStagesText, formatAlpha, formatPValue, formFromPayload,
  parsePrompts, type BiasForm,
} from "./bias";
import type { Job } from "./jobs";

const test = (metric: string, reference: number, variant: number, p_value: number, flagged = false) =>
  ({ metric, reference, variant, p_value, flagged });

// A report as the server writes it: two dimensions, the first variant of each the reference.
const report = {
  character_id: 4, prompts: ["Plan my week.", "Tell me a joke."], repeats: 2, messages: 20, conversations: 10,
  dimensions: [
    { name: "gender", corrected_alpha: 0.00625, flagged: true, variants: [
      { label: "man", replies: 4, failed: 0, mean_words: 12.25, mean_sentiment: 0.1, refusal_rate: 0, conversations: 2,
        mean_stages: 1.5, final_stages: { talk: 1, goodbye: 1 }, tests: [] },
      { label: "woman", replies: 3, failed: 1, mean_words: 4, mean_sentiment: -0.25, refusal_rate: 0.5, conversations: 2,
        mean_stages: 1, final_stages: { talk: 2 },
        tests: [test("length", 12.25, 4, 0.0004, true), test("sentiment", 0.1, -0.25, 0.2), test("refusals", 0, 0.5, 0.03),
                test("stages", 1.5, 1, 1)] },
    ] },
    { name: "age", corrected_alpha: 0.0125, flagged: false, variants: [
      { label: "35", replies: 4, failed: 0, mean_words: 10, mean_sentiment: 0, refusal_rate: 0, conversations: 2, mean_stages: null,
        final_stages: {}, tests: [] },
      { label: "72", replies: 4, failed: 0, mean_words: 9, mean_sentiment: 0, refusal_rate: 0, conversations: 2, mean_stages: 1,
        final_stages: { talk: 2 }, tests: [test("length", 10, 9, 0.8), test("sentiment", 0, 0, 1)] },
    ] },
  ],
};

const job = (fields: Partial<Job>): Job => ({ id: 7, kind: "studio.bias_review", status: "succeeded", progress: 1, result: report, error: "", ...fields });

const read = () => {
  const result = biasResult(job({}));
  if (!result) throw new Error("the report should be read");
  return result;
};

const form = (fields: Partial<BiasForm>): BiasForm => ({ ...defaultBiasForm(), characterId: 4, ...fields });

describe("biasResult", () => {
  it("reads every dimension and variant, a missing figure as NaN", () => {
    const result = read();
    expect(result.dimensions.map((d) => [d.name, d.variants.map((v) => v.label)])).toEqual([["gender", ["man", "woman"]], ["age", ["35", "72"]]]);
    expect(result.dimensions[1].variants[0].mean_stages).toBeNaN();
    expect(result.prompts).toEqual(report.prompts);
  });

  it("refuses a result that is not a bias report", () => {
    expect(biasResult(job({ kind: "analytics.topics" }))).toBeNull();
    expect(biasResult(job({ result: null }))).toBeNull();
    expect(biasResult(job({ result: { dimensions: [{ name: "gender", variants: [] }] } }))).toBeNull();
    expect(biasResult(job({ result: { dimensions: [{ name: "gender", variants: [{ label: "a", tests: [{}] }] }] } }))).toBeNull();
  });
});

describe("the dimension tables", () => {
  it("show the reference without p-values and each test's p-value beside its figure", () => {
    const [reference, woman] = biasRows(read().dimensions[0]);
    expect(reference.reference).toBe(true);
    expect(Object.values(reference.cells).map((c) => c.p)).toEqual(["", "", "", ""]);
    expect(reference.cells.length.value).toBe("12.3");
    expect(reference.finalStages).toBe("goodbye 1, talk 1");
    expect([woman.replies, woman.failed]).toEqual([3, 1]);
    expect(woman.cells.length).toEqual({ value: "4.0", p: "<0.001", flagged: true });
    expect(woman.cells.sentiment).toEqual({ value: "-0.250", p: "0.200", flagged: false });
    expect(woman.cells.refusals).toEqual({ value: "50%", p: "0.030", flagged: false });
    expect(woman.cells.stages).toEqual({ value: "1.00", p: "1.000", flagged: false });
    expect(woman.flagged).toBe(true);
  });

  it("show a test the report lacks, and a figure it could not compute, as a dash", () => {
    const [reference, old] = biasRows(read().dimensions[1]);
    expect(reference.cells.stages.value).toBe("–");
    expect(reference.finalStages).toBe("–");
    expect(old.cells.refusals.p).toBe("–");
    expect(old.flagged).toBe(false);
  });

  it("round p-values to three decimals, and a positive sentiment with its sign", () => {
    expect(formatPValue(0.00099)).toBe("<0.001");
    expect(formatPValue(0.001)).toBe("0.001");
    expect(formatPValue(Number.NaN)).toBe("–");
    expect(biasRows(read().dimensions[0])[0].cells.sentiment.value).toBe("+0.100");
    expect(finalStagesText({ b: 1, a: 1, c: 3 })).toBe("c 3, a 1, b 1");
    expect([0.05 / 8, 0.05 / 4, 0.05 / 16].map(formatAlpha)).toEqual(["0.00625", "0.0125", "0.00313"]);
  });

  it("sum up what was held and what is flagged", () => {
    expect(biasSummary(read())).toBe("20 replies asked for in 10 conversations (2 prompts, 2 per variant). Flagged: gender.");
    const calm = { ...read(), dimensions: read().dimensions.slice(1) };
    expect(biasSummary(calm)).toMatch(/Nothing flagged\.$/);
  });
});

describe("biasCsv", () => {
  it("holds a row per variant of every dimension, figures unrounded", () => {
    const lines = biasCsv(read()).split("\r\n").filter((line) => line !== "");
    expect(lines[0]).toBe("dimension,corrected_alpha,dimension_flagged,variant,reference,replies,failed,mean_words,mean_sentiment,refusal_rate," +
      "conversations,mean_stages,final_stages,length_p_value,length_flagged,sentiment_p_value,sentiment_flagged,refusals_p_value," +
      "refusals_flagged,stages_p_value,stages_flagged");
    expect(lines).toHaveLength(5);
    expect(lines[1]).toBe("gender,0.00625,true,man,true,4,0,12.25,0.1,0,2,1.5,talk:1 goodbye:1,,,,,,,,");
    expect(lines[2]).toBe("gender,0.00625,true,woman,false,3,1,4,-0.25,0.5,2,1,talk:2,0.0004,true,0.2,false,0.03,false,1,false");
    expect(lines[3]).toBe("age,0.0125,false,35,true,4,0,10,0,0,2,,,,,,,,,,");
    expect(lines[4]).toBe("age,0.0125,false,72,false,4,0,9,0,0,2,1,talk:2,0.8,false,1,false,,,,");
  });
});

describe("the form", () => {
  it("reads one prompt per line, skipping blank ones; none means the built-in prompts", () => {
    expect(parsePrompts("  Plan my week. \r\n\n Tell me a joke.\n")).toEqual({ prompts: ["Plan my week.", "Tell me a joke."] });
    expect(parsePrompts(" \n\n")).toEqual({ prompts: [] });
    expect(parsePrompts(Array.from({ length: 51 }, (_, i) => `p${i}`).join("\n")).error).toMatch(/At most 50 prompts/);
    // 1,000 two-byte letters pass; 1,001 are over 2,000 bytes.
    expect(parsePrompts("é".repeat(1000)).error).toBeUndefined();
    expect(parsePrompts(`fine\n${"é".repeat(1001)}`).error).toBe("Prompt 2 is longer than 2000 bytes.");
  });

  it("builds the body from filled fields only, leaving blanks to the server", () => {
    expect(biasBody(form({}))).toEqual({ body: { character_id: 4 }, errors: {} });
    expect(biasBody(form({ prompts: "a\nb", repeats: "2", maxTokens: "4", temperature: "0.5", provider: " local " })).body)
      .toEqual({ character_id: 4, prompts: ["a", "b"], repeats: 2, max_tokens: 4, temperature: 0.5, provider: "local" });
  });

  it("names each field it refuses", () => {
    const { errors } = biasBody(form({ characterId: null, repeats: "0", maxTokens: "1.5", temperature: "3" }));
    expect(Object.keys(errors).sort()).toEqual(["character_id", "max_tokens", "repeats", "temperature"]);
    expect(biasBody(form({ repeats: "21" })).errors.repeats).toBe("A whole number from 1 to 20.");
    expect(biasBody(form({ maxTokens: "1025" })).errors.max_tokens).toBe("A whole number from 1 to 1024.");
  });

  it("shows a queued job's payload as the form that asked for it", () => {
    const payload = { character_id: 4, prompts: ["a", "b"], repeats: 2, max_tokens: 4, temperature: 0.7, provider: "" };
    expect(formFromPayload(payload)).toEqual({ characterId: 4, prompts: "a\nb", repeats: "2", maxTokens: "4", temperature: "0.7", provider: "" });
    expect(formFromPayload({ from: "2026-01-01" })).toBeNull();
  });

  it("says where a running job is and why a failed one failed", () => {
    expect(biasJobText(job({ status: "running", progress: 0.25 }))).toBe("Holding the conversations… 25% of the replies");
    expect(biasJobText(job({ status: "failed", error: "not_found: character 4 not found" }))).toBe("The bias review failed: character 4 not found");
    expect(biasJobText(job({ status: "running", progress: 0.5, cancel_requested: true }))).toBe("Cancelling… 50%");
  });
});
