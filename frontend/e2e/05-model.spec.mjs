import { expect, test } from "./fixtures.mjs";

test("previews a threshold on the curves and saves it", async ({ page, library, nav, shot, toast }) => {
  await library.only(["original", "other", "cover"]);
  await page.goto("/#/");
  await nav("Model");
  await expect(page.getByRole("heading", { name: "How the verdict is calibrated" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Decision threshold" })).toBeVisible();
  const slider = page.getByLabel("Threshold (fused score)");
  const before = await slider.inputValue();
  await slider.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
  await expect(slider).not.toHaveValue(before);
  await page.getByRole("button", { name: "Save threshold" }).click();
  await toast(/Threshold saved/);
  await shot("model");
});
