"""The ``coverscope`` command. Each subcommand imports its module only when it runs."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Callable
from pathlib import Path

from model.errors import CoverscopeError

Handler = Callable[[argparse.Namespace], int]


def _check(args: argparse.Namespace) -> int:
    from model.analysis import analyse
    from model.audio import decode
    from model.check import check_pair
    from model.embed import Embedder
    from model.score import ScorerConfig

    config = ScorerConfig.load(args.scorer)
    embedder = Embedder.load(args.model)
    a = analyse(decode(args.a), embedder=embedder)
    b = analyse(decode(args.b), embedder=embedder)
    result = check_pair(a, b, config=config)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    verdict = "SAME SONG (cover)" if result.is_cover else "different songs"
    print(f"{verdict}: probability {result.probability:.0%}")
    print(f"  fused distance {result.distance:.3f} (threshold {result.threshold:.3f})")
    for name, part in result.components.items():
        used = "" if part["weight"] else " (shown, not fused)"
        print(f"  {name:9s} {part['z']:+.2f} sd above non-covers{used}")
    print(
        f"  key shift {result.key_shift:+d} semitones, alignment distance {result.alignment_distance:.3f}"
    )
    print(f"  matched passages cover {result.segment_agreement:.0%} of A")
    for m in result.matches:
        print(
            f"  match: A {m.a_start:7.1f}-{m.a_end:7.1f} s  <->  B {m.b_start:7.1f}-{m.b_end:7.1f} s"
            f"  (score {m.score:.0f})"
        )
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    from training.evaluation.run import main as evaluate_main

    return evaluate_main(args)


def _calibrate(args: argparse.Namespace) -> int:
    from training.calibration import main as calibrate_main

    return calibrate_main(args)


def _bench(args: argparse.Namespace) -> int:
    from training.bench import main as bench_main

    return bench_main(args)


def _bench_index(args: argparse.Namespace) -> int:
    from training.bench_index import main as bench_index_main

    return bench_index_main(args)


def _train(args: argparse.Namespace) -> int:
    from training.train import main as train_main

    return train_main(args)


def _dataset(args: argparse.Namespace) -> int:
    if args.name == "debian-full":
        from datasets.real_recordings import main as real_main

        return real_main(args)
    from datasets.build import main as dataset_main

    return dataset_main(args)


def _serve(args: argparse.Namespace) -> int:
    from backend.serve import main as serve_main

    return serve_main(args)


def _export(args: argparse.Namespace) -> int:
    from backend.backup.command import export_main

    return export_main(args)


def _import(args: argparse.Namespace) -> int:
    from backend.backup.command import import_main

    return import_main(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="coverscope", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    check = sub.add_parser("check", help="is B a cover of A? (two local audio files)")
    check.add_argument("a", type=Path)
    check.add_argument("b", type=Path)
    check.add_argument("--model", type=Path, default=None, help="checkpoint (default: shipped)")
    check.add_argument("--scorer", type=Path, default=None, help="scorer config (default: shipped)")
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(handler=_check)

    evaluate = sub.add_parser("evaluate", help="benchmark a method on a cover data set")
    evaluate.add_argument("dataset", choices=["covers80"])
    evaluate.add_argument(
        "--method",
        choices=[
            "fusion",
            "embedding",
            "qmax",
            "hybrid",
            "early",
            "hpcp",
            "mfcc",
            "ssm",
            "library",
        ],
        default="fusion",
        help="fusion: the scorer config's components; the others fuse only theirs; library: "
        "the product path (first stage, neighbour graph built at ingest, diffusion)",
    )
    evaluate.add_argument(
        "--distractors",
        type=int,
        default=0,
        help="library: add N real non-cover recordings (from --real-manifest) to the library",
    )
    evaluate.add_argument(
        "--real-manifest",
        type=Path,
        default=None,
        help="library: the real recordings' tracks.jsonl the distractors come from",
    )
    evaluate.add_argument(
        "--shortlist",
        type=int,
        default=None,
        help="library: embedding shortlist (default: shipped)",
    )
    evaluate.add_argument(
        "--candidates",
        type=int,
        default=None,
        help="library: fused-scored candidates per added song (default: shipped)",
    )
    evaluate.add_argument("--seed", type=int, default=0, help="library: ingest order seed")
    evaluate.add_argument(
        "--coarse-all",
        action="store_true",
        help="library: also rank by the coarse Qmax alone (every pair; an ablation)",
    )
    evaluate.add_argument(
        "--diffuse", action="store_true", help="re-rank by late fusion over the collection"
    )
    evaluate.add_argument(
        "--diffuse-with",
        default=None,
        help="ablation: comma-separated components to diffuse instead of the config's",
    )
    evaluate.add_argument("--model", type=Path, default=None, help="embedding checkpoint")
    evaluate.add_argument(
        "--config", type=Path, default=None, help="scorer config (default: shipped)"
    )
    evaluate.add_argument(
        "--data", type=Path, default=None, help="dataset folder (or $COVERS80_DIR)"
    )
    evaluate.add_argument("--cache", type=Path, default=Path("cache/features"))
    evaluate.add_argument(
        "--limit-works", type=int, default=None, help="only the first N works (smoke tests)"
    )
    evaluate.add_argument("--workers", type=int, default=2)
    evaluate.add_argument("--json", type=Path, default=None, help="write figures here")
    evaluate.add_argument("--plots", type=Path, default=Path("docs"), help="folder for ROC/PR PNGs")
    evaluate.add_argument(
        "--pitch-shift", type=int, default=0, help="transpose queries (semitones)"
    )
    evaluate.add_argument(
        "--queries", type=int, default=None, help="use this many queries (spread), not all"
    )
    evaluate.add_argument("--time-stretch", type=float, default=1.0, help="stretch queries (rate)")
    evaluate.set_defaults(handler=_evaluate)

    calibrate = sub.add_parser(
        "calibrate", help="fit the scorer's scale, threshold and probability on real non-covers"
    )
    calibrate.add_argument("--manifest", type=Path, required=True, help="real tracks.jsonl")
    calibrate.add_argument("--positives", type=Path, default=None, help="positives.jsonl")
    calibrate.add_argument("--tracks", type=int, default=None, help="sample this many tracks")
    calibrate.add_argument("--pairs", type=int, default=4000, help="negative pairs sampled")
    calibrate.add_argument("--seed", type=int, default=0)
    calibrate.add_argument("--fpr", type=float, default=0.002, help="target false-positive rate")
    calibrate.add_argument("--prior", type=float, default=0.5, help="assumed share of covers")
    calibrate.add_argument("--config", type=Path, default=None, help="scorer config to start from")
    calibrate.add_argument("--out", type=Path, default=Path("model/weights/scorer.json"))
    calibrate.add_argument("--cache", type=Path, default=Path("cache/features"))
    calibrate.add_argument("--workers", type=int, default=2)
    calibrate.set_defaults(handler=_calibrate)

    bench = sub.add_parser("bench", help="per-song compute time (decode, HPCP, embed)")
    bench.add_argument("--repeats", type=int, default=5)
    bench.add_argument("--seconds", type=float, default=180.0)
    bench.add_argument("--model", type=Path, default=None)
    bench.add_argument(
        "--scorer", action="store_true", help="also time the song analysis and pair scoring"
    )
    bench.add_argument(
        "--pair-seconds", type=float, default=240.0, help="length of each song of a scored pair"
    )
    bench.set_defaults(handler=_bench)
    benches = bench.add_subparsers(dest="bench", metavar="{index}")
    index = benches.add_parser(
        "index",
        help="top-10 latency, recall and build time of the library index on synthetic embeddings",
    )
    index.add_argument("--n", type=int, default=100_000, help="songs in the library")
    index.add_argument("--queries", type=int, default=1000)
    index.add_argument("--k", type=int, default=10)
    index.add_argument("--add", type=int, default=1000, help="songs added after the build")
    index.add_argument("--seed", type=int, default=0)
    index.add_argument(
        "--real",
        type=Path,
        default=Path("cache/features/calibration/analysis-v1-1.1.0"),
        help="calibration analyses whose embeddings fit the generator (never Covers80)",
    )
    index.add_argument("--json", type=Path, default=None, help="also write the figures here")
    index.set_defaults(handler=_bench_index)

    train = sub.add_parser("train", help="train the embedding CNN from a config")
    train.add_argument("--config", type=Path, required=True)
    train.add_argument(
        "--resume", action="store_true", help="continue from the run's last checkpoint"
    )
    train.set_defaults(handler=_train)

    dataset = sub.add_parser("dataset", help="build a training data set (never from Covers80)")
    dataset.add_argument("name", help="builder name: music21, debian-music, debian-full")
    dataset.add_argument("--out", type=Path, required=True, help="output folder")
    dataset.add_argument("--limit", type=int, default=None, help="at most this many works")
    dataset.add_argument("--seed", type=int, default=0)
    dataset.add_argument("--workers", type=int, default=2)
    dataset.add_argument(
        "--positives",
        type=int,
        default=0,
        help="debian-full: also write N transformed tracks to DIR/positives",
    )
    dataset.add_argument(
        "--cache", type=Path, default=None, help="debian-full: package cache (DIR-cache)"
    )
    dataset.set_defaults(handler=_dataset)

    serve = sub.add_parser("serve", help="run the API, workers and web UI")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--data-dir", type=Path, default=Path("data"))
    serve.add_argument("--workers", type=int, default=None, help="background job workers")
    serve.set_defaults(handler=_serve)

    stopped = (
        "Reads MONGODB_URI / FEATURE_STORE like serve; without MONGODB_URI it starts the "
        "embedded database under DATA_DIR/db itself, so stop `coverscope serve` first."
    )
    export = sub.add_parser(
        "export",
        help="write the whole library (songs, features, threshold) to a tar backup",
        description=stopped,
    )
    export.add_argument("--data-dir", type=Path, default=Path("data"))
    export.add_argument("--out", type=Path, required=True, help="the archive to write (.tar)")
    export.set_defaults(handler=_export)

    restore = sub.add_parser(
        "import",
        help="add a tar backup's songs to the library (songs already present are skipped)",
        description=stopped + " A damaged or altered archive is refused and imports nothing.",
    )
    restore.add_argument("--data-dir", type=Path, default=Path("data"))
    restore.add_argument("archive", type=Path, help="a tar written by `coverscope export`")
    restore.set_defaults(handler=_import)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    handler: Handler = args.handler
    try:
        return handler(args)
    except CoverscopeError as exc:
        print(f"error: {exc.message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
