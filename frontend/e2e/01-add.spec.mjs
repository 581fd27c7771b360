import { JOB_TIMEOUT_MS, expect, test, tunes } from "./fixtures.mjs";

test("a new user sees the empty library and how to start", async ({ page, library }) => {
  await library.only([]);
  await page.goto("/#/library");
  await expect(page.getByRole("heading", { name: "Your library is empty" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Add your first songs" })).toBeVisible();
});

test("adds two songs by URL and one by upload and watches the jobs finish", async ({
  page,
  library,
  nav,
  shot,
}) => {
  await library.only([]);
  const t = tunes();
  await page.goto("/#/");
  await nav("Add songs");
  await expect(page.getByRole("heading", { name: "Add songs", level: 1 })).toBeVisible();
  for (const [url, title, artist] of [
    [t.originalUrl, "Morning Song", "The Test Band"],
    [t.otherUrl, "Evening Waltz", "Other Artist"],
  ]) {
    await page.getByLabel("YouTube URLs").fill(url);
    await page.getByLabel("Title (optional)").fill(title);
    await page.getByLabel("Artist (optional)").fill(artist);
    await page.getByRole("button", { name: "Add song" }).click();
    await expect(page.getByLabel("YouTube URLs")).toHaveValue("");
  }
  await page.getByLabel("Choose audio files").setInputFiles(t.coverFile);
  await expect(page.getByRole("progressbar")).toHaveCount(3);

  // Every job ends done or failed; then none may have failed.
  const ended = page.locator(".job-done, .job-failed");
  await expect(ended).toHaveCount(3, { timeout: JOB_TIMEOUT_MS });
  await expect(page.locator(".job-failed .job-error")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Open song →" })).toHaveCount(3);
  for (const bar of await page.getByRole("progressbar").all())
    await expect(bar).toHaveAttribute("aria-valuenow", "100");
  await shot("add");
});

test("adding songs already in the library lists them instead", async ({ page, library, toast }) => {
  await library.only(["original", "other", "cover"]);
  const t = tunes();
  await page.goto("/#/add");
  await page.getByLabel("YouTube URLs").fill(`${t.originalUrl}\n${t.otherUrl}`);
  await page.getByRole("button", { name: "Add 2 songs" }).click();
  const existing = page.getByRole("region", { name: "Already in the library" });
  await expect(existing.getByRole("listitem")).toHaveCount(2);
  await page.getByLabel("Import a CSV of URLs").setInputFiles(t.csv);
  await toast("urls.csv: 0 started, 2 already in the library, 0 not added.");
});

test("records a clip from the microphone", async ({ page }) => {
  await page.goto("/#/add");
  await page.getByRole("button", { name: "● Start recording" }).click();
  await page.getByRole("button", { name: /Stop and add \(3 s\)/ }).click({ timeout: 10_000 });
  const job = page.getByRole("listitem").filter({ has: page.getByRole("progressbar") });
  await expect(page.locator(".job-done, .job-failed")).toHaveCount(1, { timeout: JOB_TIMEOUT_MS });
  await expect(job.locator(".job-error")).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Open song →" })).toHaveCount(1);
});
