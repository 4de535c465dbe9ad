// Voice messages and pictures in replies: a character whose stage sends every reply as a voice
// message with a picture (espeak-ng and the offline avatar, troupe serve's defaults); in the chat
// page the reply's audio loads with a positive duration, its transcript shows under it, and the
// picture decodes.
export default async function ({ test, expect, signIn, callApi, waitForTurnToEnd, keys, base }) {
  await test("reply media: a stage's voice message plays in the chat with its transcript, and its picture shows", async (page) => {
    const flow = "stages:\n  talk:\n    prompt: Tell stories.\n    sampling: {temperature: 0, max_tokens: 16}\n" +
                 "    reply: {split: none, typing_chars_per_second: 0}\n" +
                 "    voice: {share: 1, voice: en-us, words_per_minute: 175}\n" +
                 "    pictures: {share: 1, prompt: \"{{char}} smiling\"}\n";
    const card = { spec: "chara_card_v2", spec_version: "2.0",
                   data: { name: "Vera Voice", description: "A storyteller who sends voice notes.", personality: "warm, playful",
                           extensions: { troupe: { flow } } } };
    const created = await callApi("POST", "/api/v1/characters", keys.admin, card);
    await callApi("PATCH", `/api/v1/characters/${created.id}`, keys.admin, { published: true, version: created.version });
    const conversation = (await callApi("POST", "/api/v1/conversations", keys.client, { character_id: created.id }, "media-user")).id;

    await signIn(page, keys.client, "media-user");
    await page.goto(`${base}/chat/${conversation}`);
    await page.getByRole("heading", { name: "Vera Voice" }).waitFor();
    const served = [];
    page.on("response", (r) => { if (/\/media\/\d+$/.test(r.url())) served.push(`${r.status()} ${r.headers()["content-type"]}`); });
    await page.getByLabel("Your message").fill("Tell me a story about a fox.");
    await page.getByLabel("Your message").press("Enter");
    await page.locator(".message.user", { hasText: "Tell me a story about a fox." }).waitFor();
    await waitForTurnToEnd(page);

    const reply = page.locator(".message.assistant").last();
    const audio = reply.locator("audio.voice-message");
    await audio.waitFor();
    // The browser has read the Ogg Opus file's header and knows its length.
    const duration = await audio.evaluate((element) => new Promise((resolve) => {
      const done = () => resolve(element.duration);
      if (element.readyState >= 1) return done();
      element.addEventListener("loadedmetadata", done, { once: true });
      element.addEventListener("error", () => resolve(-1), { once: true });
    }));
    expect(Number.isFinite(duration) && duration > 0, `the voice message should have a duration, got ${duration}`);
    const transcript = await reply.locator(".transcript").innerText();
    expect(transcript.startsWith("Transcript:") && transcript.length > "Transcript: ".length,
           `the transcript should show under the audio, got: ${transcript}`);

    const picture = reply.locator("img.reply-picture");
    await picture.waitFor();
    await page.waitForFunction((element) => element.complete, await picture.elementHandle());
    const width = await picture.evaluate((element) => element.naturalWidth);
    expect(width > 0, `the picture should decode, naturalWidth ${width}`);
    expect(served.includes("200 audio/ogg") && served.includes("200 image/png"),
           `the media route should serve audio/ogg and image/png, got: ${served.join(", ")}`);

    // Stored: a reload shows the same voice message and picture from the message's metadata.
    await page.reload();
    await page.locator(".message.assistant audio.voice-message").last().waitFor();
    await page.locator(".message.assistant img.reply-picture").last().waitFor();
  });
}
