import { describe, expect, it } from "vitest";
import { formatDuration, formatKeyShift, formatPercent, formatRelative, songLabel } from "./format";
import { href, parseHash } from "./router";

describe("format", () => {
  it("formats durations", () => {
    expect(formatDuration(243.1)).toBe("4:03");
    expect(formatDuration(3725)).toBe("1:02:05");
    expect(formatDuration(null)).toBe("–");
  });
  it("formats key shifts in words", () => {
    expect(formatKeyShift(0)).toBe("same key");
    expect(formatKeyShift(1)).toBe("+1 semitone");
    expect(formatKeyShift(-2)).toBe("−2 semitones");
  });
  it("formats percents and relative times", () => {
    expect(formatPercent(0.934)).toBe("93%");
    expect(formatPercent(0.934, 1)).toBe("93.4%");
    const now = Date.parse("2026-11-22T10:10:00Z");
    expect(formatRelative("2026-11-22T10:09:50Z", now)).toBe("just now");
    expect(formatRelative("2026-11-22T10:00:00Z", now)).toBe("10 min ago");
  });
  it("labels songs", () => {
    expect(songLabel({ title: "Let It Be", artist: "The Beatles" })).toBe("Let It Be — The Beatles");
    expect(songLabel({ title: "", artist: "" })).toBe("Untitled");
  });
});

describe("router", () => {
  it("round-trips paths and parameters", () => {
    const link = href("/check", { a: "1", b: "2", c: undefined });
    expect(link).toBe("#/check?a=1&b=2");
    const route = parseHash(link);
    expect(route.path).toBe("/check");
    expect(route.params.get("b")).toBe("2");
    expect(parseHash("").path).toBe("/");
  });
});
