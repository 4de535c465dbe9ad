// Outcome prediction, end to end: a training the store cannot support fails and the form says why;
// then 60 conversations with Lily through the API with a planted signal (the first user message
// calm, or angry with many "!!!", the angry ones handed to a person), a handoff model trained from
// the Analytics page's form, its held-out figures equal to GET /api/v1/analytics/outcome-models,
// its charts drawn with a mark per bin and per used feature, and its table's CSV; last, a new angry
// conversation gets a prediction, and the agent console shows the number the API stores (and
// nothing for a conversation without one).
import { readFileSync } from "node:fs";
import { join } from "node:path";

const kCalm = "Hello, could you tell me a short story about a cat, please?";
const kAngry = "This is unacceptable!!! Nothing works!!! I want my money back NOW!!! Stop it!!!";

// The agent console's rounding (web/src/lib/predictions.ts formatProbability), written out again so
// the test does not take the page's word for it.
function percent(probability) {
  const rounded = Math.round(probability * 100);
  if (rounded <= 0 && probability > 0) return "<1%";
  if (rounded >= 100 && probability < 1) return ">99%";
  return `${rounded}%`;
}

export default async function ({ test, expect, signIn, callApi, keys, base, outDir }) {
  // A user's message and the whole reply (the stream read to its end).
  async function say(conversationId, user, content) {
    const turn = await fetch(`${base}/api/v1/conversations/${conversationId}/messages`, {
      method: "POST",
      headers: { Authorization: `Bearer ${keys.client}`, "X-Troupe-User": user, "Content-Type": "application/json" },
      body: JSON.stringify({ content, typing_delays: false }),
    });
    const events = await turn.text();
    expect(turn.ok, `the turn in conversation ${conversationId} answered ${turn.status}: ${events}`);
  }

  await test("predictions: train a handoff model on the Analytics page, read its report, see a prediction in the agent console", async (page) => {
    const characters = await callApi("GET", "/api/v1/characters?limit=200", keys.studio);
    const lily = characters.data.find((c) => c.name === "Lily");
    expect(lily, "run.mjs should have imported Lily");

    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Analytics" }).click();
    const section = page.getByTestId("predictions");
    await section.getByRole("heading", { name: "Predictions" }).waitFor();
    const form = page.getByRole("form", { name: "Train a predictor" });
    await form.waitFor();

    // A return model over a 10-year window: every conversation's window is still open, so none has a
    // known outcome and the job fails at once; the form shows the job's reason.
    await form.getByLabel("Outcome").selectOption("return");
    await form.locator("details.advanced summary").click();
    await form.getByLabel(/^Return days/).fill("3650");
    let queued = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/analytics/outcome-models"));
    await form.getByRole("button", { name: "Train", exact: true }).click();
    const failing = await (await queued).json();
    expect(failing.kind === "analytics.train_outcomes" && failing.payload.return_days === 3650,
           `a training job with the return days typed expected, got ${JSON.stringify(failing)}`);
    const alert = form.getByRole("alert");
    await alert.waitFor();
    const failed = await callApi("GET", `/api/v1/jobs/${failing.id}`, keys.studio);
    expect(failed.status === "failed", `the return training should fail, got ${JSON.stringify(failed)}`);
    const shown = await alert.innerText();
    expect(shown.startsWith("Training failed: ") && failed.error.endsWith(shown.replace(/^Training failed: /, "")) &&
           /too few/.test(shown), `the form should give the job's reason (${failed.error}), got "${shown}"`);

    // The planted signal: even conversations calm, odd ones angry and handed to a person.
    let calmConversation = 0;
    for (let i = 0; i < 60; ++i) {
      const user = `pred-${i}`;
      const conversation = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: lily.id }, user);
      const angry = i % 2 === 1;
      await say(conversation.id, user, angry ? kAngry : kCalm);
      if (angry) await callApi("POST", `/api/v1/conversations/${conversation.id}/handoff`, keys.agent, { reason: "angry customer" });
      else calmConversation ||= conversation.id;
    }

    // Train the handoff model from the form, with the advanced fields typed.
    await form.getByLabel("Outcome").selectOption("handoff");
    await form.getByLabel(/^First messages/).fill("4");
    await form.getByLabel(/^Return days/).fill("");
    await form.getByLabel(/^Test share/).fill("0.3");
    await form.getByLabel(/^Seed/).fill("7");
    queued = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith("/api/v1/analytics/outcome-models"));
    const reloaded = page.waitForResponse((r) => r.request().method() === "GET" && r.url().includes("/api/v1/analytics/outcome-models"));
    await form.getByRole("button", { name: "Train", exact: true }).click();
    const training = await (await queued).json();
    expect(JSON.stringify(training.payload) === JSON.stringify({ first_messages: 4, outcome: "handoff", return_days: 7, seed: 7, test_share: 0.3 }),
           `the fields typed (and the server's default return days) should be sent, got ${JSON.stringify(training.payload)}`);
    const notice = form.getByRole("status").filter({ hasText: /^Trained model #\d+\.$/ });
    await notice.waitFor({ timeout: 120000 });
    await reloaded;
    const trained = await callApi("GET", `/api/v1/jobs/${training.id}`, keys.studio);
    expect(trained.status === "succeeded", `the training should succeed: ${JSON.stringify({ ...trained, result: undefined })}`);
    expect(await notice.innerText() === `Trained model #${trained.result.model_id}.`, `the notice should name model #${trained.result.model_id}`);

    // The figures shown are the API's.
    const models = (await callApi("GET", "/api/v1/analytics/outcome-models?outcome=handoff", keys.studio)).data;
    const model = models[0];
    expect(model.id === trained.result.model_id && model.first_messages === 4,
           `the newest handoff model should be the one trained, got ${JSON.stringify({ ...model, report: undefined })}`);
    const newest = page.getByTestId("prediction-handoff");
    await page.locator(`[data-testid="prediction-handoff"][data-model="${model.id}"]`).waitFor();
    const report = model.report;
    const expected = { auc: report.auc.toFixed(3), precision: report.precision.toFixed(3), recall: report.recall.toFixed(3),
                       f1: report.f1.toFixed(3), accuracy: report.accuracy.toFixed(3), brier: report.brier.toFixed(3),
                       test_examples: String(report.test_examples) };
    for (const [key, value] of Object.entries(expected)) {
      const text = await newest.locator(`[data-key="${key}"] dd`).innerText();
      expect(text === value, `${key} should show ${value} (the API's ${report[key]}), got "${text}"`);
    }
    const described = await newest.locator("p.hint").first().innerText();
    expect(described.includes(`${report.train_examples} conversations trained on, ${report.test_examples} held out (${report.test_positives} of them positive)`),
           `the model's line should give the API's example counts, got: ${described}`);
    // The planted signal is strong: a model that did not find it has a problem of its own.
    expect(report.auc >= 0.8, `the angry "!!!" messages should make the handoffs predictable: held-out AUC ${report.auc}`);

    // The charts: named, drawn, one mark per calibration bin and per feature the trees used.
    const charts = [
      [`Reliability, model #${model.id}`, "reliability-handoff", ".reliability-point", report.calibration.length],
      [`Feature importance, model #${model.id}`, "importance-handoff", ".importance-bar", report.feature_importance.filter((f) => f.gain > 0).length],
    ];
    for (const [name, testId, mark, count] of charts) {
      const chart = page.getByRole("img", { name: new RegExp(`^${name}`) });
      await chart.waitFor();
      const box = await chart.boundingBox();
      expect(box && box.width > 0 && box.height > 0, `${name} should have a size, got ${JSON.stringify(box)}`);
      const marks = await page.getByTestId(testId).locator(mark).count();
      expect(count > 0 && marks === count, `${name} should draw ${count} marks, drew ${marks}`);
    }
    const diagonal = await page.getByTestId("reliability-handoff").locator("line.diagonal").count();
    expect(diagonal === 1, "the reliability chart should draw the diagonal");
    const strongest = report.feature_importance[0].feature;
    const firstBar = await page.getByTestId("importance-handoff").locator(".importance-bar").first().getAttribute("data-feature");
    expect(firstBar === strongest, `the first bar should be the feature with the most gain (${strongest}), got ${firstBar}`);

    // Every model in the table, and its CSV with the API's unrounded figures.
    const rows = await page.getByTestId("prediction-models").locator("tbody tr").count();
    const all = (await callApi("GET", "/api/v1/analytics/outcome-models", keys.studio)).data;
    expect(rows === all.length, `one row per stored model (${all.length}) expected, got ${rows}`);
    const download = page.waitForEvent("download");
    await page.getByTestId("prediction-models").getByRole("button", { name: "Download CSV" }).click();
    const file = await download;
    expect(file.suggestedFilename() === "outcome-models.csv", `outcome-models.csv expected, got ${file.suggestedFilename()}`);
    const lines = readFileSync(await file.path(), "utf8").split("\r\n");
    expect(lines[0] === "id,created_at,outcome,first_messages,return_days,features,examples,train_examples,test_examples," +
                        "test_positives,auc,threshold,precision,recall,f1,accuracy,brier", `the CSV's header, got: ${lines[0]}`);
    const line = lines.find((l) => l.startsWith(`${model.id},`))?.split(",") ?? [];
    expect(line[2] === "handoff" && line[10] === String(report.auc) && line[16] === String(report.brier),
           `the model's CSV line should hold the API's AUC ${report.auc} and Brier ${report.brier}, got: ${line.join(",")}`);

    // The training job tells the server's predictor, so the very next reply uses the new model.
    const fresh = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: lily.id }, "pred-new");
    await say(fresh.id, "pred-new", kAngry);
    const stored = await callApi("GET", `/api/v1/conversations/${fresh.id}/predictions`, keys.agent);
    const prediction = stored.predictions.find((p) => p.outcome === "handoff");
    expect(prediction && prediction.model_id === model.id,
           `the new conversation should have a handoff prediction from model #${model.id}, got ${JSON.stringify(stored)}`);
    expect(prediction.probability > 0.5, `an angry first message should look likely to need a person, got ${prediction.probability}`);

    const agent = await page.context().newPage();
    await signIn(agent, keys.agent);
    const predictionRead = agent.waitForResponse((r) => r.url().endsWith(`/conversations/${fresh.id}/predictions`));
    await agent.goto(`${base}/agent/${fresh.id}`);
    await agent.getByRole("heading", { name: `Conversation #${fresh.id}` }).waitFor();
    await predictionRead;
    const badge = agent.getByTestId("handoff-prediction");
    await badge.waitFor();
    const text = await badge.innerText();
    expect(text === `likely to need a person: ${percent(prediction.probability)}`,
           `the console should say ${percent(prediction.probability)} (the API's ${prediction.probability}), got "${text}"`);
    const tooltip = await badge.getAttribute("title");
    expect(tooltip?.startsWith(`Model #${model.id}, `), `the tooltip should name model #${model.id}, got "${tooltip}"`);
    await agent.screenshot({ path: join(outDir, "predictions_agent_console.png"), fullPage: true });

    // A conversation from before the model has no prediction, and the console says nothing.
    const none = await callApi("GET", `/api/v1/conversations/${calmConversation}/predictions`, keys.agent);
    expect(none.predictions.length === 0, `a conversation from before the model should have no prediction, got ${JSON.stringify(none)}`);
    const noneRead = agent.waitForResponse((r) => r.url().endsWith(`/conversations/${calmConversation}/predictions`));
    await agent.goto(`${base}/agent/${calmConversation}`);
    await agent.getByRole("heading", { name: `Conversation #${calmConversation}` }).waitFor();
    await noneRead;
    expect(await agent.getByTestId("handoff-prediction").count() === 0, "no prediction should be shown for a conversation without one");

    // An agent key reads the models on the Analytics page but gets no training form.
    await agent.getByRole("link", { name: "Analytics" }).click();
    await agent.locator(`[data-testid="prediction-handoff"][data-model="${model.id}"] [data-key="auc"] dd`, { hasText: expected.auc }).waitFor();
    expect(await agent.getByRole("form", { name: "Train a predictor" }).count() === 0, "an agent key should not be offered training");
    await agent.close();
  });
}
