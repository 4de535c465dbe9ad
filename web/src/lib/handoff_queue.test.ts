import { describe, expect, it } from "vitest";
import { formatWaiting, handoffRecord, keyPrefix, waitingNow, type QueueEntry } from "./handoff_queue";

const entry = (answered: boolean): QueueEntry => ({
  conversation_id: 1, user_id: 2, character_id: 3, title: "", handed_off_at: 1_000, waiting_ms: 5_000, answered,
  requested_by: "user", reason: "asked", summary_text: null, assigned_to: null, assigned_at: null, last_customer_message: null,
});

describe("handoff queue", () => {
  it("ticks the waiting time from when the queue was fetched until someone answers", () => {
    expect(waitingNow(entry(false), 100_000, 103_000)).toBe(8_000);
    expect(waitingNow(entry(false), 100_000, 99_000)).toBe(5_000); // a clock that went back adds nothing
    expect(waitingNow(entry(true), 100_000, 900_000)).toBe(5_000);
  });

  it("writes waiting times the way a person reads them", () => {
    expect(formatWaiting(0)).toBe("0 s");
    expect(formatWaiting(45_900)).toBe("45 s");
    expect(formatWaiting(185_000)).toBe("3 min 05 s");
    expect(formatWaiting(2 * 3_600_000 + 7 * 60_000)).toBe("2 h 07 min");
    expect(formatWaiting(-5)).toBe("0 s");
  });

  it("finds the key's public prefix", () => {
    expect(keyPrefix("trp_abc123def456_secretpart")).toBe("abc123def456");
    expect(keyPrefix("not-a-key")).toBe("");
  });

  it("reads the handoff record of a conversation", () => {
    expect(handoffRecord({ metadata: {} })).toBeNull();
    expect(handoffRecord(null)).toBeNull();
    expect(handoffRecord({ metadata: { handoff: { requested_by: "assistant", reason: "asked", assigned_to: "abc",
                                                  summary: { text: "Kim wants a refund." } } } }))
      .toEqual({ requestedBy: "assistant", reason: "asked", summary: "Kim wants a refund.", assignedTo: "abc" });
    expect(handoffRecord({ metadata: { handoff: { reason: 7, summary: "flat" } } }))
      .toEqual({ requestedBy: "", reason: "", summary: "", assignedTo: "" });
  });
});
