import { describe, expect, it } from "vitest";
import type { CalibrationRow, Curves } from "./api";
import { logFloor } from "./components/CalibrationChart";
import { zRange } from "./components/Evidence";
import { operatingPoint, scorerPoint, scorerRange, thresholdRange } from "./curves";

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

// As the scorer sends its calibration: [fused threshold, fpr, tpr] rows, fpr falling as it rises.
const calibration: CalibrationRow[] = [
  [1.0, 0.05, 0.97],
  [2.0, 0.002, 0.86],
  [3.0, 0.0, 0.55],
];

describe("scorer curve", () => {
  it("reads the rates at the nearest fused threshold", () => {
    expect(scorerPoint(calibration, 2.2)).toEqual({ fpr: 0.002, tpr: 0.86 });
    expect(scorerPoint(calibration, 9)).toEqual({ fpr: 0.0, tpr: 0.55 });
    expect(scorerPoint([], 2)).toEqual({});
  });
  it("bounds the slider by the calibrated thresholds and the current one", () => {
    expect(scorerRange(calibration, 2)).toEqual([1.0, 3.0]);
    expect(scorerRange(calibration, 3.5)).toEqual([1.0, 3.5]);
    const [lo, hi] = scorerRange([], 2);
    expect(lo).toBeLessThan(2);
    expect(hi).toBeGreaterThan(2);
  });
  it("starts the log axis a decade at or below the smallest non-zero rate", () => {
    expect(logFloor([0, 0.05, 0.002])).toBe(1e-4);
    expect(logFloor([0.00003, 0.1])).toBe(1e-5);
    expect(logFloor([0])).toBe(1e-4);
  });
  it("puts 0, the threshold and every value on the evidence axis", () => {
    const [lo, hi] = zRange([4.1, -1.5, Number.NEGATIVE_INFINITY], 2);
    expect(lo).toBeLessThan(-1.5);
    expect(hi).toBeGreaterThan(4.1);
    expect(zRange([0.5], 2)[0]).toBe(0);
  });
});
