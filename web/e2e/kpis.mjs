// The KPI page: conversations made through the API (a Juno chat whose message is routed, an agent's
// routing review, a csat rating, a close by an agent; a second chat handed to a person), then the
// page shows the charts (uPlot canvases that were drawn) and the tables' figures for them.
export default async function ({ test, expect, signIn, callApi, createJuno, keys, base }) {
  await test("kpis: charts per day and figures per intent and character", async (page) => {
    const juno = await createJuno();
    const first = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: juno.id }, "kpi-a");
    // The reply is streamed; the answer ends with the turn.
    const turn = await fetch(`${base}/api/v1/conversations/${first.id}/messages`, {
      method: "POST",
      headers: { Authorization: `Bearer ${keys.client}`, "X-Troupe-User": "kpi-a", "Content-Type": "application/json" },
      body: JSON.stringify({ content: "what's my balance", typing_delays: false }),
    });
    const events = await turn.text();
    expect(turn.ok, `the chat turn answered ${turn.status}: ${events}`);
    const messages = await callApi("GET", `/api/v1/conversations/${first.id}/messages`, keys.agent);
    const asked = messages.data.find((m) => m.role === "user");
    const routed = asked?.metadata?.routing?.intent;
    expect(routed, `the user's message should be routed, got ${JSON.stringify(asked?.metadata)}`);
    expect(messages.data.some((m) => m.role === "assistant" && m.id > asked.id), `Juno should have replied: ${events}`);
    await callApi("PUT", `/api/v1/conversations/${first.id}/messages/${asked.id}/routing-review`, keys.agent, { intent: routed });
    await callApi("POST", `/api/v1/conversations/${first.id}/feedback`, keys.client, { kind: "csat", rating: 5 }, "kpi-a");
    await callApi("POST", `/api/v1/conversations/${first.id}/close`, keys.agent);
    const second = await callApi("POST", "/api/v1/conversations", keys.client, { character_id: juno.id }, "kpi-b");
    await callApi("POST", `/api/v1/conversations/${second.id}/handoff`, keys.client, { reason: "a person, please" }, "kpi-b");

    await signIn(page, keys.agent);
    await page.getByRole("link", { name: "KPIs" }).click();
    await page.getByRole("heading", { name: "KPIs" }).waitFor();
    const row = page.getByTestId("kpi-characters").locator(`tr[data-key="${juno.id}"]`);
    await row.waitFor();
    const cells = await row.locator("td").allInnerTexts();
    const expected = ["2", cells[1], cells[2], "50% (1/2)", "50% (1/2)", "100% (1/1)", "100% (1/1)", "100% (1/1)"];
    expect(JSON.stringify(cells) === JSON.stringify(expected), `Juno's row should be ${JSON.stringify(expected)}, got ${JSON.stringify(cells)}`);
    expect(/\d/.test(cells[1]), `Juno's first response time should be measured, got ${cells[1]}`);
    const intent = page.getByTestId("kpi-intents").locator(`tr[data-key="${routed}"]`);
    await intent.waitFor();
    const intentCells = await intent.locator("td").allInnerTexts();
    expect(intentCells[7] === "100% (1/1)", `the ${routed} row's routing accuracy should be 100% (1/1), got ${intentCells[7]}`);

    for (const chart of ["chart-response", "chart-rates", "chart-csat"]) {
      const canvas = page.getByTestId(chart).locator(".uplot canvas");
      await canvas.waitFor();
      const size = await canvas.evaluate((c) => ({ width: c.width, height: c.height }));
      expect(size.width > 0 && size.height > 0, `${chart} should be drawn, got a ${size.width}x${size.height} canvas`);
    }
    const legend = await page.getByTestId("chart-rates").locator(".u-legend").innerText();
    expect(legend.includes("Resolution") && legend.includes("Handoff") && legend.includes("Agent load reduction"),
           `the rates chart should name its series, got: ${legend}`);
  });
}
