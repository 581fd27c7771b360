// Once per run: the test tunes on a loopback file server, the real backend with a fresh data
// folder, and the check that the committed API types match the spec it serves. Tests get the
// addresses through E2E_* environment variables; the returned function stops everything.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { staleness } from "../scripts/gen-api.mjs";
import { writeTunes } from "./audio.mjs";
import { send, sendJson, startBackend, startFileServer, stopAll } from "./servers.mjs";

const frontend = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(frontend, "..");
export const OUT_DIR = join(frontend, "test-results");
const SHOT_DIR = join(OUT_DIR, "screenshots");
const SCREENSHOTS = ["home", "library", "add", "check", "rank", "model", "map", "library-phone"];

export default async function globalSetup() {
  if (!existsSync(join(frontend, "dist", "index.html")))
    throw new Error("dist/ is missing: run `npm run build` first.");
  rmSync(SHOT_DIR, { recursive: true, force: true });
  mkdirSync(SHOT_DIR, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), "coverscope-e2e-"));
  const teardown = async () => {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    const audioDir = join(work, "audio");
    mkdirSync(audioDir);
    const tunes = writeTunes(audioDir);
    const files = await startFileServer(audioDir);
    const csv = join(audioDir, "urls.csv");
    writeFileSync(csv, `url\n${files.url(tunes.original)}\n${files.url(tunes.other)}\n`);
    const logFile = join(OUT_DIR, "backend.log");
    rmSync(logFile, { force: true });
    const backend = await startBackend({
      coverscope: process.env.COVERSCOPE_BIN ?? join(repo, ".venv", "bin", "coverscope"),
      dataDir: join(work, "data"),
      frontendDir: join(frontend, "dist"),
      testSource: `127.0.0.1:${files.port}`,
      logFile,
    });
    // Sign in as a user would: the key `serve` created in its data folder, and the sign-in link
    // it printed, which carries the key in the fragment only.
    const key = readFileSync(join(work, "data", "api-key"), "utf8").trim();
    const signIn = `${backend.base}/#key=${key}`;
    if (!readFileSync(logFile, "utf8").split(/\s+/).includes(signIn))
      throw new Error(`serve did not print the sign-in link ${backend.base}/#key=…; see ${logFile}`);
    const anonymous = await send("PUT", `${backend.base}/api/model/threshold`, { threshold: 0.5 });
    if (anonymous.status !== 401) throw new Error(`an anonymous write answered ${anonymous.status}, not 401`);
    // The committed API types must match the spec this backend serves.
    const stale = await staleness(await sendJson("GET", `${backend.base}/api/openapi.json`));
    if (stale) throw new Error(stale);
    const model = await sendJson("GET", `${backend.base}/api/model`, undefined, key);

    process.env.E2E_BASE = backend.base;
    process.env.E2E_KEY = key;
    process.env.E2E_SIGN_IN = signIn;
    process.env.E2E_SHOT_DIR = SHOT_DIR;
    process.env.E2E_THRESHOLD = String(model.threshold);
    process.env.E2E_TUNES = JSON.stringify({
      originalUrl: files.url(tunes.original),
      otherUrl: files.url(tunes.other),
      coverFile: join(audioDir, tunes.cover),
      csv,
    });
  } catch (err) {
    await teardown();
    throw err;
  }
  return async () => {
    await teardown();
    if (process.env.UPDATE_SCREENSHOTS) {
      const target = join(repo, "docs", "screenshots");
      mkdirSync(target, { recursive: true });
      for (const name of SCREENSHOTS)
        copyFileSync(join(SHOT_DIR, `${name}.png`), join(target, `${name}.png`));
      console.log(`e2e: screenshots copied to ${target}`);
    }
  };
}
