import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { cancelJob, newerJob, type Job, type JobApi } from "./jobs";

const job = (fields: Partial<Job>): Job => ({ id: 4, kind: "studio.generate_flow", status: "running", progress: 0.5, result: null, error: "", ...fields });

// An API that answers each "METHOD path" from a table (an Error answers by throwing), and keeps the calls.
function fakeApi(answers: Record<string, unknown>) {
  const calls: string[] = [];
  const api: JobApi = {
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      calls.push(`${method} ${path}${body === undefined ? "" : ` ${JSON.stringify(body)}`}`);
      const answer = answers[`${method} ${path}`];
      if (answer instanceof Error) throw answer;
      if (answer === undefined) throw new Error(`unexpected ${method} ${path}`);
      return answer as T;
    },
  };
  return { api, calls };
}

describe("cancelJob", () => {
  it("posts the cancel and answers the job as the server now has it", async () => {
    const { api, calls } = fakeApi({ "POST /api/v1/jobs/4/cancel": job({ cancel_requested: true }) });
    expect(await cancelJob(api, 4)).toEqual(job({ cancel_requested: true }));
    expect(calls).toEqual(["POST /api/v1/jobs/4/cancel {}"]);
  });

  it("reads the job again when it finished before the cancel arrived (412)", async () => {
    const done = job({ status: "succeeded", progress: 1, result: { flow: "x" } });
    const { api, calls } = fakeApi({
      "POST /api/v1/jobs/4/cancel": new ApiError("the job has already finished", 412, "failed_precondition", ""),
      "GET /api/v1/jobs/4": done,
    });
    expect(await cancelJob(api, 4)).toEqual(done);
    expect(calls).toEqual(["POST /api/v1/jobs/4/cancel {}", "GET /api/v1/jobs/4"]);
  });

  it("passes any other failure on", async () => {
    const { api } = fakeApi({ "POST /api/v1/jobs/4/cancel": new ApiError("no job 4", 404, "not_found", "job_id") });
    await expect(cancelJob(api, 4)).rejects.toThrow("no job 4");
  });
});

describe("newerJob", () => {
  it("never takes a finished job back to running", () => {
    const finished = job({ status: "succeeded", progress: 1, updated_at: 5 });
    expect(newerJob(finished, job({ updated_at: 9 }))).toBe(finished);
  });
  it("keeps the later of two running copies", () => {
    const later = job({ progress: 0.8, updated_at: 9 });
    expect(newerJob(later, job({ progress: 0.2, updated_at: 3 }))).toBe(later);
    expect(newerJob(job({ updated_at: 3 }), later)).toBe(later);
  });
});
