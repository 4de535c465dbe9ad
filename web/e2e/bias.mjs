// The bias review, end to end: a character of its own with a two-stage flow and replies of a few
// tokens; on the studio's Bias review page an unknown provider is refused by the server beside
// Provider, a large review is cancelled while it runs, then a small one (2 prompts, repeats 2, max
// tokens 4) is followed from the URL, and every dimension's table, every variant's figures,
// p-values and flags, and the CSV are checked against GET /api/v1/jobs/{id}; a reload shows the
// same report and the prompts that were asked.
import { readFileSync } from "node:fs";

const kPrompts = ["Can you tell me a story?", "What should I do today?"];

// The page's rounding (web/src/lib/bias.ts), written out again so the test does not take the page's word for it.
const shown = {
  length: (v) => (v === null ? "–" : v.toFixed(1)),
  sentiment: (v) => (v === null ? "–" : v > 0 ? `+${v.toFixed(3)}` : v.toFixed(3)),
  refusals: (v) => (v === null ? "–" : `${(v * 100).toFixed(0)}%`),
  stages: (v) => (v === null ? "–" : v.toFixed(2)),
};
const figureOf = { length: "mean_words", sentiment: "mean_sentiment", refusals: "refusal_rate", stages: "mean_stages" };
const pText = (p) => (p === null ? "–" : p < 0.001 ? "<0.001" : p.toFixed(3));

function csvLines(text) {
  return text.split("\r\n").filter((line) => line !== "");
}

export default async function ({ test, expect, signIn, callApi, keys, base }) {
  // Stages move on after the greeting and the first exchange, so the stage columns have something to count.
  async function createBea() {
    const sampling = "    sampling: {temperature: 0.8, max_tokens: 4}\n    reply: {split: none, typing_chars_per_second: 0}\n";
    const flow = `start: hello\nstages:\n  hello:\n    prompt: Greet.\n${sampling}    transitions:\n      - to: talk\n` +
      `        when: {messages_at_least: 3}\n  talk:\n    prompt: Talk.\n${sampling}`;
    const card = { spec: "chara_card_v2", spec_version: "2.0",
                   data: { name: "Bea", description: "Treats everyone alike.", first_mes: "Hello!", extensions: { troupe: { flow } } } };
    return callApi("POST", "/api/v1/characters", keys.admin, card);
  }

  await test("bias: review a character from the studio, cancel one, every dimension's table and the CSV as the API says", async (page) => {
    const bea = await createBea();
    // The refused request below is a 404 that Chromium logs as a console error: this test listens to
    // the console itself and lets that one error through, and only it.
    page.removeAllListeners("console");
    const consoleErrors = [];
    page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text()); });

    await signIn(page, keys.studio);
    await page.goto(base + "/studio");
    await page.getByRole("link", { name: "Bias review" }).click();
    await page.getByRole("heading", { name: "Bias review" }).waitFor();
    const form = page.getByRole("form", { name: "Review for bias" });
    const posted = () => page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/studio/bias"));
    await form.getByLabel("Character").selectOption(String(bea.id));
    await form.locator("details.advanced summary").click();

    // An unknown provider: the server refuses it naming "provider", shown beside Provider.
    const provider = form.locator('input[name="bias-provider"]');
    await provider.fill("nowhere");
    let answer = posted();
    await form.getByRole("button", { name: "Review for bias" }).click();
    const refusal = await (await answer).json();
    expect(refusal.error?.field === "provider", `the server should refuse the provider, got ${JSON.stringify(refusal)}`);
    const besideProvider = form.locator("#bias-provider-error");
    await besideProvider.waitFor();
    expect(await besideProvider.innerText() === refusal.error.message, `Provider should show "${refusal.error.message}"`);
    expect(await provider.getAttribute("aria-invalid") === "true", "Provider should be marked invalid");
    await provider.fill("");

    await cancelLargeReview(page, form, posted, expect, callApi, keys);

    // The small review: two prompts, two conversations per variant, four tokens a reply.
    await form.locator('textarea[name="bias-prompts"]').fill(`${kPrompts[0]}\n\n${kPrompts[1]}\n`);
    await form.locator('input[name="bias-repeats"]').fill("2");
    await form.locator('input[name="bias-max-tokens"]').fill("4");
    answer = posted();
    await form.getByRole("button", { name: "Review for bias" }).click();
    const queued = await (await answer).json();
    expect(queued.kind === "studio.bias_review" && queued.payload.character_id === bea.id && queued.payload.repeats === 2 &&
           queued.payload.max_tokens === 4 && JSON.stringify(queued.payload.prompts) === JSON.stringify(kPrompts),
           `the job should be what the form asked, got ${JSON.stringify(queued)}`);
    await page.waitForURL((url) => url.pathname === "/studio/bias" && url.searchParams.get("job") === String(queued.id));
    const reportView = page.locator(`[data-testid="bias-report"][data-job="${queued.id}"]`);
    await reportView.waitFor({ timeout: 180000 });
    const job = await callApi("GET", `/api/v1/jobs/${queued.id}`, keys.studio);
    expect(job.status === "succeeded", `the review should succeed: ${JSON.stringify({ ...job, result: undefined })}`);
    const result = job.result;
    expect(result.dimensions.length === 4 && result.repeats === 2 && result.character_id === bea.id,
           `four dimensions of Bea's review expected, got ${JSON.stringify({ ...result, dimensions: result.dimensions.map((d) => d.name) })}`);

    const asked = kPrompts.length * 2;
    const held = result.dimensions.flatMap((d) => d.variants).filter((v) => v.replies > 0 && v.replies + v.failed === asked);
    expect(held.length === 14, `each of the 14 variants should have replies out of ${asked} asked, got ${JSON.stringify(result.dimensions)}`);
    await checkTables(reportView, expect, result);
    await checkCsv(page, reportView, expect, result, bea.id, queued.id);

    // The job is in the URL: a reload shows the same report and the prompts that were asked.
    await page.reload();
    await reportView.getByTestId("bias-dimension").first().waitFor();
    const dimensions = await reportView.getByTestId("bias-dimension").evaluateAll((tables) => tables.map((t) => t.dataset.dimension));
    expect(JSON.stringify(dimensions) === JSON.stringify(result.dimensions.map((d) => d.name)), `the reload should show the same tables, got ${dimensions}`);
    const prompts = await form.locator('textarea[name="bias-prompts"]').inputValue();
    expect(prompts === kPrompts.join("\n"), `the reloaded form should show the prompts asked, got ${JSON.stringify(prompts)}`);
    const unexpected = consoleErrors.filter((text) => !/status of 404/.test(text));
    expect(consoleErrors.length === 1 && unexpected.length === 0,
           `the console should hold the refused provider's 404 and nothing else, got:\n  ${consoleErrors.join("\n  ")}`);
  });
}

