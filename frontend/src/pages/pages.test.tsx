import { QueryClientProvider } from "@tanstack/react-query";
import { fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import type { ReactNode } from "react";
import type { Song } from "../api";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AnyAnswer } from "../api";
import { job, model, pairCheck, rank as rankOf, rankResult, scorer, song } from "../test-fixtures";
import { ToastProvider } from "../components/Toasts";
import { makeQueryClient } from "../queryClient";
import { parseHash } from "../router";
import { CheckPage } from "./Check";
import { LibraryPage } from "./Library";
import { ModelPage } from "./Model";
import { RankPage } from "./Rank";

/** Answer API calls by path prefix; anything unknown is a 404 in the API's error shape. */
function serve(routes: Record<string, { status?: number; body: AnyAnswer }>) {
  const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
    const path = url.split("?")[0];
    const match = Object.keys(routes)
      .sort((a, b) => b.length - a.length)
      .find((p) => path.startsWith(p));
    const answer: { status?: number; body: AnyAnswer } = match
      ? routes[match]
      : { status: 404, body: { error: { code: "not_found", message: "No." } } };
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200 });
  });
  vi.stubGlobal("fetch", fetch);
  return fetch;
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
        body: {
          items: [{ ...song("a1", "Let It Be", "The Beatles"), versions: 0, group: null }],
          total: 1,
          page: 1,
          per_page: 20,
        },
      },
    });
    wrap(<LibraryPage route={parseHash("#/library")} />);
    expect(await screen.findByRole("link", { name: "Let It Be" })).toBeTruthy();
    expect(screen.getByRole("link", { name: /YouTube/ }).getAttribute("href")).toContain("a1");
    expect(screen.getByRole("button", { name: "Delete Let It Be — The Beatles" })).toBeTruthy();
  });

  it("shows how many confirmed versions a song has", async () => {
    const items = [
      { ...song("a1", "Let It Be"), versions: 2, group: 0 },
      { ...song("b1", "Yesterday"), versions: 0, group: null },
    ];
    serve({ "/api/songs": { body: { items, total: 2, page: 1, per_page: 20 } } });
    wrap(<LibraryPage route={parseHash("#/library")} />);
    const badge = await screen.findByRole("link", { name: "2 versions" });
    expect(badge.getAttribute("href")).toBe("#/rank?song=a1");
    expect(badge.getAttribute("title")).toMatch(/cover group 1/);
    expect(screen.queryByRole("link", { name: /0 versions/ })).toBeNull();
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
      distance: -0.3,
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

  it("shows which evidence agreed, in plain words, against the verdict threshold", async () => {
    const check = pairCheck(song("a1", "Let It Be"), song("b2", "Let It Be (live)"));
    serve({
      "/api/check": { body: check },
      "/api/songs/a1": { body: check.a },
      "/api/songs/b2": { body: check.b },
    });
    wrap(<CheckPage route={parseHash("#/check?a=a1&b=b2")} />);
    const panel = await screen.findByRole("region", { name: "Evidence" });
    const rows = within(panel)
      .getAllByRole("listitem")
      .map((row) => row.getAttribute("aria-label"));
    expect(rows).toEqual([
      "Harmony (chroma alignment): +4.1, past the threshold",
      "Harmony+timbre+structure (early fusion): +2.2, past the threshold",
      "Harmony blocks: +3.0, past the threshold (shown, not counted)",
      "Timbre: −0.6, short of the threshold (shown, not counted)",
      "Structure: +0.8, short of the threshold (shown, not counted)",
      "Embedding: +3.9, past the threshold",
      "Fused score: +3.4, past the threshold",
    ]);
    expect(within(panel).getAllByText("shown, not counted")).toHaveLength(3);
    expect(panel.textContent).toContain("Fused score +3.4 against the threshold +2.0");
    // The bars share one axis: the threshold line sits at the same place in every row.
    const lines = [...panel.querySelectorAll<HTMLElement>(".evidence-threshold")].map((l) => l.style.left);
    expect(new Set(lines).size).toBe(1);
    const report = screen.getByRole("link", { name: "Printable report" });
    expect(report.getAttribute("href")).toBe("/api/check/report?a=a1&b=b2");
    expect(report.getAttribute("target")).toBe("_blank");
    expect(screen.getByText("3.40 (threshold 2.00)")).toBeTruthy();
  });

  it("draws a bar below zero to the left of the zero line", async () => {
    const check = pairCheck(song("a1", "Let It Be"), song("z9", "Yesterday"), {
      is_cover: false,
      probability: 0.02,
      distance: 0.5,
      components: { qmax: { raw: 0.9, z: -1.5, weight: 1 }, embedding: { raw: -1.3, z: 0.5, weight: 1 } },
    });
    serve({
      "/api/check": { body: check },
      "/api/songs/a1": { body: check.a },
      "/api/songs/z9": { body: check.b },
    });
    wrap(<CheckPage route={parseHash("#/check?a=a1&b=z9")} />);
    const panel = await screen.findByRole("region", { name: "Evidence" });
    const harmony = within(panel).getByRole("listitem", { name: /^Harmony/ });
    const bar = harmony.querySelector<HTMLElement>(".evidence-bar")!;
    const zero = harmony.querySelector<HTMLElement>(".evidence-zero")!;
    expect(parseFloat(bar.style.left) + parseFloat(bar.style.width)).toBeCloseTo(parseFloat(zero.style.left));
    expect(panel.textContent).toContain("Short of it: Harmony (chroma alignment), Embedding.");
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
    serve({
      "/api/rank": { body: rank },
      "/api/songs/q/versions": { body: versionsOf(query, []) },
      "/api/songs/q": { body: query },
    });
    wrap(<RankPage route={parseHash("#/rank?song=q")} />);
    await screen.findByRole("table", { name: "Ranked songs" });
    await waitFor(() => expect(screen.getAllByRole("row")).toHaveLength(5));
    const rows = screen.getAllByRole("row").map((r) => r.getAttribute("aria-label") ?? r.textContent);
    expect(rows[3]).toBe("Cover threshold");
    expect(rows[4]).toMatch(/Other/);
    expect(screen.getByText("2 likely covers among 3 songs.")).toBeTruthy();
  });

  it("judges graph neighbours by the fused threshold and lists the song's versions", async () => {
    const query = song("q", "Query");
    // Scored neighbours first (diffusion order): a confirmed version, then a pair below the
    // fused threshold 2.0 though its embedding is close; the embedding order follows.
    const rank = rankOf(query, [
      rankResult(song("c1", "Cover one"), 0.7, {
        source: "graph",
        fused: 3.1,
        is_cover: true,
        diffused: 0.4,
      }),
      rankResult(song("n1", "Near miss"), 0.2, {
        source: "graph",
        fused: 1.2,
        is_cover: false,
        diffused: 0.2,
      }),
      rankResult(song("o1", "Other"), 0.9),
    ]);
    serve({
      "/api/rank": { body: rank },
      "/api/songs/q/versions": { body: versionsOf(query, [song("c1", "Cover one")]) },
      "/api/songs/q": { body: query },
    });
    wrap(<RankPage route={parseHash("#/rank?song=q")} />);
    await screen.findByRole("table", { name: "Ranked songs" });
    const rows = screen.getAllByRole("row").map((r) => r.getAttribute("aria-label") ?? r.textContent);
    expect(rows[1]).toMatch(/Cover one.*scored pair · fused 3\.10/);
    expect(rows[2]).toBe("Cover threshold");
    expect(screen.getByText("cover threshold · fused score 2.00")).toBeTruthy();
    expect(rows[4]).toMatch(/Other.*embedding/);
    const versions = await screen.findByRole("group", { name: "Versions" });
    expect(versions.textContent).toMatch(/^1 version in the library: Cover one/);
    expect(within(versions).getByRole("link", { name: "Cover one" }).getAttribute("href")).toBe(
      "#/rank?song=c1",
    );
  });

  it("follows a clip query's job and then shows its ranking", async () => {
    const running = job({ id: "j7", kind: "rank_clip", source: "hum.mp3", stage: "scoring", progress: 80 });
    serve({ "/api/jobs/j7": { body: running } });
    const first = wrap(<RankPage route={parseHash("#/rank?clip=j7")} />);
    const bar = await screen.findByRole("progressbar", { name: "Progress of hum.mp3" });
    expect(bar.getAttribute("aria-valuenow")).toBe("80");
    expect(screen.getByText("Scoring candidates · 80%")).toBeTruthy();
    first.unmount();

    const ranked = rankOf(
      song("x", "x"),
      [rankResult(song("c1", "Cover one"), 0.3, { source: "graph", fused: 3 })],
      {
        query: { upload: "hum.mp3", job: "j7" },
      },
    );
    serve({
      "/api/jobs/j7": { body: { ...running, status: "done", stage: "done", progress: 100 } },
      "/api/rank/clips/j7": { body: ranked },
    });
    wrap(<RankPage route={parseHash("#/rank?clip=j7")} />);
    expect(await screen.findByRole("heading", { name: "Clip: hum.mp3" })).toBeTruthy();
    expect(screen.getAllByRole("row").map((r) => r.getAttribute("aria-label") ?? r.textContent)[1]).toMatch(
      /Cover one/,
    );
  });

  it("says why a clip query failed", async () => {
    serve({
      "/api/jobs/j8": { body: job({ id: "j8", kind: "rank_clip", status: "failed", error: "Not audio." }) },
    });
    wrap(<RankPage route={parseHash("#/rank?clip=j8")} />);
    expect((await screen.findByRole("alert")).textContent).toMatch(/Not audio\./);
  });
});

