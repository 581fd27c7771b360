"""Library search means one thing everywhere: a folded substring of title, artist or a tag.

Checked on the embedded database (which MongoDB's ``$text`` could not run on) and on the
in-memory catalog, and by watching the filter pymongo actually sends, which is the one a
MongoDB server would get.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from bson import ObjectId
from pymongo import MongoClient, monitoring

from backend.search.listing import page_from_catalog
from backend.search.vector_index import VectorIndex
from backend.storage.embedded import EmbeddedMongo
from backend.storage.library_text import fold, text_filter
from backend.storage.song_repository import SongRepository
from model.verdict import Calibration

LIBRARY = [
    ("Crazy in Love", "Beyoncé", ["RnB"]),
    ("Hey Jude", "The Beatles", ["rock", "sixties"]),
    ("Ça plane pour moi", "Plastic Bertrand", ["punk"]),
    ("Straße der Lieder", "Heintje", []),
    ("Jude Law Blues", "Nobody", ["jazz"]),
    ("Yesterday", "The Beatles", ["Sixties Pop"]),
]

CASES = [
    ("beyonce", {"Crazy in Love"}),  # accents are ignored
    ("BEYONCÉ", {"Crazy in Love"}),  # in the query too, and case
    ("eatl", {"Hey Jude", "Yesterday"}),  # a substring, not a whole word
    ("jude", {"Hey Jude", "Jude Law Blues"}),
    ("ca plane", {"Ça plane pour moi"}),
    ("  hey   jude ", {"Hey Jude"}),  # whitespace runs are one space
    ("strasse", {"Straße der Lieder"}),  # ß folds to ss
    ("sixties", {"Hey Jude", "Yesterday"}),  # tags are searched
    ("rnb", {"Crazy in Love"}),
    ("beatles yesterday", set()),  # a query never spans two fields
    ("a.e", set()),  # regex characters are literal
    ("(", set()),
    ("zzz", set()),
]


class Filters(monitoring.CommandListener):
    """The ``find`` filters a client sends."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name == "find" and event.command.get("find") == "songs":
            self.sent.append(dict(event.command["filter"]))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture()
def watched(mongo: EmbeddedMongo) -> Iterator[tuple[SongRepository, Filters]]:
    filters = Filters()
    client: MongoClient[Any] = MongoClient(mongo.uri, event_listeners=[filters], tz_aware=True)
    repo = SongRepository(client[f"s_{uuid.uuid4().hex[:10]}"])
    repo.ensure_indexes()
    rng = np.random.default_rng(5)
    for title, artist, tags in LIBRARY:
        vector = rng.standard_normal(8).astype(np.float32)
        song = repo.insert(
            {"title": title, "artist": artist, "model_version": "v1"},
            vector / np.linalg.norm(vector),
        )
        repo.update(str(song["_id"]), {"tags": tags})
    yield repo, filters
    client.close()


def titles(rows: list[Any]) -> set[str]:
    return {row["title"] for row in rows}


@pytest.mark.parametrize(("q", "want"), CASES)
def test_search_means_the_same_in_the_database_and_in_memory(
    watched: tuple[SongRepository, Filters], q: str, want: set[str]
) -> None:
    repo, filters = watched
    filters.sent.clear()
    stored, total = repo.find_page(q, per_page=50)
    # What the server is asked is the one filter, whatever the database behind it.
    assert filters.sent == [text_filter(q)]
    assert list(text_filter(q)) == ["search_text"] and list(text_filter(q)["search_text"]) == [
        "$regex"
    ]
    assert titles(stored) == want and total == len(want)
    snap = VectorIndex(repo, "v1", Calibration, check_every=0.0).snapshot()
    memory, count = page_from_catalog(snap, q, page=1, per_page=50, sort="title", order="asc")
    assert titles(memory) == want and count == len(want)


def test_an_empty_query_lists_everything() -> None:
    assert text_filter(None) == text_filter("   ") == {}


def test_edits_change_what_a_song_is_found_by(watched: tuple[SongRepository, Filters]) -> None:
    repo, _ = watched
    (song,), _ = repo.find_page("yesterday")
    repo.update(str(song["_id"]), {"title": "Hier encore", "tags": ["chanson"]})
    assert repo.find_page("yesterday")[1] == 0
    assert titles(repo.find_page("CHANSON")[0]) == {"Hier encore"}
    assert titles(repo.find_page("beatles")[0]) == {"Hey Jude", "Hier encore"}


def test_songs_stored_before_search_text_are_found(watched: tuple[SongRepository, Filters]) -> None:
    repo, _ = watched
    old = ObjectId()
    repo.songs.insert_one({"_id": old, "title": "Mañana", "artist": "Peggy Lee", "tags": []})
    before = repo.version()
    repo.ensure_indexes()
    assert [d["_id"] for d in repo.find_page("manana")[0]] == [old]
    assert repo.version() > before  # in-memory catalogs reload


def test_fold_keeps_letters_that_do_not_decompose() -> None:
    assert fold("Øresund  ﬁre\tΣΊΣΥΦΟΣ") == "øresund fire σισυφοσ"
