// One conversation: the opening message, replies streamed token by token (several messages with a
// typing indicator between them), regenerate with swipes, edit, branch, thumbs up/down and a
// comment, the stage and mood in the header; the tools a reply calls as a muted line, and Yes / No
// when it asks to confirm a change; proactive and agent messages arrive through the live feed,
// which reconnects after a network drop and refetches what it missed. A reply sent as a voice
// message plays in an audio player with its transcript under it; a picture shows as an image.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Character, Conversation, Message } from "../lib/api";
import { applyEvent, emptyChat, latestReply, mediaOf, mergeFetched, pendingConfirmation, swipesOf, toolLines, toolLineText, visibleMessages,
         withConversation, type ChatState, type ToolActivity, type TurnEvent } from "../lib/chat_model";
import { openLiveFeed } from "../lib/live";
import type { SseEvent } from "../lib/sse";
import { useApp } from "../context";
import { Avatar } from "../components/avatar";
import { ThumbDown, ThumbUp } from "../components/icons";
import { MessageMedia } from "../components/message_media";

// The tools a reply called, one muted line each.
function ToolLines({ tools }: { tools: ToolActivity[] }) {
  return (
    <ul class="tool-lines" aria-label="Tools used">
      {tools.map((t) => (
        <li key={t.call_id} class={t.outcome ? "tool-line" : "tool-line running"} title={t.error}>{toolLineText(t)}</li>
      ))}
    </ul>
  );
}

function parseEvent(event: SseEvent): TurnEvent {
  try {
    return { type: event.type, data: JSON.parse(event.data) };
  } catch {
    return { type: event.type, data: null };
  }
}

