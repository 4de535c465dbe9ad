// Experiments in the studio, end to end: a prompt experiment measured by rating is created in the
// UI (first with two variants of the same name, which the server refuses naming variants[1].name,
// shown beside that field), started; a second draft for the same character cannot start (the
// server's 412 shows on its row) and is deleted. Twenty end users then start a conversation each
// through the API and rate it (csat), and the report page shows the API's counts, draws both
// charts with one mark per variant (and per day), downloads its table as CSV, and stops it.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const kUsers = 20;
const kDayMs = 86_400_000;

export default async function ({ test, expect, signIn, callApi, keys, base, outDir }) {
  await test("experiments: create with a field error, start, refuse a second, report with charts and CSV, stop", async (page) => {
    // Chromium logs the refused requests (400, 412) as console errors; they are expected here.
    page.removeAllListeners("console");
    const unexpected = [];
    page.on("console", (entry) => {
      if (entry.type() === "error" && !/status of (400|412)/.test(entry.text())) unexpected.push(entry.text());
    });
    const mira = await createCharacter(callApi, keys);

    await signIn(page, keys.studio);
    await page.goto(base + "/studio");
    await page.getByRole("link", { name: "Experiments" }).click();
    await page.getByRole("heading", { name: "Experiments" }).waitFor();
    await createThroughForm(page, expect, mira, outDir);
    const listed = await callApi("GET", `/api/v1/studio/experiments?character_id=${mira.id}`, keys.studio);
    expect(listed.data.length === 1, `one experiment should be stored (the refused one not), got ${JSON.stringify(listed.data)}`);
    const experiment = listed.data[0];
    expect(experiment.kind === "prompt" && experiment.metric === "rating" && experiment.planned_trials === 10 &&
           experiment.variants[1].system_prompt === "Be very warm and kind." && !("system_prompt" in experiment.variants[0]),
           `the stored experiment should be what the form said, got ${JSON.stringify(experiment)}`);

    const row = page.locator(`tr[data-id="${experiment.id}"]`);
    await row.getByRole("button", { name: "Start" }).click();
    await page.locator(`tr[data-id="${experiment.id}"][data-status="running"]`).waitFor();
    await refuseSecondExperiment(page, expect, callApi, keys, mira);

    const ratings = await rateConversations(callApi, keys, mira);
    const apiReport = await callApi("GET", `/api/v1/studio/experiments/${experiment.id}/report`, keys.studio);
    const assigned = apiReport.variants.reduce((sum, v) => sum + v.assigned, 0);
    expect(assigned === kUsers && apiReport.variants.every((v) => v.measured === v.assigned && v.estimate),
           `each of the ${kUsers} rated conversations should be assigned and measured, got ${JSON.stringify(apiReport.variants)}`);

    await row.getByRole("link", { name: "Warmer welcome" }).click();
    await page.getByRole("heading", { name: "Warmer welcome" }).waitFor();
    await checkTable(page, expect, apiReport);
    await checkCharts(page, expect, apiReport);
    await checkCsv(page, expect, apiReport, ratings);

    await page.getByRole("button", { name: "Stop" }).click();
    await page.getByTestId("experiment-status").filter({ hasText: "stopped" }).waitFor();
    const stopped = await callApi("GET", `/api/v1/studio/experiments/${experiment.id}`, keys.studio);
    expect(stopped.status === "stopped" && stopped.stopped_at > 0, `the experiment should be stopped, got ${JSON.stringify(stopped)}`);
    expect(unexpected.length === 0, `the page reported errors: ${unexpected.join("; ")}`);
  });
}

async function createCharacter(callApi, keys) {
  const card = { spec: "chara_card_v2", spec_version: "2.0",
                 data: { name: "Mira", description: "Tries new greetings.", first_mes: "Hello, I am Mira.",
                         system_prompt: "Be helpful." } };
  const created = await callApi("POST", "/api/v1/characters", keys.admin, card);
  return callApi("PATCH", `/api/v1/characters/${created.id}`, keys.admin, { published: true, version: created.version });
}

