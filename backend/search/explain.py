"""The picture behind a verdict: the cross-similarity matrix with the matched passages."""

from __future__ import annotations

import io

import numpy as np

from model.align import Alignment
from model.constants import ALIGN_FPS


def plain(text: str) -> str:
    """A user's title as literal text for matplotlib (no ``$...$`` maths markup)."""
    return text.replace("$", r"\$")


def similarity_png(result: Alignment, *, title_a: str = "A", title_b: str = "B") -> bytes:
    """Render ``result.cross_similarity`` (frames_a, frames_b) as a PNG, matches outlined."""
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle

    csm = result.cross_similarity
    if csm is None or csm.size == 0:
        csm = np.zeros((1, 1), dtype=np.float32)
    figure = Figure(figsize=(5.0, 5.0), dpi=96)
    ax = figure.add_subplot()
    extent = (0.0, csm.shape[1] / ALIGN_FPS, csm.shape[0] / ALIGN_FPS, 0.0)
    ax.imshow(csm, cmap="Greys", aspect="auto", interpolation="nearest", extent=extent)
    for m in result.matches:
        ax.add_patch(
            Rectangle(
                (m.b_start, m.a_start),
                m.b_end - m.b_start,
                m.a_end - m.a_start,
                fill=False,
                edgecolor="tab:red",
                linewidth=1.5,
            )
        )
    ax.set_xlabel(f"{plain(title_b)} (s)")
    ax.set_ylabel(f"{plain(title_a)} (s)")
    ax.set_title(f"Cross-similarity, key shift {result.key_shift:+d}")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
