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
    expect(thresholdRange({ thresholds: [], roc: [], pr: [] }, 0.6)).toEqual([0, 2]);
  });
});
