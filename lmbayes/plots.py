"""Pictures with matplotlib, an optional extra (``pip install 'lmbayes[plot]'``).

matplotlib is imported inside each function, with the non-interactive Agg backend, so that
nothing else pays for it and no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmbayes.errors import LmbayesError
from lmbayes.sensitivity import Swing

__all__ = ["PlotError", "tornado"]


class PlotError(LmbayesError):
    """matplotlib is missing, or the picture cannot be written."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotError("--plot needs matplotlib: pip install 'lmbayes[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: str | Path) -> Path:
    path = Path(path)
    try:
        fig.savefig(path, dpi=150, bbox_inches="tight")
    except (OSError, ValueError) as exc:
        raise PlotError(f"cannot write the picture {path}: {exc}") from None
    finally:
        _pyplot().close(fig)
    return path


def tornado(swings: Sequence[Swing], current: float, path: str | Path, title: str, top: int = 15) -> Path:
    """A tornado chart of P(LM) with each parameter at the ends of its range."""
    plt = _pyplot()
    shown = list(swings[:top])[::-1]
    fig, ax = plt.subplots(figsize=(9, 0.42 * len(shown) + 1.6))
    for y, s in enumerate(shown):
        lo, hi = sorted((s.p_low, s.p_high))
        color = "#d98c2b" if s.judgement else "#2f6f9f"
        ax.barh(y, hi - lo, left=lo, color=color, hatch="//" if s.judgement else None, edgecolor="white")
        ax.annotate(f"{s.low:g}", (s.p_low, y), xytext=(-3 if s.p_low < s.p_high else 3, 0), textcoords="offset points",
                    ha="right" if s.p_low < s.p_high else "left", va="center", fontsize=8)
        ax.annotate(f"{s.high:g}", (s.p_high, y), xytext=(3 if s.p_high > s.p_low else -3, 0), textcoords="offset points",
                    ha="left" if s.p_high > s.p_low else "right", va="center", fontsize=8)
    ax.axvline(current, color="black", linewidth=1)
    ax.set_yticks(range(len(shown)), [s.path + (" (judgement)" if s.judgement else "") for s in shown], fontsize=9)
    ax.set_xlabel("P(LM) with the parameter at the low or high end of its range")
    ax.xaxis.set_major_formatter(lambda x, _: f"{100 * x:.0f}%")
    ax.set_title(title, fontsize=10)
    lows = [min(s.p_low, s.p_high) for s in shown] + [current]
    highs = [max(s.p_low, s.p_high) for s in shown] + [current]
    span = max(highs) - min(lows) or 0.01
    ax.set_xlim(max(min(lows) - 0.1 * span, 0.0), min(max(highs) + 0.1 * span, 1.0))
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(color="#2f6f9f", label="sourced"), Patch(facecolor="#d98c2b", hatch="//", label="judgement")],
        loc="lower right", fontsize=8,
    )
    return _save(fig, path)
