// What every browser test shares: the page (failing the test on any browser console error or
// page error), the library set up through the API, and a few helpers that select by role and
// label like a person would.
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { test as base, expect } from "@playwright/test";
import { sendJson } from "./servers.mjs";

export { expect };

export const JOB_TIMEOUT_MS = 240_000;

/** The test recordings (see global-setup.mjs) and the metadata each test starts from. */
export function tunes() {
  return JSON.parse(process.env.E2E_TUNES ?? "{}");
}

const SONGS = {
  original: { title: "Morning Song", artist: "The Test Band" },
  other: { title: "Evening Waltz", artist: "Other Artist" },
  cover: { title: "Morning Song (live in D)", artist: "" },
};

/** The library through the API: exactly the songs a test asks for, with their original metadata. */
class Library {
  constructor(baseUrl) {
    this.base = baseUrl;
  }

  call(method, path, body) {
    return sendJson(method, `${this.base}/api${path}`, body, process.env.E2E_KEY);
  }

  /** Which of the test songs `song` is, if any. */
  nameOf(song) {
    const t = tunes();
    if (song.url === t.originalUrl) return "original";
    if (song.url === t.otherUrl) return "other";
    if (song.source === "upload" && song.filename === basename(t.coverFile)) return "cover";
    return undefined;
  }

  add(name) {
    const t = tunes();
    if (name === "cover") {
      const form = new FormData();
      form.append("file", new Blob([readFileSync(t.coverFile)]), basename(t.coverFile));
      form.append("title", SONGS.cover.title);
      return this.call("POST", "/songs/upload", form);
    }
    const url = name === "original" ? t.originalUrl : t.otherUrl;
    return this.call("POST", "/songs", { url, ...SONGS[name] });
  }

  /**
   * Make the library hold exactly `names` (of "original", "other", "cover"), each with its
   * original title and artist, and the model's threshold as the backend started with.
   * Returns the songs by name.
   */
  async only(names) {
    await this.call("PUT", "/model/threshold", { threshold: Number(process.env.E2E_THRESHOLD) });
    const { items } = await this.call("GET", "/songs?per_page=100");
    const byName = {};
    const extra = [];
    for (const song of items) {
      const name = this.nameOf(song);
      if (name && names.includes(name)) byName[name] = song;
      else extra.push(song.id);
    }
    if (extra.length) await this.call("POST", "/songs/delete", { ids: extra });
    const missing = names.filter((n) => !byName[n]);
    const answers = await Promise.all(missing.map((n) => this.add(n)));
    for (const [i, answer] of answers.entries()) {
      if (answer.song) {
        byName[missing[i]] = answer.song;
        continue;
      }
      let job = answer.job;
      await expect
        .poll(
          async () => {
            job = await this.call("GET", `/jobs/${job.id}`);
            return job.status;
          },
          { message: `the ${missing[i]} song to be added`, timeout: JOB_TIMEOUT_MS, intervals: [500] },
        )
        .toMatch(/^(done|failed)$/);
      expect(job.error, `adding the ${missing[i]} song`).toBeNull();
      byName[missing[i]] = await this.call("GET", `/songs/${job.song_id}`);
    }
    let changed = extra.length > 0 || missing.length > 0;
    for (const name of names) {
      const { title, artist } = SONGS[name];
      const song = byName[name];
      if (song.title === title && song.artist === artist && !song.tags.length) continue;
      byName[name] = await this.call("PATCH", `/songs/${song.id}`, { title, artist, tags: [] });
      changed = true;
    }
    if (changed) await this.settle(names.length);
    return byName;
  }

  /**
   * Wait until the API's search index shows the last library change. Each API process keeps
   * its own snapshot and reloads it shortly after the library version moves (backend/search.py),
   * so ranks answered just after a write can miss it: wait for several answers in a row that
   * carry the newest version and `count` songs.
   */
  async settle(count) {
    let newest = -1;
    let streak = 0;
    await expect
      .poll(
        async () => {
          const { index } = await this.call("GET", "/stats");
          if (index.library_version > newest) [newest, streak] = [index.library_version, 0];
          streak = index.library_version === newest && index.songs === count ? streak + 1 : 0;
          return streak;
        },
        { message: "the search index to show the library change", timeout: 30_000, intervals: [100] },
      )
      .toBeGreaterThanOrEqual(4);
  }
}

export const test = base.extend({
  baseURL: async ({}, use) => use(process.env.E2E_BASE),

  page: async ({ page }, use) => {
    const problems = [];
    page.on("console", (msg) => {
      if (msg.type() !== "error") return;
      const at = msg.location().url;
      // A recent job whose song was deleted since: its card looks the song up, gets 404 and
      // shows the job's source instead. The browser logs the 404 all the same.
      if (/ 404 /.test(msg.text()) && /\/api\/songs\/[0-9a-f]+$/.test(at)) return;
      problems.push(`console error: ${msg.text()} at ${at}`);
    });
    page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
    // Signed in through the link `coverscope serve` printed: the UI keeps the key and takes
    // it out of the address bar.
    await page.goto(process.env.E2E_SIGN_IN);
    await expect(page).toHaveURL(`${process.env.E2E_BASE}/`);
    await use(page);
    expect(problems, "the browser reported errors").toEqual([]);
  },

  library: async ({}, use) => use(new Library(process.env.E2E_BASE)),

  /** Screenshot of the whole page (for docs/screenshots), once nothing is loading. */
  shot: async ({ page }, use) => {
    await use(async (name) => {
      await expect(page.locator(".loading")).toHaveCount(0);
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({
        path: join(process.env.E2E_SHOT_DIR, `${name}.png`),
        fullPage: true,
        animations: "disabled",
        style: ".toasts { display: none; }",
      });
    });
  },

  /** Click a link of the main navigation. */
  nav: async ({ page }, use) => {
    await use((name) => page.getByRole("navigation", { name: "Main" }).getByRole("link", { name }).click());
  },

  /** Wait for a toast with `text`. */
  toast: async ({ page }, use) => {
    await use((text) =>
      expect(page.getByRole("region", { name: "Notifications" }).getByText(text).first()).toBeVisible(),
    );
  },
});

/** The rows of a table, without the inline audio players. */
export function rows(page, tableName) {
  return page.getByRole("table", { name: tableName }).locator("tbody tr:not(.player-row)");
}
