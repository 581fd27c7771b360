/**
 * Typed client for the Coverscope HTTP API (docs/api.md). Every request the app makes goes
 * through this module; pages never call fetch directly.
 */

export interface Song {
  id: string;
  title: string;
  artist: string;
  source: string;
  url: string | null;
  video_id: string | null;
  /** The uploaded file's name, for uploads (the backend sends it; not in docs/api.md). */
  filename?: string | null;
  duration: number | null;
  tags: string[];
  notes: string;
  model_version: string;
  created_at: string;
  updated_at: string;
  audio_url: string;
}

export type JobStatus = "queued" | "running" | "done" | "failed";
export type JobStage = "queued" | "downloading" | "extracting" | "embedding" | "done" | "failed";
export type JobKind = "ingest_url" | "ingest_upload" | "reembed";

export interface Job {
  id: string;
  kind: JobKind;
  status: JobStatus;
  stage: JobStage;
  progress: number;
  song_id: string | null;
  error: string | null;
  source: string | null;
  created_at: string;
  updated_at: string;
}

export interface Health {
  status: string;
  db: string;
  store: string;
  model_version: string;
}

export interface Stats {
  songs: number;
  jobs: Record<JobStatus, number>;
  model_version: string;
}

export interface SongPage {
  items: Song[];
  total: number;
  page: number;
  per_page: number;
}

export type SortField = "created_at" | "title" | "artist" | "duration";
export type SortOrder = "asc" | "desc";

export interface SongQuery {
  q?: string;
  page?: number;
  per_page?: number;
  sort?: SortField;
  order?: SortOrder;
}

export interface SongEdit {
  title?: string;
  artist?: string;
  tags?: string[];
  notes?: string;
}

/** `POST /api/songs` answers either a new job or the song already in the library. */
export type AddResult = { job: Job } | { song: Song; existing: true };

export interface BulkResult {
  jobs: Job[];
  existing: Song[];
  errors: { url: string; error: string }[];
}

export interface Match {
  a_start: number;
  a_end: number;
  b_start: number;
  b_end: number;
  score: number;
}

export interface PairCheck {
  a: Song;
  b: Song;
  is_cover: boolean;
  probability: number;
  distance: number;
  threshold: number;
  key_shift: number;
  segment_agreement: number;
  /** `null` when no passage aligns (the chroma alignment found no path). */
  alignment_distance: number | null;
  matches: Match[];
  similarity_image: string;
  model_version: string;
}

export interface RankResult {
  song: Song;
  distance: number;
  similarity: number;
  is_cover: boolean;
  probability: number;
}

export interface Rank {
  query: { song: Song } | { upload: string };
  threshold: number;
  results: RankResult[];
}

export type Point = [number, number];

export interface ModelInfo {
  version: string;
  /** Songs embedded with another model version (re-embed to refresh them); not in docs/api.md. */
  stale_songs?: number;
  threshold: number;
  calibration: Record<string, unknown>;
  config: Record<string, unknown>;
  training: Record<string, unknown>;
  benchmarks: Record<string, unknown>;
  curves: { roc: Point[]; pr: Point[]; thresholds: number[] };
}

export interface MapPoint {
  song: Song;
  x: number;
  y: number;
  group: number;
}

/** An error answered by the API (`{"error": {"code", "message"}}`) or by the network. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(code: string, message: string, status: number) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
  }
}

const API_KEY_STORAGE = "coverscope.apiKey";

export function getApiKey(): string {
  try {
    return localStorage.getItem(API_KEY_STORAGE) ?? "";
  } catch {
    return "";
  }
}

export function setApiKey(key: string): void {
  if (key) localStorage.setItem(API_KEY_STORAGE, key);
  else localStorage.removeItem(API_KEY_STORAGE);
}

/** What to tell the user when a request fails, by error code. */
const ADVICE: Record<string, string> = {
  unauthorized: "This server needs an API key: set it under Settings in the sidebar.",
  network: "Check that the Coverscope server is running, then try again.",
  storage_unavailable: "The database or feature store is down; try again in a minute.",
  too_large: "Try a shorter clip or a smaller file.",
  undecodable_audio: "Try another file format (MP3, WAV, M4A, OGG, FLAC, WebM).",
  source_unavailable: "Check that the video is public and the URL is correct.",
  invalid_source: "Paste a YouTube video or playlist URL.",
};

