// The Analytics page: a character with a two-stage flow made through the API, two conversations
// (one with a turn whose reply is rated up, and a feedback comment the server scores), two
// evaluation runs stored by `troupe eval --character`; the page draws the charts (uPlot canvases),
// shows today's figures with the comment and its sentiment and the funnel, compares the runs, and
// its tables' "Download CSV" buttons download the same numbers.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export default async function ({ test, expect, signIn, callApi, keys, base, data, troupe, model, env }) {
  await test("analytics: charts, today's figures with comments, the funnel, two runs side by side, CSV downloads", async (page) => {
    const flow = "name: two_steps\nstart: hello\nstages:\n  hello:\n    prompt: Say hello.\n" +
      "    sampling: {temperature: 0.8, max_tokens: 12}\n    reply: {split: none, typing_chars_per_second: 0}\n" +
      "    transitions:\n      - to: friends\n        when: {messages_at_least: 50}\n  friends:\n    prompt: Be warm.\n";
    const card = { spec: "chara_card_v2", spec_version: "2.0",
                   data: { name: "Dash", description: "Counts things.", first_mes: "", extensions: { troupe: { flow } } } };
    const created = await callApi("POST", "/api/v1/characters", keys.admin, card);
    const dash = await callApi("PATCH", `/api/v1/characters/${created.id}`, keys.admin, { published: true, version: created.version });

    const first = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: dash.id }, "dash-a");
    await callApi("POST", "/api/v1/conversations", keys.client, { character_id: dash.id }, "dash-b");
    const turn = await fetch(`${base}/api/v1/conversations/${first.id}/messages`, {
      method: "POST",
      headers: { Authorization: `Bearer ${keys.client}`, "X-Troupe-User": "dash-a", "Content-Type": "application/json" },
      body: JSON.stringify({ content: "Hello there, what a lovely day", typing_delays: false }),
    });
    const events = await turn.text();
    expect(turn.ok, `the chat turn answered ${turn.status}: ${events}`);
    const messages = await callApi("GET", `/api/v1/conversations/${first.id}/messages`, keys.studio);
    const userMessages = messages.data.filter((m) => m.role === "user").length;
    const assistantMessages = messages.data.filter((m) => m.role === "assistant");
    expect(userMessages === 1 && assistantMessages.length >= 1, `one message and a reply expected, got ${JSON.stringify(messages.data)}`);
    await callApi("POST", `/api/v1/conversations/${first.id}/feedback`, keys.client,
                  { kind: "rating", rating: 1, message_id: assistantMessages.at(-1).id }, "dash-a");
    const comment = await callApi("POST", `/api/v1/conversations/${first.id}/feedback`, keys.client,
                                  { kind: "comment", comment: "Thank you, this was really helpful and lovely!" }, "dash-a");
    expect(typeof comment.sentiment === "number" && comment.sentiment > 0,
           `the comment should come back with a positive sentiment, got ${JSON.stringify(comment)}`);
    const commentScore = Number.isInteger(comment.sentiment) ? comment.sentiment.toFixed(0) : comment.sentiment.toFixed(3);
    // The user swipes the reply once: the funnel counts it as regenerated at its stage.
    const swipe = await fetch(`${base}/api/v1/conversations/${first.id}/messages/${assistantMessages[0].id}/regenerate`, {
      method: "POST",
      headers: { Authorization: `Bearer ${keys.client}`, "X-Troupe-User": "dash-a", "Content-Type": "application/json" },
      body: JSON.stringify({ typing_delays: false }),
    });
    const swiped = await swipe.text();
    expect(swipe.ok && swiped.includes("event: done"), `the regeneration answered ${swipe.status}: ${swiped}`);

    const dataset = join(data, "dash-eval.jsonl");
    writeFileSync(dataset, '{"prompt": "Hello", "reference": "Hello there"}\n{"prompt": "Bye", "reference": "Goodbye"}\n');
    for (let run = 0; run < 2; ++run) {
      execFileSync(troupe, ["eval", "--character", String(dash.id), "--dataset", dataset, "--max-tokens", "8"],
                   { env: { ...env, TROUPE_MODEL_PATH: model }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    }

    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Analytics" }).click();
    await page.getByRole("heading", { name: "Analytics" }).waitFor();
    await page.getByTestId("analytics-days").waitFor();
    // The dashboards' own filter: the Topics form further down has a Character field too.
    await page.getByRole("form", { name: "Dashboards' period" }).getByLabel("Character").selectOption(String(dash.id));
    const overview = page.waitForResponse((r) => r.url().includes(`/analytics/overview?`) && r.url().includes(`character_id=${dash.id}`));
    await page.getByRole("button", { name: "Show" }).click();
    expect((await overview).ok(), "the overview of Dash should load");

    const today = new Date().toISOString().slice(0, 10);
    const row = page.getByTestId("analytics-days").locator(`tr[data-key="${today}"]`);
    await page.getByTestId("analytics-funnel").waitFor();
    const cells = await row.locator("td").allInnerTexts();
    const expected = ["2", "1", String(assistantMessages.length)];
    expect(JSON.stringify(cells.slice(0, 3)) === JSON.stringify(expected) && cells[4] === "1" && cells[5] === "0",
           `today's row should start ${JSON.stringify(expected)} with 1 thumbs up, 0 down, got ${JSON.stringify(cells)}`);

    expect(cells[7] === "1" && cells[8] === commentScore,
           `today's row should show 1 comment of sentiment ${commentScore}, got ${JSON.stringify(cells)}`);
    // Today has a mean for the user's message and one for the comment; the other days are gaps.
    const sentimentPoints = page.getByTestId("chart-sentiment").locator('[data-drawn-points="2"]');
    await sentimentPoints.waitFor();

    for (const chart of ["chart-volume", "chart-sentiment", "chart-ratings"]) {
      const canvas = page.getByTestId(chart).locator(".uplot canvas");
      await canvas.waitFor();
      const size = await canvas.evaluate((c) => ({ width: c.width, height: c.height }));
      expect(size.width > 0 && size.height > 0, `${chart} should be drawn, got a ${size.width}x${size.height} canvas`);
    }

    const hello = await page.getByTestId("analytics-funnel").locator('tr[data-key="hello"] td').allInnerTexts();
    expect(hello[0].includes("2 (100%)") && hello[2] === "2 (100%)",
           `every conversation is at hello, so all drop before friends: got ${JSON.stringify(hello)}`);
    const replies = assistantMessages.length;
    expect(hello[5] === `1 of ${replies} (${Math.round(100 / replies)}%)`,
           `one of the ${replies} replies at hello was regenerated, got ${JSON.stringify(hello)}`);
    const friends = await page.getByTestId("analytics-funnel").locator('tr[data-key="friends"] td').allInnerTexts();
    expect(friends[0].includes("0 (0%)"), `no conversation reached friends, got ${JSON.stringify(friends)}`);

    const runRows = page.getByTestId("analytics-eval-runs").locator("tbody tr");
    await page.getByTestId("analytics-comparison").waitFor();
    expect(await runRows.count() === 2, `two evaluation runs should be listed, got ${await runRows.count()}`);
    const delta = await page.getByTestId("analytics-comparison").locator('tr[data-key="cases"] td').allInnerTexts();
    expect(JSON.stringify(delta) === JSON.stringify(["2", "2", "0"]), `both runs had 2 cases, got ${JSON.stringify(delta)}`);

    const download = page.waitForEvent("download");
    await page.getByTestId("analytics-days").getByRole("button", { name: "Download CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename().endsWith(".csv"), `a .csv file expected, got ${file.suggestedFilename()}`);
    const csv = readFileSync(await file.path(), "utf8");
    const lines = csv.split("\r\n");
    expect(lines[0] === "day,conversations,user_messages,assistant_messages,sentiment_mean,sentiment_count,thumbs_up," +
             "thumbs_down,csat_mean,csat_count,comments,comment_sentiment_mean,comment_sentiment_count",
           `the CSV's header, got: ${lines[0]}`);
    const todayLine = lines.find((line) => line.startsWith(`${today},`))?.split(",") ?? [];
    expect(todayLine[1] === "2" && todayLine[2] === "1" && todayLine[3] === String(assistantMessages.length) &&
           todayLine[6] === "1" && todayLine[7] === "0" && todayLine[10] === "1" &&
           Number(todayLine[11]) === comment.sentiment && todayLine[12] === "1",
           `today's CSV line, got: ${todayLine.join(",")}`);

    const funnelDownload = page.waitForEvent("download");
    await page.getByTestId("analytics-funnel").getByRole("button", { name: "Download CSV" }).click();
    const funnelCsv = readFileSync(await (await funnelDownload).path(), "utf8").split("\r\n");
    expect(funnelCsv[1].startsWith("hello,true,2,2,2,1,"),
           `the funnel CSV's hello line, got: ${funnelCsv[1]}`);
  });

  await test("kpis: every table downloads as CSV", async (page) => {
    await signIn(page, keys.agent);
    await page.getByRole("link", { name: "KPIs" }).click();
    await page.getByTestId("kpi-characters").waitFor();
    const download = page.waitForEvent("download");
    await page.getByTestId("kpi-characters").getByRole("button", { name: "Download CSV" }).click();
    const csv = readFileSync(await (await download).path(), "utf8").split("\r\n");
    expect(csv[0].startsWith("character,conversations,first_response_ms,"), `the KPI CSV's header, got: ${csv[0]}`);
    expect(csv.length > 2, `the KPI CSV should have rows, got: ${csv.join(" | ")}`);
  });
}
