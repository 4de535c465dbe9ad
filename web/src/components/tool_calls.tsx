// The agent console's view of the tool-call audit: one conversation's calls beside it, and the
// calls across conversations (filtered by outcome and tool, newest first) on the console's main
// view, each row leading to its conversation.
import { useEffect, useState } from "preact/hooks";
import type { Page, ToolCall } from "../lib/api";
import { compactArguments, formatLatency, formatTime, outcomeChoices, outcomeTone, toolCallsPath, type ToolCallFilter } from "../lib/tool_calls";
import { useApp } from "../context";

function ToolCallTable({ calls, label, withConversation }: { calls: ToolCall[]; label: string; withConversation: boolean }) {
  const { navigate } = useApp();
  return (
    <div class="table-scroll">
      <table class="tool-calls" aria-label={label}>
        <thead>
          <tr>
            <th>Time</th>
            {withConversation && <th>Conversation</th>}
            <th>Tool</th><th>Intent</th><th>Outcome</th><th>HTTP</th><th>Latency</th><th>Arguments</th><th>Error</th>
          </tr>
        </thead>
        <tbody>
          {calls.map((call) => (
            <tr key={call.id} data-tool={call.tool} data-outcome={call.outcome}>
              <td class="nowrap" title={new Date(call.created_at).toISOString()}>{formatTime(call.created_at)}</td>
              {withConversation && (
                <td>
                  <a href={`/agent/${call.conversation_id}`}
                     onClick={(e) => { e.preventDefault(); navigate({ page: "agent", conversationId: call.conversation_id }); }}>
                    #{call.conversation_id}
                  </a>
                </td>
              )}
              <td><code>{call.tool}</code></td>
              <td>{call.intent || <span class="hint">–</span>}</td>
              <td><span class={`badge ${outcomeTone(call.outcome)}`}>{call.outcome}</span></td>
              <td>{call.http_status || <span class="hint">–</span>}</td>
              <td class="nowrap">{formatLatency(call.latency_ms)}{call.attempts > 1 && <span class="hint"> ×{call.attempts}</span>}</td>
              <td class="arguments"><code>{compactArguments(call)}</code></td>
              <td class="error-cell">{call.error}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

// The calls of one conversation, oldest first; fetched again when `revision` changes (a new
// message means its turn's calls are in the audit). Keyed by the conversation where it is used.
export function ConversationToolCalls({ conversationId, revision }: { conversationId: number; revision: number }) {
  const { api, report } = useApp();
  const [calls, setCalls] = useState<ToolCall[] | null>(null);
  useEffect(() => {
    let live = true;
    api.all<ToolCall>(`/api/v1/conversations/${conversationId}/tool-calls`)
      .then((list) => { if (live) setCalls(list); })
      .catch((error) => { if (live) report(error); });
    return () => { live = false; };
  }, [conversationId, revision]);

  return (
    <section class="tool-calls-panel" aria-labelledby="conversation-tool-calls">
      <h2 id="conversation-tool-calls">Tool calls {calls && <span class="count">{calls.length}</span>}</h2>
      {calls === null ? <p class="hint">Loading…</p>
        : calls.length === 0 ? <p class="hint">No tool calls in this conversation.</p>
        : <ToolCallTable calls={calls} label="Tool calls of this conversation" withConversation={false} />}
    </section>
  );
}

// The calls across conversations, newest first, a page at a time.
export function RecentToolCalls() {
  const { api, report } = useApp();
  const [outcome, setOutcome] = useState("");
  const [toolText, setToolText] = useState("");
  const [filter, setFilter] = useState<ToolCallFilter>({ tool: "", outcome: "" });
  const [calls, setCalls] = useState<ToolCall[] | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [reloads, setReloads] = useState(0);

  // The tool's name is typed: ask once the typing pauses.
  useEffect(() => {
    const timer = setTimeout(() => setFilter((current) => (current.tool === toolText && current.outcome === outcome
      ? current : { tool: toolText, outcome })), toolText === filter.tool ? 0 : 300);
    return () => clearTimeout(timer);
  }, [toolText, outcome]);

  useEffect(() => {
    let live = true;
    api.json<Page<ToolCall>>("GET", toolCallsPath(filter))
      .then((page) => { if (!live) return; setCalls(page.data); setCursor(page.next_cursor); })
      .catch((error) => { if (live) report(error); });
    return () => { live = false; };
  }, [filter, reloads]);

  async function more() {
    try {
      const page = await api.json<Page<ToolCall>>("GET", toolCallsPath(filter, cursor));
      setCalls((shown) => [...(shown ?? []), ...page.data]);
      setCursor(page.next_cursor);
    } catch (error) {
      report(error);
    }
  }

  return (
    <section class="tool-calls-panel" aria-labelledby="recent-tool-calls">
      <div class="toolbar">
        <h2 id="recent-tool-calls">Tool calls</h2>
        <label class="inline">Outcome
          <select aria-label="Outcome" value={outcome} onChange={(e) => setOutcome((e.target as HTMLSelectElement).value)}>
            {outcomeChoices.map((choice) => <option key={choice} value={choice}>{choice || "any"}</option>)}
          </select>
        </label>
        <input type="search" aria-label="Tool" placeholder="Tool, e.g. get_balance" value={toolText}
               onInput={(e) => setToolText((e.target as HTMLInputElement).value)} />
        <button type="button" class="secondary" onClick={() => setReloads((n) => n + 1)}>Refresh</button>
      </div>
      {calls === null ? <p class="hint">Loading…</p>
        : calls.length === 0 ? <p class="hint">No tool calls{filter.tool || filter.outcome ? " match" : " yet"}.</p>
        : <ToolCallTable calls={calls} label="Tool calls across conversations" withConversation={true} />}
      {cursor && <button type="button" class="secondary" onClick={more}>Show more</button>}
    </section>
  );
}
