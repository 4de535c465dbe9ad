// Response templates in the agent console: a Juno conversation handed to a person, the agent picks
// one of her templates, Troupe fills it for the conversation, the agent edits it and sends it, and
// the message appears as the agent's.
export default async function ({ test, expect, signIn, callApi, createJuno, keys, base }) {
  await test("templates: an agent inserts a filled template into the reply, edits it and sends it", async (page) => {
    const juno = await createJuno();
    const conversation = (await callApi("POST", "/api/v1/conversations", keys.client, { character_id: juno.id }, "cust-tpl")).id;
    await callApi("POST", `/api/v1/conversations/${conversation}/handoff`, keys.client, { reason: "wants a person" }, "cust-tpl");

    await signIn(page, keys.agent);
    await page.goto(`${base}/agent/${conversation}`);
    await page.getByRole("heading", { name: `Conversation #${conversation}` }).waitFor();
    const picker = page.getByLabel("Templates");
    await picker.locator('option[value="check_balance/low_credit"]').waitFor({ state: "attached" });
    await picker.selectOption("check_balance/low_credit");
    const box = page.getByLabel("Reply as a human agent");
    await box.fill("Hello!");
    const rendered = page.waitForResponse((r) => r.url().endsWith(`/conversations/${conversation}/templates/render`));
    await page.getByRole("button", { name: "Insert template" }).click();
    const answer = await rendered;
    expect(answer.status() === 200, `the render should answer 200, got ${answer.status()}`);
    const filled = await answer.json();
    expect(filled.unfilled.length === 0, `every slot should be filled, left: ${filled.unfilled}`);
    await page.waitForFunction(() => {
      const area = document.querySelector('textarea[aria-label="Reply as a human agent"]');
      return area && area.value.includes("https://brightwave.example/top-up");
    });
    const inserted = await box.inputValue();
    expect(inserted === `Hello! ${filled.text}`, `the template should follow what the agent typed, got: ${inserted}`);
    await box.fill(`${inserted} Anything else?`);
    await page.getByRole("button", { name: "Send as agent" }).click();
    await page.locator(".message.agent", { hasText: "brightwave.example/top-up any time. Anything else?" }).waitFor();
    const stored = await callApi("GET", `/api/v1/conversations/${conversation}/messages`, keys.agent);
    const last = stored.data[stored.data.length - 1];
    expect(last.role === "agent" && last.content.endsWith("Anything else?"), `the agent's message should be stored, got: ${JSON.stringify(last)}`);
  });
}
