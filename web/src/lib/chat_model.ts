// What a conversation view shows, as a pure function of the stored messages and the events of
// turns and of the live feed, so streaming, swipes, tool calls and reconnects are testable without
// a browser.
import type { Conversation, Message } from "./api";

export interface PendingPart {
  index: number;
  role: string;
  text: string;
  stage: string;
  mood: string;
}

// A tool the reply called: "" as outcome while the call runs.
export interface ToolActivity {
  call_id: string;
  tool: string;
  outcome: string;
  needs_confirmation?: boolean;
  error?: string;
}

export interface ChatState {
  messages: Message[]; // stored, oldest first, by id
  pending: PendingPart[]; // parts of the reply still being written
  tools: ToolActivity[]; // this turn's calls that no stored message lists yet
  typing: boolean; // the character is writing its next message
  error: string;
  stage: string;
  mood: string;
  status: Conversation["status"] | "";
}

export const emptyChat: ChatState = { messages: [], pending: [], tools: [], typing: false, error: "", stage: "", mood: "", status: "" };

export interface TurnEvent {
  type: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

// Adds or replaces a stored message, keeping the list in id order.
export function upsert(messages: Message[], message: Message): Message[] {
  const at = messages.findIndex((m) => m.id === message.id);
  if (at >= 0) {
    const copy = messages.slice();
    copy[at] = message;
    return copy;
  }
  const copy = [...messages, message];
  copy.sort((a, b) => a.id - b.id);
  return copy;
}

// The messages after a refetch. A list fetched while a turn streamed can be older than what the
// stream already showed (the greeting stored just after the fetch was answered): messages newer
// than everything fetched stay, and of two copies of one message the later-updated one wins.
export function mergeFetched(current: Message[], fetched: Message[]): Message[] {
  const newestFetched = fetched.reduce((newest, m) => Math.max(newest, m.id), 0);
  const byId = new Map(fetched.map((m) => [m.id, m] as const));
  for (const shown of current) {
    const stored = byId.get(shown.id);
    if (!stored) {
      if (shown.id > newestFetched) byId.set(shown.id, shown);
    } else if ((shown.updated_at ?? 0) > (stored.updated_at ?? 0)) {
      byId.set(shown.id, shown);
    }
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

export function withConversation(state: ChatState, conversation: Conversation): ChatState {
  return { ...state, stage: conversation.stage, mood: conversation.mood, status: conversation.status };
}

// The calls a stored message lists in metadata.tools ([{call_id, tool, outcome}]); malformed
// entries are skipped.
export function toolsOf(message: Message): ToolActivity[] {
  const tools = message.metadata?.tools;
  if (!Array.isArray(tools)) return [];
  return tools.filter((t) => t && typeof t.call_id === "string" && typeof t.tool === "string")
    .map((t) => ({ call_id: t.call_id, tool: t.tool, outcome: typeof t.outcome === "string" ? t.outcome : "" }));
}

// A call seen again: its outcome (`merge`), or a new call under an id a turn used before (call ids
// count from call_0 in every turn).
function withTool(tools: ToolActivity[], activity: ToolActivity, merge: boolean): ToolActivity[] {
  const at = tools.findIndex((t) => t.call_id === activity.call_id);
  if (at < 0) return [...tools, activity];
  const copy = tools.slice();
  copy[at] = merge ? { ...copy[at], ...activity } : activity;
  return copy;
}

export function applyEvent(state: ChatState, event: TurnEvent): ChatState {
  const data = event.data ?? {};
  switch (event.type) {
    case "message": // the stored user message that started the turn: the last turn's calls are history
      return data && typeof data.id === "number" ? { ...state, tools: [], messages: upsert(state.messages, data as Message) } : state;
    case "message.created": // the live feed: proactive, agent, or another tab's messages
      return data && typeof data.id === "number" ? { ...state, messages: upsert(state.messages, data as Message) } : state;
    case "tool.call":
      if (!data || typeof data.call_id !== "string" || typeof data.tool !== "string") return state;
      return { ...state, tools: withTool(state.tools, { call_id: data.call_id, tool: data.tool, outcome: "",
                                                        needs_confirmation: data.needs_confirmation === true }, false) };
    case "tool.result": {
      if (!data || typeof data.call_id !== "string" || typeof data.tool !== "string") return state;
      const result: ToolActivity = { call_id: data.call_id, tool: data.tool, outcome: typeof data.outcome === "string" ? data.outcome : "" };
      if (typeof data.error === "string" && data.error) result.error = data.error;
      return { ...state, tools: withTool(state.tools, result, true) };
    }
    case "message.start": {
      const part: PendingPart = { index: data.message_index, role: data.role ?? "assistant", text: "",
                                  stage: data.stage ?? state.stage, mood: data.mood ?? state.mood };
      return { ...state, typing: false, pending: [...state.pending.filter((p) => p.index !== part.index), part],
               stage: part.stage, mood: part.mood, error: "" };
    }
    case "delta":
      return { ...state, pending: state.pending.map((p) => (p.index === data.message_index ? { ...p, text: p.text + data.text } : p)) };
    case "typing":
      return { ...state, typing: true };
    case "message.end": {
      const pending = state.pending.filter((p) => p.index !== data.message_index);
      if (!data.message) return { ...state, pending };
      // The stored message shows its calls from now on.
      const listed = new Set(toolsOf(data.message as Message).map((t) => t.call_id));
      return { ...state, pending, messages: upsert(state.messages, data.message as Message),
               tools: state.tools.filter((t) => !listed.has(t.call_id)) };
    }
    case "message.media": // a stored message got its voice or picture (or its error)
      return data && data.message && typeof data.message.id === "number"
        ? { ...state, messages: upsert(state.messages, data.message as Message) } : state;
    case "handoff": // a person answers this conversation: no reply of the character follows
      return { ...state, typing: false, pending: [], status: "handed_off" };
    case "error":
      return { ...state, typing: false, pending: [], error: typeof data.message === "string" ? data.message : "The reply failed." };
    case "done": {
      const next = { ...state, typing: false, pending: [], tools: [] };
      return data.conversation ? withConversation(next, data.conversation as Conversation) : next;
    }
    case "conversation.updated":
      return data && typeof data.id === "number" ? withConversation(state, data as Conversation) : state;
    default:
      return state;
  }
}

// A voice message or picture a reply carries (metadata.media[index]); `error` set when it failed.
export interface MediaItem {
  index: number;
  kind: "voice" | "picture";
  mime_type: string;
  duration_ms: number;
  error: string;
}

// What metadata.media lists, in order; entries of an unknown kind are skipped (their index kept).
export function mediaOf(message: Message): MediaItem[] {
  const media = message.metadata?.media;
  if (!Array.isArray(media)) return [];
  const items: MediaItem[] = [];
  media.forEach((m, index) => {
    if (!m || (m.kind !== "voice" && m.kind !== "picture")) return;
    const error = m.error ? (typeof m.error.message === "string" && m.error.message ? m.error.message : "failed") : "";
    items.push({ index, kind: m.kind, mime_type: typeof m.mime_type === "string" ? m.mime_type : "",
                 duration_ms: typeof m.duration_ms === "number" ? m.duration_ms : 0, error });
  });
  return items;
}

// The messages a person sees: regenerated replies live on as swipes of their first message.
export function visibleMessages(messages: Message[]): Message[] {
  return messages.filter((m) => !(m.metadata && "superseded_by" in m.metadata));
}

export interface Swipes {
  index: number;
  count: number;
}

export function swipesOf(message: Message): Swipes | null {
  const swipes = message.metadata?.swipes;
  if (!Array.isArray(swipes) || swipes.length < 2) return null;
  const index = typeof message.metadata.swipe === "number" ? (message.metadata.swipe as number) : swipes.length - 1;
  return { index, count: swipes.length };
}

// The latest reply of the character (what regenerate acts on): the last run of assistant messages.
export function latestReply(messages: Message[]): Message | null {
  const visible = visibleMessages(messages);
  const last = visible[visible.length - 1];
  if (!last || last.role !== "assistant") return null;
  let first = visible.length - 1;
  while (first > 0 && visible[first - 1].role === "assistant") first--;
  return visible[first];
}

// The calls to show above each stored message, by message id: a reply split into several
// messages lists its calls on each part, and they show once, on the first. Call ids are unique
// within a turn only, so only the message just before counts.
export function toolLines(messages: Message[]): Map<number, ToolActivity[]> {
  const lines = new Map<number, ToolActivity[]>();
  let before = new Set<string>();
  for (const message of visibleMessages(messages)) {
    const tools = message.role === "assistant" ? toolsOf(message) : [];
    const fresh = tools.filter((t) => !before.has(t.call_id));
    if (fresh.length) lines.set(message.id, fresh);
    before = new Set(tools.map((t) => t.call_id));
  }
  return lines;
}

// One muted line about a call: "Checking get_balance…" while it runs, then "get_balance: ok".
export function toolLineText(activity: ToolActivity): string {
  if (!activity.outcome) return `Checking ${activity.tool}…`;
  const outcome = activity.outcome === "awaiting_confirmation" ? "waiting for your yes" : activity.outcome.replace(/_/g, " ");
  return `${activity.tool}: ${outcome}`;
}

export interface ToolConfirmation {
  call_id: string;
  tool: string;
  arguments: Record<string, unknown>;
  intent: string;
}

// The change the latest reply asks the user to confirm (metadata.tool_confirmation of any of its
// parts), or null: only while that reply is the last message, since the user's next message
// answers it.
export function pendingConfirmation(messages: Message[]): ToolConfirmation | null {
  const visible = visibleMessages(messages);
  const reply = latestReply(messages);
  if (!reply) return null;
  for (const message of visible.slice(visible.indexOf(reply))) {
    const asked = message.metadata?.tool_confirmation as Partial<ToolConfirmation> | undefined;
    if (asked && typeof asked.call_id === "string" && typeof asked.tool === "string") {
      return { call_id: asked.call_id, tool: asked.tool, intent: typeof asked.intent === "string" ? asked.intent : "",
               arguments: asked.arguments && typeof asked.arguments === "object" ? asked.arguments : {} };
    }
  }
  return null;
}
