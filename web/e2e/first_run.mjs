// The first run: `troupe serve` on a new data directory publishes the three example characters, and
// the gallery shows them with their descriptions' {{char}}/{{user}} macros expanded. Its own server,
// since the shared one's store has characters imported before its first start (and so no examples).
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

function firstRunPort(server) {
  let log = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`troupe serve did not start:\n${log}`)), 20000);
    server.stderr.on("data", (chunk) => {
      log += chunk;
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    server.on("exit", (code) => reject(new Error(`troupe serve exited (${code}):\n${log}`)));
  });
}

export default async function ({ test, expect, troupe }) {
  await test("first run: a new server's gallery shows the three examples, macros expanded", async (page) => {
    const data = mkdtempSync(join(tmpdir(), "troupe-web-first-run-"));
    const env = { ...process.env, TROUPE_DATA: data };
    delete env.TROUPE_EXAMPLES_INSTALL;
    const server = spawn(troupe, ["serve", "--listen", "127.0.0.1:0"], { env, stdio: ["ignore", "ignore", "pipe"] });
    try {
      const base = `http://127.0.0.1:${await firstRunPort(server)}`;
      const key = execFileSync(troupe, ["keys", "create", "--scope", "client", "--name", "first-run"],
                               { env, encoding: "utf8" }).trim();
      await page.goto(base + "/");
      await page.getByLabel("API key").fill(key);
      await page.getByLabel(/End user/).fill("newcomer");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Characters" }).waitFor();
      await page.waitForFunction(() => document.querySelectorAll(".character-card").length >= 3);
      const names = (await page.locator(".character-card h2").allInnerTexts()).sort();
      expect(JSON.stringify(names) === JSON.stringify(["Dr. Maren Holt", "Juno", "Pip Thistlewick"]),
             `the gallery should show the three examples, got ${JSON.stringify(names)}`);
      const descriptions = await page.locator(".character-card .description").allInnerTexts();
      expect(descriptions.every((text) => !text.includes("{{")), `no macro should be left: ${JSON.stringify(descriptions)}`);
      expect(descriptions.some((text) => text.startsWith("Pip Thistlewick is an eleven-year-old")),
             `Pip's description should name him: ${JSON.stringify(descriptions)}`);
    } finally {
      const exited = new Promise((resolve) => server.on("exit", resolve));
      server.kill("SIGTERM");
      await exited;
      rmSync(data, { recursive: true, force: true });
    }
  });
}
