import { describe, expect, it } from "vitest";
import type { Message } from "./api";
import { applyEvent, emptyChat, latestReply, mergeFetched, swipesOf, visibleMessages, type TurnEvent } from "./chat_model";

function message(id: number, role: Message["role"], content: string, metadata: Record<string, unknown> = {}): Message {
  return { id, conversation_id: 1, parent_id: null, role, content, stage: "s", rating: null, incomplete: false, metadata, created_at: id };
}

describe("chat model", () => {
  it("streams a two-message reply into stored messages", () => {
    const events: TurnEvent[] = [
      { type: "message", data: message(1, "user", "Hi") },
      { type: "message.start", data: { message_index: 0, role: "assistant", stage: "friendly", mood: "cheerful" } },
      { type: "delta", data: { message_index: 0, text: "Hel" } },
      { type: "delta", data: { message_index: 0, text: "lo!" } },
      { type: "typing", data: { message_index: 1 } },
    ];
    let state = events.reduce(applyEvent, emptyChat);
    expect(state.pending).toEqual([{ index: 0, role: "assistant", text: "Hello!", stage: "friendly", mood: "cheerful" }]);
    expect(state.typing).toBe(true);
    expect(state.stage).toBe("friendly");
    state = applyEvent(state, { type: "message.end", data: { message_index: 0, message: message(2, "assistant", "Hello!") } });
    state = applyEvent(state, { type: "message.start", data: { message_index: 1, role: "assistant" } });
    state = applyEvent(state, { type: "delta", data: { message_index: 1, text: "How are you?" } });
    state = applyEvent(state, { type: "message.end", data: { message_index: 1, message: message(3, "assistant", "How are you?") } });
    state = applyEvent(state, { type: "done", data: { conversation: { id: 1, stage: "close", mood: "calm", status: "active" } } });
    expect(state.messages.map((m) => m.content)).toEqual(["Hi", "Hello!", "How are you?"]);
    expect(state.pending).toEqual([]);
    expect(state.typing).toBe(false);
    expect(state.stage).toBe("close");
  });

  it("keeps a message once when the live feed repeats it, in id order", () => {
    let state = applyEvent(emptyChat, { type: "message.created", data: message(5, "assistant", "Are you there?") });
    state = applyEvent(state, { type: "message.created", data: message(4, "user", "Hi") });
    state = applyEvent(state, { type: "message.created", data: message(5, "assistant", "Are you there?") });
    expect(state.messages.map((m) => m.id)).toEqual([4, 5]);
  });

  it("shows an error and drops the unfinished part", () => {
    let state = applyEvent(emptyChat, { type: "message.start", data: { message_index: 0 } });
    state = applyEvent(state, { type: "error", data: { code: "unavailable", message: "no model" } });
    expect(state.error).toBe("no model");
    expect(state.pending).toEqual([]);
  });

  it("hides superseded parts and reads swipes", () => {
    const first = message(2, "assistant", "B", { swipes: ["A", "B"], swipe: 1 });
    const messages = [message(1, "user", "Hi"), first, message(3, "assistant", "old part", { superseded_by: 2 })];
    expect(visibleMessages(messages).map((m) => m.id)).toEqual([1, 2]);
    expect(swipesOf(first)).toEqual({ index: 1, count: 2 });
    expect(swipesOf(message(9, "assistant", "x"))).toBeNull();
    expect(latestReply(messages)?.id).toBe(2);
    expect(latestReply([message(1, "user", "Hi")])).toBeNull();
  });

  it("keeps what a stream showed when an older refetch lands after it", () => {
    const greeting = message(1, "assistant", "Hi! I am Lily.");
    // The refetch was answered before the greeting was stored.
    expect(mergeFetched([greeting], [])).toEqual([greeting]);
    // A message deleted on the server (older than the newest fetched) goes; a fetched copy that is
    // newer than the shown one replaces it, and an older one does not.
    const edited = { ...message(2, "user", "edited"), updated_at: 20 };
    const shown = { ...message(2, "user", "shown"), updated_at: 10 };
    expect(mergeFetched([message(1, "user", "gone"), shown], [edited])).toEqual([edited]);
    expect(mergeFetched([{ ...shown, updated_at: 30 }], [edited])).toEqual([{ ...shown, updated_at: 30 }]);
  });
});
