// A studio job (GET /api/v1/jobs/{id}) as the pages follow it: its shape, whether it is over, and
// which of two copies of it to show when an event and a poll cross.
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface Job {
  id: number;
  kind: string;
  status: JobStatus;
  progress: number;
  result: unknown;
  error: string;
  cancel_requested?: boolean;
  updated_at?: number;
}

export const jobFinished = (job: Job) => job.status === "succeeded" || job.status === "failed" || job.status === "cancelled";

// The job to show when another copy of it arrives (an event, a poll): never a running one over a
// finished one, since an event and a poll may cross.
export function newerJob(current: Job | null, next: Job): Job {
  if (!current || current.id !== next.id) return next;
  if (jobFinished(current) && !jobFinished(next)) return current;
  if (!jobFinished(next) && (current.updated_at ?? 0) > (next.updated_at ?? 0)) return current;
  return next;
}
