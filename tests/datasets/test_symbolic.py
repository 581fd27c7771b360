"""The music21 corpus yields real variant groups, and the work order is seeded and mixed."""

from __future__ import annotations

from datasets.symbolic import essen_works, tunebook_works
from datasets.symbolic_build import GROUPED_PER_SINGLE, list_works


def test_essen_variants_share_a_work() -> None:
    works = {w.work_id: w for w in essen_works()}
    wassermann = works["essen:erk10:E0001"]  # "Es freit ein wilder Wassermann", E0001 and E0001A
    assert len(wassermann.tunes) >= 2
    assert wassermann.source == "music21-essen-variants"
    ids = [t.abc.split("N:")[1].split()[0] for t in wassermann.tunes if t.abc]
    assert ids[:2] == ["E0001", "E0001A"]
    assert "WASSERMANN" in (wassermann.tunes[1].abc or "")


def test_tune_book_titles_group_but_generic_titles_do_not() -> None:
    works = tunebook_works()
    assert len({w.work_id for w in works}) == len(works)
    assert not any(":title:a-do" in w.work_id for w in works)
    assert any(w.source == "music21-oneills1850-variants" for w in works)


def test_work_order_is_seeded_and_mixes_groups_with_singles() -> None:
    a, b, other = list_works(0)[:30], list_works(0)[:30], list_works(1)[:30]
    assert [w.work_id for w in a] == [w.work_id for w in b]
    assert [w.work_id for w in a] != [w.work_id for w in other]
    grouped = [len(w.tunes) > 1 for w in a]
    assert sum(grouped) == 30 * GROUPED_PER_SINGLE // (GROUPED_PER_SINGLE + 1)
