/**
 * Typed client for the Coverscope HTTP API (docs/api.md). Every request the app makes goes
 * through this module; pages never call fetch directly.
 */

import type { components, paths } from "./schema";

/**
 * The API's types come from `schema.ts`, generated from the backend's OpenAPI spec
 * (`npm run gen:api`); the test command fails when it is stale. The spec marks what every
 * answer carries as required, so these are the spec's types under shorter names.
 */
type Schemas = components["schemas"];

/** The JSON body `path` answers to `method` with `status`, as the spec declares it. */
type Answer<
  P extends keyof paths,
  M extends "get" | "post" | "put" | "patch" | "delete",
  S extends number,
> = paths[P][M] extends { responses: infer R }
  ? S extends keyof R
    ? R[S] extends { content: { "application/json": infer J } }
      ? J
      : never
    : never
  : never;

/** Any JSON body the API answers, on any path, method and status (test doubles use it). */
export type AnyAnswer = {
  [P in keyof paths]: {
    [M in keyof paths[P]]: paths[P][M] extends { responses: infer R }
      ? { [S in keyof R]: R[S] extends { content: { "application/json": infer J } } ? J : never }[keyof R]
      : never;
  }[keyof paths[P]];
}[keyof paths];
/** The body of every error answer. */
export type ErrorBody = Schemas["Error"];

export type Song = Schemas["Song"];
export type Job = Schemas["Job"];
export type JobStatus = Job["status"];
export type Health = Answer<"/api/health", "get", 200>;
export type Stats = Answer<"/api/stats", "get", 200>;
export type SongPage = Answer<"/api/songs", "get", 200>;
export type Match = Schemas["Match"];
export type PairCheck = Answer<"/api/check", "get", 200>;
/** One evidence component of a check: `raw` value, `z` on the non-cover scale, fused `weight`. */
export type ComponentScore = Schemas["Component"];
export type MapPoint = Schemas["MapPoint"];
export type BulkResult = Answer<"/api/songs/bulk", "post", 202>;

export type SortField = NonNullable<NonNullable<paths["/api/songs"]["get"]["parameters"]["query"]>["sort"]>;
export type SortOrder = NonNullable<NonNullable<paths["/api/songs"]["get"]["parameters"]["query"]>["order"]>;

export interface SongQuery {
  q?: string;
  page?: number;
  per_page?: number;
  sort?: SortField;
  order?: SortOrder;
}

/** A PATCH sends only the fields it changes. */
export type SongEdit = NonNullable<
  paths["/api/songs/{song_id}"]["patch"]["requestBody"]
>["content"]["application/json"];

/**
 * `POST /api/songs` and `POST /api/songs/upload` answer a new job (202) or, for a video or file
 * already in the library, that song (200).
 */
export type AddResult = Answer<"/api/songs", "post", 202> | Answer<"/api/songs", "post", 200>;

/** A ranked song. `source` says where its place and verdict come from: `graph` (a scored
 * neighbour, placed by diffusion, judged by its fused score), `first_stage` (the embedding order
 * beyond the neighbours, judged by the embedding), `rerank` (the head re-scored on request).
 * The fused score, its components, the diffused score, the key shift and the alignment distance
 * come only with fused-scored results. */
export type RankResult = Schemas["GraphRankEntry"];
export type RankSource = RankResult["source"];
/** `query` is the song ranked against, or the clip's name. */
export type Rank = Answer<"/api/rank", "get", 200>;

/** A library song as the listing gives it: its confirmed versions and cover group. */
export type ListedSong = Schemas["ListedSong"];
export type SongVersions = Answer<"/api/songs/{song_id}/versions", "get", 200>;

/** A curve point: ROC `[fpr, tpr, threshold]`, PR `[recall, precision, threshold]`. */
export type CurvePoint = NonNullable<Schemas["Curves"]["roc"]>[number];
/** A point to draw (x, y). */
export type Point = [number, number];

/** The evaluation's curves, empty when it left none. */
export interface Curves {
  roc: CurvePoint[];
  pr: CurvePoint[];
}

/** A row of the scorer's calibration curve: `[threshold on the fused scale, fpr, tpr]`. */
export type CalibrationRow = Schemas["Scorer"]["curve"][number];

