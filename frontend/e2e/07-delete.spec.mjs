import { expect, rows, test } from "./fixtures.mjs";

test("deletes one song, then the rest, after confirming", async ({ page, library, toast }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/library");
  await expect(rows(page, "Songs")).toHaveCount(3);
  await page.getByRole("button", { name: "Delete Evening Waltz — Other Artist" }).click();
  await page.getByRole("dialog", { name: "Delete song?" }).getByRole("button", { name: "Delete" }).click();
  await toast("Deleted “Evening Waltz — Other Artist”.");
  await expect(rows(page, "Songs")).toHaveCount(2);
  await page.getByLabel("Select all songs on this page").check();
  await page.getByRole("button", { name: "Delete selected (2)" }).click();
  await page.getByRole("dialog", { name: "Delete 2 songs?" }).getByRole("button", { name: "Delete" }).click();
  await toast("Deleted 2 songs.");
  await expect(page.getByRole("heading", { name: "Your library is empty" })).toBeVisible();
});
