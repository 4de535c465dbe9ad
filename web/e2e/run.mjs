// End-to-end tests of the web UI: a real `troupe serve` on loopback (SQLite, the local engine with
// the shared stories260K model) driven by Debian's Chromium through playwright-core, with a small
// HTTP server on loopback standing in for the operator's backend that Juno's tools call. Each test
// saves a screenshot under the output directory. Usage:
//   [TROUPE_E2E_ONLY=core,jobs] node e2e/run.mjs TROUPE_BINARY SHARED_DIR OUT_DIR
// Exits non-zero when a test fails; prints one line per test and a summary.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const [troupe, sharedArg, outDir] = process.argv.slice(2);
const shared = process.env.TROUPE_SHARED_DIR || sharedArg;
if (!troupe || !shared || !outDir) {
  console.error("usage: node e2e/run.mjs TROUPE_BINARY SHARED_DIR OUT_DIR");
  process.exit(2);
}
const browserPath = process.env.TROUPE_CHROMIUM || "/usr/bin/chromium";
const model = join(shared, "models/stories260K.gguf");
mkdirSync(outDir, { recursive: true });
const data = mkdtempSync(join(tmpdir(), "troupe-web-e2e-"));
// The token Juno's tools send to the backend (`${secret:BRIGHTWAVE_API_TOKEN}` in their headers).
const backendToken = "bw-e2e-token";
const env = { ...process.env, TROUPE_DATA: data, TROUPE_TOOLS_SECRET_BRIGHTWAVE_API_TOKEN: backendToken };

function cli(...args) {
  return execFileSync(troupe, args, { env, encoding: "utf8" }).trim();
}

// The server and its fixtures: example characters, a flow short enough for stories260K, keys.
cli("db", "migrate");
const lily = join(data, "lily.json");
writeFileSync(lily, JSON.stringify({
  spec: "chara_card_v2", spec_version: "2.0",
  data: { name: "Lily", description: "A girl who loves stories.", first_mes: "Hi! I am Lily. Want a story?",
          tags: ["stories", "friendly"],
          extensions: { troupe: { flow: "start: talk\nstages:\n  talk:\n    prompt: Tell stories.\n    sampling: {temperature: 0.8, max_tokens: 16}\n    reply: {split: none, typing_chars_per_second: 0}\n" } } },
}));
cli("characters", "import", "--publish", lily);
cli("characters", "import", "--publish", join(process.cwd(), "../examples/characters/pip_apprentice_wizard.json"));
const keys = {
  client: cli("keys", "create", "--scope", "client", "--name", "web-client"),
  studio: cli("keys", "create", "--scope", "studio", "--name", "web-studio"),
  agent: cli("keys", "create", "--scope", "agent", "--name", "web-agent"),
  admin: cli("keys", "create", "--scope", "admin", "--name", "web-admin"),
};

// The operator's backend, as Juno's tools reach it: her balance endpoint answers, anything else is
// a 404, and every request is kept so a failure can say what the tools asked for.
const backendRequests = [];
const backend = createServer((request, response) => {
  const authorized = request.headers.authorization === `Bearer ${backendToken}`;
  backendRequests.push(`${request.method} ${request.url}${authorized ? "" : " (without the token)"}`);
  const answer = (status, body) => {
    response.writeHead(status, { "Content-Type": "application/json" });
    response.end(JSON.stringify(body));
  };
  if (!authorized) return answer(401, { error: "missing or wrong token" });
  if (request.method === "GET" && /^\/v1\/customers\/[^/]+\/balance$/.test(request.url)) return answer(200, { balance: "12.50 EUR" });
  answer(404, { error: `no such endpoint: ${request.method} ${request.url}` });
});
await new Promise((resolve, reject) => {
  backend.once("error", (error) => reject(new Error(`the tools' backend could not listen on loopback: ${error.message}`)));
  backend.listen(0, "127.0.0.1", resolve);
});
const backendBase = `http://127.0.0.1:${backend.address().port}/v1`;

