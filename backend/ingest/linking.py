"""Linking a song into the neighbour graph: first stage, fused scores, edges both directions.

The first stage (``model.first_stage``) takes the ``SHORTLIST`` nearest songs by embedding
(the vector index) and keeps the ``CANDIDATES`` best by coarse Qmax; the fused scorer
(``model.library.score_candidates``) scores them and then at most ``EXPANSION`` confirmed
versions of the songs it confirmed (``model.library.expansion``), and the edges are stored in
both songs' documents (``EdgeRepository``). What runs when a song is added, when the backfill gives a song
its analysis, for each song of a rebuild, and (without storing) for a clip query.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from backend.search.song_features import AnalysisCache, song_analysis
from backend.search.vector_index import VectorIndex
from backend.storage.documents import Song
from backend.storage.edge_repository import EdgeRepository, StoredEdge, graph_stamp
from backend.storage.song_repository import SongRepository
from model import first_stage
from model.analysis import SongAnalysis
from model.errors import AnalysisPending, Conflict, NotFound
from model.library import EXPANSION, expansion, score_candidates
from model.score import PairScore, ScorerConfig

log = logging.getLogger(__name__)

SHORTLIST_CACHE = 1024
"""Analyses the linker keeps in memory: a shortlist is ``SHORTLIST`` of them, and songs added
one after another share most of their neighbours."""


def stored_edge(score: PairScore, *, stamp: str) -> StoredEdge:
    return {"fused": score.fused, "components": dict(score.components), "stamp": stamp}


@dataclass(frozen=True)
class Linker:
    """Builds a song's edges with the current embedding model and scorer."""

    songs: SongRepository
    edges: EdgeRepository
    index: VectorIndex
    analyses: AnalysisCache
    scorer: ScorerConfig
    model_version: str
    shortlist: int = first_stage.SHORTLIST
    count: int = first_stage.CANDIDATES
    expand: int = EXPANSION

    @property
    def stamp(self) -> str:
        return graph_stamp(scorer_version=self.scorer.version, model_version=self.model_version)

    def candidates(
        self, query: SongAnalysis, *, exclude: str | None = None
    ) -> list[tuple[str, SongAnalysis]]:
        """The first stage for ``query``: up to ``count`` library songs ``(id, analysis)``, best
        first. Songs awaiting their analysis or re-embedding are passed over."""
        if query.embedding is None:
            return []
        hits = self.index.nearest(query.embedding, limit=self.shortlist, exclude=exclude)
        ids: list[str] = []
        others: list[SongAnalysis] = []
        distances: list[float] = []
        for doc, distance in hits:
            if (analysis := self._analysis(doc)) is None:
                continue
            ids.append(str(doc["_id"]))
            others.append(analysis)
            distances.append(distance)
        if not others:
            return []
        chosen = first_stage.candidates(
            query,
            others,
            embedding_distances=np.asarray(distances),
            shortlist=self.shortlist,
            count=self.count,
        )
        return [(ids[int(i)], others[int(i)]) for i in chosen]

    def score(
        self,
        query: SongAnalysis,
        chosen: Sequence[tuple[str, SongAnalysis]],
        *,
        song: str = "",
        existing: Mapping[str, float] | None = None,
    ) -> list[tuple[str, PairScore]]:
        """The fused scores of ``query`` against ``chosen``, then against at most ``expand``
        confirmed versions of the songs it is confirmed with that it has no edge to
        (``model.library.expansion``). ``song`` is the query's id in the library (``""`` for a
        clip); ``existing`` its stored edges (neighbour -> fused), confirmations too."""
        scored = score_candidates(query, chosen, config=self.scorer)
        own = {**(existing or {}), **{other: s.fused for other, s in scored}}
        further = expansion(
            own, self._fused_edges, song=song, threshold=self.scorer.threshold, limit=self.expand
        )
        more = [
            (other, a)
            for other in further
            if (doc := self._song(other)) is not None and (a := self._analysis(doc)) is not None
        ]
        return scored + score_candidates(query, more, config=self.scorer)

    def link(self, song_id: str) -> int:
        """Score ``song_id`` against its first-stage candidates and store the edges both
        directions; pairs already scored with the current stamp are kept, not rescored.
        Returns the edges scored. A song without a current analysis is left for the backfill
        (0); ``NotFound`` when the song is gone."""
        song = self.songs.get(song_id, with_embedding=True)
        try:
            query = song_analysis(
                song, cache=self.analyses, songs=self.songs, model_version=self.model_version
            )
        except (AnalysisPending, Conflict) as exc:
            log.info("song %s not linked yet: %s", song_id, exc.message)
            return 0
        stamp = self.stamp
        existing = self.edges.neighbours(song_id)
        chosen = [
            (other, analysis)
            for other, analysis in self.candidates(query, exclude=song_id)
            if (edge := existing.get(other)) is None or edge["stamp"] != stamp
        ]
        stored = {o: edge["fused"] for o, edge in existing.items() if edge["stamp"] == stamp}
        fresh = {
            other: stored_edge(s, stamp=stamp)
            for other, s in self.score(query, chosen, song=song_id, existing=stored)
        }
        self.edges.link(song_id, fresh)
        # A candidate deleted while it was scored: its removal may have run before our write.
        gone = [other for other in fresh if not self._exists(other)]
        if not self._exists(song_id):
            self.edges.remove(song_id)
        elif gone:
            self.edges.unlink(song_id, gone)
        return len(fresh)

    def _fused_edges(self, song_id: str) -> dict[str, float]:
        return {other: edge["fused"] for other, edge in self.edges.neighbours(song_id).items()}

    def _analysis(self, song: Song) -> SongAnalysis | None:
        """A library song's current analysis; ``None`` when it is gone, awaits its analysis or
        awaits re-embedding (passed over, not an error)."""
        try:
            return song_analysis(
                song, cache=self.analyses, songs=self.songs, model_version=self.model_version
            )
        except (AnalysisPending, Conflict, NotFound):
            return None

    def _song(self, song_id: str) -> Song | None:
        try:
            return self.songs.get(song_id)
        except NotFound:
            return None

    def _exists(self, song_id: str) -> bool:
        return self._song(song_id) is not None