function versionsOf(query: Song, found: Song[]) {
  return {
    song: query,
    versions: found.map((s) => ({ song: s, fused: 3.1, probability: 0.97, components: {} })),
    fused_threshold: 2.0,
    group: found.length ? [query.id, ...found.map((s) => s.id)] : [],
  };
}

describe("ModelPage", () => {
  it("says how the verdict is calibrated: threshold, measured false-positive rate, prior, curve", async () => {
    serve({ "/api/model": { body: model() } });
    wrap(<ModelPage />);
    const section = await screen.findByRole("region", { name: "How the verdict is calibrated" });
    const fact = (term: string) =>
      within(section).getByText(term, { selector: "dt" }).nextElementSibling?.textContent;
    expect(fact("Scorer")).toBe("fusion-1.0");
    expect(fact("Threshold (fused score)")).toBe("2.00");
    expect(fact("False-positive rate")).toBe(
      "0.19% on 20,000 real non-cover pairs (612 recordings), 95% CI 0.13%–0.27%",
    );
    expect(fact("Assumed prior")).toBe("1 in 100 checked pairs is a cover (1.0%)");
    expect(fact("Evidence counted")).toBe(
      "Harmony (chroma alignment), Harmony+timbre+structure (early fusion), Embedding",
    );
    expect(within(section).getByRole("img", { name: "Calibration curve" })).toBeTruthy();
    expect(within(section).getByText("Current threshold")).toBeTruthy();
    expect(screen.queryByRole("note", { name: "Provisional scorer" })).toBeNull();
  });

  it("previews a threshold from the scorer's curve and saves it on the API's scale", async () => {
    const fetch = serve({ "/api/model": { body: model() } });
    wrap(<ModelPage />);
    const slider = await screen.findByLabelText("Threshold (fused score)");
    fireEvent.change(slider, { target: { value: "2.5" } });
    const preview = screen.getByLabelText("Preview at this threshold");
    expect(preview.textContent).toMatch(/false-positive rate 0\.04% .*true-positive rate 74\.0%/);
    expect(screen.getByText("Previewed threshold")).toBeTruthy();
    fireEvent.click(screen.getByRole("button", { name: "Save threshold" }));
    await waitFor(() => expect(fetch.mock.calls.some(([, init]) => init?.method === "PUT")).toBe(true));
    const put = fetch.mock.calls.find(([, init]) => init?.method === "PUT")!;
    // The API's threshold is on the distance scale: minus the fused threshold.
    expect(JSON.parse(String(put[1]!.body))).toEqual({ threshold: -2.5 });
  });

  it("starts the slider at the threshold in force and names the calibrated one when they differ", async () => {
    serve({
      "/api/model": { body: model({ scorer: scorer({ threshold: -2.5, fused_threshold: 2.5 }) }) },
    });
    wrap(<ModelPage />);
    const slider = await screen.findByLabelText<HTMLInputElement>("Threshold (fused score)");
    expect(Number(slider.value)).toBe(2.5);
    expect(screen.getByText(/The calibrated threshold is 2\.000\./)).toBeTruthy();
  });

  it("warns that a provisional scorer was not fitted", async () => {
    const provisional = scorer({
      version: "fusion-0.1-provisional",
      provenance: {
        status: "provisional",
        negatives: null,
        target_fpr: 0.002,
        note: "Placeholder statistics.",
      },
      curve: [],
    });
    serve({ "/api/model": { body: model({ scorer: provisional }) } });
    wrap(<ModelPage />);
    const notice = await screen.findByRole("note", { name: "Provisional scorer" });
    expect(notice.textContent).toMatch(/not yet fitted.*Placeholder statistics\./);
    const section = screen.getByRole("region", { name: "How the verdict is calibrated" });
    const fpr = within(section).getByText("False-positive rate", { selector: "dt" });
    expect(fpr.nextElementSibling?.textContent).toBe("not measured yet");
    // A provisional scorer states its prior only with its probability curve.
    const prior = within(section).getByText("Assumed prior", { selector: "dt" });
    expect(prior.nextElementSibling?.textContent).toBe("1 in 100 checked pairs is a cover (1.0%)");
    expect(screen.getByText(/No calibration curve yet/)).toBeTruthy();
  });
});
