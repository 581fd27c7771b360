import { describe, expect, it } from "vitest";
import { operatingPoint, thresholdRange } from "./curves";

const curves = {
  thresholds: [0.2, 0.4, 0.6, 0.8],
  roc: [
    [0.0, 0.3],
    [0.05, 0.6],
    [0.1, 0.85],
    [0.4, 0.95],
  ] as [number, number][],
  pr: [
    [0.3, 1.0],
    [0.6, 0.95],
    [0.85, 0.9],
    [0.95, 0.6],
  ] as [number, number][],
};

describe("curves", () => {
  it("reads precision and recall at the nearest threshold", () => {
    const p = operatingPoint(curves, 0.58);
    expect(p.precision).toBe(0.9);
    expect(p.recall).toBe(0.85);
    expect(p.fpr).toBe(0.1);
    expect(p.roc).toEqual([0.1, 0.85]);
  });
  it("copes with missing curves", () => {
    expect(operatingPoint({ thresholds: [], roc: [], pr: [] }, 0.5)).toEqual({ threshold: 0.5 });
  });
  it("spans the slider over the thresholds and the current value", () => {
    expect(thresholdRange(curves, 0.9)).toEqual([0.2, 0.9]);
    const [lo, hi] = thresholdRange({ thresholds: [], roc: [], pr: [] }, 0.6);
    expect(lo).toBe(0);
    expect(hi).toBeCloseTo(1.8);
  });
  it("accepts the threshold as a third element of each point", () => {
    const own = {
      thresholds: [],
      roc: [
        [0.0, 0.3, 0.2],
        [0.1, 0.85, 0.6],
      ] as unknown as [number, number][],
      pr: [
        [0.3, 1.0, 0.2],
        [0.85, 0.9, 0.6],
        [0.95, 0.6, 0.8],
      ] as unknown as [number, number][],
    };
    const p = operatingPoint(own, 0.75);
    expect(p.fpr).toBe(0.1);
    expect(p.precision).toBe(0.6);
    expect(p.pr).toEqual([0.95, 0.6]);
    expect(thresholdRange(own, 0.5)).toEqual([0.2, 0.8]);
  });
});
