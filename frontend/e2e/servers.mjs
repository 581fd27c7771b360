// The processes the browser test needs: a loopback file server (the "test source") and the
// real Coverscope backend on embedded defaults. Both are killed by `stopAll`, even on failure.
import { spawn } from "node:child_process";
import { createReadStream, existsSync, openSync, statSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";

const children = [];
const servers = [];

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createNetServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

/** Serve files from `dir` over plain HTTP on loopback, with Range support for downloaders. */
export async function startFileServer(dir) {
  const port = await freePort();
  const server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url, "http://x").pathname.slice(1));
    const path = join(dir, name);
    if (name.includes("..") || !existsSync(path)) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(path).size;
    const headers = { "Content-Type": "audio/wav", "Accept-Ranges": "bytes" };
    const range = /bytes=(\d*)-(\d*)/.exec(req.headers.range ?? "");
    if (range) {
      const start = range[1] ? Number(range[1]) : 0;
      const end = range[2] ? Number(range[2]) : size - 1;
      res.writeHead(206, {
        ...headers,
        "Content-Range": `bytes ${start}-${end}/${size}`,
        "Content-Length": end - start + 1,
      });
      if (req.method === "HEAD") return res.end();
      createReadStream(path, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { ...headers, "Content-Length": size });
    if (req.method === "HEAD") return res.end();
    createReadStream(path).pipe(res);
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  servers.push(server);
  return { port, url: (name) => `http://127.0.0.1:${port}/${encodeURIComponent(name)}` };
}

/** Start `coverscope serve` with a fresh data folder; resolves once `/api/health` is ok. */
export async function startBackend({
  coverscope,
  dataDir,
  frontendDir,
  testSource,
  logFile,
  timeoutMs = 180_000,
}) {
  if (!existsSync(coverscope)) throw new Error(`${coverscope} not found: run 'make setup' first.`);
  const port = await freePort();
  const log = openSync(logFile, "a");
  // Embedded defaults: no external database, bucket, queue or API key from the caller's shell:
  // `serve` creates the key in the data folder, as on a fresh install.
  const env = { ...process.env };
  for (const name of [
    "MONGODB_URI",
    "FEATURE_STORE",
    "REDIS_URL",
    "API_KEY",
    "PRIVATE_READS",
    "COVERSCOPE_DATA_DIR",
    "MODEL_PATH",
  ]) {
    delete env[name];
  }
  const child = spawn(coverscope, ["serve", "--port", String(port), "--data-dir", dataDir], {
    env: {
      ...env,
      COVERSCOPE_TEST_SOURCE: testSource,
      COVERSCOPE_FRONTEND_DIR: frontendDir,
      JOB_RETRIES: "0",
    },
    stdio: ["ignore", log, log],
    detached: true, // its own process group, so workers die with it
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the backend exited with ${child.exitCode}; see ${logFile}`);
    try {
      const res = await fetch(`${base}/api/health`);
      if (res.ok) return { base, port };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the backend did not become healthy within ${timeoutMs / 1000} s; see ${logFile}`);
}

export async function stopAll() {
  for (const server of servers.splice(0)) server.close();
  for (const child of children.splice(0)) {
    if (child.exitCode !== null) continue;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      // already gone
    }
    const exited = await Promise.race([
      new Promise((r) => child.once("exit", () => r(true))),
      new Promise((r) => setTimeout(() => r(false), 5000)),
    ]);
    if (!exited) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

/**
 * One HTTP request on a connection of its own (`Connection: close`). Node's fetch reuses
 * keep-alive connections, which the backend closes after a short idle time: a request sent on
 * one just as it closes fails with "other side closed". Signed with `key` (`X-API-Key`) when
 * given. Resolves to `{ status, text }`.
 */
export async function send(method, url, body, key) {
  let payload;
  const headers = key ? { "X-API-Key": key } : {};
  if (body instanceof FormData) {
    const encoded = new Response(body);
    payload = Buffer.from(await encoded.arrayBuffer());
    headers["Content-Type"] = encoded.headers.get("content-type");
  } else if (body !== undefined) {
    payload = Buffer.from(JSON.stringify(body));
    headers["Content-Type"] = "application/json";
  }
  if (payload) headers["Content-Length"] = String(payload.length);
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers, agent: false }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(payload);
  });
}

/** `send`, expecting a 2xx JSON answer (or none). */
export async function sendJson(method, url, body, key) {
  const { status, text } = await send(method, url, body, key);
  if (status < 200 || status > 299) throw new Error(`${method} ${url} answered ${status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}