/** Where the scorer's threshold comes from (`coverscope calibrate`); a provisional scorer
 * (`status: "provisional"`) was not fitted and leaves the counts null. */
export type ScorerProvenance = Schemas["Provenance"];

/** The fused scorer behind every verdict: a pair is a cover when its fused score reaches
 * `fused_threshold`; `threshold` is the same on the check's scale (minus it). */
export type Scorer = Schemas["Scorer"];

export type ModelAnswer = Answer<"/api/model", "get", 200>;

/** The model with its curves present (a model without evaluation answers `"curves": {}`). */
export type ModelInfo = Omit<ModelAnswer, "curves"> & { curves: Curves };

/** An error answered by the API (`{"error": {"code", "message"}}`) or by the network. */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  /** Seconds the server asked to wait before trying again (`Retry-After` of a 429 or 503). */
  readonly retryAfter: number | null;

  constructor(code: string, message: string, status: number, retryAfter: number | null = null) {
    super(message);
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.retryAfter = retryAfter;
  }
}

/** Times a read answered 429 "overloaded" is retried after the server's `Retry-After`. */
export const BUSY_RETRIES = 3;

/** Whether a failed read is tried again: only when the server said it was busy (429). */
export function retryWhenBusy(failureCount: number, error: unknown): boolean {
  return error instanceof ApiError && error.status === 429 && failureCount < BUSY_RETRIES;
}

/** The wait before that retry: the server's `Retry-After`, else 2 s (milliseconds). */
export function busyDelay(_attempt: number, error: unknown): number {
  const seconds = error instanceof ApiError && error.retryAfter !== null ? error.retryAfter : 2;
  return Math.min(60, Math.max(1, seconds)) * 1000;
}

const API_KEY_STORAGE = "coverscope.apiKey";
/** Reads only: `<audio>` elements cannot send a header, so the key also rides in this cookie. */
const API_KEY_COOKIE = "coverscope_key";
/** Fired on `window` when the server answers 401: the sign-in form opens. */
export const UNAUTHORIZED_EVENT = "coverscope:unauthorized";

export function getApiKey(): string {
  try {
    return localStorage.getItem(API_KEY_STORAGE) ?? "";
  } catch {
    return "";
  }
}

function setKeyCookie(key: string): void {
  const value = key ? encodeURIComponent(key) : "";
  const expiry = key ? "" : "; max-age=0";
  document.cookie = `${API_KEY_COOKIE}=${value}; path=/api; SameSite=Strict${expiry}`;
}

export function setApiKey(key: string): void {
  if (key) localStorage.setItem(API_KEY_STORAGE, key);
  else localStorage.removeItem(API_KEY_STORAGE);
  setKeyCookie(key);
}

/**
 * Sign in from the address: a sign-in link (`http://host:port/#key=<key>`, printed by
 * `coverscope serve`) carries the key in its fragment, which never reaches the server. Keep it
 * in this browser and take it out of the address bar (and the history). Also refreshes the
 * read cookie of a key kept from before. Returns whether the address held a key.
 */
export function signInFromAddress(): boolean {
  const match = /^#key=([^&]+)$/.exec(window.location.hash);
  if (match) {
    setApiKey(decodeURIComponent(match[1]));
    const { pathname, search } = window.location;
    window.history.replaceState(window.history.state, "", `${pathname}${search}`);
    return true;
  }
  const kept = getApiKey();
  if (kept) setKeyCookie(kept);
  return false;
}

