// A studio job (GET /api/v1/jobs/{id}) as the pages follow it: its shape, whether it is over,
// which of two copies of it to show when an event and a poll cross, and how to cancel it.
import { ApiError } from "./api";

export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface Job {
  id: number;
  kind: string;
  status: JobStatus;
  progress: number;
  result: unknown;
  error: string;
  payload?: unknown; // the request that queued it, as the server checked it
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

// What cancelJob needs of the API client (an interface, so tests hand it a fake).
export interface JobApi {
  json<T>(method: string, path: string, body?: unknown): Promise<T>;
}

// Asks the server to cancel a job and answers the job as it now is (queued: cancelled at once;
// running: cancel_requested until its next progress report). A job that finished before the
// request arrived answers 412; the page then wants that finished job, not an error.
export async function cancelJob<T extends Job = Job>(api: JobApi, id: number): Promise<T> {
  try {
    return await api.json<T>("POST", `/api/v1/jobs/${id}/cancel`, {});
  } catch (problem) {
    if (problem instanceof ApiError && problem.status === 412) return api.json<T>("GET", `/api/v1/jobs/${id}`);
    throw problem;
  }
}
