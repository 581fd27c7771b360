import type { Song } from "../api";

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
