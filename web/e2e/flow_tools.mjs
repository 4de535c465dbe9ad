// The flow tools in the character editor, end to end on Pip (examples/characters, a minor with a
// flow of his own): "Optimize this flow" runs the server's job with the stories260K model (its
// words are gibberish, so only the structure is checked: a performance row per stage, at least one
// edit, a diff); then "Generate a flow" with 3 to 4 stages, preset for a minor from his card, and
// "Use this flow" leaves the field valid, the optimization stale (no Apply) and Optimize refused
// (the field is not the saved flow); with his flow back in the field, Apply puts flow_after there.
import { join } from "node:path";

export default async function ({ test, expect, signIn, callApi, keys, outDir }) {
  await test("studio: optimize a character's flow and apply it, then generate a flow and use it", async (page) => {
    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Studio" }).click();
    await page.getByRole("link", { name: "Pip Thistlewick" }).click();
    await page.getByRole("heading", { level: 1, name: "Edit Pip Thistlewick" }).waitFor();
    const flow = page.getByLabel("Flow YAML");
    const status = page.locator("#flow-status");
    await status.filter({ hasText: "Valid: " }).waitFor();
    const stages = (await status.innerText()).replace(/^Valid: /, "").split(" → ");
    const before = await flow.inputValue();

    // Optimize: the job's result draws a table, the edits and the diff.
    await page.locator("summary", { hasText: "Optimize this flow" }).click();
    await page.getByLabel("Max edits").fill("2");
    // Its Advanced part: a temperature out of range is caught before anything is sent.
    const optimizer = page.locator("details.flow-tool", { has: page.locator("summary", { hasText: "Optimize this flow" }) });
    await optimizer.locator("details.advanced summary").click();
    let sent = 0;
    page.on("request", (request) => { if (request.url().endsWith("/api/v1/studio/flows/optimize")) sent += 1; });
    await optimizer.getByLabel(/^Temperature/).fill("-1");
    await page.getByRole("button", { name: "Optimize", exact: true }).click();
    await page.locator("#optimize-temperature-error", { hasText: "from 0 to 2" }).waitFor();
    expect(sent === 0, "a bad temperature should send nothing");
    await optimizer.getByLabel(/^Temperature/).fill("0.5");
    const queued = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/flows/optimize"));
    await page.getByRole("button", { name: "Optimize", exact: true }).click();
    const response = await queued;
    const job = await response.json();
    expect(response.status() === 202 && job.kind === "studio.optimize_flow",
           `the optimization should be queued as a job, got ${response.status()}: ${JSON.stringify(job)}`);
    expect(job.payload.temperature === 0.5 && job.payload.max_edits === 2,
           `the temperature and edit count typed should be sent: ${JSON.stringify(job.payload)}`);
    await page.getByRole("button", { name: "Apply", exact: true }).waitFor({ timeout: 300000 });
    const finished = await callApi("GET", `/api/v1/jobs/${job.id}`, keys.studio);
    expect(finished.status === "succeeded", `the job should have succeeded: ${JSON.stringify({ ...finished, result: undefined })}`);
    const rows = await page.getByRole("table", { name: "Stage performance" }).locator("tbody tr").count();
    expect(rows === stages.length, `one performance row per stage (${stages.join(", ")}) expected, got ${rows}`);
    const edits = await page.locator(".flow-edit").count();
    expect(edits >= 1, `at least one edit expected, got ${edits}`);
    const changed = await page.locator(".diff-line.added, .diff-line.removed").count();
    expect(changed >= 1, "the diff should show at least one added or removed line");
    const prefixes = await page.locator(".diff-line.added").allInnerTexts();
    expect(prefixes.every((line) => line.startsWith("+")), "added lines should keep their + prefix");
    await page.screenshot({ path: join(outDir, "flow_tools_optimized.png"), fullPage: true });

    // The field is checked again once changed: wait for that check's answer, then for its line.
    const validStatus = async (checking) => {
      const check = await (await checking).json();
      expect(check.valid, `the flow in the field should be valid: ${JSON.stringify(check)}`);
      await status.filter({ hasText: `Valid: ${check.stages.join(" → ")}` }).waitFor();
      return check.stages;
    };
    const checkAnswer = () => page.waitForResponse((r) => r.url().endsWith("/api/v1/flows/check"));
    const apply = page.getByRole("button", { name: "Apply", exact: true });
    expect(await apply.isEnabled(), "Apply should be offered while the field holds the flow that was optimized");

    // Generate: a minor's card presets the checkbox; the generated flow passes his safety gate.
    await page.locator("summary", { hasText: "Generate a flow" }).click();
    expect(await page.getByLabel("For a minor").isChecked(), "Pip's card marks a minor: the checkbox should be preset");
    await page.getByLabel("Topic", { exact: true }).fill("a wizard's tower");
    await page.getByLabel("Goal", { exact: true }).fill("the visitor learns a first spell");
    await page.getByLabel("Fewest stages").fill("3");
    await page.getByLabel("Most stages").fill("4");
    const generating = page.waitForResponse((r) => r.url().endsWith("/api/v1/studio/flows/generate"));
    await page.getByRole("button", { name: "Generate flow" }).click();
    const generated = await generating;
    const generateJob = await generated.json();
    expect(generated.status() === 202 && generateJob.kind === "studio.generate_flow",
           `the generation should be queued as a job, got ${generated.status()}: ${JSON.stringify(generateJob)}`);
    await page.getByRole("button", { name: "Use this flow" }).waitFor({ timeout: 300000 });
    const yaml = await page.getByLabel("Generated flow").innerText();
    let checking = checkAnswer();
    await page.getByRole("button", { name: "Use this flow" }).click();
    const used = await flow.inputValue();
    expect(used.trim() === yaml.trim(), "Use this flow should put the generated YAML into the flow field");
    const count = (await validStatus(checking)).length;
    expect(count >= 3 && count <= 4, `the generated flow should have 3 to 4 stages, got ${count}: ${await status.innerText()}`);
    await page.screenshot({ path: join(outDir, "flow_tools_generated.png"), fullPage: true });

    // The optimization was made for Pip's flow, not the generated one: its Apply is no longer offered,
    // and Optimize refuses the field, since the server measures and edits the saved flow.
    await page.locator(".flow-fit.stale").waitFor();
    expect(await apply.isDisabled(), "Apply should be disabled once another flow is in the field");
    await page.locator(".flow-blocker", { hasText: "differs from the saved flow" }).waitFor();
    expect(await page.getByRole("button", { name: "Optimize", exact: true }).isDisabled(),
           "Optimize should refuse a field that differs from the saved flow");

    // With Pip's flow back in the field the proposal applies again, and Apply puts flow_after there.
    checking = checkAnswer();
    await flow.fill(before);
    await validStatus(checking);
    expect(await apply.isEnabled(), "Apply should be offered again once the field holds the optimized flow");
    expect(await page.locator(".flow-blocker").count() === 0, "the saved flow in the field should be optimizable");
    checking = checkAnswer();
    await apply.click();
    const applied = await flow.inputValue();
    expect(applied === finished.result.flow_after, "Apply should put flow_after into the flow field");
    expect(applied !== before, "the diff showed changes, so the field should hold another flow");
    await page.getByText("Applied to the flow field").waitFor();
    await validStatus(checking);
    expect(await page.getByRole("button", { name: "Applied", exact: true }).isDisabled(), "an applied proposal is not applied twice");
  });
}