// The built-in six prompts, twenty conversations per variant: long enough to be cancelled while it runs.
async function cancelLargeReview(page, form, posted, expect, callApi, keys) {
  await form.locator('input[name="bias-repeats"]').fill("20");
  await form.locator('input[name="bias-max-tokens"]').fill("32");
  const answer = posted();
  await form.getByRole("button", { name: "Review for bias" }).click();
  const large = await (await answer).json();
  expect(large.payload.prompts.length === 6, `blank prompts should mean the six built-in ones, got ${JSON.stringify(large.payload)}`);
  await form.getByRole("progressbar", { name: "Bias review progress" }).waitFor();
  await form.getByRole("button", { name: "Cancel" }).click();
  await form.getByRole("status").filter({ hasText: "The bias review was cancelled." }).waitFor({ timeout: 60000 });
  const cancelled = await callApi("GET", `/api/v1/jobs/${large.id}`, keys.studio);
  expect(cancelled.status === "cancelled", `the large review should be cancelled, got ${cancelled.status}`);
  expect(await page.getByTestId("bias-report").count() === 0, "a cancelled review has no report");
}

// A table per dimension in the API's order, a row per variant with the API's figures as the page
// rounds them, each p-value with its flag, and the dimension's badge and corrected alpha.
async function checkTables(reportView, expect, result) {
  const tables = reportView.getByTestId("bias-dimension");
  expect(await tables.count() === result.dimensions.length, `a table per dimension expected, got ${await tables.count()}`);
  for (const [d, dimension] of result.dimensions.entries()) {
    const table = tables.nth(d);
    const where = `dimension ${dimension.name}`;
    expect(await table.getAttribute("data-dimension") === dimension.name, `table ${d} should be ${dimension.name}`);
    expect(await table.getAttribute("data-flagged") === String(dimension.flagged), `${where}'s flag should be ${dimension.flagged}`);
    const badge = await table.locator("caption .pill").innerText();
    expect(badge === (dimension.flagged ? "flagged" : "not flagged"), `${where}'s badge reads "${badge}"`);
    const alpha = Number(await table.locator(".bias-alpha").innerText());
    expect(Math.abs(alpha - dimension.corrected_alpha) <= dimension.corrected_alpha * 0.01, `${where}'s alpha ${alpha} vs ${dimension.corrected_alpha}`);
    const rows = table.locator("tbody tr");
    expect(await rows.count() === dimension.variants.length, `${where}: a row per variant expected, got ${await rows.count()}`);
    for (const [i, variant] of dimension.variants.entries()) {
      const row = rows.nth(i);
      const at = `${where}, variant ${variant.label}`;
      expect(await row.getAttribute("data-variant") === variant.label, `${where}: row ${i} should be ${variant.label}`);
      expect(await row.getAttribute("data-reference") === String(i === 0), `${at}: only the first row is the reference`);
      expect(await row.locator(".bias-replies").innerText() === String(variant.replies) &&
             await row.locator(".bias-failed").innerText() === String(variant.failed), `${at}: replies and failed as the API's`);
      for (const metric of Object.keys(shown)) {
        const figure = await row.locator(`.bias-figure[data-metric="${metric}"]`).innerText();
        const expected = shown[metric](variant[figureOf[metric]]);
        expect(figure === expected, `${at}: ${metric} should show ${expected}, got ${figure}`);
        const cell = row.locator(`.bias-p[data-metric="${metric}"]`);
        const p = await cell.locator(".bias-p-value").innerText();
        const apiTest = variant.tests.find((t) => t.metric === metric);
        expect(i === 0 ? p === "" && !apiTest : p === pText(apiTest.p_value), `${at}: ${metric}'s p should be ${apiTest ? pText(apiTest.p_value) : "none"}, got "${p}"`);
        const flagged = apiTest?.flagged === true;
        expect(await cell.getAttribute("data-flagged") === String(flagged) && await cell.locator(".bias-flag").count() === (flagged ? 1 : 0),
               `${at}: ${metric} should be ${flagged ? "" : "un"}flagged`);
      }
      const stages = Object.entries(variant.final_stages);
      const finalText = await row.locator(".bias-final-stages").innerText();
      expect(stages.every(([stage, count]) => finalText.includes(`${stage} ${count}`)) && (stages.length > 0 || finalText === "–"),
             `${at}: final stages ${JSON.stringify(variant.final_stages)}, got "${finalText}"`);
    }
  }
  const note = await reportView.getByText(/Stages reached are compared only with two or more conversations/).count();
  expect(note === 1, "the report should say that stages need repeats of 2 or more");
}

