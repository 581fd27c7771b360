import type { ModelInfo, Point } from "./api";

export interface OperatingPoint {
  threshold: number;
  precision?: number;
  recall?: number;
  fpr?: number;
  tpr?: number;
  roc?: Point;
  pr?: Point;
}

type Curves = ModelInfo["curves"];

/**
 * The distance threshold behind each point of a curve: a third element of the point
 * (`[fpr, tpr, threshold]`), or `curves.thresholds[i]` when it has one entry per point.
 */
function pointThresholds(curve: Point[], thresholds: number[]): (number | undefined)[] {
  return curve.map((p, i) => {
    const own = (p as number[])[2];
    if (Number.isFinite(own)) return own;
    return thresholds.length === curve.length ? thresholds[i] : undefined;
  });
}

function nearest(curve: Point[], thresholds: number[], threshold: number): Point | undefined {
  const at = pointThresholds(curve, thresholds);
  let best: number | undefined;
  at.forEach((t, i) => {
    if (t === undefined || !Number.isFinite(t)) return;
    if (best === undefined || Math.abs(t - threshold) < Math.abs(at[best]! - threshold)) best = i;
  });
  return best === undefined ? undefined : [curve[best][0], curve[best][1]];
}

/**
 * The operating point at a distance threshold, read from the benchmark curves (ROC points are
 * (fpr, tpr), PR points (recall, precision)); picks each curve's point with the nearest threshold.
 */
export function operatingPoint(curves: Curves, threshold: number): OperatingPoint {
  const roc = nearest(curves.roc, curves.thresholds, threshold);
  const pr = nearest(curves.pr, curves.thresholds, threshold);
  if (!roc && !pr) return { threshold };
  return {
    threshold,
    fpr: roc?.[0],
    tpr: roc?.[1],
    recall: pr?.[0] ?? roc?.[1],
    precision: pr?.[1],
    roc,
    pr,
  };
}

/** Every finite threshold the curves know about. */
function knownThresholds(curves: Curves): number[] {
  return [
    ...curves.thresholds,
    ...pointThresholds(curves.roc, curves.thresholds),
    ...pointThresholds(curves.pr, curves.thresholds),
  ].filter((t): t is number => t !== undefined && Number.isFinite(t));
}

/** Slider bounds from the curve thresholds, with a sane default when there are none. */
export function thresholdRange(curves: Curves, current: number): [number, number] {
  const known = knownThresholds(curves);
  if (known.length < 2) return [0, Math.max(1, current * 3)];
  return [Math.min(...known, current), Math.max(...known, current)];
}
