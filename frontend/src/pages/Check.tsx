import { useQuery } from "@tanstack/react-query";
import { useRef } from "react";
import { api, audioUrl, type Match, type PairCheck, type Song } from "../api";
import { Evidence } from "../components/Evidence";
import { Timeline } from "../components/Explain";
import { SongPicker } from "../components/SongPicker";
import { EmptyState, ErrorBox, Loading } from "../components/Status";
import { formatDuration, formatKeyShift, formatPercent, songLabel } from "../format";
import { Link, navigate, type Route } from "../router";

/** Pair check: are these two recordings the same song, how sure, and where do they match? */
export function CheckPage({ route }: { route: Route }) {
  const a = route.params.get("a") ?? undefined;
  const b = route.params.get("b") ?? undefined;
  const ready = a && b && a !== b;
  const result = useQuery({
    queryKey: ["check", a, b],
    queryFn: () => api.check(a!, b!),
    enabled: !!ready,
  });

  const pick = (which: "a" | "b", song: Song | undefined) => navigate("/check", { a, b, [which]: song?.id });

  return (
    <section aria-labelledby="check-title">
      <header className="page-header">
        <div>
          <h1 id="check-title">Cover check</h1>
          <p className="lede">
            Pick two songs: Coverscope says whether one is a cover of the other and shows where they match.
          </p>
        </div>
      </header>

      <div className="card pickers">
        <SongPicker label="First song" value={a} onChange={(s) => pick("a", s)} />
        <button
          type="button"
          className="button swap"
          aria-label="Swap songs"
          disabled={!a && !b}
          onClick={() => navigate("/check", { a: b, b: a })}
        >
          ⇄
        </button>
        <SongPicker label="Second song" value={b} onChange={(s) => pick("b", s)} autoFocus={!!a && !b} />
      </div>

      {!ready ? (
        <EmptyState title={a && a === b ? "Pick two different songs" : "Pick two songs to compare"}>
          <p>
            Search the library by title or artist. You can also start from a row in the{" "}
            <Link to="/library">library</Link> or a result in the <Link to="/rank">rank view</Link>.
          </p>
        </EmptyState>
      ) : result.error ? (
        <ErrorBox error={result.error} onRetry={() => void result.refetch()} />
      ) : !result.data ? (
        <Loading label="Comparing the two recordings…" />
      ) : (
        <CheckResult check={result.data} />
      )}
    </section>
  );
}

function CheckResult({ check }: { check: PairCheck }) {
  const playerA = useRef<HTMLAudioElement>(null);
  const playerB = useRef<HTMLAudioElement>(null);

  const jump = (player: HTMLAudioElement | null, other: HTMLAudioElement | null, at: number) => {
    if (!player) return;
    other?.pause();
    player.currentTime = at;
    player.play().catch(() => undefined);
  };

  return (
    <div className="check-result">
      <section
        className={`verdict ${check.is_cover ? "verdict-cover" : "verdict-different"}`}
        aria-labelledby="verdict-title"
      >
        <h2 id="verdict-title">{check.is_cover ? "Same song — likely a cover" : "Different songs"}</h2>
        <p>
          Confidence{" "}
          <strong>{formatPercent(check.is_cover ? check.probability : 1 - check.probability)}</strong> that{" "}
          {check.is_cover ? "they are" : "they are not"} the same song (probability of a cover:{" "}
          {formatPercent(check.probability)}).
        </p>
        <p className="verdict-actions">
          <a className="button small" href={check.report_url} target="_blank" rel="noopener noreferrer">
            Printable report
          </a>
        </p>
      </section>

      {/* The API's distance and threshold are minus the fused score and its threshold. */}
      <Evidence components={check.components} fused={-check.distance} threshold={-check.threshold} />

      <dl className="facts" aria-label="Explanation">
        <div>
          <dt>Key shift</dt>
          <dd>{formatKeyShift(check.key_shift)}</dd>
        </div>
        <div>
          <dt>Fused score</dt>
          <dd>
            {(-check.distance).toFixed(2)} (threshold {(-check.threshold).toFixed(2)})
          </dd>
        </div>
        <div>
          <dt>Segment agreement</dt>
          <dd>{formatPercent(check.segment_agreement)}</dd>
        </div>
        <div>
          <dt>Alignment distance</dt>
          <dd>
            {check.alignment_distance === null
              ? "none (no passage aligns)"
              : check.alignment_distance.toFixed(3)}
          </dd>
        </div>
        <div>
          <dt>Model</dt>
          <dd>
            <code>{check.model_version}</code>
          </dd>
        </div>
        <div>
          <dt>Scorer</dt>
          <dd>
            <code>{check.scorer_version}</code>
          </dd>
        </div>
      </dl>

      <div className="explain-grid">
        <figure className="card similarity">
          <img
            src={check.similarity_image}
            alt={`Cross-similarity between ${songLabel(check.a)} and ${songLabel(check.b)}, matched passages highlighted`}
          />
          <figcaption>
            Cross-similarity of the two chroma sequences at the best key shift (A down, B across). Diagonal
            stripes are passages played the same way; the highlighted ones are the matches below.
          </figcaption>
        </figure>

        <div className="card players">
          <h3>
            A:{" "}
            <Link to="/rank" params={{ song: check.a.id }}>
              {songLabel(check.a)}
            </Link>
          </h3>
          <audio
            ref={playerA}
            controls
            preload="metadata"
            src={audioUrl(check.a)}
            aria-label={`Player A: ${songLabel(check.a)}`}
          />
          <Timeline song={check.a} spans={check.matches.map((m) => [m.a_start, m.a_end])} />
          <h3>
            B:{" "}
            <Link to="/rank" params={{ song: check.b.id }}>
              {songLabel(check.b)}
            </Link>
          </h3>
          <audio
            ref={playerB}
            controls
            preload="metadata"
            src={audioUrl(check.b)}
            aria-label={`Player B: ${songLabel(check.b)}`}
          />
          <Timeline song={check.b} spans={check.matches.map((m) => [m.b_start, m.b_end])} />
          <p className="hint">
            Orange bars mark the matched passages in each recording. Use the buttons under “Matched passages”
            to hear them side by side.
          </p>
        </div>
      </div>

      <section className="card" aria-labelledby="matches-title">
        <h2 id="matches-title">Matched passages</h2>
        {check.matches.length === 0 ? (
          <p className="muted">No passage aligns well enough to highlight.</p>
        ) : (
          <div className="scroll-x">
            <table className="matches">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">In A</th>
                  <th scope="col">In B</th>
                  <th scope="col">Score</th>
                </tr>
              </thead>
              <tbody>
                {check.matches.map((m: Match, i) => (
                  <tr key={i}>
                    <td>{i + 1}</td>
                    <td>
                      <button
                        type="button"
                        className="button small"
                        onClick={() => jump(playerA.current, playerB.current, m.a_start)}
                      >
                        ▶ Play A {formatDuration(m.a_start)}–{formatDuration(m.a_end)}
                      </button>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="button small"
                        onClick={() => jump(playerB.current, playerA.current, m.b_start)}
                      >
                        ▶ Play B {formatDuration(m.b_start)}–{formatDuration(m.b_end)}
                      </button>
                    </td>
                    <td>{m.score.toFixed(0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </div>
  );
}
