// Engagement campaigns as the studio shows them (docs/api.md, "Campaigns"): the records, and the
// small rules the page follows (what can be done in which state, how a job's progress reads).
export type CampaignStatus = "draft" | "drafting" | "review" | "delivering" | "done" | "cancelled";
export type CampaignMessageStatus = "drafted" | "approved" | "rejected" | "delivered" | "skipped";

export interface Campaign {
  id: number;
  name: string;
  character_id: number;
  segment: string;
  brief: string;
  status: CampaignStatus;
  quiet_hours: { start: number; end: number } | null;
  daily_cap: number;
  draft_job_id: number | null;
  created_at: number;
}

export interface CampaignMessage {
  id: number;
  campaign_id: number;
  user_id: number;
  text: string;
  status: CampaignMessageStatus;
  reason: string;
  conversation_id: number | null;
  message_id: number | null;
  due_at: number | null;
  delivered_at: number | null;
  replied_at: number | null;
  outcome: string;
}

export interface CampaignStats {
  drafted: number;
  pending_review: number;
  approved: number;
  rejected: number;
  delivered: number;
  waiting: number;
  skipped: number;
  skipped_by_reason: Record<string, number>;
  replied: number;
  reply_rate: number;
  outcomes: Record<string, number>;
}

export interface DeliveryReport {
  delivered: number;
  waiting: number;
  skipped: Record<string, number>;
  campaign?: Campaign;
}

export interface JobState {
  id: number;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  progress: number;
  error: string;
}

export interface CampaignInput {
  name: string;
  character_id: number;
  segment: string;
  brief: string;
  quiet_hours: { start: number; end: number } | null;
  daily_cap: number;
}

// The body of POST /api/v1/campaigns from the form's fields; quiet hours only when both are given.
export function campaignBody(form: { name: string; characterId: string; segment: string; brief: string;
                                     quietStart: string; quietEnd: string; dailyCap: string }): CampaignInput {
  const hour = (text: string) => (text.trim() === "" ? null : Number(text));
  const start = hour(form.quietStart);
  const end = hour(form.quietEnd);
  return {
    name: form.name.trim(),
    character_id: Number(form.characterId),
    segment: form.segment.trim(),
    brief: form.brief.trim(),
    quiet_hours: start === null || end === null ? null : { start, end },
    daily_cap: form.dailyCap.trim() === "" ? 1 : Number(form.dailyCap),
  };
}

export const canDraft = (status: CampaignStatus) => status === "draft" || status === "review";
export const canDeliver = (status: CampaignStatus) => status === "review" || status === "delivering";
export const canReview = (message: CampaignMessage) => message.status !== "delivered" && message.status !== "skipped";
export const jobFinished = (job: JobState) => job.status !== "queued" && job.status !== "running";

// "42%" for a job's progress (0..1), clamped.
export function percent(progress: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(progress) ? progress : 0));
  return `${Math.round(clamped * 100)}%`;
}

// What a delivery did, in a sentence.
export function describeDelivery(report: DeliveryReport): string {
  const parts = [`${report.delivered} delivered`];
  if (report.waiting > 0) parts.push(`${report.waiting} waiting for quiet hours to end`);
  for (const [reason, count] of Object.entries(report.skipped)) {
    if (count > 0) parts.push(`${count} skipped (${reason.replace(/_/g, " ")})`);
  }
  return parts.join(", ") + ".";
}

// Why a message did not go out, in words ("" for none).
export function reasonText(message: CampaignMessage): string {
  switch (message.reason) {
    case "opted_out": return "opted out";
    case "daily_cap": return "daily cap reached";
    case "quiet_hours": return message.due_at ? `quiet hours until ${new Date(message.due_at).toISOString().slice(11, 16)} UTC` : "quiet hours";
    default: return message.reason;
  }
}
