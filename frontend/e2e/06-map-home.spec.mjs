import { expect, test } from "./fixtures.mjs";

test("the map opens a song when a point is clicked", async ({ page, library, nav, shot }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/");
  await nav("Map");
  const map = page.getByRole("group", { name: "Embedding map" });
  await expect(map.getByRole("button")).toHaveCount(3);
  await shot("map");
  await map.getByRole("button", { name: /^Evening Waltz/ }).click();
  await expect(page.getByRole("heading", { name: "Evening Waltz — Other Artist" })).toBeVisible();
});

test("home shows the counts and the recent jobs", async ({ page, library, nav, shot }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/map");
  await nav("Home");
  await expect(page.getByRole("heading", { name: "Recent jobs" })).toBeVisible();
  const counts = page.getByRole("definition");
  await expect(counts.filter({ hasText: /^3$/ }).first()).toBeVisible();
  await shot("home");
});
