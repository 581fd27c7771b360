"""ROC and precision-recall curves of an evaluation, as PNG files."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def plot_curves(
    roc: list[tuple[float, float, float]],
    pr: list[tuple[float, float, float]],
    folder: Path,
    name: str,
    result: dict[str, Any],
) -> list[str]:
    """Write ROC and PR curves as PNG files into ``folder``; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, curve, (xl, yl) in (
        ("roc", roc, ("false positive rate", "true positive rate")),
        ("pr", pr, ("recall", "precision")),
    ):
        fig, ax = plt.subplots(figsize=(4.5, 4))
        xs, ys = [p[0] for p in curve], [p[1] for p in curve]
        ax.plot(xs, ys, lw=2)
        if kind == "roc":
            ax.plot([0, 1], [0, 1], ls="--", c="grey", lw=1)
        ax.set(xlabel=xl, ylabel=yl, xlim=(0, 1), ylim=(0, 1.02))
        figure = result["ROC-AUC"] if kind == "roc" else result["PR-AP"]
        label = "AUC" if kind == "roc" else "AP"
        ax.set_title(
            f"Covers80 {result['method']} ({result['model_version']}): {label} {figure:.3f}"
        )
        ax.title.set_fontsize(9)
        fig.tight_layout()
        path = folder / f"{name}-{kind}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(str(path))
    return written
