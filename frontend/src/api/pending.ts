/**
 * HAND EXTENSION — delete this file once the backend of branch `wiring` (issue 9: the fused
 * scorer behind `/api/check` and `/api/model`) is merged and `npm run gen:api` has regenerated
 * `schema.ts` from it; `index.ts` then takes these fields from the generated types.
 *
 * Until then the served spec does not declare them, so they are typed here by hand, optional,
 * in the shape the backend will answer. This is the only hand-written API type of the kind.
 */

/** One evidence component of a check: its raw value, `z` (standard deviations above a typical
 * pair of different songs) and its `weight` in the fused score (0: shown, not counted). */
export interface PendingComponentScore {
  raw: number;
  z: number;
  weight: number;
}

/** Fields `/api/check` adds to `PairCheck`. */
export interface PendingCheckFields {
  components?: Record<string, PendingComponentScore>;
  scorer_version?: string;
}

/** Fields `/api/model` adds to `Model` (the scorer's shape is narrowed in `index.ts`). */
export interface PendingModelFields {
  scorer?: { [key: string]: unknown };
}
