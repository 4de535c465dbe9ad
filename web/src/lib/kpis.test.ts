import { describe, expect, it } from "vitest";
import {
  daySeries, defaultPeriod, formatDuration, formatRate, intentLabel, kpiGroupsCsv, kpiPath, type KpiGroup, type KpiValues,
} from "./kpis";

const empty: KpiValues = {
  conversations: 0, first_response_ms: null, first_responses: 0, average_response_ms: null, replies: 0,
  resolution_rate: null, resolved: 0, handoff_rate: null, handed_off: 0, agent_load_reduction: null,
  resolved_without_human: 0, csat: null, csat_mean: null, csat_ratings: 0, csat_satisfied: 0,
  routing_accuracy: null, routing_reviews: 0, routing_correct: 0, campaign_reply_rate: null, campaign_sends: 0,
  campaign_replies: 0,
};

describe("kpis", () => {
  it("writes a table of groups as CSV with raw figures", () => {
    const groups: KpiGroup[] = [{ ...empty, key: "billing, refunds", conversations: 2, first_response_ms: 1500, resolution_rate: 0.5, resolved: 1 }];
    const lines = kpiGroupsCsv("intent", groups, intentLabel).split("\r\n");
    expect(lines[0].startsWith("intent,conversations,first_response_ms,average_response_ms,resolution_rate,resolved,")).toBe(true);
    expect(lines[1]).toBe('"billing, refunds",2,1500,,0.5,1,,0,,0,,,0,,0,0');
    expect(lines[2]).toBe("");
  });

  it("builds the query", () => {
    expect(kpiPath("2026-03-01", "2026-03-07", "intent")).toBe("/api/v1/kpis?from=2026-03-01&to=2026-03-07&group_by=intent");
  });

  it("defaults to the last 30 UTC days", () => {
    expect(defaultPeriod(Date.parse("2026-03-30T23:59:00Z"))).toEqual({ from: "2026-03-01", to: "2026-03-30" });
  });

  it("turns day groups into chart series in day order, with gaps", () => {
    const groups: KpiGroup[] = [
      { ...empty, key: "2026-03-02" },
      { ...empty, key: "2026-03-01", conversations: 2, first_response_ms: 2500, resolution_rate: 0.5, csat: 1, csat_mean: 4 },
    ];
    const series = daySeries(groups);
    expect(series.x).toEqual([Date.parse("2026-03-01T00:00:00Z") / 1000, Date.parse("2026-03-02T00:00:00Z") / 1000]);
    expect(series.firstResponseSeconds).toEqual([2.5, null]);
    expect(series.resolutionPercent).toEqual([50, null]);
    expect(series.csatPercent).toEqual([100, null]);
    expect(series.csatMean).toEqual([4, null]);
    expect(series.handoffPercent).toEqual([null, null]);
  });

  it("formats figures with their counts", () => {
    expect(formatDuration(null)).toBe("–");
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(2000)).toBe("2.0 s");
    expect(formatDuration(90_000)).toBe("1.5 min");
    expect(formatRate(2 / 3, 2, 3)).toBe("67% (2/3)");
    expect(formatRate(null, 0, 0)).toBe("–");
    expect(intentLabel({ ...empty, key: null })).toBe("(not routed)");
    expect(intentLabel({ ...empty, key: "billing" })).toBe("billing");
  });
});
