// Browser test of the handoff desk: a customer asks Juno for a person, the agent (away, so nothing
// is assigned on its own) sees the conversation in the queue with a waiting time that ticks, claims
// it, reads the summary and answers; the customer's page shows the answer in the same stream, the
// customer's next message reaches the agent without a reply from Juno, and the agent hands back.
export default async function ({ test, expect, signIn, callApi, createJuno, waitForTurnToEnd, keys, base }) {
  await test("handoff: an agent claims a waiting customer, answers live, and hands back", async (page) => {
    await callApi("PUT", "/api/v1/agents/me/presence", keys.agent, { status: "away" });
    const juno = await createJuno();
    const id = (await callApi("POST", "/api/v1/conversations", keys.client, { character_id: juno.id }, "cust-handoff")).id;
    await signIn(page, keys.client, "cust-handoff");
    await page.goto(`${base}/chat/${id}`);
    await page.locator(".message.assistant", { hasText: "Juno from Brightwave" }).waitFor();
    await waitForTurnToEnd(page);
    await page.getByLabel("Your message").fill("I want to talk to a real person, not a bot");
    await page.getByLabel("Your message").press("Enter");
    await waitForTurnToEnd(page);
    await page.locator(".pill", { hasText: "with a human agent" }).waitFor();

    const agent = await page.context().newPage();
    await signIn(agent, keys.agent);
    await agent.getByRole("link", { name: "Agent console" }).click();
    const entry = agent.locator(`.handoff-queue li[data-conversation="${id}"]`);
    await entry.waitFor();
    await entry.locator(".assignee", { hasText: "unassigned" }).waitFor();
    const waiting = entry.getByLabel("Waiting time");
    const first = await waiting.innerText();
    expect(/^waiting \d+ s/.test(first), `the queue should show a waiting time, got "${first}"`);
    await agent.waitForFunction(([selector, before]) => document.querySelector(selector)?.textContent !== before,
                                [`.handoff-queue li[data-conversation="${id}"] [aria-label="Waiting time"]`, first]);

    await entry.getByRole("button", { name: "Claim" }).click();
    await entry.locator(".assignee", { hasText: "yours" }).waitFor();
    await entry.getByRole("link").click();
    const summary = agent.getByRole("note", { name: "Handoff summary" });
    await summary.waitFor();
    const told = await summary.innerText();
    expect(/Handed over by the character/.test(told) && /Handed over: /.test(told),
           `the summary for the agent should say who handed over and why, got: ${told}`);

    await agent.getByLabel("Reply as a human agent").fill("Hi, I am Sam from support.");
    await agent.getByRole("button", { name: "Send as agent" }).click();
    await page.locator(".message.agent", { hasText: "Hi, I am Sam from support." }).waitFor();

    const assistantReplies = await page.locator(".message.assistant").count();
    await page.getByLabel("Your message").fill("Thanks Sam, my bill doubled this month.");
    await page.getByLabel("Your message").press("Enter");
    await waitForTurnToEnd(page);
    await agent.locator(".message.user", { hasText: "Thanks Sam, my bill doubled this month." }).waitFor();
    expect(await page.locator(".message.assistant").count() === assistantReplies, "Juno should not answer while the agent has the conversation");

    await agent.getByRole("button", { name: "Available" }).click();
    await agent.locator('.presence button[aria-pressed="true"]', { hasText: "Available" }).waitFor();
    await agent.getByRole("button", { name: "Hand back to the character" }).click();
    await page.locator(".pill", { hasText: "with a human agent" }).waitFor({ state: "detached" });
    await agent.close();
  });
}
