/**
 * Test fixtures typed by the API's generated types (src/api/schema.ts): when the spec changes a
 * field, `tsc` fails here instead of the page tests passing against a shape the API no longer sends.
 */
import type { Job, ModelAnswer, PairCheck, Rank, RankResult, Scorer, Song } from "./api";

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
    note: null,
    result: null,
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
    // On the fused scale: distance = minus the fused score, threshold = minus the fused threshold.
    distance: -3.4,
    threshold: -2.0,
    key_shift: 0,
    segment_agreement: 0.75,
    alignment_distance: 0.08,
    matches: [],
    similarity_image: `/api/check/${a.id}/${b.id}/similarity.png`,
    report_url: `/api/check/report?a=${a.id}&b=${b.id}`,
    model_version: "1.0.0",
    // The fused score -3.4 is the weighted mean of the weighted components: (4.1 + 2.2 + 3.9) / 3.
    components: {
      qmax: { raw: 0.35, z: 4.1, weight: 1 },
      early: { raw: 5.6, z: 2.2, weight: 1 },
      hpcp: { raw: 7.1, z: 3.0, weight: 0 },
      mfcc: { raw: 3.1, z: -0.6, weight: 0 },
      ssm: { raw: 4.0, z: 0.8, weight: 0 },
      embedding: { raw: -0.67, z: 3.9, weight: 1 },
    },
    scorer_version: "fusion-1.0",
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
    source: "first_stage",
    ...over,
  };
}

export function rank(query: Song, results: RankResult[], over: Partial<Rank> = {}): Rank {
  return {
    query: { song: query },
    threshold: 0.62,
    model_version: "1.0.0",
    scorer_threshold: -2.0,
    scorer_version: "fusion-1.0",
    results,
    ...over,
  };
}

/** A fitted scorer as `GET /api/model` sends it (`curve` rows: [fused threshold, fpr, tpr]). */
export function scorer(over: Partial<Scorer> = {}): Scorer {
  return {
    version: "fusion-1.0",
    components: ["qmax", "early", "embedding"],
    weights: { qmax: 1, early: 1, embedding: 1 },
    stats: { qmax: [-0.6, 0.45], early: [3.0, 1.2], embedding: [-1.25, 0.15] },
    threshold: -2.0,
    default_threshold: -2.0,
    fused_threshold: 2.0,
    probability: { slope: 3.0, midpoint: 2.0, prior: 0.01 },
    provenance: {
      status: "fitted",
      fitted_on: "real non-cover pairs of different recordings (Debian music packages)",
      date: "2026-11-29",
      tracks: 612,
      negatives: 20000,
      positives: 300,
      target_fpr: 0.002,
      threshold_fit: { fpr: 0.0019, interval: [0.0013, 0.0027], false_positives: 38, negatives: 20000 },
      prior: 0.01,
    },
    curve: [
      [0.5, 0.2, 0.99],
      [1.0, 0.05, 0.97],
      [1.5, 0.01, 0.93],
      [2.0, 0.0019, 0.86],
      [2.5, 0.0004, 0.74],
      [3.0, 0.0, 0.55],
    ],
    ...over,
  };
}

export function model(over: Partial<ModelAnswer> = {}): ModelAnswer {
  return {
    version: "1.1.0",
    threshold: -2.0,
    stale_songs: 0,
    benchmarks: {},
    calibration: { threshold: 0.62, slope: 5.2, midpoint: 1.2 },
    config: {
      channels: [32, 32, 64, 128],
      kernels: [
        [3, 7],
        [3, 7],
        [3, 7],
        [3, 7],
      ],
      pool_after: [0, 1, 2, 3],
      embedding_dim: 256,
      dropout: 0.1,
      circular_bins: true,
    },
    curves: {},
    training: {},
    scorer: scorer(),
    songs_without_analysis: 0,
    ...over,
  };
}
