import { useMutation, useQuery } from "@tanstack/react-query";
import { Fragment, type ReactNode } from "react";
import {
  api,
  audioUrl,
  isFinished,
  type Job,
  type Rank,
  type RankResult,
  type RankSource,
  type Song,
} from "../api";
import { SongPicker } from "../components/SongPicker";
import { Versions } from "../components/Versions";
import { EmptyState, ErrorBox, Loading } from "../components/Status";
import { STAGE_LABEL, formatDate, formatDuration, formatPercent, songLabel } from "../format";
import { Link, navigate, type Route } from "../router";

const LIMIT = 50;
/** How many of the closest songs the alignment re-rank re-scores when it is on. */
const RERANK = 5;
/** How often a running clip query's job is polled (ms). */
const POLL_MS = 1000;

/** Rank the library against a song (or an uploaded clip), closest first, with the cover threshold. */
export function RankPage({ route }: { route: Route }) {
  const songId = route.params.get("song") ?? undefined;
  const clipJob = route.params.get("clip") ?? undefined;
  const rerank = route.params.get("rerank") ? RERANK : 0;
  const songRank = useQuery({
    queryKey: ["rank", songId, rerank],
    queryFn: () => api.rankSong(songId!, { limit: LIMIT, rerank }),
    enabled: !!songId,
  });
  const upload = useMutation({
    mutationFn: (file: File) => api.rankClip(file, file.name, { limit: LIMIT }),
    onSuccess: ({ job }) => navigate("/rank", { clip: job.id }),
  });
  const job = useQuery({
    queryKey: ["job", clipJob],
    queryFn: () => api.getJob(clipJob!),
    enabled: !!clipJob,
    refetchInterval: ({ state }) => (state.data && isFinished(state.data) ? false : POLL_MS),
  });
  const clipRank = useQuery({
    queryKey: ["clip-rank", clipJob],
    queryFn: () => api.clipRank(clipJob!, { limit: LIMIT }),
    enabled: !!clipJob && job.data?.status === "done",
  });

  const rankClip = (file: File) => {
    navigate("/rank", { rerank: rerank ? "1" : undefined });
    upload.mutate(file);
  };

  let body: ReactNode;
  if (songId) {
    body = songRank.error ? (
      <ErrorBox error={songRank.error} onRetry={() => void songRank.refetch()} />
    ) : songRank.data ? (
      <RankView rank={songRank.data} />
    ) : (
      <Loading label="Ranking the library…" />
    );
  } else if (clipJob) {
    const failed =
      job.data?.status === "failed" ? new Error(job.data.error ?? "The clip query failed.") : null;
    const error = job.error ?? failed ?? clipRank.error;
    body = error ? (
      <ErrorBox error={error} />
    ) : clipRank.data ? (
      <RankView rank={clipRank.data} />
    ) : job.data && !isFinished(job.data) ? (
      <ClipProgress job={job.data} />
    ) : (
      <Loading label="Reading the clip's ranking…" />
    );
  } else if (!upload.isIdle) {
    body = upload.error ? (
      <ErrorBox error={upload.error} />
    ) : (
      <Loading label={`Uploading ${upload.variables?.name ?? "the clip"}…`} />
    );
  } else {
    body = (
      <EmptyState title="Pick a song or upload a clip">
        <p>
          A song's closest versions come first, scored pair by pair when it was added; the rest of the library
          follows by embedding similarity. Songs above the threshold line are likely covers.
        </p>
      </EmptyState>
    );
  }

  return (
    <section aria-labelledby="rank-title">
      <header className="page-header">
        <div>
          <h1 id="rank-title">Rank</h1>
          <p className="lede">The library sorted by similarity to a song or a clip.</p>
        </div>
      </header>

      <div className="card pickers">
        <SongPicker
          label="Query song"
          value={songId}
          onChange={(song?: Song) => song && navigate("/rank", { song: song.id })}
        />
        <span className="or">or</span>
        <label htmlFor="rank-clip" className="button upload-button">
          Upload a clip
          <input
            id="rank-clip"
            className="visually-hidden"
            type="file"
            accept="audio/*,video/*"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = "";
              if (file) rankClip(file);
            }}
          />
        </label>
        <label className="check-label">
          <input
            type="checkbox"
            checked={rerank > 0}
            onChange={(e) => navigate("/rank", { song: songId, rerank: e.target.checked ? "1" : undefined })}
          />
          Re-rank the top {RERANK} by the fused scorer (slower, more precise)
        </label>
      </div>

      {body}
    </section>
  );
}

