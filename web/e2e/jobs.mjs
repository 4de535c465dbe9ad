// The studio's job list: a flow generation queued through the API while the page is open shows up
// live (job.updated), moves to succeeded with its progress full, and the status filter shows only
// what it names; a job cancelled from the page ends cancelled.
export default async function ({ test, expect, signIn, callApi, keys }) {
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
}
