// Following a studio job from a page: shared by the Create character wizard and the flow tools.
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { cancelJob, jobFinished, newerJob, type Job } from "../lib/jobs";
import { openLiveFeed } from "../lib/live";

export interface FollowedJob {
  job: Job;
  // Asks the server to stop the job; the job then comes back cancelled (or finished, if it won the race).
  cancel: () => Promise<void>;
  // From the click until the job ends: a running job stops only at its next progress report.
  cancelling: boolean;
}

// The job as it changes: job.updated events from the live feed, and a read every second while
// the feed is not connected (refused, dropped, or not yet open).
export function useJob(initial: Job): FollowedJob {
  const { api, report } = useApp();
  const [job, setJob] = useState(initial);
  const [cancelAsked, setCancelAsked] = useState(false);
  const take = (next: Job) => setJob((current) => newerJob(current, next));

  useEffect(() => {
    let stopped = false;
    let connected = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const takeLive = (next: Job) => { if (!stopped) take(next); };
    const read = () => api.json<Job>("GET", `/api/v1/jobs/${initial.id}`).then(takeLive).catch(report);
    const feed = openLiveFeed(api, (event) => {
      if (event.type !== "job.updated") return;
      try {
        const data = JSON.parse(event.data) as Job;
        if (data.id === initial.id) takeLive(data);
      } catch {
        // not JSON: ignored, the next poll or event brings the job
      }
    }, () => { void read(); }, (live) => { connected = live; });
    const poll = () => {
      timer = setTimeout(async () => {
        if (!connected) await read();
        if (!stopped) poll();
      }, 1000);
    };
    poll();
    return () => { stopped = true; clearTimeout(timer); feed.close(); };
  }, [initial.id]);

  async function cancel() {
    setCancelAsked(true);
    try {
      take(await cancelJob(api, job.id));
    } catch (problem) {
      report(problem);
      setCancelAsked(false);
    }
  }

  const cancelling = !jobFinished(job) && (cancelAsked || job.cancel_requested === true);
  return { job, cancel, cancelling };
}
