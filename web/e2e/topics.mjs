// Topics, end to end: a character of its own with 36 users' messages posted through the API about
// two planted subjects (pizza baking and rainy weather, from word pools that share no word); on the
// Analytics page's Topics form, a period the server refuses shows its error beside the field it
// names, and a period without messages shows the failed job's reason; then two topics found from the
// form (a small number of sweeps, names asked of the model) follow the job from the URL, and the
// table, the summary, the chart and both CSV files are checked against GET /api/v1/jobs/{id}; a
// reload shows the same report again. Then the feedback comments as the source (Advanced): 36
// comments on two other planted subjects, left without a chat turn, give their own two topics.
import { readFileSync } from "node:fs";
import { join } from "node:path";

const kPizza = ["pizza", "cheese", "oven", "dough", "tomato", "basil", "crust", "mozzarella"];
const kRain = ["rain", "umbrella", "storm", "cloud", "thunder", "drizzle", "forecast", "puddle"];
const kPerSubject = 18;
const kWaiting = ["slow", "waiting", "queue", "delay", "loading", "minutes", "hours", "timeout"];
const kPrice = ["price", "refund", "invoice", "charge", "payment", "expensive", "billing", "receipt"];

// Four words of a pool per message, shifted each time, so every word is in half of its subject's
// messages: often enough to be kept (min_documents 3), in well under half of all of them.
function plantedMessage(pool, i) {
  const [a, b, c, d] = [0, 1, 3, 5].map((offset) => pool[(i + offset) % pool.length]);
  return `I really like ${a} and ${b}; the ${c} with some ${d} is what I think about today`;
}

// The page's rounding of a share (web/src/lib/topics.ts formatShare), written out again so the test
// does not take the page's word for it.
const percent = (share) => `${(share * 100).toFixed(1)}%`;

function csvLines(text) {
  return text.split("\r\n").filter((line) => line !== "");
}

