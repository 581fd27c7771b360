import { describe, expect, it } from "vitest";
import type { Curves } from "./api";
import { operatingPoint, thresholdRange } from "./curves";

// As `GET /api/model` sends them: [x, y, distance threshold] per point.
const curves: Curves = {
  roc: [
    [0.0, 0.3, 0.2],
    [0.05, 0.6, 0.4],
    [0.1, 0.85, 0.6],
    [0.4, 0.95, 0.8],
  ],
  pr: [
    [0.3, 1.0, 0.2],
    [0.6, 0.95, 0.4],
    [0.85, 0.9, 0.6],
    [0.95, 0.6, 0.8],
  ],
};
const none: Curves = { roc: [], pr: [] };

describe("curves", () => {
  it("reads precision and recall at the nearest threshold", () => {
    const p = operatingPoint(curves, 0.58);
    expect(p.precision).toBe(0.9);
    expect(p.recall).toBe(0.85);
    expect(p.fpr).toBe(0.1);
    expect(p.roc).toEqual([0.1, 0.85]);
  });
  it("copes with missing curves", () => {
    expect(operatingPoint(none, 0.5)).toEqual({ threshold: 0.5 });
  });
  it("spans the slider over the thresholds and the current value", () => {
    expect(thresholdRange(curves, 0.9)).toEqual([0.2, 0.9]);
    const [lo, hi] = thresholdRange(none, 0.6);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(1.8);
  });
  it("skips points without a finite threshold (the ROC's start at infinity)", () => {
    const open: Curves = {
      roc: [
        [0.0, 0.0, Infinity],
        [0.1, 0.85, 0.6],
      ],
      pr: [[0.95, 0.6, 0.8]],
    };
    const p = operatingPoint(open, 2.0);
    expect(p.roc).toEqual([0.1, 0.85]);
    expect(p.pr).toEqual([0.95, 0.6]);
    expect(thresholdRange(open, 0.5)).toEqual([0.5, 0.8]);
  });
});
