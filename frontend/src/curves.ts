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

/**
 * The operating point at a distance threshold, read from the benchmark curves: `thresholds[i]`
 * belongs to `roc[i]` (fpr, tpr) and `pr[i]` (recall, precision). Picks the nearest threshold.
 */
export function operatingPoint(curves: ModelInfo["curves"], threshold: number): OperatingPoint {
  const { thresholds, roc, pr } = curves;
  if (!thresholds?.length) return { threshold };
  let best = 0;
  for (let i = 1; i < thresholds.length; i++) {
    if (Math.abs(thresholds[i] - threshold) < Math.abs(thresholds[best] - threshold)) best = i;
  }
  const rocPoint = roc?.length === thresholds.length ? roc[best] : undefined;
  const prPoint = pr?.length === thresholds.length ? pr[best] : undefined;
  return {
    threshold,
    fpr: rocPoint?.[0],
    tpr: rocPoint?.[1],
    recall: prPoint?.[0] ?? rocPoint?.[1],
    precision: prPoint?.[1],
    roc: rocPoint,
    pr: prPoint,
  };
}

/** Slider bounds from the curve thresholds, with a sane default when there are none. */
export function thresholdRange(curves: ModelInfo["curves"], current: number): [number, number] {
  const finite = (curves.thresholds ?? []).filter(Number.isFinite);
  if (finite.length < 2) return [0, Math.max(2, current * 2)];
  return [Math.min(...finite, current), Math.max(...finite, current)];
}
