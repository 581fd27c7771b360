import { useMutation, useQuery } from "@tanstack/react-query";
import { Fragment } from "react";
import { api, audioUrl, type Rank, type RankResult, type Song } from "../api";
import { SongPicker } from "../components/SongPicker";
import { EmptyState, ErrorBox, Loading } from "../components/Status";
import { formatDate, formatDuration, formatPercent, songLabel } from "../format";
import { Link, navigate, type Route } from "../router";

const LIMIT = 50;
/** How many of the closest songs the alignment re-rank re-scores when it is on. */
const RERANK = 5;

/** Rank the library against a song (or an uploaded clip), closest first, with the cover threshold. */
export function RankPage({ route }: { route: Route }) {
  const songId = route.params.get("song") ?? undefined;
  const rerank = route.params.get("rerank") ? RERANK : 0;
  const songRank = useQuery({
    queryKey: ["rank", songId, rerank],
    queryFn: () => api.rankSong(songId!, { limit: LIMIT, rerank }),
    enabled: !!songId,
  });
  const clip = useMutation({
    mutationFn: (file: File) => api.rankClip(file, file.name, { limit: LIMIT, rerank }),
  });

  const rankClip = (file: File) => {
    navigate("/rank", { rerank: rerank ? "1" : undefined });
    clip.mutate(file);
  };

  const showClip = !songId && !clip.isIdle;
  const clipName = clip.variables?.name;
  const current = showClip ? clip.data : songRank.data;
  const error = showClip ? clip.error : songRank.error;

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

      {!songId && !showClip ? (
        <EmptyState title="Pick a song or upload a clip">
          <p>
            Every song in the library is scored by how close its embedding is to the query. Songs above the
            threshold line are likely covers.
          </p>
        </EmptyState>
      ) : error ? (
        <ErrorBox error={error} onRetry={showClip ? undefined : () => void songRank.refetch()} />
      ) : !current ? (
        <Loading label={showClip ? `Analysing ${clipName}…` : "Ranking the library…"} />
      ) : (
        <RankView rank={current} />
      )}
    </section>
  );
}

function RankView({ rank }: { rank: Rank }) {
  const query = "song" in rank.query ? rank.query.song : undefined;
  const covers = rank.results.filter((r) => r.is_cover).length;
  // The threshold line goes after the last result that is closer than the threshold.
  const lineAfter = rank.results.reduce((last, r, i) => (r.distance <= rank.threshold ? i : last), -1);

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
              {lineAfter === -1 && <ThresholdRow threshold={rank.threshold} />}
              {rank.results.map((r, i) => (
                <Fragment key={r.song.id}>
                  <ResultRow index={i} result={r} query={query} />
                  {i === lineAfter && <ThresholdRow threshold={rank.threshold} />}
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
        )}
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

function ThresholdRow({ threshold }: { threshold: number }) {
  return (
    <tr className="threshold-row" aria-label="Cover threshold">
      <td colSpan={5}>
        <span>cover threshold · distance {threshold.toFixed(2)}</span>
      </td>
    </tr>
  );
}
