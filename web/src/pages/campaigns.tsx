// The studio's campaigns: create one for a segment and a character, draft its messages (a job, with
// its progress), review each draft (edit, approve, reject, or approve them all), deliver, and read
// the numbers (delivered, skipped and why, replies).
import { useEffect, useState } from "preact/hooks";
import type { Character, Page } from "../lib/api";
import { campaignBody, canDeliver, canDraft, canReview, describeDelivery, jobFinished, percent, reasonText,
         type Campaign, type CampaignMessage, type CampaignStats, type DeliveryReport, type JobState } from "../lib/campaigns";
import { useApp } from "../context";
import "./campaigns.css";

export function CampaignsPage({ campaignId }: { campaignId?: number }) {
  return campaignId ? <CampaignDetail campaignId={campaignId} /> : <CampaignList />;
}

function CampaignList() {
  const { api, navigate, report } = useApp();
  const [campaigns, setCampaigns] = useState<Campaign[] | null>(null);
  const [characters, setCharacters] = useState<Character[]>([]);
  const [form, setForm] = useState({ name: "", characterId: "", segment: "", brief: "", quietStart: "", quietEnd: "", dailyCap: "1" });

  useEffect(() => {
    api.all<Campaign>("/api/v1/campaigns").then(setCampaigns).catch(report);
    api.all<Character>("/api/v1/characters").then((found) => {
      setCharacters(found);
      if (found.length > 0) setForm((f) => (f.characterId ? f : { ...f, characterId: String(found[0].id) }));
    }).catch(report);
  }, []);

  const field = (name: keyof typeof form) => ({
    value: form[name],
    onInput: (e: Event) => setForm({ ...form, [name]: (e.target as HTMLInputElement).value }),
  });

  async function create(event: Event) {
    event.preventDefault();
    try {
      const created = await api.json<Campaign>("POST", "/api/v1/campaigns", campaignBody(form));
      navigate({ page: "campaigns", campaignId: created.id });
    } catch (error) {
      report(error);
    }
  }

  const characterName = (id: number) => characters.find((c) => c.id === id)?.name ?? `#${id}`;
  return (
    <section class="campaigns">
      <div class="toolbar"><h1>Campaigns</h1></div>
      <form class="card campaign-form" onSubmit={create} aria-label="New campaign">
        <h2>New campaign</h2>
        <label>Name <input name="campaign_name" required {...field("name")} /></label>
        <label>Character
          <select name="campaign_character" value={form.characterId}
                  onChange={(e) => setForm({ ...form, characterId: (e.target as HTMLSelectElement).value })}>
            {characters.map((c) => <option key={c.id} value={String(c.id)}>{c.name}</option>)}
          </select>
        </label>
        <label>Segment <input name="campaign_segment" required {...field("segment")} /></label>
        <label>Brief <span class="hint">(what the message is for)</span><textarea name="campaign_brief" {...field("brief")} /></label>
        <div class="row">
          <label>Quiet from <input name="quiet_start" type="number" min="0" max="23" {...field("quietStart")} /></label>
          <label>to <input name="quiet_end" type="number" min="0" max="23" {...field("quietEnd")} /></label>
          <label>Daily cap <input name="daily_cap" type="number" min="1" {...field("dailyCap")} /></label>
        </div>
        <button type="submit" disabled={!form.name.trim() || !form.segment.trim() || !form.characterId}>Create campaign</button>
      </form>
      {campaigns === null ? <p class="empty">Loading…</p> : campaigns.length === 0 ? <p class="empty">No campaigns yet.</p> : (
        <table class="campaign-list">
          <thead><tr><th>Name</th><th>Segment</th><th>Character</th><th>Status</th></tr></thead>
          <tbody>
            {campaigns.map((c) => (
              <tr key={c.id}>
                <td><a href={`/studio/campaigns/${c.id}`} onClick={(e) => { e.preventDefault(); navigate({ page: "campaigns", campaignId: c.id }); }}>{c.name}</a></td>
                <td>{c.segment}</td>
                <td>{characterName(c.character_id)}</td>
                <td><span class="pill">{c.status}</span></td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function CampaignDetail({ campaignId }: { campaignId: number }) {
  const { api, navigate, report } = useApp();
  const base = `/api/v1/campaigns/${campaignId}`;
  const [campaign, setCampaign] = useState<Campaign | null>(null);
  const [messages, setMessages] = useState<CampaignMessage[]>([]);
  const [stats, setStats] = useState<CampaignStats | null>(null);
  const [job, setJob] = useState<JobState | null>(null);
  const [notice, setNotice] = useState("");

  async function reload() {
    try {
      // The stats first: reading them records the replies the message list then shows.
      const numbers = await api.json<CampaignStats>("GET", `${base}/stats`);
      const [current, list] = await Promise.all([
        api.json<Campaign>("GET", base),
        api.json<Page<CampaignMessage>>("GET", `${base}/messages?limit=500`),
      ]);
      setCampaign(current);
      setMessages(list.data);
      setStats(numbers);
      return current;
    } catch (error) {
      report(error);
      return null;
    }
  }

  // While drafting, the job's progress is read every second until it ends.
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async (jobId: number) => {
      try {
        const state = await api.json<JobState>("GET", `/api/v1/jobs/${jobId}`);
        if (stopped) return;
        setJob(state);
        if (jobFinished(state)) {
          reload();
          return;
        }
      } catch (error) {
        report(error);
        return;
      }
      timer = setTimeout(() => poll(jobId), 1000);
    };
    reload().then((current) => { if (current?.status === "drafting" && current.draft_job_id) poll(current.draft_job_id); });
    return () => { stopped = true; if (timer) clearTimeout(timer); };
  }, [campaignId, job?.id]);

  async function act(action: () => Promise<unknown>) {
    try {
      setNotice("");
      await action();
      await reload();
    } catch (error) {
      report(error);
    }
  }

  const draft = () => act(async () => setJob(await api.json<JobState>("POST", `${base}/draft`, {})));
  const approveAll = () => act(async () => {
    const result = await api.json<{ approved: number }>("POST", `${base}/approve`, {});
    setNotice(`${result.approved} approved.`);
  });
  const deliver = () => act(async () => setNotice(describeDelivery(await api.json<DeliveryReport>("POST", `${base}/deliver`, {}))));
  const cancel = () => act(() => api.json("POST", `${base}/cancel`, {}));

  if (!campaign) return <p class="empty">Loading…</p>;
  const drafting = campaign.status === "drafting";
  return (
    <section class="campaign">
      <div class="toolbar">
        <a href="/studio/campaigns" onClick={(e) => { e.preventDefault(); navigate({ page: "campaigns" }); }}>← Campaigns</a>
        <h1>{campaign.name}</h1>
        <span class="pill" data-testid="campaign-status">{campaign.status}</span>
      </div>
      <p class="hint">Segment <b>{campaign.segment}</b> · daily cap {campaign.daily_cap}
        {campaign.quiet_hours && ` · quiet ${campaign.quiet_hours.start}:00–${campaign.quiet_hours.end}:00 local`}</p>
      {campaign.brief && <p>{campaign.brief}</p>}
      <div class="row">
        <button type="button" disabled={!canDraft(campaign.status)} onClick={draft}>Draft messages</button>
        <button type="button" class="secondary" disabled={!messages.some((m) => m.status === "drafted")} onClick={approveAll}>Approve all drafts</button>
        <button type="button" disabled={!canDeliver(campaign.status)} onClick={deliver}>Deliver approved</button>
        <button type="button" class="ghost" disabled={campaign.status === "done" || campaign.status === "cancelled"} onClick={cancel}>Cancel campaign</button>
      </div>
      {drafting && job && (
        <p class="draft-progress">
          <progress max={1} value={job.progress} aria-label="Drafting progress" /> {percent(job.progress)}
        </p>
      )}
      {job && job.status === "failed" && <p class="error" role="alert">Drafting failed: {job.error}</p>}
      {notice && <p class="banner info" role="status">{notice}</p>}
      {stats && <CampaignNumbers stats={stats} />}
      <h2>Messages</h2>
      {messages.length === 0 ? <p class="empty">No messages yet: draft them first.</p> : (
        <ul class="campaign-messages">
          {messages.map((m) => <ReviewItem key={`${m.id}-${m.status}-${m.text}`} base={base} message={m} onChanged={reload} />)}
        </ul>
      )}
    </section>
  );
}

function ReviewItem({ base, message, onChanged }: { base: string; message: CampaignMessage; onChanged: () => void }) {
  const { api, report } = useApp();
  const [text, setText] = useState(message.text);
  const review = (status: "approved" | "rejected") => async () => {
    try {
      await api.json("PATCH", `${base}/messages/${message.id}`, text !== message.text ? { status, text } : { status });
      onChanged();
    } catch (error) {
      report(error);
    }
  };
  return (
    <li class="card campaign-message" data-status={message.status} data-user={message.user_id}>
      <div class="row">
        <b>User #{message.user_id}</b>
        <span class="pill">{message.status}</span>
        {message.reason && <span class="hint">{reasonText(message)}</span>}
        {message.replied_at && <span class="pill">replied</span>}
        {message.outcome && <span class="hint">{message.outcome.replace(/_/g, " ")}</span>}
      </div>
      {canReview(message) ? (
        <>
          <textarea aria-label={`Message to user ${message.user_id}`} value={text}
                    onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
          <div class="row">
            <button type="button" onClick={review("approved")}>{text !== message.text ? "Save and approve" : "Approve"}</button>
            <button type="button" class="secondary" onClick={review("rejected")}>Reject</button>
          </div>
        </>
      ) : <p>{message.text}</p>}
    </li>
  );
}

function CampaignNumbers({ stats }: { stats: CampaignStats }) {
  const skipped = Object.entries(stats.skipped_by_reason).filter(([, count]) => count > 0)
    .map(([reason, count]) => `${count} ${reason.replace(/_/g, " ")}`).join(", ");
  return (
    <dl class="campaign-stats" aria-label="Campaign numbers">
      <div><dt>Drafted</dt><dd data-stat="drafted">{stats.drafted}</dd></div>
      <div><dt>Approved</dt><dd data-stat="approved">{stats.approved}</dd></div>
      <div><dt>Delivered</dt><dd data-stat="delivered">{stats.delivered}</dd></div>
      <div><dt>Waiting</dt><dd data-stat="waiting">{stats.waiting}</dd></div>
      <div><dt>Skipped</dt><dd data-stat="skipped">{stats.skipped}{skipped && ` (${skipped})`}</dd></div>
      <div><dt>Replied</dt><dd data-stat="replied">{stats.replied}</dd></div>
      <div><dt>Reply rate</dt><dd data-stat="reply_rate">{percent(stats.reply_rate)}</dd></div>
    </dl>
  );
}
