"""A printable evidence report of a cover check: one self-contained HTML page.

For people who bring a verdict to a dispute: both songs, the verdict and how it was reached
(fused score against the threshold, every piece of evidence), the key shift, the matched
passages with timestamps and the cross-similarity image, inline (no external assets). Every
string that came from a user or a source is escaped.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from html import escape

from backend.storage.documents import Song
from model.check import PairCheck

COMPONENT_NAMES = {
    "qmax": "Harmony alignment (Qmax)",
    "early": "Harmony + timbre + structure (early fusion)",
    "hpcp": "Harmony blocks",
    "mfcc": "Timbre blocks",
    "ssm": "Structure blocks",
    "embedding": "Learned embedding",
}

STYLE = """
body { font: 15px/1.45 system-ui, sans-serif; color: #111; max-width: 820px; margin: 2em auto;
       padding: 0 1em; }
h1 { font-size: 1.5em; margin-bottom: .2em; }
.verdict { font-size: 1.3em; font-weight: 600; padding: .5em .8em; border-radius: 6px; }
.cover { background: #e3f4e1; border: 1px solid #4c9a45; }
.different { background: #f6e6e4; border: 1px solid #b5523f; }
table { border-collapse: collapse; width: 100%; margin: .6em 0 1.2em; }
th, td { text-align: left; padding: .3em .6em; border-bottom: 1px solid #ddd; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; border: 1px solid #ccc; }
.muted { color: #555; font-size: .9em; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  .verdict { border-width: 2px; }
  section, table, img { page-break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"""


def mmss(seconds: float) -> str:
    """``m:ss`` of a time in seconds (``1:05``)."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def _song_rows(label: str, song: Song) -> str:
    duration = song.get("duration")
    source = song.get("url") or song.get("filename") or song.get("source") or ""
    return (
        f"<tr><th>{label}</th><td>{escape(song.get('title') or 'untitled')}</td>"
        f"<td>{escape(song.get('artist') or '')}</td>"
        f"<td class='num'>{mmss(duration) if duration else ''}</td>"
        f"<td>{escape(str(source))}</td></tr>"
    )


def evidence_report(
    a: Song,
    b: Song,
    result: PairCheck,
    *,
    image_png: bytes,
    model_version: str,
    generated: datetime | None = None,
) -> str:
    """The HTML page of a check of song A against song B (``result``, ``image_png`` its
    cross-similarity picture)."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    verdict = "The same song (a cover)" if result.is_cover else "Different songs"
    components = "".join(
        f"<tr><td>{escape(COMPONENT_NAMES.get(name, name))}</td>"
        f"<td class='num'>{part['raw']:.3f}</td><td class='num'>{part['z']:+.2f}</td>"
        f"<td class='num'>{part['weight']:g}</td></tr>"
        for name, part in result.components.items()
    )
    matches = (
        "".join(
            f"<tr><td class='num'>{i}</td><td class='num'>{mmss(m.a_start)} - {mmss(m.a_end)}</td>"
            f"<td class='num'>{mmss(m.b_start)} - {mmss(m.b_end)}</td>"
            f"<td class='num'>{m.score:.0f}</td></tr>"
            for i, m in enumerate(result.matches, start=1)
        )
        or "<tr><td colspan='4'>No passage of B aligns with A.</td></tr>"
    )
    image = base64.b64encode(image_png).decode("ascii")
    title_a = escape(a.get("title") or "A")
    title_b = escape(b.get("title") or "B")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Coverscope evidence: {title_a} / {title_b}</title>
<style>{STYLE}</style></head>
<body>
<h1>Cover check: evidence report</h1>
<p class="muted">Generated {when} by Coverscope (embedding model {escape(model_version)},
scorer {escape(result.model_version)}).</p>
<table><tr><th></th><th>Title</th><th>Artist</th><th>Length</th><th>Source</th></tr>
{_song_rows("A", a)}{_song_rows("B", b)}</table>
<section>
<p class="verdict {"cover" if result.is_cover else "different"}">{verdict}:
probability {result.probability:.0%}</p>
<p>Fused score {-result.distance:+.2f} against the threshold {-result.threshold:+.2f}
(a pair is judged a cover when its fused score reaches the threshold). The fused score is the
weighted mean of the evidence below, each measured in standard deviations above typical pairs
of different recordings.</p>
</section>
<section><h2>Evidence</h2>
<table><tr><th>Component</th><th>Raw value</th><th>Standard deviations</th><th>Weight</th></tr>
{components}</table>
<p class="muted">Weight 0: shown for reference, not part of the verdict.</p></section>
<section><h2>Alignment</h2>
<p>Key shift: B moved {result.key_shift:+d} semitones to match A. Matched passages cover
{result.segment_agreement:.0%} of A (alignment distance {result.alignment_distance:.3f}).</p>
<table><tr><th>#</th><th>In A (m:ss)</th><th>In B (m:ss)</th><th>Score</th></tr>
{matches}</table>
<img alt="Cross-similarity of A and B with the matched passages outlined"
src="data:image/png;base64,{image}"></section>
</body></html>
"""
