// The Create character wizard, end to end: from the studio's list, a brief for two candidates, the
// generation job run by the server's stories260K model (its names are gibberish, so only the
// structure is checked: two cards, each with a name) and followed again after a reload mid-job
// through the URL (?job=), its candidates read from the URL once it is done, one picked, its picture
// and voice previewed, renamed in the concept step (the later steps then say they were written
// before the edit, and the picture is marked stale), saved, and the character's page shows the new
// name on an unpublished character.
import { join } from "node:path";

export default async function ({ test, expect, signIn, callApi, keys, base, outDir }) {
  await test("studio: the wizard's advanced fields: a bad temperature caught in the browser, an unknown provider beside its field", async (page) => {
    await signIn(page, keys.studio);
    await page.goto(`${base}/studio/create`);
    await page.getByLabel(/^Theme/).fill("bakers");
    await page.getByLabel(/^Audience/).fill("early risers");
    let sent = 0;
    page.on("request", (request) => { if (request.url().endsWith("/api/v1/studio/characters/generate")) sent += 1; });

    // Typed, then hidden again: the error must open the Advanced part to be read.
    const advanced = page.locator("details.advanced");
    await advanced.locator("summary").click();
    await page.getByLabel(/^Temperature/).fill("2.5");
    await advanced.locator("summary").click();
    expect(!(await advanced.evaluate((details) => details.open)), "the Advanced part should be closed before Generate");
    await page.getByRole("button", { name: "Generate" }).click();
    const message = page.locator("#temperature-error");
    await message.waitFor();
    expect(/from 0 to 2/.test(await message.innerText()), `the message should give the range: ${await message.innerText()}`);
    expect(await advanced.evaluate((details) => details.open), "the error should open the Advanced part");
    expect(sent === 0, `a bad temperature should send nothing, ${sent} requests were sent`);

    // The server knows its providers: an unknown one answers 404 naming the field, shown beside it.
    // Chromium logs that 404 as a console error, expected here: only other errors fail the test.
    page.removeAllListeners("console");
    const unexpected = [];
    page.on("console", (entry) => { if (entry.type() === "error" && !/status of 404/.test(entry.text())) unexpected.push(entry.text()); });
    await page.getByLabel(/^Temperature/).fill("0.5");
    await page.getByLabel(/^Provider/).fill("no-such-provider");
    await page.getByRole("button", { name: "Generate" }).click();
    const refused = page.locator("#provider-error");
    await refused.waitFor();
    expect((await refused.innerText()).includes("no-such-provider"), `the message should name the provider: ${await refused.innerText()}`);
    expect(sent === 1 && new URL(page.url()).search === "", `one refused request and no job expected (${sent}, ${page.url()})`);
    expect(await page.locator("#temperature-error").count() === 0, "a valid temperature should have no error");
    expect(unexpected.length === 0, `the page reported errors: ${unexpected.join("; ")}`);
  });

  await test("studio: the Create character wizard generates two candidates, one is renamed and saved", async (page) => {
    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Studio" }).click();
    await page.getByRole("heading", { name: "Studio" }).waitFor();
    await page.getByRole("button", { name: "Create character" }).click();
    await page.getByRole("heading", { name: "Create character" }).waitFor();
    expect(new URL(page.url()).pathname === "/studio/create", `the wizard should be at /studio/create, got ${page.url()}`);

    await page.getByLabel(/^Theme/).fill("lighthouse keepers");
    await page.getByLabel(/^Audience/).fill("children who love the sea");
    await page.getByLabel("Role").selectOption("companion");
    await page.getByLabel("Candidates").fill("2");
    await page.locator("summary", { hasText: "Advanced" }).click();
    await page.getByLabel(/^Temperature/).fill("0.8");
    const queued = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/characters/generate"));
    await page.getByRole("button", { name: "Generate" }).click();
    const response = await queued;
    const job = await response.json();
    expect(response.status() === 202 && job.kind === "studio.generate_characters",
           `the generation should be queued as a job, got ${response.status()}: ${JSON.stringify(job)}`);
    expect(job.payload.temperature === 0.8 && job.payload.provider === "",
           `the temperature typed should be sent, and no provider: ${JSON.stringify(job.payload)}`);

    // The job is in the URL: a reload while it runs follows the same job, with the brief it was
    // queued with (two candidates, not the form's default three).
    await page.waitForURL(`**/studio/create?job=${job.id}`);
    const atReload = await callApi("GET", `/api/v1/jobs/${job.id}`, keys.studio);
    await page.reload();
    expect(!["succeeded", "failed", "cancelled"].includes(atReload.status),
           `the job should still run when the page reloads, so the reload tests a running job; it was ${atReload.status}`);
    await page.locator(".wizard-progress, .candidate").first().waitFor();
    if (await page.locator(".wizard-progress").count() > 0) {
      const heading = await page.locator(".wizard-progress h2").innerText();
      expect(heading === "Generating 2 candidates", `after the reload the wizard should follow the two-candidate job, got "${heading}"`);
    }

    // The job runs ten model steps; the cards come when it has succeeded.
    const cards = page.locator(".candidate");
    await cards.nth(1).waitFor({ timeout: 300000 });
    expect(await cards.count() === 2, `two candidate cards expected, got ${await cards.count()}`);
    for (let i = 0; i < 2; ++i) {
      const name = (await cards.nth(i).locator(".candidate-name").innerText()).trim();
      expect(name.length > 0 && name !== "(no name)", `candidate ${i + 1} should have a name, got "${name}"`);
    }
    const finished = await callApi("GET", `/api/v1/jobs/${job.id}`, keys.studio);
    expect(finished.status === "succeeded" && finished.progress === 1 && finished.result.candidates.length === 2,
           `the job should have succeeded with two candidates: ${JSON.stringify({ ...finished, result: undefined })}`);
    await page.screenshot({ path: join(outDir, "create_character_candidates.png"), fullPage: true });

    // A finished job's candidates come back from its URL too; Back to the brief shows the brief it
    // was queued with, and the browser's Back returns to the candidates.
    const names = await cards.locator(".candidate-name").allInnerTexts();
    await page.reload();
    await cards.nth(1).waitFor();
    const reloaded = await cards.locator(".candidate-name").allInnerTexts();
    expect(reloaded.join("|") === names.join("|"), `a reload should show the same candidates: ${names} then ${reloaded}`);
    await page.getByRole("button", { name: "Back to the brief" }).click();
    await page.waitForURL("**/studio/create");
    const theme = await page.getByLabel(/^Theme/).inputValue();
    expect(theme === "lighthouse keepers", `the brief should be the job's, got theme "${theme}"`);
    await page.goBack();
    await cards.nth(1).waitFor();

    await cards.first().getByRole("button", { name: /^Pick candidate 1/ }).click();
    await page.getByRole("navigation", { name: "Draft steps" }).waitFor();
    await checkPreviews(page, expect, finished.result.candidates[0].draft);
    await page.screenshot({ path: join(outDir, "create_character_previews.png"), fullPage: true });
    await page.getByRole("button", { name: /^1\. Concept/ }).click();
    const renamed = "Captain Wren Lumen";
    await page.getByLabel("Name", { exact: true }).fill(renamed);
    await page.getByRole("heading", { name: `Edit ${renamed}` }).waitFor();
    const marked = await page.locator(".step-tabs .pill", { hasText: "edited after" }).count();
    expect(marked === 4, `the four steps after the concept should say they were written before the edit, got ${marked}`);
    // The picture was drawn with the old name: still shown, marked stale; the voice spoke only the
    // first message, which did not change.
    await page.getByRole("button", { name: /^5\. Image/ }).click();
    await page.locator(".picture-preview figure.stale img.preview-picture").waitFor();
    await page.getByRole("button", { name: /^4\. Greetings/ }).click();
    await page.locator(".voice-preview audio.preview-voice").waitFor();
    expect(await page.locator(".voice-preview figure.stale").count() === 0, "renaming should not make the voice preview stale");
    await page.getByRole("button", { name: /^2\. Background/ }).click();
    await page.getByText("Concept was edited after this step was written").waitFor();
    await page.screenshot({ path: join(outDir, "create_character_edit.png"), fullPage: true });

    // Back to the candidates keeps the edit: the card says so, another candidate opens as generated,
    // and going back to the first shows the new name on the step that was open.
    await page.getByRole("button", { name: "Back to the candidates" }).click();
    await cards.first().locator(".pill", { hasText: /^edited$/ }).waitFor();
    await cards.nth(1).getByRole("button", { name: /^Pick candidate 2/ }).click();
    const second = await page.getByLabel("Name", { exact: true }).inputValue();
    const generatedName = String(finished.result.candidates[1].draft.steps.concept.name);
    expect(second === generatedName, `candidate 2 should open as generated ("${generatedName}"), got "${second}"`);
    await page.getByRole("button", { name: "Back to the candidates" }).click();
    await cards.first().getByRole("button", { name: /^Go on editing candidate 1/ }).click();
    await page.getByRole("heading", { name: `Edit ${renamed}` }).waitFor();
    await page.getByText("Concept was edited after this step was written").waitFor();
    await page.getByRole("button", { name: /^1\. Concept/ }).click();
    const kept = await page.getByLabel("Name", { exact: true }).inputValue();
    expect(kept === renamed, `the edit should be kept, got "${kept}"`);

    // A new generation would discard the edit: the wizard asks first, and No sends nothing.
    let generateCalls = 0;
    page.on("request", (request) => { if (request.url().endsWith("/api/v1/studio/characters/generate")) generateCalls += 1; });
    await page.getByRole("button", { name: "Back to the candidates" }).click();
    await page.getByRole("button", { name: "Back to the brief" }).click();
    let question = "";
    page.once("dialog", async (dialog) => { question = `${dialog.type()}: ${dialog.message()}`; await dialog.dismiss(); });
    await page.getByRole("button", { name: "Generate" }).click();
    await page.waitForFunction(() => true); // the dialog handler has run once the click returned
    expect(question.startsWith("confirm: ") && question.includes(`#1 (${renamed})`),
           `Generate should ask before discarding the edit to candidate 1, asked: "${question}"`);
    expect(generateCalls === 0 && new URL(page.url()).search === "", `declining should queue nothing (${generateCalls} requests, ${page.url()})`);
    await page.goBack();
    await cards.first().getByRole("button", { name: /^Go on editing candidate 1/ }).click();
    await page.getByRole("heading", { name: `Edit ${renamed}` }).waitFor();

    const saving = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/drafts"));
    await page.getByRole("button", { name: "Save as draft character" }).click();
    const saved = await saving;
    const character = await saved.json();
    expect(saved.status() === 201, `the draft should be saved, got ${saved.status()}: ${JSON.stringify(character)}`);
    await page.waitForURL(`**/studio/${character.id}`);
    await page.getByRole("heading", { level: 1, name: `Edit ${renamed}` }).waitFor();
    expect(await page.getByLabel("Name", { exact: true }).inputValue() === renamed, "the character page should show the new name");
    const stored = await callApi("GET", `/api/v1/characters/${character.id}`, keys.studio);
    expect(stored.name === renamed && stored.published === false,
           `the stored character should be the renamed, unpublished draft: ${stored.name}, published ${stored.published}`);
  });
}

