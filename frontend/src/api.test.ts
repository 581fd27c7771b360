import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, adviceFor, api, setApiKey } from "./api";

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

  it("adds the API key to writes only", async () => {
    setApiKey("secret");
    const fetch = mockFetch(200, { items: [] });
    await api.listJobs();
    await api.deleteSongs(["a"]);
    const headers = (i: number) =>
      (fetch.mock.calls[i] as unknown as [string, RequestInit])[1].headers as Record<string, string>;
    expect(headers(0)["X-API-Key"]).toBeUndefined();
    expect(headers(1)["X-API-Key"]).toBe("secret");
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