// The form, twice: two variants named "control" are refused with the error beside the second
// name; renamed, the experiment is created and listed as a draft.
async function createThroughForm(page, expect, mira, outDir) {
  await page.getByRole("button", { name: "New experiment" }).click();
  const form = page.getByRole("form", { name: "New experiment" });
  await form.getByLabel(/^Character/).selectOption(String(mira.id));
  await form.locator('input[name="experiment_name"]').fill("Warmer welcome");
  await form.getByLabel(/^What varies/).selectOption("prompt");
  await form.getByLabel(/^Metric/).selectOption("rating");
  await form.getByLabel("Planned trials").fill("10");
  const control = form.getByRole("group", { name: "Variant 1 (control)" });
  const warm = form.getByRole("group", { name: "Variant 2" });
  await control.getByLabel("Name").fill("control");
  await warm.getByLabel("Name").fill("control");
  await warm.getByLabel("System prompt").fill("Be very warm and kind.");
  const refused = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/experiments") && r.request().method() === "POST");
  await form.getByRole("button", { name: "Create experiment" }).click();
  expect((await refused).status() === 400, "two variants of one name should be refused");
  const error = form.locator('[data-field="variants[1].name"]');
  await error.waitFor();
  expect((await error.innerText()).includes("two variants are named"), `the error should say why: ${await error.innerText()}`);
  expect(await warm.getByLabel("Name").getAttribute("aria-invalid") === "true", "the second name should be marked invalid");
  await page.screenshot({ path: join(outDir, "experiments_form_field_error.png"), fullPage: true });

  await warm.getByLabel("Name").fill("warm");
  await form.getByRole("button", { name: "Create experiment" }).click();
  await page.getByText("Created Warmer welcome.").waitFor();
  await page.locator('tr[data-status="draft"]', { hasText: "Warmer welcome" }).waitFor();
}

// A character runs one experiment at a time: a second draft's Start is refused (412) and the
// server's message shows on its row; Delete then removes the draft.
async function refuseSecondExperiment(page, expect, callApi, keys, mira) {
  const second = await callApi("POST", "/api/v1/studio/experiments", keys.studio, {
    character_id: mira.id, name: "Second try", kind: "prompt", metric: "rating",
    variants: [{ name: "a" }, { name: "b", system_prompt: "Be brief." }],
  });
  await page.reload();
  const row = page.locator(`tr[data-id="${second.id}"]`);
  await row.getByRole("button", { name: "Start" }).click();
  const problem = row.getByRole("alert");
  await problem.waitFor();
  expect((await problem.innerText()).length > 10, `the refusal should be readable, got "${await problem.innerText()}"`);
  const still = await callApi("GET", `/api/v1/studio/experiments/${second.id}`, keys.studio);
  expect(still.status === "draft", `the refused experiment should stay a draft, got ${still.status}`);
  page.once("dialog", (dialog) => dialog.accept());
  await row.getByRole("button", { name: "Delete" }).click();
  await row.waitFor({ state: "detached" });
  const left = await callApi("GET", `/api/v1/studio/experiments?character_id=${mira.id}`, keys.studio);
  expect(left.data.length === 1, `the deleted draft should be gone, got ${left.data.length} experiments`);
}

// One conversation per end user, each rated 1..5 (csat): the rating metric is known at once.
async function rateConversations(callApi, keys, mira) {
  const ratings = [];
  for (let i = 0; i < kUsers; ++i) {
    const user = await callApi("POST", "/api/v1/users", keys.admin, { external_id: `exp-user-${i}` });
    const conversation = await callApi("POST", "/api/v1/conversations", keys.studio, { character_id: mira.id, user_id: user.id });
    const rating = 1 + (i % 5);
    await callApi("POST", `/api/v1/conversations/${conversation.id}/feedback`, keys.studio, { kind: "csat", rating });
    ratings.push(rating);
  }
  return ratings;
}