// TROUPE_E2E_WEB_DIR serves a web build from that directory instead of the binary's embedded copy,
// to test a UI built apart from the binary (`npm run build` writes web/dist).
const serveArgs = ["serve", "--listen", "127.0.0.1:0", "--model", model];
if (process.env.TROUPE_E2E_WEB_DIR) serveArgs.push("--web-dir", process.env.TROUPE_E2E_WEB_DIR);
const server = spawn(troupe, serveArgs, { env, stdio: ["ignore", "ignore", "pipe"] });
let serverLog = "";
const port = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`troupe serve did not start:\n${serverLog}`)), 20000);
  server.stderr.on("data", (chunk) => {
    serverLog += chunk;
    const match = /listening on 127\.0\.0\.1:(\d+)/.exec(serverLog);
    if (match) {
      clearTimeout(timer);
      resolve(Number(match[1]));
    }
  });
  server.on("exit", (code) => reject(new Error(`troupe serve exited (${code}):\n${serverLog}`)));
});
const base = `http://127.0.0.1:${port}`;

const browser = await chromium.launch({
  executablePath: browserPath,
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"],
});

const results = [];
async function test(name, body, viewport = { width: 1200, height: 850 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  page.setDefaultTimeout(20000);
  const problems = [];
  page.on("console", (message) => { if (message.type() === "error") problems.push(`console: ${message.text()}`); });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  const started = Date.now();
  let failure = null;
  try {
    await body(page);
    if (problems.length) throw new Error(`the page reported errors:\n  ${problems.join("\n  ")}`);
  } catch (error) {
    failure = error;
  }
  const shot = join(outDir, `${name.replace(/[^a-z0-9]+/gi, "_").toLowerCase()}.png`);
  await page.screenshot({ path: shot, fullPage: true }).catch(() => {});
  await context.close();
  results.push({ name, failure });
  console.log(`${failure ? "FAIL" : "ok  "} ${name} (${Date.now() - started} ms) screenshot: ${shot}`);
  if (failure) console.log(`     ${failure.stack || failure}`);
}

// TROUPE_E2E_ONLY=create_character,jobs runs only those area modules (web/e2e/<name>.mjs), "core"
// for the tests in this file: a quicker run while working on one area. Unset: everything.
const only = process.env.TROUPE_E2E_ONLY ? process.env.TROUPE_E2E_ONLY.split(",").map((name) => name.trim()) : null;
const coreTest = !only || only.includes("core") ? test : async () => {};

function expect(condition, message) {
  if (!condition) throw new Error(message);
}

async function signIn(page, key, endUser = "") {
  await page.goto(base + "/");
  await page.getByLabel("API key").fill(key);
  if (endUser) await page.getByLabel(/End user/).fill(endUser);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("button", { name: "Sign out" }).waitFor();
}

// A call of the API as a test's fixture: the parsed answer, or an error naming the call.
async function callApi(method, path, key, body, endUser = "") {
  const headers = { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (endUser) headers["X-Troupe-User"] = endUser;
  const response = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

// Juno (examples/characters/juno_telecom_support.json), published, with her tools on the loopback
// backend and the in-process classifier deciding every message (thresholds 0), so "what's my
// balance" routes to check_balance, whose tool_choice "required" makes the engine call get_balance.
async function createJuno() {
  const card = JSON.parse(readFileSync(join(process.cwd(), "../examples/characters/juno_telecom_support.json"), "utf8"));
  const troupe = card.data.extensions.troupe;
  for (const tool of troupe.tools) {
    tool.http.url = tool.http.url.replace("https://api.brightwave.example/v1", backendBase);
    tool.http.allow_private = true;
  }
  troupe.intents.routing = { classifier_threshold: 0.0, llm_threshold: 0.0 };
  const created = await callApi("POST", "/api/v1/characters", keys.admin, card);
  return callApi("PATCH", `/api/v1/characters/${created.id}`, keys.admin, { published: true, version: created.version });
}

async function waitForTurnToEnd(page) {
  await page.locator(".message.streaming, .message.typing").first().waitFor({ state: "detached" }).catch(() => {});
  await page.getByRole("button", { name: "Send" }).waitFor();
  await page.waitForFunction(() => !document.querySelector(".message.streaming"));
}

let conversationPath = "";
let junoConversation = 0;

await coreTest("chat: sign in, pick a character, stream a reply, swipe, rate", async (page) => {
  // The server's model shows before signing in, and after in the top bar (issue: readiness).
  await page.goto(base + "/");
  await page.locator(".server-model .model-status", { hasText: "tokens of context" }).waitFor();
  await signIn(page, keys.client, "tim");
  await page.getByRole("heading", { name: "Characters" }).waitFor();
  const status = await page.locator(".topbar .model-status").innerText();
  expect(/ · \d+k? tokens of context · [\d.]+ [KMG]?B/.test(status), `the top bar should describe the model, got: ${status}`);
  await page.getByLabel("Search characters").fill("lily");
  // Preact renders the filtered list on its next tick, not inside fill().
  await page.waitForFunction(() => document.querySelectorAll(".character-card").length === 1, null, { timeout: 20000 })
    .catch(() => {});
  expect(await page.locator(".character-card").count() === 1, "the search should leave Lily alone");
  await page.getByRole("button", { name: "Chat with Lily" }).click();
  await page.getByText("Hi! I am Lily. Want a story?").waitFor();
  conversationPath = new URL(page.url()).pathname;

  await page.getByLabel("Your message").fill("Tell me a story about a cat.");
  await page.getByLabel("Your message").press("Enter");
  await page.locator(".message.user", { hasText: "Tell me a story about a cat." }).waitFor();
  await waitForTurnToEnd(page);
  await page.locator(".message.assistant").nth(1).waitFor();
  const first = await page.locator(".message.assistant").nth(1).locator(".text").innerText();
  expect(first.trim().length > 0, "the reply should have text");

  await page.getByRole("button", { name: "Regenerate" }).click();
  await page.locator(".swipe-count", { hasText: "2/2" }).waitFor();
  await page.getByRole("button", { name: "Previous alternative" }).click();
  await page.locator(".swipe-count", { hasText: "1/2" }).waitFor();
  expect((await page.locator(".message.assistant").nth(1).locator(".text").innerText()) === first,
         "swiping back should show the first alternative");

  await page.getByRole("button", { name: "Good reply" }).last().click();
  await page.locator('button[aria-label="Good reply"][aria-pressed="true"]').waitFor();
  await page.getByRole("button", { name: "Comment" }).last().click();
  await page.getByLabel("Comment on this reply").fill("Lovely cat story");
  await page.getByLabel("Comment on this reply").press("Enter");
  await page.getByText("Thanks, your comment was sent.").waitFor();

  // The stage shows discreetly; a reload keeps the conversation (messages come from the server).
  await page.reload();
  await page.locator(".pill", { hasText: "talk" }).waitFor();
  await page.getByText("Tell me a story about a cat.").waitFor();
});

await coreTest("studio: import a card PNG, edit its flow with errors beside the field", async (page) => {
  await signIn(page, keys.studio);
  await page.getByRole("link", { name: "Studio" }).click();
  await page.getByRole("heading", { name: "Studio" }).waitFor();
  await page.getByLabel("Card file").setInputFiles(join(shared, "testdata/cards/v2_dr_light.png"));
  await page.getByText(/Imported /).waitFor();
  const name = (await page.getByText(/Imported /).innerText()).replace(/^Imported /, "").replace(/\.$/, "");
  await page.getByRole("link", { name }).click();
  await page.getByRole("heading", { name: `Edit ${name}` }).waitFor();

  const flow = page.getByLabel("Flow YAML");
  await flow.fill("start: hello\nstages:\n  hello:\n    prompt: Be kind.\n    transitions: [{to: nowhere, when: {messages_at_least: 3}}]\n");
  await page.locator("#flow-status.field-error").waitFor();
  expect((await page.locator("#flow-status").innerText()).includes("nowhere"), "the error should name the unknown stage");
  await flow.fill("start: hello\nstages:\n  hello:\n    prompt: Be kind.\n    transitions: [{to: friends, when: {messages_at_least: 3}}]\n  friends:\n    prompt: Be warm.\n");
  await page.locator("#flow-status", { hasText: "Valid: hello → friends" }).waitFor();

  await page.getByRole("button", { name: "Add entry" }).click();
  await page.getByLabel("Entry 1 keys").fill("lab, robots");
  await page.getByLabel("Entry 1 content").fill("The lab is full of friendly robots.");
  await page.getByRole("button", { name: "Save" }).click();
  await page.getByText("Saved.").waitFor();
  await page.reload();
  await page.locator("#flow-status", { hasText: "Valid: hello → friends" }).waitFor();
  expect((await page.getByLabel("Entry 1 keys").inputValue()).includes("robots"), "the lorebook entry should be stored");

  // Drag and drop: a V3 JSON card dropped on the studio imports too.
  await page.getByRole("link", { name: "Studio" }).click();
  const card = readFileSync(join(shared, "testdata/cards/v3_savannah_chen.json")).toString("base64");
  const dropped = await page.evaluateHandle((base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const transfer = new DataTransfer();
    transfer.items.add(new File([bytes], "savannah.json", { type: "application/json" }));
    return transfer;
  }, card);
  await page.dispatchEvent("section.studio", "drop", { dataTransfer: dropped });
  await page.getByText(/Imported Savannah/).waitFor();
  await page.getByRole("link", { name: name }).click();

  // The playground: chat with the draft before publishing.
  await page.getByRole("button", { name: "Try in playground" }).click();
  await page.getByLabel("Your message").waitFor();
});

await coreTest("agent: take over a conversation, reply as a human, hand back", async (page) => {
  expect(conversationPath, "the chat test should have made a conversation");
  const id = conversationPath.split("/").pop();
  await signIn(page, keys.agent);
  await page.getByRole("link", { name: "Agent console" }).click();
  await page.getByRole("link", { name: new RegExp(`#${id} `) }).first().click();
  await page.getByRole("button", { name: "Take over" }).click();
  await page.getByRole("heading", { name: /Waiting for a human 1/ }).waitFor();
  await page.getByLabel("Reply as a human agent").fill("Hello, I am Sam from support.");
  await page.getByRole("button", { name: "Send as agent" }).click();
  await page.locator(".message.agent", { hasText: "Hello, I am Sam from support." }).waitFor();
  await page.getByRole("button", { name: "Hand back to the character" }).click();
  await page.getByRole("button", { name: "Take over" }).waitFor();
});

await coreTest("chat: the agent's message is there, on a phone, in the dark theme", async (page) => {
  await signIn(page, keys.client, "tim");
  await page.goto(base + conversationPath);
  await page.locator(".message.agent", { hasText: "Hello, I am Sam from support." }).waitFor();
  await page.getByRole("button", { name: /Switch to dark theme/ }).click();
  // The page applies the theme after it renders: wait for it rather than read it at once.
  await page.waitForFunction(() => document.documentElement.dataset.theme === "dark");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
  expect(!overflow, "nothing should overflow a phone's width");
}, { width: 390, height: 844 });

await coreTest("chat: Juno checks the balance with her tool, and the reply shows it", async (page) => {
  const juno = await createJuno();
  junoConversation = (await callApi("POST", "/api/v1/conversations", keys.client, { character_id: juno.id }, "cust-7")).id;
  await signIn(page, keys.client, "cust-7");
  await page.goto(`${base}/chat/${junoConversation}`);
  await page.locator(".message.assistant", { hasText: "Juno from Brightwave" }).waitFor();
  await waitForTurnToEnd(page);

  // The turn's event stream, kept for the message of a failure.
  const turn = page.waitForResponse((r) => r.request().method() === "POST" && r.url().endsWith(`/conversations/${junoConversation}/messages`))
    .then((r) => r.text()).catch((error) => `(no stream: ${error.message})`);
  await page.getByLabel("Your message").fill("what's my balance");
  await page.getByLabel("Your message").press("Enter");
  await page.locator(".message.user", { hasText: "what's my balance" }).waitFor();
  const line = page.locator(".tool-line", { hasText: "get_balance" }).first();
  const seen = await line.waitFor().then(() => true, () => false);
  await waitForTurnToEnd(page);
  const explain = async () => `the backend saw: ${backendRequests.join(", ") || "no request"}\n     the turn's events:\n${await turn}`;
  expect(seen, `no tool activity line for get_balance appeared; ${await explain()}`);
  const text = await line.innerText();
  expect(/get_balance: ok/.test(text), `the tool line should say "get_balance: ok", got "${text}"; ${await explain()}`);
  expect(backendRequests.includes("GET /v1/customers/cust-7/balance"),
         `the backend should have answered GET /v1/customers/cust-7/balance; ${await explain()}`);
  // The line belongs to the stored reply: a reload shows it again.
  await page.reload();
  await page.locator(".message.assistant .tool-line", { hasText: "get_balance: ok" }).first().waitFor();
});

await coreTest("agent: tool calls across conversations and in the conversation", async (page) => {
  expect(junoConversation, "the Juno chat test should have made a conversation");
  await signIn(page, keys.agent);
  await page.getByRole("link", { name: "Agent console" }).click();
  const across = page.getByRole("table", { name: "Tool calls across conversations" });
  await page.getByLabel("Outcome").selectOption("ok");
  await page.getByLabel("Tool", { exact: true }).fill("get_balance");
  await across.locator(`tr[data-tool="get_balance"][data-outcome="ok"]`).first().waitFor();
  // Only what the filters ask for.
  await page.waitForFunction(() => [...document.querySelectorAll("table.tool-calls tbody tr")]
    .every((row) => row.dataset.tool === "get_balance" && row.dataset.outcome === "ok"));
  await page.screenshot({ path: join(outDir, "agent_tool_calls_across_conversations.png"), fullPage: true });

  await across.getByRole("link", { name: `#${junoConversation}` }).first().click();
  await page.getByRole("heading", { name: `Conversation #${junoConversation}` }).waitFor();
  const row = page.getByRole("table", { name: "Tool calls of this conversation" }).locator('tr[data-tool="get_balance"]').first();
  await row.waitFor();
  const outcome = await row.locator(".badge").innerText();
  expect(outcome === "ok", `the get_balance call's outcome should be ok, got "${outcome}"`);
  const cells = await row.innerText();
  expect(cells.includes("check_balance") && cells.includes("200"), `the row should show the intent and HTTP 200, got: ${cells}`);
});

await coreTest("sign-in: a wrong key gets a readable message", async (page) => {
  await page.goto(base + "/");
  // The 401 is expected here; Chromium logs every failed request, so this test listens itself.
  page.removeAllListeners("console");
  await page.getByLabel("API key").fill("not-a-real-key");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("alert").waitFor();
  expect(/key/i.test(await page.getByRole("alert").innerText()), "the message should mention the key");
});

// Each area's browser tests live in their own module (web/e2e/<area>.mjs) and get this harness.
const harness = { test, expect, signIn, callApi, createJuno, waitForTurnToEnd, keys, base, backendBase, backendRequests, cli, data,
                  troupe, model, env, outDir };
const areaModules = [
  new URL("./handoff.mjs", import.meta.url).href,
  new URL("./kpis.mjs", import.meta.url).href,
  new URL("./templates.mjs", import.meta.url).href,
  new URL("./segments.mjs", import.meta.url).href,
  new URL("./campaigns.mjs", import.meta.url).href,
  new URL("./first_run.mjs", import.meta.url).href,
  new URL("./analytics.mjs", import.meta.url).href,
  new URL("./create_character.mjs", import.meta.url).href,
  new URL("./flow_tools.mjs", import.meta.url).href,
  new URL("./jobs.mjs", import.meta.url).href,
  new URL("./experiments.mjs", import.meta.url).href,
  new URL("./predictions.mjs", import.meta.url).href,
  new URL("./topics.mjs", import.meta.url).href,
  new URL("./bias.mjs", import.meta.url).href,
  new URL("./reply_media.mjs", import.meta.url).href,
];
const selected = areaModules.filter((module) => !only || only.includes(module.split("/").pop().replace(/\.mjs$/, "")));
// A misspelt name would pass by running nothing: it fails the run instead.
const unknownSelection = only !== null && selected.length + (only.includes("core") ? 1 : 0) !== only.length;
if (unknownSelection) console.log(`TROUPE_E2E_ONLY names a module that does not exist: ${only.join(", ")}`);
for (const module of selected) await (await import(module)).default(harness);

await browser.close();
server.kill("SIGTERM");
await new Promise((resolve) => server.on("exit", resolve));
backend.closeAllConnections();
await new Promise((resolve) => backend.close(resolve));
rmSync(data, { recursive: true, force: true });
const failed = results.filter((r) => r.failure).length;
// A failure in the page often has its cause on the server: show what it logged last.
if (failed) console.log(`troupe serve's log, last lines:\n${serverLog.split("\n").slice(-400).join("\n")}`);
console.log(`${results.length - failed} of ${results.length} web UI tests passed`);
process.exit(failed || unknownSelection ? 1 : 0);
