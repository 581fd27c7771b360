import { describe, expect, it } from "vitest";
import type { CalibrationRow } from "./api";
import { logFloor } from "./components/CalibrationChart";
import { zRange } from "./components/Evidence";
import { scorerPoint, scorerRange } from "./curves";

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