// The previews of the draft as generated: on the image step a picture of the character described
// (busy while drawn, then decoded: the offline avatar draws 512 pixels), on the greetings step the
// first message spoken by espeak-ng, whose length the browser reads as the server's header says.
async function checkPreviews(page, expect, draft) {
  await page.getByRole("button", { name: /^5\. Image/ }).click();
  // Held until the busy button is seen, so the check waits on the page and not on the server's speed.
  let release;
  const held = new Promise((resolve) => { release = resolve; });
  await page.route("**/api/v1/studio/previews/picture", async (route) => { await held; await route.continue(); });
  const drawn = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/previews/picture"));
  await page.getByRole("button", { name: "Preview picture" }).click();
  const busy = page.getByRole("button", { name: "Drawing…" });
  await busy.waitFor();
  expect(await busy.isDisabled(), "the picture button should be disabled while the picture is drawn");
  release();
  const pictureAnswer = await drawn;
  await page.unroute("**/api/v1/studio/previews/picture");
  const sent = JSON.parse(pictureAnswer.request().postData());
  expect(pictureAnswer.status() === 200 && pictureAnswer.headers()["content-type"] === "image/png",
         `the picture preview should answer a PNG, got ${pictureAnswer.status()} ${pictureAnswer.headers()["content-type"]}`);
  expect(sent.prompt === String(draft.steps.image.prompt).trim() && sent.character.name === String(draft.steps.concept.name).trim() &&
         sent.character.description === String(draft.steps.background.backstory).trim(),
         `the picture preview should send the image prompt and the character: ${JSON.stringify(sent)}`);
  const picture = page.locator(".picture-preview img.preview-picture");
  await picture.waitFor();
  await page.waitForFunction((element) => element.complete, await picture.elementHandle());
  const width = await picture.evaluate((element) => element.naturalWidth);
  expect(width === 512, `the preview picture should decode at 512 pixels, naturalWidth ${width}`);
  const alt = await picture.getAttribute("alt");
  expect(alt === `Preview picture of ${String(draft.steps.concept.name).trim()}`, `the picture should say what it shows, alt "${alt}"`);

  await page.getByRole("button", { name: /^4\. Greetings/ }).click();
  const spoken = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/previews/voice"));
  await page.getByRole("button", { name: "Preview voice" }).click();
  const voiceAnswer = await spoken;
  const headerMs = Number(voiceAnswer.headers()["x-duration-ms"]);
  expect(voiceAnswer.status() === 200 && voiceAnswer.headers()["content-type"] === "audio/ogg" && headerMs > 0,
         `the voice preview should answer Ogg audio with its length, got ${voiceAnswer.status()} ${voiceAnswer.headers()["content-type"]} ${headerMs}`);
  expect(JSON.parse(voiceAnswer.request().postData()).text === String(draft.steps.greetings.first_message).trim(),
         "the voice preview should speak the first message");
  const audio = page.locator(".voice-preview audio.preview-voice");
  await audio.waitFor();
  // The browser has read the Ogg Opus file's header and knows its length.
  const duration = await audio.evaluate((element) => new Promise((resolve) => {
    const done = () => resolve(element.duration);
    if (element.readyState >= 1) return done();
    element.addEventListener("loadedmetadata", done, { once: true });
    element.addEventListener("error", () => resolve(-1), { once: true });
  }));
  expect(Number.isFinite(duration) && duration > 0, `the voice preview should have a duration, got ${duration}`);
  expect(Math.abs(duration * 1000 - headerMs) <= Math.max(100, headerMs * 0.05),
         `the browser's duration (${duration} s) should be close to X-Duration-Ms (${headerMs} ms)`);
  const shown = await page.locator(".voice-preview .preview-duration").innerText();
  expect(shown.endsWith(" s") || shown.includes(":"), `the voice preview should show its length, got "${shown}"`);
}
