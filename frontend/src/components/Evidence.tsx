import type { ComponentScore } from "../api";
import { COMPONENT_ORDER, componentLabel, formatZ } from "../format";

interface EvidenceProps {
  components: Record<string, ComponentScore>;
  /** The fused score (larger = more alike): minus the check's `distance`. */
  fused: number;
  /** The verdict threshold on the fused scale: minus the check's `threshold`. */
  threshold: number;
}

interface Row {
  name: string;
  label: string;
  z: number;
  counted: boolean;
}

/** Axis bounds on the z scale: 0, the threshold and every value in view, with a margin. */
export function zRange(values: number[], threshold: number): [number, number] {
  const finite = [0, threshold, ...values].filter(Number.isFinite);
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = Math.max(0.5, (hi - lo) * 0.08);
  return [lo < 0 ? lo - pad : 0, hi + pad];
}

/**
 * Which evidence agreed: one horizontal bar per scorer component on the z scale (standard
 * deviations above a typical pair of different songs), from 0, with the verdict threshold
 * marked; then the fused score. Components with weight 0 are greyed: shown, not counted.
 */
export function Evidence({ components, fused, threshold }: EvidenceProps) {
  const rank = (name: string) => {
    const i = COMPONENT_ORDER.indexOf(name);
    return i < 0 ? COMPONENT_ORDER.length : i;
  };
  const rows: Row[] = Object.entries(components)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([name, c]) => ({ name, label: componentLabel(name), z: c.z, counted: c.weight > 0 }));
  const [lo, hi] = zRange([...rows.map((r) => r.z), fused], threshold);
  const at = (v: number) => {
    const clipped = Number.isFinite(v) ? v : v > 0 ? hi : lo;
    return ((Math.min(hi, Math.max(lo, clipped)) - lo) / (hi - lo)) * 100;
  };
  const past = rows.filter((r) => r.z >= threshold).map((r) => r.label);
  const short = rows.filter((r) => !(r.z >= threshold)).map((r) => r.label);

  const bar = (row: Row, fusedRow = false) => {
    const start = at(Math.min(0, row.z));
    const end = at(Math.max(0, row.z));
    const agrees = row.z >= threshold;
    const classes = [
      "evidence-row",
      fusedRow ? "evidence-fused" : "",
      row.counted ? "" : "evidence-uncounted",
      agrees ? "evidence-past" : "evidence-short",
    ];
    const words = `${row.label}: ${formatZ(row.z)}, ${agrees ? "past" : "short of"} the threshold${
      row.counted ? "" : " (shown, not counted)"
    }`;
    return (
      <li key={row.name} className={classes.filter(Boolean).join(" ")} aria-label={words}>
        <span className="evidence-name">
          {row.label}
          {!row.counted && <span className="badge">shown, not counted</span>}
        </span>
        <span className="evidence-track" aria-hidden="true">
          <span className="evidence-zero" style={{ left: `${at(0)}%` }} />
          <span
            className="evidence-bar"
            style={{ left: `${start}%`, width: `${Math.max(0.6, end - start)}%` }}
          />
          <span className="evidence-threshold" style={{ left: `${at(threshold)}%` }} />
        </span>
        <span className="evidence-value">{formatZ(row.z)}</span>
      </li>
    );
  };

  return (
    <section className="card evidence" aria-labelledby="evidence-title">
      <h2 id="evidence-title">Evidence</h2>
      <p className="hint">
        Each bar says how far this pair stands above a typical pair of different songs, in standard
        deviations. The dark line is the verdict threshold: a bar past it points to the same song.
      </p>
      <ul className="evidence-list" aria-label="Evidence by component">
        {rows.map((row) => bar(row))}
        {bar({ name: "fused", label: "Fused score", z: fused, counted: true }, true)}
      </ul>
      <div className="evidence-axis" aria-hidden="true">
        <span className="evidence-name" />
        <span className="evidence-track">
          <span style={{ left: `${at(0)}%` }}>0</span>
          <span className="evidence-axis-threshold" style={{ left: `${at(threshold)}%` }}>
            threshold {formatZ(threshold)}
          </span>
        </span>
        <span className="evidence-value" />
      </div>
      <p className="evidence-summary">
        Fused score <strong>{formatZ(fused)}</strong> against the threshold{" "}
        <strong>{formatZ(threshold)}</strong> (the weighted mean of the counted bars).{" "}
        {past.length > 0 && <>Past the line: {past.join(", ")}. </>}
        {short.length > 0 && <>Short of it: {short.join(", ")}.</>}
      </p>
    </section>
  );
}
