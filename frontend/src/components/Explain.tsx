import type { Song } from "../api";

/** Distance on a 0..max scale with the decision threshold marked; left of it means "cover". */
export function DistanceGauge({ distance, threshold }: { distance: number; threshold: number }) {
  const max = Math.max(2 * threshold, distance * 1.1, 1e-6);
  const pos = (v: number) => `${Math.min(100, (v / max) * 100)}%`;
  return (
    <div
      className="gauge"
      role="img"
      aria-label={`Distance ${distance.toFixed(3)} against threshold ${threshold.toFixed(3)}`}
    >
      <div className="gauge-track">
        <div className="gauge-cover" style={{ width: pos(threshold) }} />
        <div className="gauge-threshold" style={{ left: pos(threshold) }} />
        <div className="gauge-value" style={{ left: pos(distance) }} />
      </div>
      <div className="gauge-labels">
        <span>closer: cover</span>
        <span>threshold {threshold.toFixed(2)}</span>
        <span>farther: different</span>
      </div>
    </div>
  );
}

export function Timeline({ song, spans }: { song: Song; spans: [number, number][] }) {
  const total = song.duration ?? Math.max(1, ...spans.map(([, end]) => end));
  return (
    <div className="timeline" aria-hidden="true">
      {spans.map(([start, end], i) => (
        <span
          key={i}
          className="timeline-span"
          style={{
            left: `${(start / total) * 100}%`,
            width: `${Math.max(0.5, ((end - start) / total) * 100)}%`,
          }}
        />
      ))}
    </div>
  );
}