export default async function ({ test, expect, signIn, callApi, keys, base, outDir }) {
  async function say(conversationId, user, content) {
    const turn = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: "POST",
      headers: { Authorization: `Bearer ${keys.client}`, "X-Troupe-User": user, "Content-Type": "application/json" },
      body: JSON.stringify({ content, typing_delays: false }),
    });
    const events = await turn.text();
    expect(turn.ok, `the turn in conversation ${conversationId} answered ${turn.status}: ${events}`);
  }

  // A published character whose replies are a few tokens, so the 36 turns are quick.
  async function createTopo(name = "Topo") {
    const flow = "start: talk\nstages:\n  talk:\n    prompt: Listen.\n    sampling: {temperature: 0.8, max_tokens: 4}\n" +
      "    reply: {split: none, typing_chars_per_second: 0}\n";
    const card = { spec: "chara_card_v2", spec_version: "2.0",
                   data: { name, description: "Hears what people talk about.", first_mes: "", extensions: { troupe: { flow } } } };
    const created = await callApi("POST", "/api/v1/characters", keys.admin, card);
    return callApi("PATCH", `/api/v1/characters/${created.id}`, keys.admin, { published: true, version: created.version });
  }

  await test("topics: find two planted subjects from the Analytics page, table, chart and CSV as the API says", async (page) => {
    const topo = await createTopo();
    for (let i = 0; i < kPerSubject; ++i) {
      for (const [subject, pool] of [["pizza", kPizza], ["rain", kRain]]) {
        const user = `topics-${subject}-${i}`;
        const conversation = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: topo.id }, user);
        await say(conversation.id, user, plantedMessage(pool, i));
      }
    }

    // The refused request below is a 400 that Chromium logs as a console error: this test listens to
    // the console itself and lets that one error through, and only it.
    page.removeAllListeners("console");
    const consoleErrors = [];
    page.on("console", (message) => { if (message.type() === "error") consoleErrors.push(message.text()); });

    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Analytics" }).click();
    const section = page.getByTestId("topics");
    await section.getByRole("heading", { name: "Topics", exact: true }).waitFor();
    const form = page.getByRole("form", { name: "Find topics" });
    // By name: "To" is the start of "Topics" and "Top words", and a label holds its field's error once there is one.
    const from = form.locator('input[name="topics-from"]');
    const to = form.locator('input[name="topics-to"]');
    const defaultFrom = await from.inputValue();
    const defaultTo = await to.inputValue();
    expect(defaultTo === new Date().toISOString().slice(0, 10), `the period should end today by default, got ${defaultTo}`);
    const posted = () => page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/analytics/topics"));

    // Over 366 days: the server refuses the request, naming "to"; its message shows beside To.
    await from.fill("2020-01-01");
    let answer = posted();
    await form.getByRole("button", { name: "Find topics" }).click();
    const refusal = await (await answer).json();
    expect(refusal.error?.field === "to", `the server should refuse a long period naming "to", got ${JSON.stringify(refusal)}`);
    const besideTo = form.locator("#topics-to-error");
    await besideTo.waitFor();
    const shownRefusal = await besideTo.innerText();
    expect(shownRefusal === refusal.error.message, `To should show the server's "${refusal.error.message}", got "${shownRefusal}"`);
    expect(await to.getAttribute("aria-invalid") === "true", "To should be marked invalid");

    // A month long ago: no message, so the job fails and the form gives its reason.
    await to.fill("2020-01-31");
    answer = posted();
    await form.getByRole("button", { name: "Find topics" }).click();
    const empty = await (await answer).json();
    expect(empty.kind === "analytics.topics" && empty.payload.from === "2020-01-01" && empty.payload.to === "2020-01-31",
           `a topics job over January 2020 expected, got ${JSON.stringify(empty)}`);
    expect(await form.locator("#topics-to-error").count() === 0, "the error beside To should be gone once the server takes the period");
    const failure = form.getByRole("alert").filter({ hasText: /^Finding topics failed: / });
    await failure.waitFor({ timeout: 60000 });
    const failed = await callApi("GET", `/api/v1/jobs/${empty.id}`, keys.studio);
    const shownFailure = (await failure.innerText()).replace(/^Finding topics failed: /, "");
    expect(failed.status === "failed" && failed.error.endsWith(shownFailure) && /\b0 messages\b/.test(shownFailure),
           `the form should give the job's reason (${failed.error}), got "${shownFailure}"`);
    await page.screenshot({ path: join(outDir, "topics_no_messages.png"), fullPage: true });

    // Two topics over the default period, Topo's messages only, names asked of the model.
    await from.fill(defaultFrom);
    await to.fill(defaultTo);
    await form.getByLabel("Character").selectOption(String(topo.id));
    await form.getByLabel(/^Topics/).selectOption("count");
    await form.getByLabel(/^Count/).fill("2");
    await form.getByLabel("Name topics with the language model").check();
    await form.locator("details.advanced summary").click();
    await form.getByLabel(/^Iterations/).fill("60");
    await form.getByLabel(/^Seed/).fill("3");
    await form.getByLabel(/^Top words/).fill("5");
    answer = posted();
    await form.getByRole("button", { name: "Find topics" }).click();
    const queued = await (await answer).json();
    const asked = { character_id: topo.id, from: defaultFrom, iterations: 60, name_topics: true, seed: 3, to: defaultTo, top_words: 5, topics: "2" };
    for (const [key, value] of Object.entries(asked)) {
      expect(queued.payload[key] === value, `the job's ${key} should be ${JSON.stringify(value)}, got ${JSON.stringify(queued.payload)}`);
    }
    await page.waitForURL((url) => url.searchParams.get("topics_job") === String(queued.id));
    const reportView = page.locator(`[data-testid="topics-report"][data-job="${queued.id}"]`);
    await reportView.waitFor({ timeout: 180000 });
    const job = await callApi("GET", `/api/v1/jobs/${queued.id}`, keys.studio);
    expect(job.status === "succeeded", `the topics job should succeed: ${JSON.stringify({ ...job, result: undefined })}`);
    const result = job.result;
    expect(result.messages === 2 * kPerSubject && result.topic_count === 2 && result.topics.length === 2,
           `2 topics of ${2 * kPerSubject} messages expected, got ${JSON.stringify({ ...result, topics: undefined, weeks: undefined })}`);

    // The planted subjects: each topic's words come from one pool, and the two from different pools.
    const poolOf = (topic) => (topic.words.every((w) => kPizza.includes(w)) ? "pizza" : topic.words.every((w) => kRain.includes(w)) ? "rain" : "mixed");
    const pools = result.topics.map(poolOf).sort();
    expect(JSON.stringify(pools) === '["pizza","rain"]', `one pizza topic and one rain topic expected, got ${JSON.stringify(result.topics)}`);

    // The table shows the API's topics, largest share first.
    const rows = reportView.getByTestId("topics-table").locator("tbody tr");
    expect(await rows.count() === result.topics.length, `one row per topic expected, got ${await rows.count()}`);
    for (const topic of result.topics) {
      const row = rows.nth(topic.rank - 1);
      const cells = await row.locator("th, td").allInnerTexts();
      const name = await row.locator(".topic-name").innerText();
      expect(cells[0] === String(topic.rank) && (await row.getAttribute("data-key")) === String(topic.topic),
             `row ${topic.rank} should be topic ${topic.topic}, got ${JSON.stringify(cells)}`);
      expect(typeof topic.name === "string" && name.startsWith(topic.name), `row ${topic.rank} should be named "${topic.name}", got "${name}"`);
      const words = await row.locator(".topic-words").innerText();
      expect(words === topic.words.join(", "), `row ${topic.rank} should list ${topic.words.join(", ")}, got "${words}"`);
      expect(cells.includes(percent(topic.share)) && cells.includes(topic.npmi.toFixed(3)),
             `row ${topic.rank} should show share ${percent(topic.share)} and NPMI ${topic.npmi.toFixed(3)}, got ${JSON.stringify(cells)}`);
      const trend = await row.locator(".topic-trend").getAttribute("data-trend");
      const expectedTrend = result.weeks.length < 2 ? "none" : topic.slope_per_week > 0 ? "up" : topic.slope_per_week < 0 ? "down" : "flat";
      expect(trend === expectedTrend || (trend === "flat" && Math.abs(topic.slope_per_week) < 0.0005),
             `row ${topic.rank}'s trend should be ${expectedTrend} (slope ${topic.slope_per_week}), got ${trend}`);
    }
    const summary = await reportView.getByTestId("topics-summary").innerText();
    expect(summary.startsWith(`${result.messages} messages, ${result.vocabulary} words kept, ${result.tokens} tokens. 2 topics`),
           `the summary should give the API's corpus, got: ${summary}`);

    // The chart: drawn, one series per topic named as in the table, a point per topic and week.
    const chart = reportView.getByTestId("topics-chart");
    const canvas = chart.locator(".uplot canvas");
    await canvas.waitFor();
    const size = await canvas.evaluate((c) => ({ width: c.width, height: c.height }));
    expect(size.width > 0 && size.height > 0, `the chart should be drawn, got a ${size.width}x${size.height} canvas`);
    const legend = await chart.locator(".u-legend .u-series .u-label").allInnerTexts();
    const expectedLegend = result.topics.map((t) => `#${t.rank} ${t.name}`);
    expect(JSON.stringify(legend.slice(1)) === JSON.stringify(expectedLegend),
           `the legend should name ${JSON.stringify(expectedLegend)} after the x axis, got ${JSON.stringify(legend)}`);
    const weeksWithMessages = result.weeks.filter((w) => w.messages > 0).length;
    await page.waitForFunction(([selector, points]) => document.querySelector(selector)?.dataset.drawnPoints === String(points),
                               [`[data-testid="topics-chart"] > div`, result.topics.length * weeksWithMessages]);

    // The topics CSV holds the API's unrounded figures, a line per row of the table.
    let download = page.waitForEvent("download");
    await reportView.getByTestId("topics-table").getByRole("button", { name: "Download CSV" }).click();
    let file = await download;
    expect(file.suggestedFilename() === `topics-${topo.id}-${result.from}-${result.to}.csv`, `the topics CSV's name, got ${file.suggestedFilename()}`);
    const topicsLines = csvLines(readFileSync(await file.path(), "utf8"));
    expect(topicsLines[0] === "rank,topic,name,name_from_model,words,share,npmi,umass,slope_per_week", `the topics CSV's header, got ${topicsLines[0]}`);
    expect(topicsLines.length === result.topics.length + 1, `a CSV line per topic expected, got ${topicsLines.length - 1}`);
    for (const topic of result.topics) {
      const line = topicsLines[topic.rank];
      const fields = [topic.rank, topic.topic].join(",");
      expect(line.startsWith(`${fields},`) && line.includes(`,${topic.words.join(" ")},${topic.share},${topic.npmi},${topic.umass},`),
             `the CSV line of topic ${topic.topic} should hold its words and the API's share ${topic.share}, got ${line}`);
    }

    // The weekly CSV: a line per week, the shares by rank from the API's shares by topic index.
    download = page.waitForEvent("download");
    await reportView.getByRole("button", { name: "Download weekly shares (CSV)" }).click();
    file = await download;
    const weekLines = csvLines(readFileSync(await file.path(), "utf8"));
    expect(weekLines.length === result.weeks.length + 1 && weekLines[0].startsWith("week,messages,"),
           `a header and ${result.weeks.length} weeks expected, got ${JSON.stringify(weekLines)}`);
    for (const [i, week] of result.weeks.entries()) {
      const expectedLine = [week.week, week.messages, ...result.topics.map((t) => week.shares[t.topic])].join(",");
      expect(weekLines[i + 1] === expectedLine, `week ${week.week} should read ${expectedLine}, got ${weekLines[i + 1]}`);
    }

    // The job is in the URL: a reload shows the same report and the form as it was asked.
    await page.reload();
    await reportView.getByTestId("topics-table").locator("tbody tr").first().waitFor();
    const again = await reportView.locator(".topic-words").allInnerTexts();
    expect(JSON.stringify(again) === JSON.stringify(result.topics.map((t) => t.words.join(", "))), `the reload should show the same topics, got ${again}`);
    expect(await form.getByLabel(/^Count/).inputValue() === "2", "the reloaded form should show the count asked");
    const unexpected = consoleErrors.filter((text) => !/status of 400/.test(text));
    expect(consoleErrors.length - unexpected.length === 1 && unexpected.length === 0,
           `the console should hold the refused request's 400 and nothing else, got:\n  ${consoleErrors.join("\n  ")}`);
  });

  await test("topics: the feedback comments as the source give their own topics", async (page) => {
    const critic = await createTopo("Critic");
    for (let i = 0; i < kPerSubject; ++i) {
      for (const [subject, pool] of [["waiting", kWaiting], ["price", kPrice]]) {
        const user = `comments-${subject}-${i}`;
        const conversation = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: critic.id }, user);
        const kind = i % 3 === 0 ? "report" : "comment";
        await callApi("POST", `/api/v1/conversations/${conversation.id}/feedback`, keys.client,
                      { kind, comment: plantedMessage(pool, i) }, user);
      }
    }

    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Analytics" }).click();
    const form = page.getByRole("form", { name: "Find topics" });
    await form.waitFor();
    await form.getByLabel("Character").selectOption(String(critic.id));
    await form.getByLabel(/^Topics/).selectOption("count");
    await form.getByLabel(/^Count/).fill("2");
    await form.locator("details.advanced summary").click();
    await form.getByLabel(/^Read/).selectOption("comments");
    await form.getByLabel(/^Iterations/).fill("60");
    await form.getByLabel(/^Seed/).fill("3");
    await form.getByLabel(/^Top words/).fill("5");
    const answer = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/analytics/topics"));
    await form.getByRole("button", { name: "Find topics" }).click();
    const queued = await (await answer).json();
    expect(queued.payload?.source === "comments", `the job should read comments, got ${JSON.stringify(queued.payload)}`);
    const reportView = page.locator(`[data-testid="topics-report"][data-job="${queued.id}"]`);
    await reportView.waitFor({ timeout: 180000 });
    const job = await callApi("GET", `/api/v1/jobs/${queued.id}`, keys.studio);
    expect(job.status === "succeeded", `the comments' topics job should succeed: ${JSON.stringify({ ...job, result: undefined })}`);
    const result = job.result;
    expect(result.messages === 2 * kPerSubject && result.source.startsWith("feedback comments from "),
           `${2 * kPerSubject} feedback comments expected, got ${JSON.stringify({ ...result, topics: undefined, weeks: undefined })}`);
    const poolOf = (topic) => (topic.words.every((w) => kWaiting.includes(w)) ? "waiting" : topic.words.every((w) => kPrice.includes(w)) ? "price" : "mixed");
    const pools = result.topics.map(poolOf).sort();
    expect(JSON.stringify(pools) === '["price","waiting"]', `one waiting and one price topic expected, got ${JSON.stringify(result.topics)}`);

    const heading = await reportView.locator("#topics-report-heading").innerText();
    expect(heading.startsWith(`Topics of the ${result.source}`), `the heading should name the comments, got: ${heading}`);
    const summary = await reportView.getByTestId("topics-summary").innerText();
    expect(summary.startsWith(`${result.messages} comments, ${result.vocabulary} words kept`), `the summary should count comments, got: ${summary}`);
    const words = await reportView.locator(".topic-words").allInnerTexts();
    expect(JSON.stringify(words) === JSON.stringify(result.topics.map((t) => t.words.join(", "))), `the table should show the API's topics, got ${words}`);

    // A reload follows the job from the URL and shows the source it was asked with.
    await page.reload();
    await reportView.getByTestId("topics-table").locator("tbody tr").first().waitFor();
    expect(await form.locator('select[name="topics-source"]').inputValue() === "comments", "the reloaded form should show the comments as the source");
  });
}
