import type { CalibrationRow } from "./api";

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
