// End-to-end test: the built UI, served by the real backend on embedded defaults, driven in
// Debian chromium with playwright-core. Fails on any browser console error or page error.
//
//   node e2e/run.mjs                      # needs `npm run build` and ../.venv (make setup)
//   UPDATE_SCREENSHOTS=1 node e2e/run.mjs # also copies the screenshots to docs/screenshots/
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { writeTunes } from "./audio.mjs";
import { startBackend, startFileServer, stopAll } from "./servers.mjs";
import { runFlow } from "./flow.mjs";
import { staleness } from "../scripts/gen-api.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const frontend = resolve(here, "..");
const repo = resolve(frontend, "..");
const outDir = join(frontend, "test-results");
const shotDir = join(outDir, "screenshots");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

async function main() {
  if (!existsSync(join(frontend, "dist", "index.html")))
    throw new Error("dist/ is missing: run `npm run build` first.");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(shotDir, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "coverscope-e2e-"));
  const audioDir = join(work, "audio");
  mkdirSync(audioDir);
  let context;
  const started = Date.now();
  try {
    const tunes = writeTunes(audioDir);
    const files = await startFileServer(audioDir);
    const csv = join(audioDir, "urls.csv");
    writeFileSync(csv, `url\n${files.url(tunes.original)}\n${files.url(tunes.other)}\n`);
    console.log("e2e: starting the backend…");
    const backend = await startBackend({
      coverscope: process.env.COVERSCOPE_BIN ?? join(repo, ".venv", "bin", "coverscope"),
      dataDir: join(work, "data"),
      frontendDir: join(frontend, "dist"),
      testSource: `127.0.0.1:${files.port}`,
      logFile: join(outDir, "backend.log"),
    });
    console.log(
      `e2e: backend healthy at ${backend.base} after ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );

    // The committed API types must match the spec this backend serves.
    const stale = await staleness(await (await fetch(`${backend.base}/api/openapi.json`)).json());
    if (stale) throw new Error(stale);

    context = await chromium.launchPersistentContext(join(work, "profile"), {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--headless",
        "--disable-gpu",
        "--disable-quic",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--autoplay-policy=no-user-gesture-required",
        // A synthetic microphone (a beeping tone) for the recorder, granted without a prompt.
        "--use-fake-device-for-media-stream",
        "--use-fake-ui-for-media-stream",
      ],
      viewport: { width: 1280, height: 860 },
      permissions: ["microphone"],
    });
    await runFlow(context, {
      base: backend.base,
      shotDir,
      tunes: {
        original: files.url(tunes.original),
        other: files.url(tunes.other),
        coverFile: join(audioDir, tunes.cover),
        csv,
      },
    });

    if (process.env.UPDATE_SCREENSHOTS) {
      const target = join(repo, "docs", "screenshots");
      mkdirSync(target, { recursive: true });
      for (const name of ["home", "library", "add", "check", "rank", "model", "map", "library-phone"]) {
        copyFileSync(join(shotDir, `${name}.png`), join(target, `${name}.png`));
      }
      console.log(`e2e: screenshots copied to ${target}`);
    }
    console.log(`e2e: passed in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshots in ${shotDir}`);
  } finally {
    await context?.close().catch(() => undefined);
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => stopAll().finally(() => process.exit(130)));
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(`e2e: FAILED: ${err?.stack ?? err}`);
    console.error(`e2e: backend log and screenshots in ${outDir}`);
    process.exit(1);
  },
);
