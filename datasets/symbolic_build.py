"""The ``music21`` builder: symbolic works rendered to audio in several arrangements."""

from __future__ import annotations

from datasets.arrange import arrange, sample_arrangement
from datasets.augment import colour
from datasets.builder import (
    Builder,
    Job,
    feature_relpath,
    order_key,
    save_features,
    split_of,
    work_rng,
)
from datasets.manifest import ManifestEntry
from datasets.render import renderer
from datasets.symbolic import WorkSpec, chorale_works, essen_works, to_tune, tunebook_works

MIN_VERSIONS = 4
MAX_VERSIONS = 6
MAX_SECONDS = 60.0
GROUPED_PER_SINGLE = 2


def list_works(seed: int) -> list[WorkSpec]:
    """Grouped works (true variants) and single tunes, two grouped to one single.

    Each class is shuffled by the seed; once the grouped works run out only singles follow.
    Singles (versions differ by arrangement only) are cleaner labels; groups are more
    cover-like. Both are kept so the trainer can weigh them (``source`` tells them apart).
    """
    every = essen_works() + chorale_works() + tunebook_works()
    grouped = sorted(
        (w for w in every if len(w.tunes) > 1), key=lambda w: order_key(seed, w.work_id)
    )
    single = sorted(
        (w for w in every if len(w.tunes) == 1), key=lambda w: order_key(seed, w.work_id)
    )
    mixed: list[WorkSpec] = []
    while grouped or single:
        mixed += grouped[:GROUPED_PER_SINGLE] + single[:1]
        grouped, single = grouped[GROUPED_PER_SINGLE:], single[1:]
    return mixed


def build_work(job: Job) -> list[ManifestEntry]:
    """Every version of one work: each source variant in turn, each in a new arrangement."""
    work: WorkSpec = job.work
    n = min(MAX_VERSIONS, max(MIN_VERSIONS, len(work.tunes)))
    rng = work_rng(job.seed, work.work_id)
    base_tempo = float(rng.uniform(80, 140))
    split = split_of(work.work_id, job.seed)
    tunes = {}
    entries = []
    for v in range(n):
        which = v % len(work.tunes)
        rel = feature_relpath(work.work_id, v)
        vrng = work_rng(job.seed, work.work_id, v)
        if which not in tunes:
            tunes[which] = to_tune(work.tunes[which])
        tune = tunes[which]
        if len(tune.melody) < 4:
            continue
        r = renderer()
        arr = sample_arrangement(vrng, tune, base_tempo=base_tempo, n_soundfonts=len(r.names))
        transform = f"variant {which}: {arr.describe()}"
        if (job.out / rel).is_file():
            duration = save_features(job.out, rel, None)
        else:
            y = r.render(arrange(tune, arr, vrng, max_seconds=MAX_SECONDS), soundfont=arr.soundfont)
            y = y[: int(MAX_SECONDS * r.sr)]
            if vrng.random() < 0.5:
                y, done = colour(y, vrng, sr=r.sr)
                transform += "; " + ", ".join(done)
            duration = save_features(job.out, rel, y)
        entries.append(
            ManifestEntry(
                work_id=work.work_id,
                version_id=f"{work.work_id}#v{v}",
                source=work.source,
                feature_path=rel,
                duration=round(duration, 2),
                split=split,  # type: ignore[arg-type]
                licence=work.licence,
                transform=transform,
            )
        )
    return entries


BUILDER = Builder(
    name="music21",
    description=(
        "Symbolic works from the music21 corpus (Essen folk-song variant groups, Bach chorale "
        "harmonisations grouped by melody, O'Neill's, Ryan's and Aird's tune books) rendered "
        "with FluidSynth in 4-6 arrangements each (key, tempo, instruments, accompaniment, "
        "drums, octave, repeats, excerpt, EQ/reverb/noise)."
    ),
    list_works=list_works,
    build_work=build_work,
    work_id=lambda w: w.work_id,
)
