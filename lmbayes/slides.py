"""Slides: one picture per step of a lesson, the ladder so far with the current step highlighted.

Each picture is 16:9 (40/3 x 7.5 inches at 150 dpi, 2000 x 1125 pixels) with type of at least
14 points, so that it reads on a projector. The steps run down the picture, one row each,
labelled in words; an arrow goes from P(LM) before the step to P(LM) after it. The rows of the
steps still to come are left empty, so the slides do not give the answer away. Files are named
``CASE-01.png``, ``CASE-02.png``, ... in the order of the steps.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

from lmbayes.replay import Lesson, _lr
from lmbayes.plots import PlotError, _drawing, _save

__all__ = ["slides"]

_LM, _DONE, _NOW = "#2f6f9f", "#9bb7cf", "#b03a2e"


def slides(lesson: Lesson, folder: str | Path) -> list[Path]:
    """Write one PNG per step into ``folder`` (made if missing); return the paths in order.

    The pictures stay inside ``folder`` whatever the case is called: its name becomes a file
    name of letters, digits, ``-``, ``_`` and ``.`` (``../x`` is ``_.._x``, never a path).
    """
    from lmbayes._output import refuse_shipped

    if not str(folder).strip():
        raise PlotError("no folder given for the slides; name one, e.g. --plot slides")
    folder = Path(folder)
    refuse_shipped(folder, "slides")
    if folder.exists() and not folder.is_dir():
        raise PlotError(f"'{folder}' is a file: slides go into a folder, one picture per step")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PlotError(f"cannot make the folder '{folder}' ({exc.strerror or exc})") from None
    digits = len(str(len(lesson.steps)))
    stem = file_stem(lesson.case.name)
    paths = []
    for k in range(1, len(lesson.steps) + 1):
        path = folder / f"{stem}-{k:0{max(2, digits)}d}.png"
        if path.parent != folder:  # pragma: no cover - file_stem makes no separator
            raise PlotError(f"'{path}' is outside the folder '{folder}'")
        with _drawing(path) as plt:
            paths.append(_slide(plt, lesson, k, path))
    return paths


def file_stem(name: str) -> str:
    """``name`` as the start of a file name: a run of anything but letters, digits, ``-``,
    ``_`` and ``.`` becomes ``_``, and no leading dot or dash (no hidden file, no option).

    >>> file_stem("../x"), file_stem("/etc/passwd"), file_stem("seed_case"), file_stem("")
    ('_.._x', '_etc_passwd', 'seed_case', 'case')
    """
    import re

    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:100]
    if stem[:1] in (".", "-"):
        stem = "_" + stem
    return stem or "case"


def _slide(plt: Any, lesson: Lesson, k: int, path: Path) -> Path:
    steps = lesson.steps
    n = len(steps)
    fig, ax = plt.subplots(figsize=(40 / 3, 7.5))  # 2000 x 1125 pixels at 150 dpi
    ys = list(range(n, 0, -1))  # step 1 at the top
    labels = []
    for j, (y, s) in enumerate(zip(ys, steps), start=1):
        r = s.row
        labels.append(_two_lines(f"{j}. {r.label}") if j <= k else f"{j}.")
        if j > k:
            continue
        now = j == k
        color = _NOW if now else _DONE
        ax.annotate(
            "", xy=(r.p_lm_after, y), xytext=(r.p_lm_before, y),
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 4 if now else 2.5, "mutation_scale": 28 if now else 18},
        )
        ax.plot([r.p_lm_after], [y], "o", color=color, markersize=13 if now else 9, zorder=3)
        text = _percent(r.p_lm_after)
        if now:
            lr = f", odds x{_lr(r.likelihood_ratio)}" if r.likelihood_ratio is not None else ""
            text = f"{_percent(r.p_lm_before)} → {_percent(r.p_lm_after)}{lr}"
        ha = "left" if r.p_lm_after < 0.25 else "right" if r.p_lm_after > 0.75 else "center"
        ax.annotate(text, (r.p_lm_after, y), xytext=(0, 11), textcoords="offset points", ha=ha, va="bottom",
                    fontsize=20 if now else 15, color=color, fontweight="bold" if now else "normal")
    ax.axvline(lesson.prior, color="grey", linestyle=":", linewidth=1.5)
    ax.set_yticks(ys, labels, fontsize=15)
    for j, tick in enumerate(ax.get_yticklabels(), start=1):
        if j == k:
            tick.set_color(_NOW)
            tick.set_fontweight("bold")
    ax.set_ylim(0.5, n + 0.7)
    ax.set_xlim(-0.02, 1.02)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"], fontsize=15)
    ax.set_xlabel(f"P(LM)   (dotted line: {100 * lesson.prior:.1f}% before any finding)", fontsize=15)
    ax.grid(axis="x", alpha=0.3)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    r = steps[k - 1].row
    fig.text(0.02, 0.965, textwrap.shorten(lesson.case.title, 64, placeholder="…"), fontsize=17, va="top")
    fig.text(0.98, 0.965, f"EANO-ESMO: {r.eano_esmo}", fontsize=17, va="top", ha="right")
    fig.text(0.02, 0.905, textwrap.shorten(f"Step {k} of {n}: {r.label}", 70, placeholder="…"),
             fontsize=21, va="top", color=_NOW, fontweight="bold")
    fig.subplots_adjust(left=0.29, right=0.97, top=0.82, bottom=0.11)
    return _save(fig, path, tight=False)


def _two_lines(text: str, width: int = 30) -> str:
    """``text`` on at most two lines of ``width`` characters, the second cut with an ellipsis."""
    lines = textwrap.wrap(text, width)
    if len(lines) > 2:
        lines = [lines[0], textwrap.shorten(" ".join(lines[1:]), width, placeholder="…")]
    return "\n".join(lines)


def _percent(p: float) -> str:
    """A percentage as read from afar: whole numbers, one decimal below 10%."""
    return f"{100 * p:.1f}%" if p < 0.095 else f"{100 * p:.0f}%"
