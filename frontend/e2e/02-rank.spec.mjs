import { expect, rows, test, tunes } from "./fixtures.mjs";

test("ranks the library against a song, then re-ranks by alignment", async ({ page, library, shot }) => {
  const songs = await library.only(["original", "other", "cover"]);
  await page.goto(`/#/rank?song=${songs.original.id}`);
  await expect(page.getByRole("heading", { name: "Morning Song — The Test Band" })).toBeVisible();
  await expect(rows(page, "Ranked songs")).toHaveCount(3); // two results and the threshold line
  await expect(page.getByRole("row", { name: "Cover threshold" })).toBeVisible();
  const order = await rows(page, "Ranked songs").locator("td:nth-child(2)").allTextContents();
  console.log(`e2e: ranking: ${order.join(" | ")}`);
  await shot("rank");

  // click, not check(): the view re-renders on the URL change before a checked-state read.
  await page.getByLabel(/^Re-rank the top 5 /).click();
  await expect(page).toHaveURL(/rerank=1/);
  await expect(page.getByRole("row", { name: "Cover threshold" })).toBeVisible();
  await expect(rows(page, "Ranked songs")).toHaveCount(3);
});

test("ranks the library against an uploaded clip", async ({ page, library }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/rank");
  await expect(page.getByRole("heading", { name: "Pick a song or upload a clip" })).toBeVisible();
  await page.getByLabel("Upload a clip").setInputFiles(tunes().coverFile);
  await expect(page.getByRole("heading", { name: /^Clip: / })).toBeVisible({ timeout: 90_000 });
  await expect(rows(page, "Ranked songs")).toHaveCount(4); // three results and the threshold line
});
