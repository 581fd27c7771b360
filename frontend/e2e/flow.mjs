// The user journey the e2e test walks through, selecting by role and label like a person would.
import { join } from "node:path";

const JOB_TIMEOUT_MS = 240_000;

let current = "start";
let since = Date.now();

function step(name) {
  const took = ((Date.now() - since) / 1000).toFixed(1);
  console.log(`e2e: ${name}  (previous step ${took} s)`);
  current = name;
  since = Date.now();
}

/** An error that stops `until` at once instead of being retried. */
class Fatal extends Error {}

/** Poll `check` until it returns a truthy value or fail with `what`. */
async function until(check, what, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      if (err instanceof Fatal) throw err;
      last = err;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : last})`);
}

async function rowCount(page, tableName) {
  return page.getByRole("table", { name: tableName }).locator("tbody tr:not(.player-row)").count();
}

export async function runFlow(context, options) {
  const page = context.pages()[0] ?? (await context.newPage());
  try {
    await journey(page, options);
  } catch (err) {
    await page
      .screenshot({ path: join(options.shotDir, "failure.png"), fullPage: true })
      .catch(() => undefined);
    err.message = `step "${current}" at ${page.url()}: ${err.message}`;
    throw err;
  }
}

async function journey(page, { base, shotDir, tunes }) {
  page.setDefaultTimeout(60_000); // generous: the machine is shared; a pass takes ~30 s
  const problems = [];
  page.on("console", (msg) => {
    if (msg.type() === "error") problems.push(`console error: ${msg.text()} at ${msg.location().url}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  const shot = async (name) => {
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.waitForTimeout(500); // let progress bars and transitions settle
    await page.screenshot({
      path: join(shotDir, `${name}.png`),
      fullPage: true,
      style: ".toasts { display: none; }",
    });
  };
  const nav = (name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).click();
  const toast = (text) =>
    page.getByRole("region", { name: "Notifications" }).getByText(text).first().waitFor();

  step("a new user sees the empty library");
  await page.goto(`${base}/#/library`);
  await page.getByRole("heading", { name: "Your library is empty" }).waitFor();

  step("add two songs by URL and one by upload");
  await nav("Add songs");
  await page.getByRole("heading", { name: "Add songs", level: 1 }).waitFor();
  for (const [url, title, artist] of [
    [tunes.original, "Morning Song", "The Test Band"],
    [tunes.other, "Evening Waltz", "Other Artist"],
  ]) {
    await page.getByLabel("YouTube URLs").fill(url);
    await page.getByLabel("Title (optional)").fill(title);
    await page.getByLabel("Artist (optional)").fill(artist);
    await page.getByRole("button", { name: "Add song" }).click();
    await until(
      async () => (await page.getByLabel("YouTube URLs").inputValue()) === "",
      "the URL form to clear",
    );
  }
  await page.getByLabel("Choose audio files").setInputFiles(tunes.coverFile);
  const bars = page.getByRole("progressbar");
  await until(async () => (await bars.count()) === 3, "three jobs");

  step("watch the jobs finish");
  await until(
    async () => {
      const failed = page.locator(".job-failed .job-error");
      if (await failed.count()) throw new Fatal(`a job failed: ${await failed.first().textContent()}`);
      const values = await bars.evaluateAll((els) => els.map((e) => e.getAttribute("aria-valuenow")));
      return (
        values.every((v) => v === "100") &&
        (await page.getByRole("link", { name: "Open song →" }).count()) === 3
      );
    },
    "all three jobs to finish",
    JOB_TIMEOUT_MS,
  );
  await shot("add");

  step("adding the same URLs again finds them in the library");
  await page.getByLabel("YouTube URLs").fill(`${tunes.original}\n${tunes.other}`);
  await page.getByRole("button", { name: "Add 2 songs" }).click();
  const existing = page.getByRole("region", { name: "Already in the library" });
  await until(
    async () => (await existing.getByRole("listitem").count()) === 2,
    "two songs already in the library",
  );
  await page.getByLabel("Import a CSV of URLs").setInputFiles(tunes.csv);
  await toast("urls.csv: 0 started, 2 already in the library, 0 not added.");

  step("rank the library against the original");
  await page
    .getByRole("listitem")
    .filter({ hasText: "morning-song" })
    .getByRole("link", { name: "Open song →" })
    .click();
  await page.getByRole("heading", { name: "Morning Song — The Test Band" }).waitFor();
  const ranked = page.getByRole("table", { name: "Ranked songs" });
  await ranked.waitFor();
  await until(async () => (await rowCount(page, "Ranked songs")) === 3, "two results and the threshold line");
  await page.getByRole("row", { name: "Cover threshold" }).waitFor();
  const order = await ranked.locator("tbody tr:not(.threshold-row) td:nth-child(2)").allTextContents();
  console.log(`e2e:   ranking: ${order.join(" | ")}`);
  await shot("rank");
  // click, not check(): the view re-renders on the URL change before a checked-state read.
  await page.getByLabel(/^Re-rank the top 10/).click();
  await until(() => page.url().includes("rerank=1"), "the re-rank option in the URL");
  await page.getByRole("row", { name: "Cover threshold" }).waitFor();
  await until(async () => (await rowCount(page, "Ranked songs")) === 3, "the re-ranked results");

  step("rank the library against an uploaded clip");
  await page.getByLabel("Upload a clip").setInputFiles(tunes.coverFile);
  await page.getByRole("heading", { name: /^Clip: / }).waitFor({ timeout: 90_000 });
  await until(
    async () => (await rowCount(page, "Ranked songs")) === 4,
    "three results and the threshold line",
  );
  await page.goBack();
  await page.getByRole("heading", { name: "Morning Song — The Test Band" }).waitFor();

  step("open the pair check from the rank view and see the explanation");
  await page.getByRole("link", { name: /^Compare with Morning Song \(live in D\)/ }).click();
  await page
    .getByRole("heading", { name: /Same song|Different songs/, level: 2 })
    .waitFor({ timeout: 90_000 });
  await until(
    () => page.locator(".similarity img").evaluate((img) => img.complete && img.naturalWidth > 0),
    "the cross-similarity image",
  );
  await page
    .getByRole("definition")
    .filter({ hasText: /semitone|same key/ })
    .waitFor();
  const verdict = await page.getByRole("heading", { level: 2 }).first().textContent();
  console.log(`e2e:   verdict: ${verdict}`);
  const playA = page.getByRole("button", { name: /^▶ Play A/ });
  if (await playA.count()) {
    await playA.first().click();
    await until(
      () => page.getByLabel(/^Player A/).evaluate((a) => !a.paused),
      "player A to play the matched passage",
    );
    await page.getByLabel(/^Player A/).evaluate((a) => a.pause());
  }
  await shot("check");

  step("pick a pair with the searchable pickers");
  await nav("Cover check");
  await page.getByRole("heading", { name: "Pick two songs to compare" }).waitFor();
  await page.getByRole("combobox", { name: "First song" }).fill("Evening");
  await page.getByRole("option", { name: "Evening Waltz — Other Artist" }).click();
  await page.getByRole("combobox", { name: "Second song" }).fill("Morning");
  await page.getByRole("option", { name: "Morning Song — The Test Band" }).click();
  await page
    .getByRole("heading", { name: /Same song|Different songs/, level: 2 })
    .waitFor({ timeout: 90_000 });

  step("search, sort, edit and preview in the library");
  await nav("Library");
  await until(async () => (await rowCount(page, "Songs")) === 3, "three songs in the library");
  await page.getByLabel("Search songs").fill("evening");
  await until(async () => (await rowCount(page, "Songs")) === 1, "search to narrow to one song");
  await page.getByLabel("Search songs").fill("");
  await until(async () => (await rowCount(page, "Songs")) === 3, "the search to clear");
  await page.getByRole("button", { name: "Title", exact: true }).click();
  await until(
    async () =>
      (await page.getByRole("columnheader", { name: /Title/ }).getAttribute("aria-sort")) === "ascending",
    "sorting by title",
  );
  await until(
    async () =>
      (await page.locator("table.songs tbody tr").first().locator(".song-title").textContent()) ===
      "Evening Waltz",
    "Evening Waltz first when sorted by title",
  );
  await page.getByRole("button", { name: "Edit Evening Waltz — Other Artist" }).click();
  const dialog = page.getByRole("dialog", { name: "Edit song" });
  await dialog.getByLabel("Artist").fill("The Other Band");
  await dialog.getByLabel("Tags").fill("test, waltz");
  await dialog.getByRole("button", { name: "Save" }).click();
  await toast("Saved “Evening Waltz — The Other Band”.");
  await page.getByRole("cell", { name: "The Other Band", exact: true }).waitFor();
  await page.getByRole("button", { name: "Preview Morning Song — The Test Band" }).click();
  await page.getByLabel("Audio preview of Morning Song — The Test Band").waitFor();
  await shot("library");

  step("the library on a phone");
  await page.setViewportSize({ width: 390, height: 844 });
  await page.getByRole("button", { name: "Hide player for Morning Song — The Test Band" }).click();
  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Map" }).waitFor();
  await page.getByRole("button", { name: "Menu" }).click();
  await shot("library-phone");

  step("every page fits a phone screen");
  const ids = await page.evaluate(() =>
    fetch("/api/songs?sort=title&order=asc")
      .then((r) => r.json())
      .then((p) => p.items.map((s) => s.id)),
  );
  for (const route of [
    "/",
    "/add",
    `/check?a=${ids[0]}&b=${ids[1]}`,
    `/rank?song=${ids[1]}`,
    "/model",
    "/map",
  ]) {
    await page.goto(`${base}/#${route}`);
    await page.getByRole("heading", { level: 1 }).waitFor();
    await page.waitForFunction(() => !document.querySelector(".loading"));
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    if (overflow > 1) throw new Error(`#${route} is ${overflow} px wider than a phone screen`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });

  step("model card: preview and save a threshold");
  await nav("Model");
  await page.getByRole("heading", { name: "Decision threshold" }).waitFor();
  const slider = page.getByLabel("Threshold (distance)");
  const before = await slider.inputValue();
  await slider.focus();
  for (let i = 0; i < 5; i++) await page.keyboard.press("ArrowRight");
  if ((await slider.inputValue()) === before) throw new Error("the threshold slider did not move");
  await page.getByRole("button", { name: "Save threshold" }).click();
  await toast(/Threshold saved/);
  await shot("model");

  step("map: click a point to open the song");
  await nav("Map");
  const map = page.getByRole("group", { name: "Embedding map" });
  await map.waitFor();
  await until(async () => (await map.getByRole("button").count()) === 3, "three points on the map");
  await shot("map");
  await map.getByRole("button", { name: /^Evening Waltz/ }).click();
  await page.getByRole("heading", { name: "Evening Waltz — The Other Band" }).waitFor();

  step("home shows the counts and recent jobs");
  await nav("Home");
  await page.getByRole("heading", { name: "Recent jobs" }).waitFor();
  await page.getByRole("definition").filter({ hasText: /^3$/ }).first().waitFor();
  await shot("home");

  step("delete one song, then the rest, with confirmation");
  await nav("Library");
  await until(async () => (await rowCount(page, "Songs")) === 3, "three songs");
  await page.getByRole("button", { name: "Delete Evening Waltz — The Other Band" }).click();
  await page.getByRole("dialog", { name: "Delete song?" }).getByRole("button", { name: "Delete" }).click();
  await toast("Deleted “Evening Waltz — The Other Band”.");
  await until(async () => (await rowCount(page, "Songs")) === 2, "two songs left");
  await page.getByLabel("Select all songs on this page").check();
  await page.getByRole("button", { name: "Delete selected (2)" }).click();
  await page.getByRole("dialog", { name: "Delete 2 songs?" }).getByRole("button", { name: "Delete" }).click();
  await toast("Deleted 2 songs.");
  await page.getByRole("heading", { name: "Your library is empty" }).waitFor();

  step("record a clip from the microphone");
  await nav("Add songs");
  await page.getByRole("button", { name: "● Start recording" }).click();
  await page.getByRole("button", { name: /Stop and add \(3 s\)/ }).waitFor({ timeout: 10_000 });
  await page.getByRole("button", { name: /Stop and add/ }).click();
  await until(
    async () => {
      const failed = page.locator(".job-failed .job-error");
      if (await failed.count())
        throw new Fatal(`the recording job failed: ${await failed.first().textContent()}`);
      return (await page.getByRole("link", { name: "Open song →" }).count()) === 1;
    },
    "the recording to be added",
    JOB_TIMEOUT_MS,
  );

  if (problems.length) throw new Error(`the browser reported errors:\n  ${problems.join("\n  ")}`);
}
