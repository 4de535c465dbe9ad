// Following a studio job from a page: shared by the Create character wizard and the flow tools.
import { useEffect, useState } from "preact/hooks";
import { useApp } from "../context";
import { newerJob, type Job } from "../lib/jobs";
import { openLiveFeed } from "../lib/live";

// The job as it changes: job.updated events from the live feed, and a read every second while
// the feed is not connected (refused, dropped, or not yet open).
export function useJob(initial: Job): [Job, (next: Job) => void] {
  const { api, report } = useApp();
  const [job, setJob] = useState(initial);
  useEffect(() => {
    let stopped = false;
    let connected = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const take = (next: Job) => { if (!stopped) setJob((current) => newerJob(current, next)); };
    const read = () => api.json<Job>("GET", `/api/v1/jobs/${initial.id}`).then(take).catch(report);
    const feed = openLiveFeed(api, (event) => {
      if (event.type !== "job.updated") return;
      try {
        const data = JSON.parse(event.data) as Job;
        if (data.id === initial.id) take(data);
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
  return [job, (next) => setJob((current) => newerJob(current, next))];
}
