import { describe, expect, it } from "vitest";
import { importanceLayout, reliabilityLayout } from "./prediction_charts";
import type { CalibrationBin } from "./predictions";

const bin = (low: number, count: number, mean_predicted: number, observed_rate: number): CalibrationBin =>
  ({ low, high: low + 0.1, count, mean_predicted, observed_rate });

describe("reliabilityLayout", () => {
  it("puts a point per bin at its mean prediction and observed rate, in a square with the diagonal", () => {
    const layout = reliabilityLayout([bin(0.9, 10, 0.95, 1), bin(0, 40, 0.02, 0.05)], 320);
    const size = layout.right - layout.left;
    expect(layout.bottom - layout.top).toBe(size);
    expect(layout.diagonal).toEqual({ x1: layout.left, y1: layout.bottom, x2: layout.right, y2: layout.top });
    // Ordered by the prediction, whatever the order of the bins.
    expect(layout.points.map((p) => p.label)).toEqual([
      "Predicted 2% (bin 0–10%): happened in 5% of 40 conversations",
      "Predicted 95% (bin 90–100%): happened in 100% of 10 conversations",
    ]);
    const [low, high] = layout.points;
    expect(low.x).toBeCloseTo(layout.left + 0.02 * size);
    expect(low.y).toBeCloseTo(layout.bottom - 0.05 * size);
    expect(high.y).toBeCloseTo(layout.top);
    // The larger bin, the larger point.
    expect(low.r).toBeGreaterThan(high.r);
    expect(layout.path.startsWith(`M${low.x.toFixed(1)} ${low.y.toFixed(1)} L`)).toBe(true);
  });

  it("labels five ticks on each axis and draws no line through a single point", () => {
    const layout = reliabilityLayout([bin(0.4, 1, 0.45, 0)]);
    expect(layout.ticks.map((t) => t.label)).toEqual(["0%", "25%", "50%", "75%", "100%"]);
    expect(layout.ticks[0]).toMatchObject({ x: layout.left, y: layout.bottom });
    expect(layout.ticks[4]).toMatchObject({ x: layout.right, y: layout.top });
    expect(layout.path).toBe("");
    expect(layout.points[0].label).toBe("Predicted 45% (bin 40–50%): happened in 0% of 1 conversation");
    expect(reliabilityLayout([]).points).toEqual([]);
  });
});

describe("importanceLayout", () => {
  it("draws a bar per feature the trees used, largest first, the largest filling the width", () => {
    const layout = importanceLayout([
      { feature: "mean_user_chars", gain: 1 }, { feature: "thumbs_sum", gain: 0 }, { feature: "exclamations_per_user_message", gain: 3 },
    ], 480);
    expect(layout.bars.map((b) => b.feature)).toEqual(["exclamations_per_user_message", "mean_user_chars"]);
    expect(layout.bars.map((b) => b.share)).toEqual([0.75, 0.25]);
    expect(layout.bars[0].length).toBeCloseTo(3 * layout.bars[1].length);
    expect(layout.plotLeft + layout.bars[0].length).toBeLessThan(480);
    expect(layout.bars[1].y - layout.bars[0].y).toBe(layout.rowHeight);
    expect(layout.bars[0].label).toBe("exclamations_per_user_message: 75% of the gain");
    expect(layout.unused).toEqual(["thumbs_sum"]);
  });

  it("has no bar when no feature was used", () => {
    const layout = importanceLayout([{ feature: "thumbs_sum", gain: 0 }]);
    expect(layout.bars).toEqual([]);
    expect(layout.height).toBeGreaterThan(0);
  });
});
