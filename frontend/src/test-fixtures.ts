/**
 * Test fixtures typed by the API's generated types (src/api/schema.ts): when the spec changes a
 * field, `tsc` fails here instead of the page tests passing against a shape the API no longer sends.
 */
import type { Job, PairCheck, Rank, RankResult, Song } from "./api";

export function song(id: string, title: string, artist = "", over: Partial<Song> = {}): Song {
  return {
    id,
    title,
    artist,
    source: "youtube",
    url: `https://www.youtube.com/watch?v=${id}`,
    video_id: id,
    filename: null,
    duration: 200,
    tags: [],
    notes: "",
    model_version: "1.0.0",
    created_at: "2026-11-22T10:00:00Z",
    updated_at: "2026-11-22T10:00:00Z",
    audio_url: `/api/songs/${id}/audio`,
    ...over,
  };
}

export function job(over: Partial<Job> = {}): Job {
  return {
    id: "j1",
    kind: "ingest_url",
    status: "running",
    stage: "extracting",
    progress: 42,
    song_id: null,
    error: null,
    source: "https://youtu.be/abc",
    attempts: 0,
    created_at: "2026-11-22T10:00:00Z",
    updated_at: "2026-11-22T10:00:00Z",
    ...over,
  };
}

export function pairCheck(a: Song, b: Song, over: Partial<PairCheck> = {}): PairCheck {
  return {
    a,
    b,
    is_cover: true,
    probability: 0.93,
    distance: 0.41,
    threshold: 0.62,
    key_shift: 0,
    segment_agreement: 0.75,
    alignment_distance: 0.08,
    matches: [],
    similarity_image: `/api/check/${a.id}/${b.id}/similarity.png`,
    model_version: "1.0.0",
    ...over,
  };
}

export function rankResult(result: Song, distance: number, over: Partial<RankResult> = {}): RankResult {
  return {
    song: result,
    distance,
    similarity: Math.round((1 - distance / 2) * 1000) / 10,
    is_cover: distance <= 0.62,
    probability: distance <= 0.62 ? 0.9 : 0.1,
    ...over,
  };
}

export function rank(query: Song, results: RankResult[], over: Partial<Rank> = {}): Rank {
  return { query: { song: query }, threshold: 0.62, model_version: "1.0.0", results, ...over };
}