/** A clip query's job while it runs: its stage and progress. */
function ClipProgress({ job }: { job: Job }) {
  const progress = Math.max(0, Math.min(100, Math.round(job.progress)));
  return (
    <div className="card" role="status" aria-label="Clip query">
      <h2>Analysing {job.source}…</h2>
      <div
        className="progress"
        role="progressbar"
        aria-label={`Progress of ${job.source}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress}
      >
        <div className="progress-fill" style={{ width: `${progress}%` }} />
      </div>
      <p className="muted">
        {STAGE_LABEL[job.stage] ?? job.stage} · {progress}%
      </p>
    </div>
  );
}

/** Whether a result is past its threshold: a fused-scored result by the scorer's, a first-stage
 * result by the embedding's. */
export function pastThreshold(result: RankResult, rank: Rank): boolean {
  if (result.source !== "first_stage" && result.fused !== undefined)
    return -result.fused <= rank.scorer_threshold;
  return result.distance <= rank.threshold;
}

function RankView({ rank }: { rank: Rank }) {
  const query = "song" in rank.query ? rank.query.song : undefined;
  const covers = rank.results.filter((r) => r.is_cover).length;
  // The threshold line goes after the last result past its threshold (the fused scorer's for
  // scored results, the embedding's beyond them).
  const lineAfter = rank.results.reduce((last, r, i) => (pastThreshold(r, rank) ? i : last), -1);
  const scoredLine = (rank.results[Math.max(0, lineAfter)]?.source ?? "first_stage") !== "first_stage";
  const line = <ThresholdRow rank={rank} scored={scoredLine} />;

  return (
    <>
      {query ? (
        <QuerySong song={query} />
      ) : (
        <div className="card">
          <h2>Clip: {"upload" in rank.query ? rank.query.upload : ""}</h2>
        </div>
      )}
      <p className="summary" role="status">
        {rank.results.length === 0
          ? "No other songs in the library yet."
          : `${covers} likely cover${covers === 1 ? "" : "s"} among ${rank.results.length} songs.`}
      </p>
      {rank.results.length > 0 && (
        <div className="table-wrap">
          <table className="rank" aria-label="Ranked songs">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Song</th>
                <th scope="col">Similarity</th>
                <th scope="col">Verdict</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {lineAfter === -1 && line}
              {rank.results.map((r, i) => (
                <Fragment key={r.song.id}>
                  <ResultRow index={i} result={r} query={query} />
                  {i === lineAfter && line}
                </Fragment>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function QuerySong({ song }: { song: Song }) {
  return (
    <div className="card query-song">
      <div>
        <h2>{songLabel(song)}</h2>
        <p className="muted">
          {formatDuration(song.duration)} · added {formatDate(song.created_at)} · model{" "}
          <code>{song.model_version}</code>
          {song.url && (
            <>
              {" · "}
              <a href={song.url} target="_blank" rel="noreferrer noopener" className="link">
                source ↗
              </a>
            </>
          )}
        </p>
      </div>
      <div className="query-actions">
        <audio controls preload="none" src={audioUrl(song)} aria-label={`Play ${songLabel(song)}`} />
        <Link to="/check" params={{ a: song.id }} className="button small">
          Check against another song
        </Link>
      </div>
      <Versions song={song} />
    </div>
  );
}

function ResultRow({ index, result, query }: { index: number; result: RankResult; query?: Song }) {
  const pct = Math.max(0, Math.min(100, result.similarity));
  const open = () => query && navigate("/check", { a: query.id, b: result.song.id });
  return (
    <tr className={query ? "clickable" : undefined} onClick={open}>
      <td>{index + 1}</td>
      <td>
        <Link to="/rank" params={{ song: result.song.id }} onClick={(e) => e.stopPropagation()}>
          {songLabel(result.song)}
        </Link>
      </td>
      <td>
        <div className="sim-cell">
          <div className="bar" aria-hidden="true">
            <div style={{ width: `${pct}%` }} />
          </div>
          <span>{result.similarity.toFixed(1)}%</span>
        </div>
      </td>
      <td>
        {result.is_cover ? (
          <span className="badge badge-cover" title={`probability ${formatPercent(result.probability)}`}>
            Cover · {formatPercent(result.probability)}
          </span>
        ) : (
          <span className="badge badge-muted">{formatPercent(result.probability)}</span>
        )}{" "}
        <span className="source muted" title={SOURCE_LABEL[result.source].title}>
          {SOURCE_LABEL[result.source].text}
          {result.fused !== undefined && ` · fused ${result.fused.toFixed(2)}`}
        </span>
      </td>
      <td>
        {query && (
          <Link
            to="/check"
            params={{ a: query.id, b: result.song.id }}
            className="button small"
            aria-label={`Compare with ${songLabel(result.song)}`}
            onClick={(e) => e.stopPropagation()}
          >
            Compare
          </Link>
        )}
      </td>
    </tr>
  );
}

function ThresholdRow({ rank, scored }: { rank: Rank; scored: boolean }) {
  return (
    <tr className="threshold-row" aria-label="Cover threshold">
      <td colSpan={5}>
        <span>
          {scored
            ? `cover threshold · fused score ${(-rank.scorer_threshold).toFixed(2)}`
            : `cover threshold · distance ${rank.threshold.toFixed(2)}`}
        </span>
      </td>
    </tr>
  );
}

const SOURCE_LABEL: Record<RankSource, { text: string; title: string }> = {
  graph: { text: "scored pair", title: "Scored against the query by the fused scorer; placed by diffusion" },
  rerank: { text: "re-scored", title: "Re-scored against the query by the fused scorer on request" },
  first_stage: { text: "embedding", title: "Placed and judged by the embedding alone" },
};
