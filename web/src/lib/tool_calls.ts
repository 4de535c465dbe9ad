// How the agent console shows the audit of tool calls: the query of the list across
// conversations, a badge per outcome, and compact cells, as pure functions.
import type { ToolCall } from "./api";

// The outcomes the filter offers ("" is every outcome); the server names others by status code.
export const outcomeChoices = ["", "ok", "awaiting_confirmation", "declined", "not_found", "invalid_argument",
  "permission_denied", "failed_precondition", "payload_too_large", "unavailable", "deadline_exceeded", "internal"];

export interface ToolCallFilter {
  tool: string;
  outcome: string;
}

// The path of one page of GET /api/v1/tool-calls (newest first).
export function toolCallsPath(filter: ToolCallFilter, cursor: string | null = null, limit = 50): string {
  const query = new URLSearchParams();
  if (filter.tool.trim()) query.set("tool", filter.tool.trim());
  if (filter.outcome) query.set("outcome", filter.outcome);
  query.set("limit", String(limit));
  if (cursor) query.set("cursor", cursor);
  return `/api/v1/tool-calls?${query.toString()}`;
}

// The badge's colour: the call worked, waits for a person, or failed.
export function outcomeTone(outcome: string): "ok" | "waiting" | "failed" {
  if (outcome === "ok") return "ok";
  if (outcome === "awaiting_confirmation" || outcome === "declined") return "waiting";
  return "failed";
}

// The masked arguments on one line; "{}" when there are none.
export function compactArguments(call: Pick<ToolCall, "arguments">): string {
  if (call.arguments === null || call.arguments === undefined) return "{}";
  return typeof call.arguments === "string" ? call.arguments : JSON.stringify(call.arguments);
}

export function formatLatency(ms: number): string {
  if (!ms) return "–";
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

// When the call was made, to the second, in the agent's own time zone.
export function formatTime(ms: number, now: number = Date.now()): string {
  const when = new Date(ms);
  const today = new Date(now).toDateString() === when.toDateString();
  return today ? when.toLocaleTimeString() : when.toLocaleString();
}