export function ChatPage({ conversationId }: { conversationId: number }) {
  const { api, report, navigate } = useApp();
  const [character, setCharacter] = useState<Character | null>(null);
  const [state, setState] = useState<ChatState>(emptyChat);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const [online, setOnline] = useState(true);
  const [editing, setEditing] = useState<number>(0);
  const [editText, setEditText] = useState("");
  const [commenting, setCommenting] = useState<number>(0);
  const [comment, setComment] = useState("");
  const [notice, setNotice] = useState("");
  const turn = useRef<AbortController | null>(null);
  const bottom = useRef<HTMLDivElement>(null);
  const base = `/api/v1/conversations/${conversationId}`;

  const apply = (event: TurnEvent) => setState((current) => applyEvent(current, event));

  async function refetch() {
    const [fresh, messages] = await Promise.all([api.json<Conversation>("GET", base), api.all<Message>(`${base}/messages`)]);
    setState((current) => withConversation({ ...current, messages: mergeFetched(current.messages, messages) }, fresh));
    return messages;
  }

  async function streamTurn(method: string, path: string, body: unknown) {
    setBusy(true);
    const controller = new AbortController();
    turn.current = controller;
    try {
      await api.stream(method, path, body, (event) => apply(parseEvent(event)), controller.signal);
    } catch (error) {
      report(error);
      await refetch().catch(() => {});
    } finally {
      turn.current = null;
      setBusy(false);
    }
  }

  useEffect(() => {
    setState(emptyChat);
    let live = true;
    (async () => {
      try {
        const [fresh, messages] = await Promise.all([api.json<Conversation>("GET", base), api.all<Message>(`${base}/messages`)]);
        if (!live) return;
        setState((current) => withConversation({ ...current, messages: mergeFetched(current.messages, messages) }, fresh));
        api.json<Character>("GET", `/api/v1/characters/${fresh.character_id}`).then((c) => live && setCharacter(c)).catch(report);
        if (messages.length === 0 && fresh.status === "active") await streamTurn("POST", `${base}/open`, {});
      } catch (error) {
        report(error);
      }
    })();
    const feed = openLiveFeed(api, (event) => {
      const parsed = parseEvent(event);
      const data = parsed.data as { conversation_id?: number; id?: number } | null;
      const about = parsed.type === "conversation.updated" ? data?.id : data?.conversation_id;
      if (about === conversationId) apply(parsed);
    }, () => { if (live) refetch().catch(() => {}); }, setOnline);
    return () => {
      live = false;
      feed.close();
      turn.current?.abort();
    };
  }, [conversationId]);

  useEffect(() => {
    bottom.current?.scrollIntoView?.({ block: "end" });
  }, [state.messages.length, state.pending.map((p) => p.text).join("").length, state.typing, state.tools.length]);

  // The input box, and the Yes / No buttons, post the user's message the same way.
  async function sendText(text: string) {
    if (!text || busy) return;
    await streamTurn("POST", `${base}/messages`, { content: text });
  }

  async function send(event?: Event) {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || busy) return;
    setDraft("");
    await sendText(text);
  }

  async function regenerate(message: Message) {
    await streamTurn("POST", `${base}/messages/${message.id}/regenerate`, {});
    await refetch().catch(report);
  }

  async function swipe(message: Message, index: number) {
    try {
      const updated = await api.json<Message>("PATCH", `${base}/messages/${message.id}`, { swipe: index });
      apply({ type: "message.created", data: updated });
    } catch (error) {
      report(error);
    }
  }

  async function saveEdit(message: Message) {
    try {
      const updated = await api.json<Message>("PATCH", `${base}/messages/${message.id}`, { content: editText });
      apply({ type: "message.created", data: updated });
      setEditing(0);
    } catch (error) {
      report(error);
    }
  }

  async function rate(message: Message, rating: number) {
    try {
      await api.json("POST", `${base}/feedback`, { kind: "rating", message_id: message.id, rating });
      apply({ type: "message.created", data: { ...message, rating } });
    } catch (error) {
      report(error);
    }
  }

  async function sendComment(message: Message) {
    try {
      await api.json("POST", `${base}/feedback`, { kind: "comment", message_id: message.id, comment });
      setCommenting(0);
      setComment("");
      setNotice("Thanks, your comment was sent.");
    } catch (error) {
      report(error);
    }
  }

  async function branch(message: Message) {
    try {
      const created = await api.json<Conversation>("POST", `${base}/branch`, { message_id: message.id });
      navigate({ page: "chat", conversationId: created.id });
    } catch (error) {
      report(error);
    }
  }

  const messages = visibleMessages(state.messages);
  const reply = latestReply(state.messages);
  const tools = toolLines(state.messages);
  const confirmation = pendingConfirmation(state.messages);
  const lastId = messages.length ? messages[messages.length - 1].id : 0;
  const name = character?.name ?? "…";
  const handedOff = state.status === "handed_off";
  const closed = state.status === "closed";

  return (
    <section class="chat">
      <header class="chat-header">
        {character && <Avatar characterId={character.id} name={character.name} version={character.version} size={40} />}
        <div>
          <h1>{name}</h1>
          <p class="meta" aria-label="Conversation state">
            {state.stage && <span class="pill" title="flow stage">{state.stage}</span>}
            {state.mood && <span class="pill" title="mood">{state.mood}</span>}
            {handedOff && <span class="pill warn">with a human agent</span>}
            {!online && <span class="pill warn" role="status">reconnecting…</span>}
          </p>
        </div>
      </header>
      {notice && <p class="banner info" role="status" onClick={() => setNotice("")}>{notice}</p>}
      <ol class="messages" aria-live="polite" aria-label="Messages">
        {messages.map((message) => {
          const swipes = message.role === "assistant" ? swipesOf(message) : null;
          const isLatest = reply?.id === message.id;
          const media = mediaOf(message);
          const voiced = media.some((m) => m.kind === "voice" && !m.error);
          return (
            <li class={`message ${message.role}${message.incomplete ? " incomplete" : ""}`} key={message.id} data-message-id={message.id}>
              {tools.has(message.id) && <ToolLines tools={tools.get(message.id)!} />}
              <div class="bubble">
                {editing === message.id ? (
                  <form onSubmit={(e) => { e.preventDefault(); saveEdit(message); }}>
                    <textarea aria-label="Edit message" value={editText} onInput={(e) => setEditText((e.target as HTMLTextAreaElement).value)} />
                    <div class="row"><button type="submit">Save</button><button type="button" class="ghost" onClick={() => setEditing(0)}>Cancel</button></div>
                  </form>
                ) : (
                  <>
                    {media.length > 0 && <MessageMedia message={message} items={media} name={name} />}
                    {voiced ? (
                      <p class="text transcript"><span class="hint">Transcript: </span>{message.content}</p>
                    ) : (
                      <p class="text">{message.content}</p>
                    )}
                  </>
                )}
                {message.incomplete && <p class="hint">This reply was cut off.</p>}
                {message.role === "agent" && <p class="hint">from a human agent</p>}
              </div>
              <div class="actions">
                {swipes && (
                  <span class="swipes" role="group" aria-label="Alternatives">
                    <button type="button" class="ghost" aria-label="Previous alternative" disabled={busy || swipes.index === 0}
                            onClick={() => swipe(message, swipes.index - 1)}>‹</button>
                    <span class="swipe-count">{swipes.index + 1}/{swipes.count}</span>
                    <button type="button" class="ghost" aria-label="Next alternative" disabled={busy || swipes.index + 1 >= swipes.count}
                            onClick={() => swipe(message, swipes.index + 1)}>›</button>
                  </span>
                )}
                {message.role === "assistant" && (
                  <>
                    <button type="button" class={`ghost${message.rating === 1 ? " on" : ""}`} aria-label="Good reply" aria-pressed={message.rating === 1} onClick={() => rate(message, 1)}><ThumbUp /></button>
                    <button type="button" class={`ghost${message.rating === -1 ? " on" : ""}`} aria-label="Bad reply" aria-pressed={message.rating === -1} onClick={() => rate(message, -1)}><ThumbDown /></button>
                    <button type="button" class="ghost" onClick={() => { setCommenting(message.id); setComment(""); }}>Comment</button>
                  </>
                )}
                {isLatest && !handedOff && !closed && (
                  <button type="button" class="ghost" disabled={busy} onClick={() => regenerate(message)}>Regenerate</button>
                )}
                {(message.role === "user" || message.role === "assistant") && (
                  <button type="button" class="ghost" onClick={() => { setEditing(message.id); setEditText(message.content); }}>Edit</button>
                )}
                <button type="button" class="ghost" onClick={() => branch(message)}>Branch</button>
              </div>
              {confirmation && message.id === lastId && !handedOff && !closed && (
                <div class="confirm" role="group" aria-label={`Confirm ${confirmation.tool}`}>
                  <button type="button" disabled={busy} onClick={() => sendText("yes")}>Yes</button>
                  <button type="button" class="secondary" disabled={busy} onClick={() => sendText("no")}>No</button>
                </div>
              )}
              {commenting === message.id && (
                <form class="comment" onSubmit={(e) => { e.preventDefault(); sendComment(message); }}>
                  <input aria-label="Comment on this reply" value={comment} required onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
                  <button type="submit">Send</button>
                  <button type="button" class="ghost" onClick={() => setCommenting(0)}>Cancel</button>
                </form>
              )}
            </li>
          );
        })}
        {state.tools.length > 0 && (
          <li class="message assistant tool-activity"><ToolLines tools={state.tools} /></li>
        )}
        {state.pending.map((part) => (
          <li class="message assistant streaming" key={`pending-${part.index}`}>
            <div class="bubble"><p class="text">{part.text}<span class="cursor" aria-hidden="true">▍</span></p></div>
          </li>
        ))}
        {state.typing && (
          <li class="message assistant typing" aria-label={`${name} is typing`}>
            <div class="bubble"><span class="dots"><i /><i /><i /></span></div>
          </li>
        )}
      </ol>
      <div ref={bottom} />
      {state.error && <p class="banner error" role="alert">{state.error}</p>}
      <form class="composer" onSubmit={send}>
        <textarea
          aria-label="Your message"
          placeholder={closed ? "This conversation is closed." : handedOff ? "A human agent is with you." : `Message ${name}`}
          value={draft}
          disabled={closed}
          onInput={(e) => setDraft((e.target as HTMLTextAreaElement).value)}
          onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(); } }}
        />
        <button type="submit" disabled={busy || closed || !draft.trim()}>{busy ? "…" : "Send"}</button>
      </form>
    </section>
  );
}
