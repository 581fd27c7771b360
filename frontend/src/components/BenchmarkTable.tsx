import { KeyValues } from "./KeyValues";

/** Retrieval and verification figures the evaluation reports, in the order people read them. */
const METRICS = ["MAP", "MR1", "MRR", "P@10", "ROC-AUC", "PR-AP"] as const;

type Run = Record<string, unknown>;

function isRun(value: unknown): value is Run {
  return typeof value === "object" && value !== null && METRICS.some((m) => m in value);
}

function figure(value: unknown, metric: string): string {
  if (typeof value !== "number") return "–";
  return metric === "MR1" ? value.toFixed(1) : value.toFixed(3);
}

/**
 * One row per evaluation run (e.g. `covers80-hybrid`) with its headline metrics; anything that
 * does not look like a run falls back to a plain key/value listing.
 */
export function BenchmarkTable({ benchmarks }: { benchmarks: Record<string, unknown> }) {
  const runs = Object.entries(benchmarks).filter((entry): entry is [string, Run] => isRun(entry[1]));
  if (runs.length === 0) return <KeyValues data={benchmarks} empty="No benchmark figures yet." />;
  return (
    <>
      <div className="scroll-x">
        <table className="bench" aria-label="Benchmark figures">
          <thead>
            <tr>
              <th scope="col">Run</th>
              {METRICS.map((m) => (
                <th key={m} scope="col">
                  {m}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {runs.map(([name, run]) => (
              <tr key={name}>
                <th scope="row">
                  {name}
                  {typeof run.tracks === "number" && <span className="muted"> · {run.tracks} tracks</span>}
                </th>
                {METRICS.map((m) => (
                  <td key={m}>{figure(run[m], m)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="hint">
        MAP, MRR and P@10: higher is better; MR1 (mean rank of the first cover): lower is better.
      </p>
      <details>
        <summary>All figures</summary>
        <KeyValues data={benchmarks} empty="–" />
      </details>
    </>
  );
}
