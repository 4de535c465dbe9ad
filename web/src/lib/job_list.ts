// The studio's job list as it changes: a job.updated event (or a refetch) replaces its job or adds
// it at the top; the rows read in words.
import { jobFinished, newerJob, type Job } from "./jobs";

export interface ListedJob extends Job {
  attempts?: number;
  max_attempts?: number;
  created_at?: number;
}

// The list with `job` in it: replaced where it was (never a finished copy by a running one), or
// first when new, the list kept newest (highest id) first.
export function upsertJob(list: ListedJob[], job: ListedJob): ListedJob[] {
  const index = list.findIndex((listed) => listed.id === job.id);
  if (index >= 0) {
    const next = list.slice();
    next[index] = { ...list[index], ...newerJob(list[index], job) };
    return next;
  }
  return [job, ...list].sort((a, b) => b.id - a.id);
}

const kindNames: Record<string, string> = {
  "studio.generate_characters": "Character generation",
  "studio.character_step": "Character step",
  "studio.generate_flow": "Flow generation",
  "studio.optimize_flow": "Flow optimization",
  "chat.summarize": "Summary",
  "chat.proactive": "Proactive message",
  "campaign.draft": "Campaign drafting",
  "webhook.deliver": "Webhook",
  "analytics.train_outcomes": "Outcome model training",
};

// "Flow generation (studio.generate_flow)"; an unknown kind as it is.
export function jobKindLabel(kind: string): string {
  const name = kindNames[kind];
  return name ? `${name} (${kind})` : kind;
}

export const canCancelJob = (job: Job) => !jobFinished(job) && !job.cancel_requested;

// "running · 40%", "queued", "failed after 3 attempts", "cancelling".
export function jobStatusText(job: ListedJob): string {
  if (job.status === "running" && job.cancel_requested) return "cancelling";
  if (job.status === "running") return `running · ${Math.round(job.progress * 100)}%`;
  if (job.status === "failed" && job.attempts) return `failed after ${job.attempts} attempt${job.attempts === 1 ? "" : "s"}`;
  return job.status;
}
