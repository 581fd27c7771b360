import type { CurvePoint, Point } from "../api";

interface CurveChartProps {
  title: string;
  xLabel: string;
  yLabel: string;
  points: CurvePoint[];
  marker?: Point;
  diagonal?: boolean;
}

const W = 320;
const H = 260;
const PAD = { left: 44, right: 12, top: 12, bottom: 40 };
const TICKS = [0, 0.25, 0.5, 0.75, 1];

/** A unit-square curve (ROC or precision/recall) in plain SVG, with the current operating point. */
export function CurveChart({ title, xLabel, yLabel, points, marker, diagonal }: CurveChartProps) {
  const iw = W - PAD.left - PAD.right;
  const ih = H - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + clamp(v) * iw;
  const y = (v: number) => PAD.top + (1 - clamp(v)) * ih;
  const path = points
    .map(([px, py], i) => `${i ? "L" : "M"}${x(px).toFixed(1)},${y(py).toFixed(1)}`)
    .join("");

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={title}>
        <title>{title}</title>
        {TICKS.map((t) => (
          <g key={t} className="grid">
            <line x1={x(t)} x2={x(t)} y1={y(0)} y2={y(1)} />
            <line x1={x(0)} x2={x(1)} y1={y(t)} y2={y(t)} />
            <text x={x(t)} y={y(0) + 14} textAnchor="middle">
              {t}
            </text>
            <text x={x(0) - 6} y={y(t) + 4} textAnchor="end">
              {t}
            </text>
          </g>
        ))}
        {diagonal && <line className="diagonal" x1={x(0)} y1={y(0)} x2={x(1)} y2={y(1)} />}
        {points.length > 0 && <path className="curve" d={path} />}
        {marker && <circle className="marker" cx={x(marker[0])} cy={y(marker[1])} r={5} />}
        <text className="axis-label" x={PAD.left + iw / 2} y={H - 6} textAnchor="middle">
          {xLabel}
        </text>
        <text
          className="axis-label"
          transform={`translate(12 ${PAD.top + ih / 2}) rotate(-90)`}
          textAnchor="middle"
        >
          {yLabel}
        </text>
      </svg>
      <figcaption>{title}</figcaption>
    </figure>
  );
}

function clamp(v: number): number {
  return Math.max(0, Math.min(1, Number.isFinite(v) ? v : 0));
}
