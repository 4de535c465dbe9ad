// The agent console's support desk: the signed-in agent's presence (Available / Away, renewed
// while the console is open so the server does not count the agent offline), and the handoff
// queue with waiting times that tick, who has each conversation, and a Claim button.
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { formatWaiting, waitingNow, type AgentPresence, type PresenceStatus, type QueueEntry } from "../lib/handoff_queue";

// Well inside the server's default presence timeout (90 s).
const HEARTBEAT_MS = 30_000;

export function PresenceToggle({ me, onChange }: { me: string; onChange: () => void }) {
  const { api, report } = useApp();
  const [status, setStatus] = useState<PresenceStatus>("offline");

  const put = async (next: PresenceStatus) => {
    const presence = await api.json<AgentPresence>("PUT", "/api/v1/agents/me/presence", { status: next });
    setStatus(presence.status);
  };
  useEffect(() => {
    api.json<{ data: AgentPresence[] }>("GET", "/api/v1/agents")
      .then((list) => setStatus(list.data.find((a) => a.key_prefix === me)?.status ?? "offline"))
      .catch(report);
  }, [me]);
  useEffect(() => {
    if (status === "offline") return;
    const timer = setInterval(() => put(status).catch(() => {}), HEARTBEAT_MS);
    return () => clearInterval(timer);
  }, [status]);

  const choose = (next: PresenceStatus) => put(next).then(onChange).catch(report);
  return (
    <div class="presence" role="group" aria-label="Your presence">
      <span class={`pill presence-${status}`}>{status}</span>
      <button type="button" class={status === "available" ? "" : "secondary"} aria-pressed={status === "available"}
              onClick={() => choose("available")}>Available</button>
      <button type="button" class={status === "away" ? "" : "secondary"} aria-pressed={status === "away"}
              onClick={() => choose("away")}>Away</button>
    </div>
  );
}

interface QueueProps {
  entries: QueueEntry[];
  fetchedAt: number;
  me: string;
  selected?: number;
  names: Map<number, string>;
  onOpen: (conversationId: number) => void;
  onClaim: (conversationId: number) => void;
}

export function HandoffQueueList({ entries, fetchedAt, me, selected, names, onOpen, onClaim }: QueueProps) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (entries.length === 0) return <p class="hint">Nobody is waiting.</p>;
  return (
    <ul class="list handoff-queue" aria-label="Handoff queue">
      {entries.map((e) => (
        <li key={e.conversation_id} class={e.conversation_id === selected ? "selected" : ""} data-conversation={e.conversation_id}>
          <a href={`/agent/${e.conversation_id}`} onClick={(event) => { event.preventDefault(); onOpen(e.conversation_id); }}>
            #{e.conversation_id} · {names.get(e.character_id) ?? `character ${e.character_id}`}
            <span class="hint"> · user {e.user_id}</span>
          </a>
          <div class="queue-line">
            <span class={e.answered ? "badge" : "badge waiting"} aria-label="Waiting time">
              {e.answered ? "answered after " : "waiting "}{formatWaiting(waitingNow(e, fetchedAt, now))}
            </span>
            <span class="hint assignee">{e.assigned_to ? (e.assigned_to === me ? "yours" : `with ${e.assigned_to}`) : "unassigned"}</span>
            {e.reason && <span class="hint"> · {e.reason}</span>}
            {e.assigned_to !== me && (
              <button type="button" class="ghost" onClick={() => onClaim(e.conversation_id)}>Claim</button>
            )}
          </div>
          {e.last_customer_message && <p class="hint last-said">“{e.last_customer_message.content}”</p>}
        </li>
      ))}
    </ul>
  );
}
