import type { CalibrationRow } from "../api";
import { scorerPoint } from "../curves";
import { formatPercent } from "../format";

interface CalibrationChartProps {
  /** `[threshold, fpr, tpr]` rows of the scorer's calibration. */
  curve: CalibrationRow[];
  /** The saved threshold (fused scale), marked as a dark point. */
  threshold: number;
  /** A threshold being previewed, marked as an orange point. */
  preview?: number;
  /** The false-positive rate the threshold was fitted for, drawn as a dashed line. */
  targetFpr?: number | null;
}

const W = 360;
const H = 270;
const PAD = { left: 44, right: 14, top: 12, bottom: 42 };
const Y_TICKS = [0, 0.25, 0.5, 0.75, 1];

/** 10 to the power `exponent`, exactly as written (`10 ** -4` is 0.00009999999999999999). */
function decade(exponent: number): number {
  return Number(`1e${exponent}`);
}

/** The left end of the log axis: a decade at or below the smallest non-zero rate (1e-4 at most). */
export function logFloor(rates: number[]): number {
  const positive = rates.filter((r) => r > 0 && Number.isFinite(r));
  const smallest = Math.min(1e-4, ...positive);
  return decade(Math.max(-6, Math.floor(Math.log10(smallest))));
}

/**
 * False-positive rate (log scale, rates of 0 drawn at the left edge) against true-positive rate
 * over the scorer's thresholds, with the saved and previewed thresholds marked.
 */
export function CalibrationChart({ curve, threshold, preview, targetFpr }: CalibrationChartProps) {
  const floor = logFloor([...curve.map((r) => r[1]), targetFpr ?? 1]);
  const decades = Math.round(-Math.log10(floor));
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (fpr: number) => {
    const v = Math.max(floor, Math.min(1, Number.isFinite(fpr) ? fpr : 0));
    return PAD.left + ((Math.log10(v) + decades) / decades) * iw;
  };
  const y = (tpr: number) => PAD.top + (1 - Math.max(0, Math.min(1, tpr))) * ih;
  const sorted = [...curve].sort((a, b) => a[1] - b[1] || a[2] - b[2]);
  const path = sorted.map(([, f, t], i) => `${i ? "L" : "M"}${x(f).toFixed(1)},${y(t).toFixed(1)}`).join("");
  const saved = scorerPoint(curve, threshold);
  const previewed = preview === undefined ? undefined : scorerPoint(curve, preview);
  const xTicks = Array.from({ length: decades + 1 }, (_, i) => decade(i - decades));
  const title = "False-positive rate against true-positive rate over the fused-score thresholds";

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label="Calibration curve">
        <title>{title}</title>
        {xTicks.map((t) => (
          <g key={`x${t}`} className="grid">
            <line x1={x(t)} x2={x(t)} y1={y(0)} y2={y(1)} />
            <text x={x(t)} y={y(0) + 14} textAnchor="middle">
              {formatPercent(t, t < 0.01 ? Math.min(4, Math.round(-Math.log10(t)) - 2) : 0)}
            </text>
          </g>
        ))}
        {Y_TICKS.map((t) => (
          <g key={`y${t}`} className="grid">
            <line x1={x(floor)} x2={x(1)} y1={y(t)} y2={y(t)} />
            <text x={x(floor) - 6} y={y(t) + 4} textAnchor="end">
              {t}
            </text>
          </g>
        ))}
        {targetFpr ? (
          <line className="target-line" x1={x(targetFpr)} x2={x(targetFpr)} y1={y(0)} y2={y(1)} />
        ) : null}
        {sorted.length > 0 && <path className="curve" d={path} />}
        {saved.fpr !== undefined && saved.tpr !== undefined && (
          <circle className="marker-saved" cx={x(saved.fpr)} cy={y(saved.tpr)} r={5}>
            <title>Current threshold</title>
          </circle>
        )}
        {previewed?.fpr !== undefined && previewed.tpr !== undefined && preview !== threshold && (
          <circle className="marker" cx={x(previewed.fpr)} cy={y(previewed.tpr)} r={5}>
            <title>Previewed threshold</title>
          </circle>
        )}
        <text className="axis-label" x={PAD.left + iw / 2} y={H - 6} textAnchor="middle">
          false-positive rate (log scale)
        </text>
        <text
          className="axis-label"
          transform={`translate(12 ${PAD.top + ih / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          true-positive rate
        </text>
      </svg>
      <figcaption>
        Calibration curve: the dark point is the current threshold
        {targetFpr ? `, the dashed line the target rate of ${formatPercent(targetFpr, 1)}` : ""}.
      </figcaption>
    </figure>
  );
}
