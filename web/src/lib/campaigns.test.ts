import { describe, expect, it } from "vitest";
import { campaignBody, canDeliver, canDraft, canReview, describeDelivery, jobFinished, percent, reasonText,
         type CampaignMessage } from "./campaigns";

const message = (fields: Partial<CampaignMessage>): CampaignMessage => ({
  id: 1, campaign_id: 1, user_id: 2, text: "hi", status: "drafted", reason: "", conversation_id: null,
  message_id: null, due_at: null, delivered_at: null, replied_at: null, outcome: "", ...fields,
});

describe("campaigns", () => {
  it("build the create body from the form, quiet hours only when both ends are given", () => {
    const form = { name: " Spring ", characterId: "3", segment: "vip ", brief: "Invite", quietStart: "22", quietEnd: "8", dailyCap: "" };
    expect(campaignBody(form)).toEqual({ name: "Spring", character_id: 3, segment: "vip", brief: "Invite",
                                         quiet_hours: { start: 22, end: 8 }, daily_cap: 1 });
    expect(campaignBody({ ...form, quietEnd: "", dailyCap: "2" }).quiet_hours).toBeNull();
    expect(campaignBody({ ...form, quietEnd: "", dailyCap: "2" }).daily_cap).toBe(2);
  });

  it("allow each action only in the states the API accepts it", () => {
    expect(canDraft("draft")).toBe(true);
    expect(canDraft("review")).toBe(true);
    expect(canDraft("drafting")).toBe(false);
    expect(canDeliver("review")).toBe(true);
    expect(canDeliver("done")).toBe(false);
    expect(canReview(message({ status: "approved" }))).toBe(true);
    expect(canReview(message({ status: "delivered" }))).toBe(false);
    expect(jobFinished({ id: 1, status: "running", progress: 0.5, error: "" })).toBe(false);
    expect(jobFinished({ id: 1, status: "cancelled", progress: 0.5, error: "" })).toBe(true);
  });

  it("read progress and delivery reports in words", () => {
    expect(percent(0.333)).toBe("33%");
    expect(percent(2)).toBe("100%");
    expect(percent(Number.NaN)).toBe("0%");
    expect(describeDelivery({ delivered: 2, waiting: 1, skipped: { opted_out: 1, daily_cap: 0 } }))
      .toBe("2 delivered, 1 waiting for quiet hours to end, 1 skipped (opted out).");
    expect(reasonText(message({ reason: "quiet_hours", due_at: Date.UTC(2026, 0, 1, 8, 0) }))).toBe("quiet hours until 08:00 UTC");
    expect(reasonText(message({ reason: "daily_cap" }))).toBe("daily cap reached");
  });
});