// The CSV: a line per variant of every dimension with the API's unrounded figures.
async function checkCsv(page, reportView, expect, result, characterId, jobId) {
  const download = page.waitForEvent("download");
  await reportView.getByRole("button", { name: "Download all rows (CSV)" }).click();
  const file = await download;
  expect(file.suggestedFilename() === `bias-review-${characterId}-job-${jobId}.csv`, `the CSV's name, got ${file.suggestedFilename()}`);
  const lines = csvLines(readFileSync(await file.path(), "utf8"));
  const variants = result.dimensions.flatMap((d) => d.variants.map((v, i) => ({ d, v, i })));
  expect(lines[0].startsWith("dimension,corrected_alpha,dimension_flagged,variant,reference,replies,failed,mean_words,"),
         `the CSV's header, got ${lines[0]}`);
  expect(lines.length === variants.length + 1, `a CSV line per variant (${variants.length}) expected, got ${lines.length - 1}`);
  for (const [n, { d, v, i }] of variants.entries()) {
    const start = [d.name, d.corrected_alpha, d.flagged, v.label, i === 0, v.replies, v.failed, v.mean_words, v.mean_sentiment,
      v.refusal_rate, v.conversations].join(",");
    expect(lines[n + 1].startsWith(`${start},`), `CSV line ${n + 1} should start ${start}, got ${lines[n + 1]}`);
    const lengthTest = v.tests.find((t) => t.metric === "length");
    if (lengthTest) {
      expect(lines[n + 1].includes(`,${lengthTest.p_value},${lengthTest.flagged},`), `CSV line ${n + 1} should hold the length p ${lengthTest.p_value}`);
    }
  }
}
