import { describe, expect, it } from "vitest";
import { canCancelJob, jobKindLabel, jobStatusText, upsertJob, type ListedJob } from "./job_list";

const job = (id: number, status: ListedJob["status"], extra: Partial<ListedJob> = {}): ListedJob =>
  ({ id, kind: "studio.generate_flow", status, progress: 0, result: null, error: "", ...extra });

describe("upsertJob", () => {
  it("adds a new job first and keeps the list newest first", () => {
    const list = upsertJob([job(3, "running"), job(1, "succeeded")], job(2, "queued"));
    expect(list.map((j) => j.id)).toEqual([3, 2, 1]);
    expect(upsertJob(list, job(7, "queued"))[0].id).toBe(7);
  });
  it("replaces a job in place, but never a finished copy by a running one", () => {
    const list = [job(5, "running", { progress: 0.2, updated_at: 1 })];
    expect(upsertJob(list, job(5, "running", { progress: 0.6, updated_at: 2 }))[0].progress).toBe(0.6);
    const done = upsertJob(list, job(5, "succeeded", { progress: 1, updated_at: 3 }));
    expect(upsertJob(done, job(5, "running", { progress: 0.6, updated_at: 2 }))[0].status).toBe("succeeded");
  });
  it("keeps the fields an event does not carry", () => {
    const list = [job(4, "running", { attempts: 2, created_at: 10 })];
    expect(upsertJob(list, { ...job(4, "running"), progress: 0.5 })[0].created_at).toBe(10);
  });
});

describe("job rows in words", () => {
  it("names the kinds it knows and shows the others as they are", () => {
    expect(jobKindLabel("studio.generate_flow")).toBe("Flow generation (studio.generate_flow)");
    expect(jobKindLabel("analytics.train_outcomes")).toBe("Outcome model training (analytics.train_outcomes)");
    expect(jobKindLabel("something.new")).toBe("something.new");
  });
  it("says the status with progress, attempts and a pending cancel", () => {
    expect(jobStatusText(job(1, "running", { progress: 0.42 }))).toBe("running · 42%");
    expect(jobStatusText(job(1, "running", { cancel_requested: true }))).toBe("cancelling");
    expect(jobStatusText(job(1, "failed", { attempts: 3 }))).toBe("failed after 3 attempts");
    expect(jobStatusText(job(1, "queued"))).toBe("queued");
  });
  it("lets queued and running jobs be cancelled once", () => {
    expect(canCancelJob(job(1, "queued"))).toBe(true);
    expect(canCancelJob(job(1, "running", { cancel_requested: true }))).toBe(false);
    expect(canCancelJob(job(1, "succeeded"))).toBe(false);
  });
});
