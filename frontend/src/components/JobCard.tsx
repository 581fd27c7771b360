import { useEffect, useState } from "react";
import { api, type Job } from "../api";
import { STAGE_LABEL, songLabel } from "../format";
import { Link } from "../router";

const KIND_LABEL: Record<string, string> = {
  ingest_url: "URL",
  ingest_upload: "Upload",
  reembed: "Re-embed library",
  backfill_analyses: "Analyse library",
  expand_playlist: "Playlist",
  rebuild_graph: "Rescore the graph",
  rank_clip: "Clip query",
};

/** One ingest job: source, live progress bar, stage, and where to go when it is done. */
export function JobCard({ job, label }: { job: Job; label?: string }) {
  const song = useSongTitle(job);
  const source = label ?? job.source ?? KIND_LABEL[job.kind] ?? job.kind;
  const name = song ?? source;
  const progress = Math.max(0, Math.min(100, Math.round(job.progress)));
  return (
    <li className={`job job-${job.status}`} aria-label={`Job ${name}`}>
      <div className="job-head">
        <span className="job-source" title={name}>
          {name}
        </span>
        <span className={`badge badge-${job.status}`}>{job.status}</span>
      </div>
      {song && source !== song && <div className="job-sub">{source}</div>}
      <div
        className="progress"
        role="progressbar"
        aria-label={`Progress of ${name}`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={progress}
      >
        <div className="progress-fill" style={{ width: `${progress}%` }} />
      </div>
      <div className="job-foot">
        <span className="job-stage">
          {STAGE_LABEL[job.stage] ?? job.stage} · {progress}%
        </span>
        {job.status === "done" && job.song_id && (
          <Link to="/rank" params={{ song: job.song_id }} className="link">
            Open song →
          </Link>
        )}
      </div>
      {job.note && <p className="job-sub">{job.note}</p>}
      {job.status === "failed" && (
        <p className="job-error">
          {job.error ?? "The job failed."} Check the source and add it again, or try another file.
        </p>
      )}
    </li>
  );
}

/** Once a job has made a song, its title reads better than the source URL. */
function useSongTitle(job: Job): string | undefined {
  const [title, setTitle] = useState<string>();
  const songId = job.status === "done" ? job.song_id : null;
  useEffect(() => {
    if (!songId) return;
    let stale = false;
    api.getSong(songId).then(
      (song) => !stale && setTitle(songLabel(song)),
      () => undefined,
    );
    return () => {
      stale = true;
    };
  }, [songId]);
  return title;
}
