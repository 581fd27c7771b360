import { useMemo, useState } from "react";
import type { MapPoint } from "../api";
import { songLabel } from "../format";

const W = 800;
const H = 520;
const PAD = 32;
const PALETTE = [
  "#4f46e5",
  "#db2777",
  "#059669",
  "#d97706",
  "#0891b2",
  "#7c3aed",
  "#dc2626",
  "#65a30d",
  "#0d9488",
  "#c026d3",
  "#ea580c",
  "#2563eb",
];

/** Colour of a cover group; group < 0 means "no group" and is grey. */
export function groupColour(group: number): string {
  return group < 0 ? "#9ca3af" : PALETTE[group % PALETTE.length];
}

interface ScatterMapProps {
  points: MapPoint[];
  onOpen: (point: MapPoint) => void;
}

/** The library's 2-D embedding map; each point is a song, coloured by cover group. */
export function ScatterMap({ points, onOpen }: ScatterMapProps) {
  const [hover, setHover] = useState<MapPoint>();
  const scale = useMemo(() => {
    const xs = points.map((p) => p.x);
    const ys = points.map((p) => p.y);
    const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
    const [y0, y1] = [Math.min(...ys), Math.max(...ys)];
    const sx = (v: number) => PAD + ((v - x0) / (x1 - x0 || 1)) * (W - 2 * PAD);
    const sy = (v: number) => H - PAD - ((v - y0) / (y1 - y0 || 1)) * (H - 2 * PAD);
    return { sx, sy, single: points.length === 1 };
  }, [points]);

  const showLabels = points.length <= 40;
  return (
    <div className="map">
      <svg viewBox={`0 0 ${W} ${H}`} role="group" aria-label="Embedding map">
        {points.map((p) => {
          const cx = scale.single ? W / 2 : scale.sx(p.x);
          const cy = scale.single ? H / 2 : scale.sy(p.y);
          return (
            <g key={p.song.id}>
              {showLabels && (
                <text
                  className="map-label"
                  x={cx > W * 0.75 ? cx - 10 : cx + 10}
                  y={cy + 4}
                  textAnchor={cx > W * 0.75 ? "end" : "start"}
                >
                  {p.song.title}
                </text>
              )}
              <circle
                cx={cx}
                cy={cy}
                r={hover?.song.id === p.song.id ? 10 : 7}
                fill={groupColour(p.group)}
                className="map-point"
                role="button"
                tabIndex={0}
                aria-label={`${songLabel(p.song)}${p.group >= 0 ? `, group ${p.group + 1}` : ""}`}
                onMouseEnter={() => setHover(p)}
                onMouseLeave={() => setHover(undefined)}
                onFocus={() => setHover(p)}
                onBlur={() => setHover(undefined)}
                onClick={() => onOpen(p)}
                onKeyDown={(e) => (e.key === "Enter" || e.key === " ") && onOpen(p)}
              >
                <title>{songLabel(p.song)}</title>
              </circle>
            </g>
          );
        })}
      </svg>
      <p className="map-hover" aria-live="polite">
        {hover ? songLabel(hover.song) : "Hover a point to see the song; click to open it."}
      </p>
    </div>
  );
}