export function adviceFor(error: unknown): string | undefined {
  return error instanceof ApiError ? ADVICE[error.code] : undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

type Query = Record<string, string | number | undefined>;

function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request<T>(method: string, path: string, body?: unknown, query?: Query): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  let payload: BodyInit | undefined;
  if (body instanceof FormData) {
    payload = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const key = getApiKey();
  if (key && method !== "GET") headers["X-API-Key"] = key;

  let response: Response;
  try {
    response = await fetch(withQuery(`/api${path}`, query), { method, headers, body: payload });
  } catch {
    throw new ApiError("network", "Cannot reach the Coverscope server.", 0);
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let data: unknown = undefined;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = undefined;
    }
  }
  if (!response.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(
      err?.code ?? `http_${response.status}`,
      err?.message ?? `The server answered ${response.status} ${response.statusText}.`.trim(),
      response.status,
    );
  }
  return data as T;
}

function form(file: Blob, fileName: string, extra: Record<string, string | undefined> = {}): FormData {
  const data = new FormData();
  data.append("file", file, fileName);
  for (const [key, value] of Object.entries(extra)) if (value) data.append(key, value);
  return data;
}

export const api = {
  health: () => request<Health>("GET", "/health"),
  stats: () => request<Stats>("GET", "/stats"),

  listSongs: (query: SongQuery = {}) => request<SongPage>("GET", "/songs", undefined, { ...query }),
  getSong: (id: string) => request<Song>("GET", `/songs/${encodeURIComponent(id)}`),
  updateSong: (id: string, edit: SongEdit) =>
    request<Song>("PATCH", `/songs/${encodeURIComponent(id)}`, edit),
  deleteSong: (id: string) => request<void>("DELETE", `/songs/${encodeURIComponent(id)}`),
  deleteSongs: (ids: string[]) => request<{ deleted: number }>("POST", "/songs/delete", { ids }),

  addUrl: (url: string, meta: { title?: string; artist?: string } = {}) =>
    request<AddResult>("POST", "/songs", { url, ...meta }),
  addUrls: (urls: string[]) => request<BulkResult>("POST", "/songs/bulk", { urls }),
  /** A CSV file with one URL per row. */
  addCsv: (file: Blob, fileName: string) => request<BulkResult>("POST", "/songs/bulk", form(file, fileName)),
  addPlaylist: (playlist: string) => request<BulkResult>("POST", "/songs/bulk", { playlist }),
  upload: (file: Blob, fileName: string, meta: { title?: string; artist?: string } = {}) =>
    request<{ job: Job }>("POST", "/songs/upload", form(file, fileName, meta)),

  listJobs: (limit = 20) => request<{ items: Job[] }>("GET", "/jobs", undefined, { limit }),
  getJob: (id: string) => request<Job>("GET", `/jobs/${encodeURIComponent(id)}`),

  check: (a: string, b: string) => request<PairCheck>("GET", "/check", undefined, { a, b }),
  rankSong: (song: string, options: { rerank?: number; limit?: number } = {}) =>
    request<Rank>("GET", "/rank", undefined, { song, ...options }),
  rankClip: (file: Blob, fileName: string, options: { rerank?: number; limit?: number } = {}) =>
    request<Rank>("POST", "/rank", form(file, fileName), { ...options }),

  model: () => request<ModelInfo>("GET", "/model").then(normaliseModel),
  setThreshold: (threshold: number) =>
    request<ModelInfo>("PUT", "/model/threshold", { threshold }).then(normaliseModel),
  reembed: () => request<{ job: Job }>("POST", "/model/reembed"),

  map: () => request<{ points: MapPoint[] }>("GET", "/map"),
};

/** URL of a song's audio, for `<audio src>`; the API gives it, with a fallback. */
export function audioUrl(song: Song): string {
  return song.audio_url || `/api/songs/${encodeURIComponent(song.id)}/audio`;
}

export function isFinished(job: Job): boolean {
  return job.status === "done" || job.status === "failed";
}

/** A model without evaluation figures answers `"curves": {}`; give the pages empty curves. */
function normaliseModel(model: ModelInfo): ModelInfo {
  const curves: Partial<ModelInfo["curves"]> = model.curves ?? {};
  return {
    ...model,
    curves: { roc: curves.roc ?? [], pr: curves.pr ?? [], thresholds: curves.thresholds ?? [] },
  };
}
