// Campaigns in the studio, end to end: customers put in a segment through the API, a campaign
// created and drafted in the UI (the progress bar, then the drafts), one draft edited and approved,
// the rest approved at once, delivered; the customer finds the message in their chat and answers;
// the campaign's numbers then show the reply.
export default async function (h) {
  const { test, expect, signIn, callApi, waitForTurnToEnd, keys, base } = h;
  const segment = "e2e-spring";
  const edited = "Hello from Lily: the spring story hour is on Sunday!";

  await test("campaigns: draft, edit and approve, deliver, the customer replies, the stats show it", async (page) => {
    const customers = [];
    for (const externalId of ["camp-ann", "camp-bob"]) {
      const user = await callApi("POST", "/api/v1/users", keys.admin, { external_id: externalId, display_name: externalId });
      await callApi("PATCH", `/api/v1/users/${user.id}`, keys.admin, { segment, metadata: { timezone: "UTC" } });
      customers.push(user);
    }
    const characters = await callApi("GET", "/api/v1/characters", keys.studio);
    const lily = characters.data.find((c) => c.name === "Lily");
    expect(lily, "Lily should be among the characters");

    await signIn(page, keys.studio);
    await page.goto(base + "/studio");
    await page.getByRole("link", { name: "Campaigns" }).click();
    await page.getByRole("heading", { name: "Campaigns" }).waitFor();
    await page.getByLabel("Name").fill("Spring story hour");
    await page.getByLabel("Character").selectOption(String(lily.id));
    await page.getByLabel("Segment").fill(segment);
    await page.getByLabel(/Brief/).fill("Invite them to the spring story hour");
    await page.getByRole("button", { name: "Create campaign" }).click();
    await page.getByRole("heading", { name: "Spring story hour" }).waitFor();
    const campaignId = Number(new URL(page.url()).pathname.split("/").pop());
    expect(campaignId > 0, `the page should be the campaign's, got ${page.url()}`);

    await page.getByRole("button", { name: "Draft messages" }).click();
    // Drafting is a job: the progress bar shows while it runs, the drafts when it is done.
    await page.locator('[data-testid="campaign-status"]', { hasText: "review" }).waitFor({ timeout: 60000 });
    await page.locator(".campaign-message").nth(1).waitFor();
    expect(await page.locator(".campaign-message").count() === 2, "one draft per customer of the segment");
    const job = await callApi("GET", `/api/v1/jobs/${(await callApi("GET", `/api/v1/campaigns/${campaignId}`, keys.studio)).draft_job_id}`, keys.studio);
    expect(job.status === "succeeded" && job.progress === 1, `the drafting job should be done: ${JSON.stringify(job)}`);

    const first = page.locator(`.campaign-message[data-user="${customers[0].id}"]`);
    await first.getByRole("textbox").fill(edited);
    await first.getByRole("button", { name: "Save and approve" }).click();
    await page.locator(`.campaign-message[data-user="${customers[0].id}"][data-status="approved"]`).waitFor();
    await page.getByRole("button", { name: "Approve all drafts" }).click();
    await page.locator(`.campaign-message[data-user="${customers[1].id}"][data-status="approved"]`).waitFor();
    await page.getByRole("button", { name: "Deliver approved" }).click();
    await page.getByRole("status").filter({ hasText: "2 delivered" }).waitFor();
    await page.locator('[data-testid="campaign-status"]', { hasText: "done" }).waitFor();

    const delivered = await callApi("GET", `/api/v1/campaigns/${campaignId}/messages?status=delivered`, keys.studio);
    const toAnn = delivered.data.find((m) => m.user_id === customers[0].id);
    expect(toAnn && toAnn.text === edited, `Ann's message should be the edited one: ${JSON.stringify(delivered.data)}`);

    // The customer sees it in their chat with Lily, and answers.
    const customer = await page.context().newPage();
    await signIn(customer, keys.client, "camp-ann");
    await customer.goto(`${base}/chat/${toAnn.conversation_id}`);
    await customer.locator(".message.assistant", { hasText: edited }).waitFor();
    await customer.getByLabel("Your message").fill("I will be there!");
    await customer.getByLabel("Your message").press("Enter");
    await customer.locator(".message.user", { hasText: "I will be there!" }).waitFor();
    await waitForTurnToEnd(customer);
    await customer.close();

    await page.reload();
    await page.locator('[data-stat="replied"]', { hasText: "1" }).waitFor();
    expect((await page.locator('[data-stat="reply_rate"]').innerText()) === "50%", "one reply to two messages is 50%");
    expect((await page.locator('[data-stat="delivered"]').innerText()) === "2", "two messages delivered");
    await page.locator(`.campaign-message[data-user="${customers[0].id}"] .pill`, { hasText: "replied" }).waitFor();
  });
}
