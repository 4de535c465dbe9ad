import { describe, expect, it } from "vitest";
import { assignmentSeries, intervalLayout, niceTicks } from "./experiment_charts";
import type { ExperimentReport, VariantReport } from "./experiments";

const variant = (name: string, estimate: [number, number, number] | null): VariantReport => ({
  name, assigned: 5, measured: estimate ? 5 : 0, pending: estimate ? 0 : 5, against_control: null, decision: null,
  estimate: estimate && { value: estimate[0], low: estimate[1], high: estimate[2] },
});

const report = (fields: Partial<ExperimentReport>): ExperimentReport => ({
  metric: "rating", confidence: 0.95, proportion: false, planned_trials: 0, days: [], summary: "",
  variants: [variant("control", [3, 2.5, 3.5]), variant("B", [4, 3.4, 4.6])],
  experiment: {
    id: 1, character_id: 1, name: "x", kind: "prompt", metric: "rating", return_days: 7, planned_trials: 0,
    variants: [], status: "running", started_at: 1, stopped_at: null, created_at: 1, updated_at: 1,
  },
  ...fields,
});

describe("niceTicks", () => {
  it("covers the range with round steps", () => {
    expect(niceTicks(1, 5)).toEqual({ domain: [1, 5], ticks: [1, 2, 3, 4, 5] });
    expect(niceTicks(0.12, 0.31)).toEqual({ domain: [0.1, 0.35], ticks: [0.1, 0.15, 0.2, 0.25, 0.3, 0.35] });
    expect(niceTicks(-3, 17).ticks).toEqual([-5, 0, 5, 10, 15, 20]);
  });

  it("widens an empty range instead of dividing by zero", () => {
    const { domain } = niceTicks(2, 2);
    expect(domain[0]).toBeLessThan(2);
    expect(domain[1]).toBeGreaterThan(2);
  });
});

describe("intervalLayout", () => {
  it("places each estimate inside its interval and the control's band behind", () => {
    const layout = intervalLayout(report({}), 640);
    expect(layout.marks).toHaveLength(2);
    for (const mark of layout.marks) {
      expect(mark.low!).toBeLessThan(mark.x!);
      expect(mark.x!).toBeLessThan(mark.high!);
      expect(mark.low!).toBeGreaterThanOrEqual(layout.plotLeft);
      expect(mark.high!).toBeLessThanOrEqual(layout.plotRight);
    }
    expect(layout.marks[1].y).toBeGreaterThan(layout.marks[0].y);
    expect(layout.controlBand).toEqual({ low: layout.marks[0].low, high: layout.marks[0].high, x: layout.marks[0].x });
    // A rating chart spans 1..5, whatever the estimates.
    expect(layout.ticks.map((t) => t.label)).toEqual(["1", "2", "3", "4", "5"]);
    expect(layout.marks[0].label).toBe("control (control): 3.00 (95% interval 2.50 to 3.50)");
  });

  it("leaves a variant without an estimate unmarked, and no band without the control's", () => {
    const layout = intervalLayout(report({ variants: [variant("control", null), variant("B", [4, 3, 5])] }));
    expect(layout.marks[0]).toMatchObject({ x: null, label: "control (control): nothing measured yet" });
    expect(layout.controlBand).toBeNull();
    const one = { ...variant("B", null), measured: 1 };
    expect(intervalLayout(report({ variants: [variant("control", [3, 2, 4]), one] })).marks[1].label)
      .toBe("B: too few outcomes for an interval");
  });

  it("keeps rates within 0%..100% and labels them as percentages", () => {
    const layout = intervalLayout(report({
      metric: "resolution", confidence: 0.95, proportion: true,
      variants: [variant("control", [0.9, 0.8, 0.97]), variant("B", [0.95, 0.87, 1])],
    }));
    expect(layout.ticks[layout.ticks.length - 1].label).toBe("100%");
    expect(Number(layout.ticks[0].label.replace("%", ""))).toBeGreaterThanOrEqual(0);
  });
});

describe("assignmentSeries", () => {
  it("puts back the days without assignments as zeros", () => {
    const day = 86_400_000;
    const series = assignmentSeries(report({
      days: [{ day_start_ms: 10 * day, counts: [2, 3] }, { day_start_ms: 12 * day, counts: [1, 0] }],
    }));
    expect(series.x).toEqual([10 * 86_400, 11 * 86_400, 12 * 86_400]);
    expect(series.counts).toEqual([[2, 0, 1], [3, 0, 0]]);
  });

  it("is empty before any assignment", () => {
    expect(assignmentSeries(report({}))).toEqual({ x: [], counts: [[], []] });
  });
});
