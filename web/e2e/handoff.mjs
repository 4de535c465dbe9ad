// Browser test of the handoff desk: a customer asks Juno for a person, the agent (away, so nothing
// is assigned on its own) sees the conversation in the queue with a waiting time that ticks, claims
// it, reads the summary and answers; the customer's page shows the answer in the same stream, the
// customer's next message reaches the agent without a reply from Juno, and the agent hands back.
// Then the console's re-read of a conversation (the live feed's, on connecting) answering after a
// Take over must not show the conversation active again.
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

  await test("agent: a re-read answering after Take over does not undo it", async (page) => {
    const characters = await callApi("GET", "/api/v1/characters?limit=200", keys.studio);
    const lily = characters.data.find((c) => c.name === "Lily");
    const id = (await callApi("POST", "/api/v1/conversations", keys.client, { character_id: lily.id }, "cust-reread")).id;
    await signIn(page, keys.agent);
    // The page reads the conversation on opening and again when its live feed connects: the second
    // read's answer is held until the take-over has been answered.
    let reads = 0;
    let release;
    const released = new Promise((resolve) => { release = resolve; });
    let secondRead;
    const secondReadSeen = new Promise((resolve) => { secondRead = resolve; });
    let finishedReads = 0;
    const heldFinished = page.waitForEvent("requestfinished", {
      predicate: (request) => new RegExp(`/api/v1/conversations/${id}/messages`).test(request.url()) && ++finishedReads === 2,
    });
    await page.route(new RegExp(`/api/v1/conversations/${id}/messages`), async (route) => {
      reads += 1;
      if (reads !== 2) return route.continue();
      secondRead();
      const response = await route.fetch();
      await released;
      await route.fulfill({ response });
    });
    await page.goto(`${base}/agent/${id}`);
    await secondReadSeen;
    await page.getByRole("button", { name: "Take over" }).click();
    await page.getByLabel("Reply as a human agent").waitFor();
    release();
    await heldFinished;
    // Two frames for the held answer, now in the page, to be parsed and rendered.
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    const status = await page.locator(".toolbar .pill").first().innerText();
    expect(status === "handed_off" && await page.getByLabel("Reply as a human agent").count() === 1,
           `the conversation should stay taken over after the older read answers, the page says "${status}"`);
  });
}
