import { expect, rows, test } from "./fixtures.mjs";

test("searches, sorts, edits and previews songs in the library", async ({ page, library, shot, toast }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/library");
  const songs = rows(page, "Songs");
  await expect(songs).toHaveCount(3);
  await page.getByLabel("Search songs").fill("evening");
  await expect(songs).toHaveCount(1);
  await page.getByLabel("Search songs").fill("");
  await expect(songs).toHaveCount(3);

  await page.getByRole("button", { name: "Title", exact: true }).click();
  await expect(page.getByRole("columnheader", { name: /Title/ })).toHaveAttribute("aria-sort", "ascending");
  await expect(songs.first().locator(".song-title")).toHaveText("Evening Waltz");

  await page.getByRole("button", { name: "Edit Evening Waltz — Other Artist" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit song" });
  await dialog.getByLabel("Artist").fill("The Other Band");
  await dialog.getByLabel("Tags").fill("test, waltz");
  await dialog.getByRole("button", { name: "Save" }).click();
  await toast("Saved “Evening Waltz — The Other Band”.");
  await expect(page.getByRole("cell", { name: "The Other Band", exact: true })).toBeVisible();

  await page.getByRole("button", { name: "Preview Morning Song — The Test Band" }).click();
  await expect(page.getByLabel("Audio preview of Morning Song — The Test Band")).toBeVisible();
  await shot("library");
});

test("every page fits a phone screen", async ({ page, library, shot }) => {
  const songs = await library.only(["original", "other", "cover"]);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/#/library");
  await expect(rows(page, "Songs")).toHaveCount(3);
  await page.getByRole("button", { name: "Menu" }).click();
  await expect(
    page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Map" }),
  ).toBeVisible();
  await page.getByRole("button", { name: "Menu" }).click();
  await shot("library-phone");

  for (const route of [
    "/",
    "/add",
    `/check?a=${songs.other.id}&b=${songs.original.id}`,
    `/rank?song=${songs.original.id}`,
    "/model",
    "/map",
  ]) {
    await page.goto(`/#${route}`);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await expect(page.locator(".loading")).toHaveCount(0);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `#${route} is wider than a phone screen`).toBeLessThanOrEqual(1);
  }
});
