import { describe, expect, it } from "vitest";
import {
  blankVariant, confidenceLabel, canDelete, canStart, canStop, errorSlot, errorSlots, experimentBody, experimentsPath, formatDifference,
  formatPValue, formatValue, newExperimentDraft, variantsCsv, type ExperimentDraft, type ExperimentReport,
} from "./experiments";

const draft = (fields: Partial<ExperimentDraft>): ExperimentDraft => ({ ...newExperimentDraft("3"), name: "Warmer", ...fields });

describe("experimentBody", () => {
  it("posts a prompt experiment whose control plays the card as it is", () => {
    const result = experimentBody(draft({
      plannedTrials: "200",
      variants: [blankVariant("control"), { ...blankVariant("warm"), systemPrompt: "Be warm.", weight: "2", flow: "ignored" }],
    }));
    expect(result.body).toEqual({
      character_id: 3, name: "Warmer", kind: "prompt", metric: "rating", planned_trials: 200,
      variants: [{ name: "control" }, { name: "warm", weight: 2, system_prompt: "Be warm." }],
    });
  });

  it("sends only the field of the kind, and return_days only for the return metric", () => {
    const row = { ...blankVariant("other"), flow: "start: a\n", systemPrompt: "x", characterId: "9" };
    const flow = experimentBody(draft({ kind: "flow", metric: "return", returnDays: "14", sizing: "none", variants: [blankVariant("c"), row] }));
    expect(flow.body).toMatchObject({ return_days: 14, variants: [{ name: "c" }, { name: "other", flow: "start: a\n" }] });
    expect(flow.body).not.toHaveProperty("planned_trials");
    const character = experimentBody(draft({ kind: "character", returnDays: "14", variants: [blankVariant("c"), row] }));
    expect(character.body?.variants).toEqual([{ name: "c" }, { name: "other", character_id: 9 }]);
    expect(character.body).not.toHaveProperty("return_days");
  });

  it("posts a plan instead of planned trials", () => {
    const result = experimentBody(draft({ sizing: "plan", plannedTrials: "50", baselineRate: "0.1", minimumEffect: "0.02" }));
    expect(result.body).toMatchObject({ plan: { baseline_rate: 0.1, minimum_effect: 0.02 } });
    expect(result.body).not.toHaveProperty("planned_trials");
  });

  it("names the fields that are not numbers with the server's paths, and posts nothing", () => {
    const result = experimentBody(draft({
      sizing: "plan", baselineRate: "ten", minimumEffect: "",
      variants: [blankVariant("c"), { ...blankVariant("b"), weight: "heavy" }],
    }));
    expect(result.body).toBeUndefined();
    expect(Object.keys(result.errors ?? {}).sort()).toEqual(["plan.baseline_rate", "plan.minimum_effect", "variants[1].weight"]);
    expect(experimentBody(draft({ plannedTrials: "2.5" })).errors).toEqual({ planned_trials: "a whole number" });
  });
});

describe("errorSlot", () => {
  const slots = errorSlots(2);
  it("puts an error beside the field it names, or its nearest parent the form shows", () => {
    expect(errorSlot("variants[1].system_prompt", slots)).toBe("variants[1].system_prompt");
    expect(errorSlot("variants[1].unknown", slots)).toBe("variants[1]");
    expect(errorSlot("variants[5].name", slots)).toBe("variants");
    expect(errorSlot("plan.alpha", slots)).toBe("plan");
    expect(errorSlot("plan.baseline_rate", slots)).toBe("plan.baseline_rate");
    expect(errorSlot("id", slots)).toBe("");
    expect(errorSlot("", slots)).toBe("");
  });
});

describe("states", () => {
  it("allow start for drafts, stop while running, delete unless running", () => {
    expect([canStart("draft"), canStart("running"), canStart("stopped")]).toEqual([true, false, false]);
    expect([canStop("draft"), canStop("running"), canStop("stopped")]).toEqual([false, true, false]);
    expect([canDelete("draft"), canDelete("running"), canDelete("stopped")]).toEqual([true, false, true]);
    expect(experimentsPath(null)).toBe("/api/v1/studio/experiments");
    expect(experimentsPath(4)).toBe("/api/v1/studio/experiments?character_id=4");
  });
});

const sampleReport: ExperimentReport = {
  metric: "rating", confidence: 0.95, proportion: false, planned_trials: 10,
  variants: [
    { name: "control", assigned: 11, measured: 10, pending: 1, estimate: { value: 3.2, low: 2.6, high: 3.8, standard_deviation: 1 },
      against_control: null, decision: null },
    { name: "warm, kind", assigned: 9, measured: 9, pending: 0, estimate: { value: 4.1, low: 3.5, high: 4.7, standard_deviation: 0.9 },
      against_control: { difference: 0.9, low: 0.1, high: 1.7, test: "Mann-Whitney U", statistic: 2.1, p_value: 0.036 },
      decision: "continue" },
  ],
  days: [{ day_start_ms: 1_700_006_400_000, counts: [11, 9] }],
  summary: "Keep running: some variant has not reached the planned trials.",
  experiment: {
    id: 1, character_id: 3, name: "Warmer", kind: "prompt", metric: "rating", return_days: 7, planned_trials: 10,
    variants: [{ name: "control" }, { name: "warm, kind", system_prompt: "Be warm." }], status: "running",
    started_at: 1, stopped_at: null, created_at: 1, updated_at: 1,
  },
};

describe("the report as text", () => {
  it("writes rates as percentages and differences with their sign", () => {
    expect(formatValue(0.1234, true)).toBe("12.3%");
    expect(formatValue(4.1, false)).toBe("4.10");
    expect(formatDifference(0.031, true)).toBe("+3.1 pp");
    expect(formatDifference(-0.5, false)).toBe("−0.50");
    expect(formatPValue(0.0004)).toBe("< 0.001");
    expect(formatPValue(0.0361)).toBe("0.036");
  });

  it("labels intervals with the report's own confidence level", () => {
    expect(confidenceLabel(sampleReport)).toBe("95%");
    expect(confidenceLabel({ ...sampleReport, confidence: 0.9 })).toBe("90%");
    expect(confidenceLabel({ ...sampleReport, confidence: 0.995 })).toBe("99.5%");
  });

  it("writes the variants table as CSV with raw figures, empty where nothing is known", () => {
    const lines = variantsCsv(sampleReport).split("\r\n");
    expect(lines[0]).toBe("variant,control,assigned,measured,pending,estimate,estimate_low,estimate_high,difference," +
                          "difference_low,difference_high,test,statistic,p_value,decision");
    expect(lines[1]).toBe("control,true,11,10,1,3.2,2.6,3.8,,,,,,,");
    expect(lines[2]).toBe('"warm, kind",false,9,9,0,4.1,3.5,4.7,0.9,0.1,1.7,Mann-Whitney U,2.1,0.036,continue');
    expect(lines[3]).toBe("");
  });
});
