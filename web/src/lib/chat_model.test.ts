import { describe, expect, it } from "vitest";
import type { Message } from "./api";
import { applyEvent, emptyChat, latestReply, mediaOf, mergeFetched, pendingConfirmation, swipesOf, toolLines, toolLineText, visibleMessages,
         type TurnEvent } from "./chat_model";

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

  it("a message to a human agent ends without a reply, and the agent's answer arrives on the live feed", () => {
    const events: TurnEvent[] = [
      { type: "message", data: message(5, "user", "Are you there?", { to_agent: true }) },
      { type: "handoff", data: { conversation_id: 1, status: "handed_off", assigned_to: "abc", notice: "A person answers." } },
      { type: "done", data: { usage: { prompt_tokens: 0, completion_tokens: 0 } } },
      { type: "message.created", data: message(6, "agent", "Yes, I am Sam.") },
    ];
    const state = events.reduce(applyEvent, { ...emptyChat, status: "active" });
    expect(state.status).toBe("handed_off");
    expect(state.pending).toEqual([]);
    expect(state.typing).toBe(false);
    expect(state.messages.map((m) => [m.role, m.content])).toEqual([["user", "Are you there?"], ["agent", "Yes, I am Sam."]]);
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

  it("shows a tool call while it runs, its outcome, then the stored reply's line", () => {
    let state = [
      { type: "message", data: message(1, "user", "what's my balance") },
      { type: "tool.call", data: { call_id: "call_1", tool: "get_balance", arguments: {}, needs_confirmation: false } },
    ].reduce(applyEvent, emptyChat);
    expect(state.tools).toEqual([{ call_id: "call_1", tool: "get_balance", outcome: "", needs_confirmation: false }]);
    expect(toolLineText(state.tools[0])).toBe("Checking get_balance…");
    state = applyEvent(state, { type: "tool.result", data: { call_id: "call_1", tool: "get_balance", outcome: "ok", http_status: 200, latency_ms: 12 } });
    expect(state.tools.map(toolLineText)).toEqual(["get_balance: ok"]);
    // A second call of the same round keeps its own line; a malformed event changes nothing.
    state = applyEvent(state, { type: "tool.call", data: { call_id: "call_2", tool: "roaming_rates", arguments: { country: "FR" } } });
    state = applyEvent(state, { type: "tool.result", data: { call_id: "call_2", tool: "roaming_rates", outcome: "unavailable", http_status: 503, error: "the backend is down" } });
    expect(applyEvent(state, { type: "tool.result", data: { outcome: "ok" } })).toBe(state);
    expect(state.tools.map(toolLineText)).toEqual(["get_balance: ok", "roaming_rates: unavailable"]);
    expect(state.tools[1].error).toBe("the backend is down");

    // The stored message lists its calls: they leave the live list and show on the message.
    const stored = message(2, "assistant", "Your balance is 12.50 EUR.", {
      tools: [{ call_id: "call_1", tool: "get_balance", outcome: "ok" }, { call_id: "call_2", tool: "roaming_rates", outcome: "unavailable" }],
    });
    state = applyEvent(state, { type: "message.start", data: { message_index: 0 } });
    state = applyEvent(state, { type: "message.end", data: { message_index: 0, message: stored } });
    expect(state.tools).toEqual([]);
    expect([...toolLines(state.messages)].map(([id, tools]) => [id, tools.map(toolLineText)]))
      .toEqual([[2, ["get_balance: ok", "roaming_rates: unavailable"]]]);
  });

  it("shows the stored text when it differs from what streamed (a template's facts kept)", () => {
    let state = applyEvent(emptyChat, { type: "message.start", data: { message_index: 0 } });
    state = applyEvent(state, { type: "delta", data: { message_index: 0, text: "Your balance is 21.50 EUR!" } });
    expect(state.pending[0].text).toBe("Your balance is 21.50 EUR!");
    const stored = message(7, "assistant", "Your balance is 12.50 EUR.", { template: { name: "balance", fallback: true } });
    state = applyEvent(state, { type: "message.end", data: { message_index: 0, message: stored } });
    expect(state.pending).toEqual([]);
    expect(visibleMessages(state.messages).map((m) => m.content)).toEqual(["Your balance is 12.50 EUR."]);
  });

  it("clears a turn's calls when it is done, and shows a split reply's calls once", () => {
    let state = applyEvent(emptyChat, { type: "tool.call", data: { call_id: "c", tool: "get_balance" } });
    state = applyEvent(state, { type: "done", data: {} });
    expect(state.tools).toEqual([]);
    const tools = [{ call_id: "c", tool: "get_balance", outcome: "ok" }];
    const parts = [message(1, "user", "hi"), message(2, "assistant", "One.", { tools }), message(3, "assistant", "Two.", { tools })];
    expect([...toolLines(parts).keys()]).toEqual([2]);
    // Every turn counts its call ids from call_0: the next turn's call shows too.
    const next = [...parts, message(4, "user", "again"), message(5, "assistant", "Three.", { tools })];
    expect([...toolLines(next).keys()]).toEqual([2, 5]);
    expect(toolLineText({ call_id: "x", tool: "buy_data_pack", outcome: "awaiting_confirmation" })).toBe("buy_data_pack: waiting for your yes");
    expect(toolLineText({ call_id: "x", tool: "top_up_credit", outcome: "permission_denied" })).toBe("top_up_credit: permission denied");
    // A turn after a failed one reuses call_0: the new call replaces the old one's line.
    state = applyEvent(emptyChat, { type: "tool.call", data: { call_id: "call_0", tool: "get_balance" } });
    state = applyEvent(state, { type: "tool.result", data: { call_id: "call_0", tool: "get_balance", outcome: "unavailable", error: "503" } });
    state = applyEvent(state, { type: "tool.call", data: { call_id: "call_0", tool: "roaming_rates" } });
    expect(state.tools).toEqual([{ call_id: "call_0", tool: "roaming_rates", outcome: "", needs_confirmation: false }]);
    // A new user message starts a new turn: the last turn's unfinished calls go.
    state = applyEvent(applyEvent(emptyChat, { type: "tool.call", data: { call_id: "c", tool: "get_balance" } }),
                       { type: "message", data: message(4, "user", "again") });
    expect(state.tools).toEqual([]);
  });

  it("asks for a yes or no only while the latest reply waits for one", () => {
    const asked = { call_id: "call_9", tool: "buy_data_pack", arguments: { pack: "5GB" }, intent: "data_topup" };
    const question = message(2, "assistant", "Shall I add 5GB for 10 EUR?", { tool_confirmation: asked });
    expect(pendingConfirmation([message(1, "user", "I need more data"), question])).toEqual(asked);
    // On a later part of the same reply too.
    expect(pendingConfirmation([message(1, "user", "data"), message(2, "assistant", "Sure."),
                                message(3, "assistant", "Shall I?", { tool_confirmation: asked })])?.call_id).toBe("call_9");
    // Answered (the user wrote since), or never asked: nothing to confirm.
    expect(pendingConfirmation([question, message(3, "user", "yes")])).toBeNull();
    expect(pendingConfirmation([message(1, "user", "hi"), message(2, "assistant", "Hello!")])).toBeNull();
    expect(pendingConfirmation([message(2, "assistant", "?", { tool_confirmation: { tool: 3 } })])).toBeNull();
  });

  it("a reply's voice message and picture arrive after it is stored, and a failed one says why", () => {
    let state = applyEvent(emptyChat, { type: "message.end", data: { message_index: 0, message: message(2, "assistant", "Hello!") } });
    expect(mediaOf(state.messages[0])).toEqual([]);
    const voiced = message(2, "assistant", "Hello!", { media: [{ kind: "voice", mime_type: "audio/ogg", duration_ms: 900 }] });
    state = applyEvent(state, { type: "message.media", data: { message_index: 0, media_index: 0, message: voiced } });
    expect(state.messages).toHaveLength(1);
    expect(mediaOf(state.messages[0])).toEqual([{ index: 0, kind: "voice", mime_type: "audio/ogg", duration_ms: 900, error: "" }]);
    const both = message(2, "assistant", "Hello!", { media: [
      { kind: "voice", mime_type: "audio/ogg", duration_ms: 900 },
      { kind: "video" },
      { kind: "picture", error: { code: "unavailable", message: "the image service is down" } },
    ] });
    state = applyEvent(state, { type: "message.media", data: { message_index: 0, media_index: 2, message: both } });
    expect(mediaOf(state.messages[0]).map((m) => [m.index, m.kind, m.error])).toEqual([
      [0, "voice", ""], [2, "picture", "the image service is down"]]);
    expect(applyEvent(state, { type: "message.media", data: {} })).toBe(state);
  });
});
