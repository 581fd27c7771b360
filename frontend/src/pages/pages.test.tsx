import { QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { afterEach, describe, expect, it, vi } from "vitest";
import { pairCheck, rank as rankOf, rankResult, song } from "../test-fixtures";
import { ToastProvider } from "../components/Toasts";
import { makeQueryClient } from "../queryClient";
import { parseHash } from "../router";
import { CheckPage } from "./Check";
import { LibraryPage } from "./Library";
import { RankPage } from "./Rank";

/** Answer API calls by path prefix; anything unknown is a 404 in the API's error shape. */
function serve(routes: Record<string, { status?: number; body: unknown }>) {
  vi.stubGlobal(
    "fetch",
    vi.fn(async (url: string) => {
      const path = url.split("?")[0];
      const match = Object.keys(routes)
        .sort((a, b) => b.length - a.length)
        .find((p) => path.startsWith(p));
      const answer = match
        ? routes[match]
        : { status: 404, body: { error: { code: "not_found", message: "No." } } };
      return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200 });
    }),
  );
}

/** Each test gets a fresh query cache, as a fresh page load would. */
const wrap = (node: ReactNode) =>
  render(
    <QueryClientProvider client={makeQueryClient()}>
      <ToastProvider>{node}</ToastProvider>
    </QueryClientProvider>,
  );

afterEach(() => vi.unstubAllGlobals());

describe("LibraryPage", () => {
  it("tells a new user what to do when the library is empty", async () => {
    serve({ "/api/songs": { body: { items: [], total: 0, page: 1, per_page: 20 } } });
    wrap(<LibraryPage route={parseHash("#/library")} />);
    expect(await screen.findByRole("heading", { name: "Your library is empty" })).toBeTruthy();
    expect(screen.getByRole("link", { name: "Add your first songs" })).toBeTruthy();
  });

  it("shows the API's error message with a retry", async () => {
    serve({
      "/api/songs": {
        status: 503,
        body: { error: { code: "storage_unavailable", message: "The database is unreachable." } },
      },
    });
    wrap(<LibraryPage route={parseHash("#/library")} />);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toMatch(/The database is unreachable\..*try again/);
    expect(screen.getByRole("button", { name: "Try again" })).toBeTruthy();
  });

  it("lists songs with their source link and actions", async () => {
    serve({
      "/api/songs": {
        body: { items: [song("a1", "Let It Be", "The Beatles")], total: 1, page: 1, per_page: 20 },
      },
    });
    wrap(<LibraryPage route={parseHash("#/library")} />);
    expect(await screen.findByRole("link", { name: "Let It Be" })).toBeTruthy();
    expect(screen.getByRole("link", { name: /YouTube/ }).getAttribute("href")).toContain("a1");
    expect(screen.getByRole("button", { name: "Delete Let It Be — The Beatles" })).toBeTruthy();
  });
});

describe("CheckPage", () => {
  it("shows the verdict, key shift and matched passages", async () => {
    const check = pairCheck(song("a1", "Let It Be"), song("b2", "Let It Be (live)"), {
      key_shift: -2,
      matches: [{ a_start: 12, a_end: 95.5, b_start: 3.2, b_end: 88.1, score: 140 }],
    });
    serve({
      "/api/check": { body: check },
      "/api/songs/a1": { body: check.a },
      "/api/songs/b2": { body: check.b },
    });
    wrap(<CheckPage route={parseHash("#/check?a=a1&b=b2")} />);
    expect(await screen.findByRole("heading", { name: "Same song — likely a cover" })).toBeTruthy();
    expect(screen.getByText("−2 semitones")).toBeTruthy();
    expect(screen.getByRole("button", { name: "▶ Play A 0:12–1:36" })).toBeTruthy();
    expect(screen.getByRole("img", { name: /Cross-similarity/ }).getAttribute("src")).toBe(
      check.similarity_image,
    );
  });

  it("explains a missing alignment instead of failing when alignment_distance is null", async () => {
    const check = pairCheck(song("a1", "Let It Be"), song("z9", "Yesterday"), {
      is_cover: false,
      probability: 0.04,
      distance: 1.12,
      segment_agreement: 0,
      alignment_distance: null,
    });
    serve({
      "/api/check": { body: check },
      "/api/songs/a1": { body: check.a },
      "/api/songs/z9": { body: check.b },
    });
    wrap(<CheckPage route={parseHash("#/check?a=a1&b=z9")} />);
    expect(await screen.findByRole("heading", { name: "Different songs" })).toBeTruthy();
    expect(screen.getByText("none (no passage aligns)")).toBeTruthy();
    expect(screen.getByText("No passage aligns well enough to highlight.")).toBeTruthy();
  });

  it("asks for two songs when none are picked", () => {
    serve({});
    wrap(<CheckPage route={parseHash("#/check")} />);
    expect(screen.getByRole("heading", { name: "Pick two songs to compare" })).toBeTruthy();
  });
});

describe("RankPage", () => {
  it("draws the threshold line after the last cover", async () => {
    const query = song("q", "Query");
    const rank = rankOf(query, [
      rankResult(song("c1", "Cover one"), 0.3),
      rankResult(song("c2", "Cover two"), 0.5),
      rankResult(song("o1", "Other"), 0.9),
    ]);
    serve({ "/api/rank": { body: rank }, "/api/songs/q": { body: query } });
    wrap(<RankPage route={parseHash("#/rank?song=q")} />);
    await screen.findByRole("table", { name: "Ranked songs" });
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(5));
    const rows = screen.getAllByRole("row").map((r) => r.getAttribute("aria-label") ?? r.textContent);
    expect(rows[3]).toBe("Cover threshold");
    expect(rows[4]).toMatch(/Other/);
    expect(screen.getByText("2 likely covers among 3 songs.")).toBeTruthy();
  });
});
