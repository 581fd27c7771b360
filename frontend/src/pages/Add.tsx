import { useEffect, useState, type DragEvent } from "react";
import { adviceFor, api, errorMessage, isFinished, type Job, type Song } from "../api";
import { JobCard } from "../components/JobCard";
import { Recorder } from "../components/Recorder";
import { useToast } from "../components/Toasts";
import { useJobs } from "../hooks/useJobs";
import { songLabel } from "../format";
import { Link } from "../router";

/** Split pasted text into URLs: one per line, or separated by spaces or commas. */
export function parseUrls(text: string): string[] {
  const urls = text
    .split(/[\s,]+/)
    .map((u) => u.trim())
    .filter(Boolean);
  return [...new Set(urls)];
}

/** A YouTube playlist link (a `list=` parameter and no single video). */
export function isPlaylist(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.searchParams.has("list") && !parsed.searchParams.has("v");
  } catch {
    return false;
  }
}

function uniqueSongs(songs: Song[]): Song[] {
  return [...new Map(songs.map((s) => [s.id, s])).values()];
}

/** Add songs from URLs, files or the microphone; every addition becomes a job with live progress. */
export function AddPage() {
  const notify = useToast();
  const [urlText, setUrlText] = useState("");
  const [title, setTitle] = useState("");
  const [artist, setArtist] = useState("");
  const [submitting, setSubmitting] = useState(false);
  const [existing, setExisting] = useState<Song[]>([]);
  const [problems, setProblems] = useState<{ source: string; message: string; advice?: string }[]>([]);
  const [dragging, setDragging] = useState(false);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const { jobs, add } = useJobs((job: Job) => {
    if (job.status === "done" && job.song_id) {
      api.getSong(job.song_id).then(
        (song) => notify(`Added “${songLabel(song)}”.`, "success"),
        () => notify(`Added ${labels[job.id] ?? job.source ?? "a song"}.`, "success"),
      );
    } else if (job.status === "failed") notify(job.error ?? "A job failed.", "error");
  });

  // Jobs still running from an earlier visit come back with their progress.
  useEffect(() => {
    api.listJobs(20).then(
      (page) => add(page.items.filter((j) => !isFinished(j))),
      () => undefined,
    );
  }, [add]);

  const urls = parseUrls(urlText);
  const single = urls.length === 1;

  const addUrls = async () => {
    if (urls.length === 0) return;
    setSubmitting(true);
    setProblems([]);
    try {
      if (single && isPlaylist(urls[0])) {
        const result = await api.addPlaylist(urls[0]);
        add(result.jobs);
        setExisting((e) => uniqueSongs([...result.existing, ...e]));
        setProblems(result.errors.map((err) => ({ source: err.url, message: err.error })));
        notify(
          `Started ${result.jobs.length} job${result.jobs.length === 1 ? "" : "s"} from the playlist.`,
          "success",
        );
      } else if (single) {
        const result = await api.addUrl(urls[0], {
          title: title.trim() || undefined,
          artist: artist.trim() || undefined,
        });
        if ("job" in result) add([result.job]);
        else {
          setExisting((e) => uniqueSongs([result.song, ...e]));
          notify(`Already in the library: ${songLabel(result.song)}.`, "info");
        }
      } else {
        const result = await api.addUrls(urls);
        add(result.jobs);
        setExisting((e) => uniqueSongs([...result.existing, ...e]));
        setProblems(result.errors.map((err) => ({ source: err.url, message: err.error })));
        if (result.jobs.length)
          notify(`Started ${result.jobs.length} job${result.jobs.length === 1 ? "" : "s"}.`, "success");
      }
      setUrlText("");
      setTitle("");
      setArtist("");
    } catch (err) {
      setProblems([
        {
          source: single ? urls[0] : `${urls.length} URLs`,
          message: errorMessage(err),
          advice: adviceFor(err),
        },
      ]);
      notify(errorMessage(err), "error");
    } finally {
      setSubmitting(false);
    }
  };

  const addCsv = async (file: File) => {
    setProblems([]);
    try {
      const result = await api.addCsv(file, file.name);
      add(result.jobs);
      setExisting((e) => uniqueSongs([...result.existing, ...e]));
      setProblems(result.errors.map((err) => ({ source: err.url, message: err.error })));
      notify(
        `${file.name}: ${result.jobs.length} started, ${result.existing.length} already in the library, ${result.errors.length} not added.`,
        result.errors.length ? "error" : "success",
      );
    } catch (err) {
      setProblems([{ source: file.name, message: errorMessage(err), advice: adviceFor(err) }]);
      notify(`${file.name}: ${errorMessage(err)}`, "error");
    }
  };

  const upload = async (files: { blob: Blob; name: string }[]) => {
    for (const { blob, name } of files) {
      try {
        const result = await api.upload(blob, name, { title: name.replace(/\.[^.]+$/, "") });
        if ("job" in result) {
          setLabels((l) => ({ ...l, [result.job.id]: name }));
          add([result.job]);
        } else {
          setExisting((e) => uniqueSongs([result.song, ...e]));
          notify(`${name} is already in the library: ${songLabel(result.song)}.`, "info");
        }
      } catch (err) {
        setProblems((p) => [...p, { source: name, message: errorMessage(err), advice: adviceFor(err) }]);
        notify(`${name}: ${errorMessage(err)}`, "error");
      }
    }
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    const files = [...e.dataTransfer.files].filter(
      (f) => f.type.startsWith("audio/") || f.type.startsWith("video/") || !f.type,
    );
    void upload(files.map((f) => ({ blob: f, name: f.name })));
  };

  return (
    <section aria-labelledby="add-title">
      <header className="page-header">
        <div>
          <h1 id="add-title">Add songs</h1>
          <p className="lede">
            Each recording is downloaded or uploaded, analysed, and added to the library.
          </p>
        </div>
      </header>

      <div className="add-grid">
        <form
          className="card"
          aria-labelledby="add-url-title"
          onSubmit={(e) => {
            e.preventDefault();
            void addUrls();
          }}
        >
          <h2 id="add-url-title">From YouTube</h2>
          <label htmlFor="add-urls">YouTube URLs</label>
          <textarea
            id="add-urls"
            rows={4}
            placeholder={"https://www.youtube.com/watch?v=…\nOne URL per line — or a playlist"}
            value={urlText}
            onChange={(e) => setUrlText(e.target.value)}
          />
          {single && (
            <div className="form-row">
              <div>
                <label htmlFor="add-title-input">Title (optional)</label>
                <input id="add-title-input" value={title} onChange={(e) => setTitle(e.target.value)} />
              </div>
              <div>
                <label htmlFor="add-artist-input">Artist (optional)</label>
                <input id="add-artist-input" value={artist} onChange={(e) => setArtist(e.target.value)} />
              </div>
            </div>
          )}
          <div className="actions">
            <button type="submit" className="button primary" disabled={submitting || urls.length === 0}>
              {submitting ? "Adding…" : urls.length > 1 ? `Add ${urls.length} songs` : "Add song"}
            </button>
            <label htmlFor="add-csv" className="button upload-button">
              Import a CSV of URLs
              <input
                id="add-csv"
                className="visually-hidden"
                type="file"
                accept=".csv,text/csv,text/plain"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  e.target.value = "";
                  if (file) void addCsv(file);
                }}
              />
            </label>
          </div>
        </form>

        <div
          className={`card dropzone${dragging ? " dragging" : ""}`}
          onDragOver={(e) => {
            e.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={onDrop}
        >
          <h2>Upload audio files</h2>
          <p className="hint">Drop files here or choose them. MP3, WAV, M4A, OGG, FLAC, WebM.</p>
          <label htmlFor="add-files" className="button upload-button">
            Choose audio files
            <input
              id="add-files"
              className="visually-hidden"
              type="file"
              accept="audio/*,video/*"
              multiple
              onChange={(e) => {
                const files = [...(e.target.files ?? [])];
                e.target.value = "";
                void upload(files.map((f) => ({ blob: f, name: f.name })));
              }}
            />
          </label>
        </div>

        <div className="card">
          <h2>Record</h2>
          <Recorder onRecorded={(clip, name) => void upload([{ blob: clip, name }])} />
        </div>
      </div>

      {problems.length > 0 && (
        <section className="card problems" aria-labelledby="problems-title" role="alert">
          <h2 id="problems-title">Not added</h2>
          <ul>
            {problems.map((p, i) => (
              <li key={i}>
                <strong>{p.source}</strong>: {p.message} {p.advice ?? ""}
              </li>
            ))}
          </ul>
        </section>
      )}

      {existing.length > 0 && (
        <section className="card" aria-labelledby="existing-title">
          <h2 id="existing-title">Already in the library</h2>
          <ul className="plain-list">
            {existing.map((song) => (
              <li key={song.id}>
                <Link to="/rank" params={{ song: song.id }}>
                  {songLabel(song)}
                </Link>
              </li>
            ))}
          </ul>
        </section>
      )}

      <section className="card" aria-labelledby="jobs-title">
        <h2 id="jobs-title">Jobs</h2>
        {jobs.length === 0 ? (
          <p className="muted">
            Jobs you start here appear with their progress. You can leave the page; they keep running.
          </p>
        ) : (
          <ul className="job-list">
            {jobs.map((job) => (
              <JobCard key={job.id} job={job} label={labels[job.id]} />
            ))}
          </ul>
        )}
      </section>
    </section>
  );
}
