// The studio's job list: a flow generation queued through the API while the page is open shows up
// live (job.updated), moves to succeeded with its progress full, and the status filter shows only
// what it names; a job cancelled from the page ends cancelled. Then the wizard's own Cancel (the
// same cancel helper, through useJob): the generation ends cancelled, the wizard says so from the
// job's URL even after a reload, and the job list shows it cancelled.
export default async function ({ test, expect, signIn, callApi, keys, base }) {
  await test("studio: the job list follows a job live, filters by status, and cancels", async (page) => {
    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Studio" }).click();
    await page.getByRole("navigation", { name: "Studio sections" }).getByRole("link", { name: "Jobs" }).click();
    await page.getByRole("heading", { level: 1, name: "Jobs" }).waitFor();

    const job = await callApi("POST", "/api/v1/studio/flows/generate", keys.studio,
                              { topic: "a pen pal", goal: "a whole letter", min_stages: 2, max_stages: 3 });
    expect(job.kind === "studio.generate_flow", `a flow generation job expected, got ${JSON.stringify(job)}`);
    const row = page.locator(`tr[data-job-id="${job.id}"]`);
    await row.waitFor();
    expect((await row.innerText()).includes("Flow generation"), `the row should name the kind: ${await row.innerText()}`);
    await page.locator(`tr[data-job-id="${job.id}"][data-status="succeeded"]`).waitFor({ timeout: 300000 });
    const progress = await row.locator("progress").evaluate((bar) => bar.value);
    expect(progress === 1, `a finished job's progress bar should be full, got ${progress}`);

    await page.getByLabel("Status").selectOption("failed");
    await page.locator(`tr[data-job-id="${job.id}"]`).waitFor({ state: "detached" });
    await page.getByLabel("Status").selectOption("succeeded");
    await row.waitFor();

    // A job the page cancels: stories260K takes seconds over a flow, so Cancel comes while the job
    // is queued or running, and the job ends cancelled (a running one at its next progress report).
    await page.getByLabel("Status").selectOption("");
    const second = await callApi("POST", "/api/v1/studio/flows/generate", keys.studio,
                                 { topic: "a chess coach", goal: "a first opening", min_stages: 3, max_stages: 4 });
    const secondRow = page.locator(`tr[data-job-id="${second.id}"]`);
    await secondRow.getByRole("button", { name: "Cancel" }).click();
    await page.locator(`tr[data-job-id="${second.id}"][data-status="cancelled"]`).waitFor({ timeout: 300000 });
    expect(await secondRow.getByRole("button", { name: "Cancel" }).count() === 0, "a cancelled job has no Cancel button");
  });

  await test("studio: the wizard's Cancel stops its generation, and the job list agrees", async (page) => {
    await signIn(page, keys.studio);
    await page.goto(`${base}/studio/create`);
    await page.getByLabel(/^Theme/).fill("night trains");
    await page.getByLabel(/^Audience/).fill("travellers who cannot sleep");
    await page.getByLabel("Candidates").fill("3");
    const queued = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/characters/generate"));
    await page.getByRole("button", { name: "Generate" }).click();
    const job = await (await queued).json();
    await page.waitForURL(`**/studio/create?job=${job.id}`);
    // Fifteen model steps: Cancel comes while the job is queued or running.
    const cancelled = page.waitForResponse((r) => r.url().endsWith(`/api/v1/jobs/${job.id}/cancel`));
    await page.locator(".wizard-progress").getByRole("button", { name: "Cancel" }).click();
    expect((await cancelled).status() === 200, "the cancel should be accepted while the job has not finished");
    await page.getByText("Generation cancelled. Change the brief and generate again.").waitFor({ timeout: 300000 });
    expect(await page.getByLabel(/^Theme/).inputValue() === "night trains", "the brief should be back, as it was");
    const stored = await callApi("GET", `/api/v1/jobs/${job.id}`, keys.studio);
    expect(stored.status === "cancelled", `the job should be cancelled, it is ${stored.status}`);

    // The URL still names the job: a reload says how it ended.
    await page.reload();
    await page.getByText("Generation cancelled. Change the brief and generate again.").waitFor();
    await page.goto(`${base}/studio/jobs`);
    await page.locator(`tr[data-job-id="${job.id}"][data-status="cancelled"]`).waitFor();
  });
}
