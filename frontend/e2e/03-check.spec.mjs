import { expect, test } from "./fixtures.mjs";

const VERDICT = { name: /Same song|Different songs/, level: 2 };

test("opens the pair check from the rank view and explains the verdict", async ({ page, library, shot }) => {
  const songs = await library.only(["original", "other", "cover"]);
  await page.goto(`/#/rank?song=${songs.original.id}`);
  await page.getByRole("link", { name: /^Compare with Morning Song \(live in D\)/ }).click();
  await expect(page.getByRole("heading", VERDICT)).toBeVisible({ timeout: 90_000 });
  await expect
    .poll(() => page.locator(".similarity img").evaluate((img) => img.complete && img.naturalWidth > 0))
    .toBe(true);
  await expect(page.getByRole("definition").filter({ hasText: /semitone|same key/ })).toBeVisible();
  // The evidence: one bar per scorer component, then the fused score against the threshold.
  const evidence = page.getByRole("region", { name: "Evidence" });
  await expect(evidence.getByRole("listitem", { name: /^Harmony \(chroma alignment\): / })).toBeVisible();
  await expect(evidence.getByRole("listitem", { name: /^Fused score: / })).toBeVisible();
  const report = page.getByRole("link", { name: "Printable report" });
  await expect(report).toHaveAttribute("target", "_blank");
  const answer = await page.request.get(await report.getAttribute("href"));
  expect(answer.ok()).toBe(true);
  expect(answer.headers()["content-type"]).toContain("text/html");
  console.log(`e2e: verdict: ${await page.getByRole("heading", VERDICT).textContent()}`);
  const playA = page.getByRole("button", { name: /^▶ Play A/ });
  if (await playA.count()) {
    await playA.first().click();
    const player = page.getByLabel(/^Player A/);
    await expect.poll(() => player.evaluate((a) => !a.paused)).toBe(true);
    await player.evaluate((a) => a.pause());
  }
  await shot("check");
});

test("picks a pair with the searchable pickers", async ({ page, library, nav }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/");
  await nav("Cover check");
  await expect(page.getByRole("heading", { name: "Pick two songs to compare" })).toBeVisible();
  await page.getByRole("combobox", { name: "First song" }).fill("Evening");
  await page.getByRole("option", { name: "Evening Waltz — Other Artist" }).click();
  await page.getByRole("combobox", { name: "Second song" }).fill("Morning");
  await page.getByRole("option", { name: "Morning Song — The Test Band" }).click();
  await expect(page.getByRole("heading", VERDICT)).toBeVisible({ timeout: 90_000 });
});