/** What to tell the user when a request fails, by error code. */
const ADVICE: Record<string, string> = {
  unauthorized: "This server needs its API key: paste it under Sign in in the sidebar.",
  network: "Check that the Coverscope server is running, then try again.",
  storage_unavailable: "The database or feature store is down; try again in a minute.",
  too_large: "Try a shorter clip or a smaller file.",
  undecodable_audio: "Try another file format (MP3, WAV, M4A, OGG, FLAC, WebM).",
  source_unavailable: "Check that the video is public and the URL is correct.",
  invalid_source: "Paste a YouTube video or playlist URL.",
  overloaded: "The server is busy with other checks; it was asked again a few times. Try again shortly.",
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
  if (key) headers["X-API-Key"] = key;

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
  if (response.status === 401) window.dispatchEvent(new Event(UNAUTHORIZED_EVENT));
  if (!response.ok) {
    const err = (data as { error?: { code?: string; message?: string } } | undefined)?.error;
    const retryAfter = Number.parseInt(response.headers.get("Retry-After") ?? "", 10);
    throw new ApiError(
      err?.code ?? `http_${response.status}`,
      err?.message ?? `The server answered ${response.status} ${response.statusText}.`.trim(),
      response.status,
      Number.isFinite(retryAfter) ? retryAfter : null,
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
  getSong: (id: string) =>
    request<Answer<"/api/songs/{song_id}", "get", 200>>("GET", `/songs/${encodeURIComponent(id)}`),
  updateSong: (id: string, edit: SongEdit) =>
    request<Answer<"/api/songs/{song_id}", "patch", 200>>("PATCH", `/songs/${encodeURIComponent(id)}`, edit),
  deleteSong: (id: string) => request<void>("DELETE", `/songs/${encodeURIComponent(id)}`),
  deleteSongs: (ids: string[]) =>
    request<Answer<"/api/songs/delete", "post", 200>>("POST", "/songs/delete", { ids }),

  addUrl: (url: string, meta: { title?: string; artist?: string } = {}) =>
    request<AddResult>("POST", "/songs", { url, ...meta }),
  addUrls: (urls: string[]) => request<BulkResult>("POST", "/songs/bulk", { urls }),
  /** A CSV file with one URL per row. */
  addCsv: (file: Blob, fileName: string) => request<BulkResult>("POST", "/songs/bulk", form(file, fileName)),
  addPlaylist: (playlist: string) => request<BulkResult>("POST", "/songs/bulk", { playlist }),
  upload: (file: Blob, fileName: string, meta: { title?: string; artist?: string } = {}) =>
    request<AddResult>("POST", "/songs/upload", form(file, fileName, meta)),

  listJobs: (limit = 20) => request<Answer<"/api/jobs", "get", 200>>("GET", "/jobs", undefined, { limit }),
  getJob: (id: string) =>
    request<Answer<"/api/jobs/{job_id}", "get", 200>>("GET", `/jobs/${encodeURIComponent(id)}`),

  check: (a: string, b: string) => request<PairCheck>("GET", "/check", undefined, { a, b }),
  rankSong: (song: string, options: { rerank?: number; limit?: number } = {}) =>
    request<Rank>("GET", "/rank", undefined, { song, ...options }),
  /** Queue a clip query; its ranking is read with `clipRank` once the job is done. */
  rankClip: (file: Blob, fileName: string, options: { limit?: number } = {}) =>
    request<Answer<"/api/rank", "post", 202>>("POST", "/rank", form(file, fileName), { ...options }),
  clipRank: (jobId: string, options: { limit?: number } = {}) =>
    request<Rank>("GET", `/rank/clips/${encodeURIComponent(jobId)}`, undefined, { ...options }),
  songVersions: (id: string) => request<SongVersions>("GET", `/songs/${encodeURIComponent(id)}/versions`),

  model: () => request<ModelAnswer>("GET", "/model").then(normaliseModel),
  setThreshold: (threshold: number) =>
    request<Answer<"/api/model/threshold", "put", 200>>("PUT", "/model/threshold", { threshold }).then(
      normaliseModel,
    ),
  reembed: () => request<Answer<"/api/model/reembed", "post", 202>>("POST", "/model/reembed"),

  map: () => request<Answer<"/api/map", "get", 200>>("GET", "/map"),
};

/** URL of a song's audio, for `<audio src>`; the API gives it, with a fallback. */
export function audioUrl(song: Song): string {
  return song.audio_url || `/api/songs/${encodeURIComponent(song.id)}/audio`;
}

export function isFinished(job: Job): boolean {
  return job.status === "done" || job.status === "failed";
}

/** A model without evaluation figures answers `"curves": {}`; give the pages empty curves. */
function normaliseModel(model: ModelAnswer): ModelInfo {
  return { ...model, curves: { roc: model.curves.roc ?? [], pr: model.curves.pr ?? [] } };
}
