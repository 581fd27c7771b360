import { afterEach, describe, expect, it, vi } from "vitest";
import {
  ApiError,
  BUSY_RETRIES,
  UNAUTHORIZED_EVENT,
  adviceFor,
  api,
  busyDelay,
  getApiKey,
  retryWhenBusy,
  setApiKey,
  signInFromAddress,
} from "./api";
import { makeQueryClient } from "./queryClient";

function mockFetch(status: number, body?: unknown) {
  const fn = vi.fn(async () => new Response(body === undefined ? null : JSON.stringify(body), { status }));
  vi.stubGlobal("fetch", fn);
  return fn;
}

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe("api client", () => {
  it("builds list queries and drops empty parameters", async () => {
    const fetch = mockFetch(200, { items: [], total: 0, page: 2, per_page: 20 });
    await api.listSongs({ q: "", page: 2, per_page: 20, sort: "title", order: "asc" });
    expect(fetch).toHaveBeenCalledWith(
      "/api/songs?page=2&per_page=20&sort=title&order=asc",
      expect.objectContaining({ method: "GET" }),
    );
  });

  it("sends JSON bodies for writes", async () => {
    const fetch = mockFetch(200, { id: "s1" });
    await api.updateSong("s1", { title: "Let It Be" });
    const [, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(init.method).toBe("PATCH");
    expect(init.body).toBe('{"title":"Let It Be"}');
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("sends the API key on every request, reads included", async () => {
    const fetch = mockFetch(200, { items: [] });
    await api.listJobs();
    setApiKey("secret");
    await api.listJobs();
    await api.deleteSongs(["a"]);
    const headers = (i: number) =>
      (fetch.mock.calls[i] as unknown as [string, RequestInit])[1].headers as Record<string, string>;
    expect(headers(0)["X-API-Key"]).toBeUndefined();
    expect(headers(1)["X-API-Key"]).toBe("secret");
    expect(headers(2)["X-API-Key"]).toBe("secret");
  });

  it("announces a 401 so the sign-in form can open", async () => {
    mockFetch(401, {
      error: { code: "unauthorized", message: "This operation needs a valid X-API-Key header." },
    });
    const heard = vi.fn();
    window.addEventListener(UNAUTHORIZED_EVENT, heard);
    const error = await api.setThreshold(0.5).catch((e: unknown) => e);
    window.removeEventListener(UNAUTHORIZED_EVENT, heard);
    expect((error as ApiError).status).toBe(401);
    expect(heard).toHaveBeenCalledTimes(1);
    expect(adviceFor(error)).toMatch(/Sign in/);
  });

  it("retries a read the server was too busy for, after the wait it asked for", async () => {
    const busy = { error: { code: "overloaded", message: "4 pair checks are already running or waiting." } };
    const answers = [
      new Response(JSON.stringify(busy), { status: 429, headers: { "Retry-After": "1" } }),
      new Response(JSON.stringify({ items: [], total: 0 }), { status: 200 }),
    ];
    const fetch = vi.fn(async () => answers.shift()!);
    vi.stubGlobal("fetch", fetch);
    const error = (await api.listJobs().catch((e: unknown) => e)) as ApiError;
    expect([error.status, error.code, error.retryAfter]).toEqual([429, "overloaded", 1]);
    expect(adviceFor(error)).toMatch(/busy/);
    expect(retryWhenBusy(0, error) && retryWhenBusy(BUSY_RETRIES - 1, error)).toBe(true);
    expect(retryWhenBusy(BUSY_RETRIES, error)).toBe(false);
    expect(retryWhenBusy(0, new ApiError("internal", "boom", 500))).toBe(false);
    expect(busyDelay(1, error)).toBe(1000);
    expect(busyDelay(1, new ApiError("overloaded", "busy", 429))).toBe(2000);

    answers.unshift(new Response(JSON.stringify(busy), { status: 429, headers: { "Retry-After": "1" } }));
    const client = makeQueryClient();
    const jobs = await client.fetchQuery({ queryKey: ["jobs"], queryFn: () => api.listJobs() });
    expect(jobs).toEqual({ items: [], total: 0 });
    expect(fetch).toHaveBeenCalledTimes(3);
  });

  it("returns undefined for 204", async () => {
    mockFetch(204);
    await expect(api.deleteSong("x")).resolves.toBeUndefined();
  });

  it("turns the error shape into an ApiError with advice", async () => {
    mockFetch(400, { error: { code: "invalid_source", message: "Only YouTube URLs are accepted." } });
    const error = await api.addUrl("https://example.com").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).code).toBe("invalid_source");
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).message).toBe("Only YouTube URLs are accepted.");
    expect(adviceFor(error)).toMatch(/YouTube/);
  });

  it("reports an unreachable server as a network error", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => Promise.reject(new TypeError("Failed to fetch"))),
    );
    const error = (await api.health().catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("network");
    expect(adviceFor(error)).toMatch(/server is running/);
  });

  it("survives a non-JSON error page", async () => {
    vi.stubGlobal(
      "fetch",
      vi.fn(async () => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" })),
    );
    const error = (await api.stats().catch((e: unknown) => e)) as ApiError;
    expect(error.code).toBe("http_502");
    expect(error.message).toMatch(/502/);
  });

  it("uploads multipart with the file under `file`", async () => {
    const fetch = mockFetch(202, { job: { id: "j1" } });
    await api.upload(new Blob(["x"]), "clip.wav", { title: "Clip" });
    const body = (fetch.mock.calls[0] as unknown as [string, RequestInit])[1].body as FormData;
    expect(body.get("title")).toBe("Clip");
    expect((body.get("file") as File).name).toBe("clip.wav");
  });
});

describe("sign-in link", () => {
  afterEach(() => window.history.replaceState(null, "", "/"));

  it("keeps the key from the fragment and takes it out of the address bar", () => {
    window.history.replaceState(null, "", "/#key=k3y-_AbC%3D");
    const before = window.history.length;
    expect(signInFromAddress()).toBe(true);
    expect(getApiKey()).toBe("k3y-_AbC=");
    expect(window.location.href).not.toContain("k3y");
    expect(window.location.hash).toBe("");
    expect(window.history.length).toBe(before); // replaced, not pushed: Back does not show it
    expect(document.cookie).not.toContain("coverscope_key"); // sent to /api only
    window.history.replaceState(null, "", "/api/songs");
    expect(document.cookie).toContain("coverscope_key=k3y-_AbC%3D");
  });

  it("leaves other addresses and a kept key alone", () => {
    setApiKey("kept");
    window.history.replaceState(null, "", "/#/rank?song=42");
    expect(signInFromAddress()).toBe(false);
    expect(window.location.hash).toBe("#/rank?song=42");
    expect(getApiKey()).toBe("kept");
  });

  it("signs out: no key, no cookie", () => {
    window.history.replaceState(null, "", "/api/songs");
    setApiKey("gone");
    expect(document.cookie).toContain("coverscope_key=gone");
    setApiKey("");
    expect(getApiKey()).toBe("");
    expect(document.cookie).not.toContain("coverscope_key=gone");
  });
});
