// The agent console: the agent's presence, the handoff queue (conversations waiting for a human,
// with waiting times, who has each and a Claim button), every active conversation to take over,
// and the conversation itself: how likely it is to need a person (its stored prediction), the
// summary written for the agent, reply as a human, hand it back, and the tools its replies called. With no conversation picked, the tool calls across conversations.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Character, Conversation, Message } from "../lib/api";
import { applyEvent, emptyChat, visibleMessages, withConversation, type ChatState } from "../lib/chat_model";
import { openLiveFeed } from "../lib/live";
import { useApp } from "../context";
import { ConversationToolCalls, RecentToolCalls } from "../components/tool_calls";
import { HandoffQueueList, PresenceToggle } from "../components/handoff_queue";
import { HandoffPrediction } from "../components/handoff_prediction";
import { handoffRecord, keyPrefix, type QueueEntry } from "../lib/handoff_queue";
import { TemplatePicker } from "../components/templates";
import { insertTemplate } from "../lib/templates";

export function AgentConsole({ conversationId }: { conversationId?: number }) {
  const { api, navigate, report, session } = useApp();
  const me = keyPrefix(session.key);
  const [queue, setQueue] = useState<QueueEntry[]>([]);
  const [fetchedAt, setFetchedAt] = useState(Date.now());
  const [conversation, setConversation] = useState<Conversation | null>(null);
  const [active, setActive] = useState<Conversation[]>([]);
  const [names, setNames] = useState<Map<number, string>>(new Map());
  const [state, setState] = useState<ChatState>(emptyChat);
  const [reply, setReply] = useState("");
  const [busy, setBusy] = useState(false);
  const [characterId, setCharacterId] = useState<number | null>(null);

  const loadLists = async () => {
    const [waiting, running] = await Promise.all([
      api.json<{ data: QueueEntry[] }>("GET", "/api/v1/handoff-queue"),
      api.all<Conversation>("/api/v1/conversations?status=active"),
    ]);
    setQueue(waiting.data);
    setFetchedAt(Date.now());
    setActive(running);
  };
  // Moves whenever the conversation's state arrives from an action's answer or a live event: a read
  // begun before that (the live feed's reconnect reads again) is older and must not put back the
  // status it replaced, or Take over would show the conversation active again.
  const conversationChanges = useRef(0);
  const loadConversation = async () => {
    if (!conversationId) return;
    const base = `/api/v1/conversations/${conversationId}`;
    const seen = conversationChanges.current;
    const [conversation, messages] = await Promise.all([api.json<Conversation>("GET", base), api.all<Message>(`${base}/messages`)]);
    const stale = conversationChanges.current !== seen;
    if (!stale) setConversation(conversation);
    setState((current) => (stale ? { ...current, messages } : withConversation({ ...current, messages }, conversation)));
    setCharacterId(conversation.character_id);
  };

  useEffect(() => {
    api.all<Character>("/api/v1/characters").then((list) => setNames(new Map(list.map((c) => [c.id, c.name])))).catch(report);
  }, []);
  useEffect(() => {
    setState(emptyChat);
    setConversation(null);
    loadConversation().catch(report);
    const feed = openLiveFeed(api, (event) => {
      let data: { id?: number; conversation_id?: number } | null = null;
      try { data = JSON.parse(event.data); } catch { return; }
      // A customer's message moves the queue too (its last message).
      if (event.type.startsWith("conversation.") || event.type === "message.created") loadLists().catch(() => {});
      const about = event.type.startsWith("conversation.") ? data?.id : data?.conversation_id;
      if (conversationId && about === conversationId && event.type === "conversation.updated") {
        conversationChanges.current += 1;
        setConversation(data as Conversation);
      }
      if (conversationId && about === conversationId) setState((current) => applyEvent(current, { type: event.type, data }));
    }, () => { loadLists().catch(report); loadConversation().catch(() => {}); });
    return () => feed.close();
  }, [conversationId]);

  async function act(path: string, body?: unknown) {
    setBusy(true);
    try {
      const changed = await api.json<Conversation>("POST", `/api/v1/conversations/${conversationId}/${path}`, body ?? {});
      conversationChanges.current += 1;
      setConversation(changed);
      setState((current) => withConversation(current, changed));
      await loadLists();
    } catch (error) {
      report(error);
    } finally {
      setBusy(false);
    }
  }

  async function send(event: Event) {
    event.preventDefault();
    if (!reply.trim()) return;
    setBusy(true);
    try {
      const message = await api.json<Message>("POST", `/api/v1/conversations/${conversationId}/agent-messages`, { content: reply.trim() });
      setState((current) => applyEvent(current, { type: "message.created", data: message }));
      setReply("");
    } catch (error) {
      report(error);
    } finally {
      setBusy(false);
    }
  }

  async function claim(id: number) {
    try {
      await api.json<Conversation>("POST", `/api/v1/conversations/${id}/assign`, {});
      await loadLists();
      if (id === conversationId) await loadConversation();
    } catch (error) {
      report(error);
    }
  }

  const handoff = conversation?.status === "handed_off" ? handoffRecord(conversation) : null;
  const item = (c: Conversation) => (
    <li key={c.id} class={c.id === conversationId ? "selected" : ""}>
      <a href={`/agent/${c.id}`} onClick={(e) => { e.preventDefault(); navigate({ page: "agent", conversationId: c.id }); }}>
        #{c.id} · {names.get(c.character_id) ?? `character ${c.character_id}`}
        <span class="hint"> · user {c.user_id} · {c.message_count} messages</span>
      </a>
    </li>
  );

  return (
    <section class="agent">
      <aside class="queues">
        <h1>Agent console</h1>
        <PresenceToggle me={me} onChange={() => loadLists().catch(report)} />
        <h2>Waiting for a human <span class="count">{queue.length}</span></h2>
        <HandoffQueueList entries={queue} fetchedAt={fetchedAt} me={me} selected={conversationId} names={names}
                          onOpen={(id) => navigate({ page: "agent", conversationId: id })} onClaim={claim} />
        <h2>Active conversations</h2>
        {active.length === 0 ? <p class="hint">None.</p> : <ul class="list">{active.slice(0, 50).map(item)}</ul>}
      </aside>
      <div class="conversation">
        {!conversationId ? (
          <>
            <p class="empty">Pick a conversation.</p>
            <RecentToolCalls />
          </>
        ) : (
          <>
            <div class="toolbar">
              <h2>Conversation #{conversationId}</h2>
              <span class="pill">{state.status || "…"}</span>
              <HandoffPrediction key={conversationId} conversationId={conversationId} revision={state.messages.length} />
              {state.status === "active" && <button type="button" disabled={busy} onClick={() => act("handoff", { reason: "taken over by an agent" })}>Take over</button>}
              {state.status === "handed_off" && <button type="button" class="secondary" disabled={busy} onClick={() => act("handback")}>Hand back to the character</button>}
            </div>
            {handoff && (
              <div class="handoff-summary" role="note" aria-label="Handoff summary">
                <p><strong>{handoff.requestedBy === "assistant" ? "Handed over by the character" : `Asked by the ${handoff.requestedBy || "user"}`}</strong>
                  {handoff.reason && <span class="hint"> · {handoff.reason}</span>}
                  <span class="hint"> · {handoff.assignedTo ? (handoff.assignedTo === me ? "yours" : `with ${handoff.assignedTo}`) : "unassigned"}</span></p>
                {handoff.summary && <p class="summary-text">{handoff.summary}</p>}
              </div>
            )}
            <ol class="messages" aria-label="Messages">
              {visibleMessages(state.messages).map((m) => (
                <li class={`message ${m.role}`} key={m.id}><div class="bubble"><p class="text">{m.content}</p>{m.role === "agent" && <p class="hint">agent</p>}</div></li>
              ))}
            </ol>
            {state.status === "handed_off" && (
              <form class="composer" onSubmit={send}>
                <textarea aria-label="Reply as a human agent" value={reply} onInput={(e) => setReply((e.target as HTMLTextAreaElement).value)}
                          onKeyDown={(e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); send(e); } }} />
                <button type="submit" disabled={busy || !reply.trim()}>Send as agent</button>
                {characterId !== null && <TemplatePicker key={conversationId} conversationId={conversationId} characterId={characterId}
                  disabled={busy} onInsert={(text) => setReply((current) => insertTemplate(current, text))} />}
              </form>
            )}
            <ConversationToolCalls key={conversationId} conversationId={conversationId} revision={state.messages.length} />
          </>
        )}
      </div>
    </section>
  );
}
