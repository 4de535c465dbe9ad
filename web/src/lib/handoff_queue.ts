// The handoff queue as the agent console shows it: entries of GET /api/v1/handoff-queue, their
// waiting time ticking in the browser, and the handoff record a conversation carries
// (metadata.handoff), as pure functions so they are testable without a browser.
import type { Conversation } from "./api";

export interface QueueEntry {
  conversation_id: number;
  user_id: number;
  character_id: number;
  title: string;
  handed_off_at: number;
  waiting_ms: number;
  answered: boolean;
  requested_by: string | null;
  reason: string | null;
  summary_text: string | null;
  assigned_to: string | null;
  assigned_at: number | null;
  last_customer_message: { id: number; content: string; created_at: number } | null;
}

export type PresenceStatus = "available" | "away" | "offline";

export interface AgentPresence {
  key_prefix: string;
  name: string;
  status: PresenceStatus;
  max_conversations: number;
  last_seen_at: number | null;
  assigned: number;
}

// How long the entry has waited `now`, given when it was fetched: the server's waiting_ms then,
// plus the time since while nobody has answered (the browser's clock only measures the difference,
// so a skewed clock does not skew the waiting time).
export function waitingNow(entry: QueueEntry, fetchedAt: number, now: number): number {
  return entry.answered ? entry.waiting_ms : entry.waiting_ms + Math.max(0, now - fetchedAt);
}

// "45 s", "3 min 05 s", "2 h 07 min".
export function formatWaiting(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

// The public prefix of a key "trp_<prefix>_<secret>"; "" when it is not shaped like one.
export function keyPrefix(key: string): string {
  const parts = key.split("_");
  return parts.length === 3 && parts[0] === "trp" ? parts[1] : "";
}

export interface HandoffRecord {
  requestedBy: string;
  reason: string;
  summary: string;
  assignedTo: string;
}

// metadata.handoff of a conversation, or null when it has none.
export function handoffRecord(conversation: Pick<Conversation, "metadata"> | null): HandoffRecord | null {
  const record = conversation?.metadata?.handoff as Record<string, unknown> | undefined;
  if (!record || typeof record !== "object") return null;
  const text = (value: unknown) => (typeof value === "string" ? value : "");
  const summary = record.summary as Record<string, unknown> | undefined;
  return {
    requestedBy: text(record.requested_by),
    reason: text(record.reason),
    summary: summary && typeof summary === "object" ? text(summary.text) : "",
    assignedTo: text(record.assigned_to),
  };
}
