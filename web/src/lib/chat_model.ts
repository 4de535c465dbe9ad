// What a conversation view shows, as a pure function of the stored messages and the events of
// turns and of the live feed, so streaming, swipes and reconnects are testable without a browser.
import type { Conversation, Message } from "./api";

export interface PendingPart {
  index: number;
  role: string;
  text: string;
  stage: string;
  mood: string;
}

export interface ChatState {
  messages: Message[]; // stored, oldest first, by id
  pending: PendingPart[]; // parts of the reply still being written
  typing: boolean; // the character is writing its next message
  error: string;
  stage: string;
  mood: string;
  status: Conversation["status"] | "";
}

export const emptyChat: ChatState = { messages: [], pending: [], typing: false, error: "", stage: "", mood: "", status: "" };

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

export function applyEvent(state: ChatState, event: TurnEvent): ChatState {
  const data = event.data ?? {};
  switch (event.type) {
    case "message": // the stored user message that started the turn
    case "message.created": // the live feed: proactive, agent, or another tab's messages
      return data && typeof data.id === "number" ? { ...state, messages: upsert(state.messages, data as Message) } : state;
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
      const messages = data.message ? upsert(state.messages, data.message as Message) : state.messages;
      return { ...state, pending, messages };
    }
    case "error":
      return { ...state, typing: false, pending: [], error: typeof data.message === "string" ? data.message : "The reply failed." };
    case "done": {
      const next = { ...state, typing: false, pending: [] };
      return data.conversation ? withConversation(next, data.conversation as Conversation) : next;
    }
    case "conversation.updated":
      return data && typeof data.id === "number" ? withConversation(state, data as Conversation) : state;
    default:
      return state;
  }
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
