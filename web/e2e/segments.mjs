// Customers in the browser: a studio key imports a profiles CSV through the file picker, sees the
// report with the line it left out, creates a rule segment and applies it (the member count shows
// in the list), and runs k-means, whose clusters' sizes and centroids show in a table.
import { writeFileSync } from "node:fs";
import { join } from "node:path";

export default async function (h) {
  const { expect, signIn, callApi, keys, data } = h;

  await h.test("customers: import profiles, apply a rule segment, run k-means", async (page) => {
    const rows = ["external_id,display_name,spend,visits"];
    for (let i = 0; i < 5; i++) rows.push(`low-${i},Low ${i},${10 + i},1`);
    for (let i = 0; i < 3; i++) rows.push(`high-${i},High ${i},${1000 + i},30`);
    rows.push("broken,Broken,lots,2");
    const csv = join(data, "profiles.csv");
    writeFileSync(csv, rows.join("\n") + "\n");

    await signIn(page, keys.studio);
    await page.getByRole("link", { name: "Customers" }).click();
    await page.getByRole("heading", { name: "Customers" }).waitFor();
    await page.getByLabel("Profiles CSV").setInputFiles(csv);
    const report = page.getByRole("status", { name: "Import report" });
    await report.waitFor();
    const text = await report.innerText();
    expect(text.includes("8 created") && text.includes("1 left out"), `the import report should count the lines, got: ${text}`);
    expect(text.includes("line 10: column spend: 'lots' is not a number"), `the report should name the bad line, got: ${text}`);

    const rule = page.getByRole("form", { name: "New rule segment" });
    await rule.getByLabel("Name").fill("big-spenders");
    await rule.getByLabel("Field", { exact: true }).fill("monetary");
    await rule.getByLabel("Operator").selectOption(">=");
    await rule.getByLabel("Value").fill("500");
    await rule.getByLabel(/Monetary field/).fill("spend");
    await rule.getByRole("button", { name: "Create" }).click();
    const row = page.locator('tr[data-segment="big-spenders"]');
    await row.waitFor();
    await row.getByRole("button", { name: "Apply" }).click();
    // Users of other tests are evaluated too; none of them has a spend.
    await page.getByText(/Applied big-spenders: 3 members of \d+ users/).waitFor();
    await page.waitForFunction(() => document.querySelector('tr[data-segment="big-spenders"] .members')?.textContent === "3");
    const members = await callApi("GET", "/api/v1/segments/big-spenders/members", keys.admin);
    expect(members.data.every((user) => user.external_id.startsWith("high-")), "only the big spenders should be members");

    const kmeans = page.getByRole("form", { name: "New k-means segment" });
    await kmeans.getByLabel("Name").fill("tier");
    await kmeans.getByLabel(/Fields/).fill("spend, visits");
    await kmeans.getByLabel("k", { exact: true }).fill("2");
    await kmeans.getByRole("button", { name: "Run k-means" }).click();
    const clusters = page.getByRole("table", { name: "Clusters" });
    await clusters.waitFor();
    const first = await clusters.locator('tr[data-cluster="tier-1"] .size').innerText();
    const second = await clusters.locator('tr[data-cluster="tier-2"] .size').innerText();
    expect(first === "5" && second === "3", `the clusters should hold 5 and 3 users, got ${first} and ${second}`);
    const centroid = await clusters.locator('tr[data-cluster="tier-2"]').innerText();
    expect(centroid.includes("1001") && centroid.includes("30"), `tier-2's centroid should be (1001, 30), got: ${centroid}`);
    await page.locator('tr[data-segment="tier-1"]').waitFor();
  });
}