async function checkTable(page, expect, apiReport) {
  const table = page.getByTestId("experiment-variants");
  await table.waitFor();
  const summary = await page.getByTestId("experiment-summary").innerText();
  expect(summary === apiReport.summary, `the summary should be the API's "${apiReport.summary}", got "${summary}"`);
  expect(await table.locator("tbody tr").count() === apiReport.variants.length, "one row per variant");
  for (const [index, variant] of apiReport.variants.entries()) {
    const row = table.locator(`tr[data-variant="${index}"]`);
    const shown = {};
    for (const column of ["assigned", "measured", "pending"]) shown[column] = Number(await row.locator(`td[data-column="${column}"]`).innerText());
    const expected = { assigned: variant.assigned, measured: variant.measured, pending: variant.pending };
    expect(JSON.stringify(shown) === JSON.stringify(expected),
           `${variant.name}'s counts should be ${JSON.stringify(expected)}, got ${JSON.stringify(shown)}`);
  }
}

// Both charts: found by their accessible names, drawn at a size, one mark per variant (the
// estimates) and per variant and day (the assignments).
async function checkCharts(page, expect, apiReport) {
  const estimates = page.getByRole("img", { name: /estimate per variant/ });
  await estimates.waitFor();
  const box = await estimates.boundingBox();
  expect(box && box.width > 100 && box.height > 50, `the estimates chart should have a size, got ${JSON.stringify(box)}`);
  const marks = page.getByTestId("chart-estimates").locator(".interval-mark");
  expect(await marks.count() === apiReport.variants.length, `one interval per variant, got ${await marks.count()}`);
  for (let i = 0; i < apiReport.variants.length; ++i) {
    const markBox = await marks.nth(i).boundingBox();
    expect(markBox && markBox.width > 0, `variant ${i}'s interval should be drawn, got ${JSON.stringify(markBox)}`);
  }
  const band = await page.getByTestId("chart-estimates").locator(".control-band rect").boundingBox();
  expect(band && band.width > 0 && band.height > 0, `the control's band should be drawn, got ${JSON.stringify(band)}`);

  const assignments = page.getByRole("img", { name: /Conversations assigned per UTC day/ });
  await assignments.waitFor();
  const size = await assignments.evaluate((c) => ({ width: c.width, height: c.height }));
  expect(size.width > 0 && size.height > 0, `the assignments chart should be drawn, got ${size.width}x${size.height}`);
  const days = apiReport.days;
  const span = (days[days.length - 1].day_start_ms - days[0].day_start_ms) / kDayMs + 1;
  const drawn = Number(await page.getByTestId("chart-assignments").locator("[data-drawn-points]").getAttribute("data-drawn-points"));
  expect(drawn === span * apiReport.variants.length,
         `one point per day (${span}) and variant (${apiReport.variants.length}) should be drawn, got ${drawn}`);
  const legend = await page.getByTestId("chart-assignments").locator(".u-legend").innerText();
  expect(apiReport.variants.every((v) => legend.includes(v.name)), `the legend should name every variant, got ${legend}`);
}

async function checkCsv(page, expect, apiReport, ratings) {
  const download = page.waitForEvent("download");
  await page.getByTestId("experiment-variants").getByRole("button", { name: "Download CSV" }).click();
  const file = await download;
  expect(file.suggestedFilename() === `experiment-${apiReport.experiment.id}-variants.csv`, `the file's name, got ${file.suggestedFilename()}`);
  const lines = readFileSync(await file.path(), "utf8").split("\r\n");
  expect(lines[0].startsWith("variant,control,assigned,measured,pending,estimate,"), `the CSV's header, got ${lines[0]}`);
  for (const [index, variant] of apiReport.variants.entries()) {
    const cells = lines[index + 1].split(",");
    const expected = [variant.name, index === 0 ? "true" : "false", variant.assigned, variant.measured, variant.pending,
                      variant.estimate.value].map(String);
    expect(JSON.stringify(cells.slice(0, 6)) === JSON.stringify(expected),
           `${variant.name}'s CSV line should start ${expected.join(",")}, got ${lines[index + 1]}`);
  }
  const mean = ratings.reduce((sum, r) => sum + r, 0) / ratings.length;
  const pooled = apiReport.variants.reduce((sum, v) => sum + v.estimate.value * v.measured, 0) / ratings.length;
  expect(Math.abs(pooled - mean) < 1e-9, `the variants' means should pool to the ratings' mean ${mean}, got ${pooled}`);
}
