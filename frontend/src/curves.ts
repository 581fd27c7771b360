import type { CalibrationRow, CurvePoint, Curves, Point } from "./api";

export interface OperatingPoint {
  threshold: number;
  precision?: number;
  recall?: number;
  fpr?: number;
  tpr?: number;
  roc?: Point;
  pr?: Point;
}

/** The (x, y) of the curve point whose distance threshold (its third element) is nearest. */
function nearest(curve: CurvePoint[], threshold: number): Point | undefined {
  let best: CurvePoint | undefined;
  for (const point of curve) {
    if (!Number.isFinite(point[2])) continue;
    if (!best || Math.abs(point[2] - threshold) < Math.abs(best[2] - threshold)) best = point;
  }
  return best && [best[0], best[1]];
}

/**
 * The operating point at a distance threshold, read from the benchmark curves (ROC points are
 * [fpr, tpr, threshold], PR points [recall, precision, threshold]).
 */
export function operatingPoint(curves: Curves, threshold: number): OperatingPoint {
  const roc = nearest(curves.roc, threshold);
  const pr = nearest(curves.pr, threshold);
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

/** Slider bounds from the curve thresholds, with a sane default when there are none. */
export function thresholdRange(curves: Curves, current: number): [number, number] {
  const known = [...curves.roc, ...curves.pr].map((p) => p[2]).filter(Number.isFinite);
  if (known.length < 2) return [0, Math.max(1, current * 3)];
  return [Math.min(...known, current), Math.max(...known, current)];
}

/** The scorer's rates at a threshold on the fused scale (a pair is a cover when its fused
 * score reaches it), read from the calibration row with the nearest threshold. */
export function scorerPoint(curve: CalibrationRow[], threshold: number): { fpr?: number; tpr?: number } {
  let best: CalibrationRow | undefined;
  for (const row of curve) {
    if (!Number.isFinite(row[0])) continue;
    if (!best || Math.abs(row[0] - threshold) < Math.abs(best[0] - threshold)) best = row;
  }
  return best ? { fpr: best[1], tpr: best[2] } : {};
}

/** Slider bounds on the fused scale from the calibration thresholds, with a default. */
export function scorerRange(curve: CalibrationRow[], current: number): [number, number] {
  const known = curve.map((row) => row[0]).filter(Number.isFinite);
  if (known.length < 2) return [Math.min(0, current - 2), Math.max(current * 2, current + 2)];
  return [Math.min(...known, current), Math.max(...known, current)];
}
