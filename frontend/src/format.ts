/** Display formatting for durations, dates and scores. */

export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "–";
  const total = Math.max(0, Math.round(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, "0") : String(m);
  return `${h ? `${h}:` : ""}${mm}:${String(s).padStart(2, "0")}`;
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return "–";
  const then = new Date(iso).getTime();
  if (Number.isNaN(then)) return iso;
  const seconds = Math.round((now - then) / 1000);
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  return formatDate(iso);
}

export function formatPercent(fraction: number, digits = 0): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

export function formatKeyShift(semitones: number): string {
  if (semitones === 0) return "same key";
  const n = Math.abs(semitones);
  return `${semitones > 0 ? "+" : "−"}${n} semitone${n === 1 ? "" : "s"}`;
}

/** Song label for pickers and headings: "Title — Artist". */
export function songLabel(song: { title: string; artist: string }): string {
  const title = song.title || "Untitled";
  return song.artist ? `${title} — ${song.artist}` : title;
}

/** Human name of a job stage. */
export const STAGE_LABEL: Record<string, string> = {
  queued: "Waiting in queue",
  downloading: "Downloading audio",
  extracting: "Extracting chroma features",
  embedding: "Computing embedding",
  analysing: "Analysing harmony, timbre and structure",
  listing: "Listing the playlist",
  queueing: "Queueing its songs",
  linking: "Linking to similar songs",
  decoding: "Decoding the clip",
  "first stage": "Shortlisting candidates",
  scoring: "Scoring candidates",
  done: "Done",
  failed: "Failed",
};

/** Plain-words name of each evidence component of the fused scorer (model/score.py). */
export const COMPONENT_LABEL: Record<string, string> = {
  qmax: "Harmony (chroma alignment)",
  early: "Harmony+timbre+structure (early fusion)",
  hpcp: "Harmony blocks",
  mfcc: "Timbre",
  ssm: "Structure",
  embedding: "Embedding",
};

/** Display order of the components: the fused evidence first, then what it is made of. */
export const COMPONENT_ORDER = ["qmax", "early", "hpcp", "mfcc", "ssm", "embedding"];

export function componentLabel(name: string): string {
  return COMPONENT_LABEL[name] ?? name;
}

/** A value on the z scale with its sign: "+2.4", "−0.7". */
export function formatZ(z: number): string {
  if (!Number.isFinite(z)) return "–";
  return `${z < 0 ? "−" : "+"}${Math.abs(z).toFixed(1)}`;
}
