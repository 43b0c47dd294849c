"""Pictures with matplotlib, an optional extra (``pip install 'lmbayes[plot]'``).

matplotlib is imported inside each function, with the non-interactive Agg backend, so that
nothing else pays for it and no display is needed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from lmbayes.errors import LmbayesError
from lmbayes.kinds import kind_of
from lmbayes.sensitivity import Swing
from lmbayes.spec import NetworkSpec
from lmbayes.taps import TapTable, percent
from lmbayes.teaching import ReplayRow

__all__ = ["PlotError", "ladder", "network_dot", "network_picture", "tap_curve", "tornado"]


class PlotError(LmbayesError):
    """matplotlib is missing, or the picture cannot be written."""


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise PlotError("drawing a picture needs matplotlib: pip install 'lmbayes[plot]'") from None
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
        lo, hi = sorted((s.p_lm_low, s.p_lm_high))
        color = "#d98c2b" if s.judgement else "#2f6f9f"
        ax.barh(y, hi - lo, left=lo, color=color, hatch="//" if s.judgement else None, edgecolor="white")
        ax.annotate(f"{s.low:g}", (s.p_lm_low, y), xytext=(-3 if s.p_lm_low < s.p_lm_high else 3, 0), textcoords="offset points",
                    ha="right" if s.p_lm_low < s.p_lm_high else "left", va="center", fontsize=8)
        ax.annotate(f"{s.high:g}", (s.p_lm_high, y), xytext=(3 if s.p_lm_high > s.p_lm_low else -3, 0), textcoords="offset points",
                    ha="left" if s.p_lm_high > s.p_lm_low else "right", va="center", fontsize=8)
    ax.axvline(current, color="black", linewidth=1)
    ax.set_yticks(range(len(shown)), [s.path + (" (judgement)" if s.judgement else "") for s in shown], fontsize=9)
    ax.set_xlabel("P(LM) with the parameter at the low or high end of its range")
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    ax.set_title(title, fontsize=10)
    lows = [min(s.p_lm_low, s.p_lm_high) for s in shown] + [current]
    highs = [max(s.p_lm_low, s.p_lm_high) for s in shown] + [current]
    span = max(highs) - min(lows) or 0.01
    ax.set_xlim(max(min(lows) - 0.1 * span, 0.0), min(max(highs) + 0.1 * span, 1.0))
    from matplotlib.patches import Patch

    ax.legend(
        handles=[Patch(color="#2f6f9f", label="sourced"), Patch(facecolor="#d98c2b", hatch="//", label="judgement")],
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8,
    )
    return _save(fig, path)


def ladder(rows: Sequence[ReplayRow], prior: float, path: str | Path, title: str) -> Path:
    """P(LM) and the competing causes after each step of a case."""
    plt = _pyplot()
    x = list(range(len(rows) + 1))
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.plot(x, [prior] + [r.p_lm_after for r in rows], marker="o", linewidth=2.5, color="#2f6f9f", label="LM", zorder=3)
    for cause in rows[0].causes:
        ax.plot(x, [float("nan")] + [r.causes[cause] for r in rows], linestyle="--", marker=".", alpha=0.8, label=cause)
    for xi, r in zip(x[1:], rows):
        ax.annotate(f"{100 * r.p_lm_after:.0f}%\n{r.eano_esmo}", (xi, r.p_lm_after), xytext=(0, 9), textcoords="offset points",
                    ha="center", fontsize=7.5)
    ax.set_xticks(x, ["before"] + [f"{r.step}. {_wrap(r.label)}" for r in rows], fontsize=7.5, rotation=30, ha="right")
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(lambda y, _: f"{100 * y:.0f}%")
    ax.set_ylabel("probability after the step")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return _save(fig, path)


def tap_curve(table: TapTable, path: str | Path, title: str) -> Path:
    """P(LM) after each further negative tap: the network, independent taps, and the floor."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5))
    x = [table.taps_done] + [s.tap for s in table.steps]
    ax.plot(x, [table.current] + [s.p_lm_if_negative for s in table.steps], marker="o", linewidth=2.5,
            color="#2f6f9f", label="network: taps share the shedding state")
    ax.plot(x, [table.current] + [s.p_lm_if_negative_independent for s in table.steps], marker="s", linestyle="--",
            color="#d98c2b", label=f"independent taps (fixed LR- {table.single_tap_lr:.2f}, as a nomogram)")
    ax.scatter([s.tap for s in table.steps], [s.p_lm_if_positive for s in table.steps], marker="^", color="#b03a2e",
               label="if that tap is positive", zorder=3)
    ax.axhline(table.floor, color="grey", linestyle=":", label=f"floor {percent(table.floor)}: LM that sheds no cells")
    ax.set_xticks(x)
    ax.set_xlabel("taps done (all further taps negative)")
    ax.set_ylabel("P(LM)")
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda y, _: f"{100 * y:.0f}%")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def network_dot(spec: NetworkSpec) -> str:
    """The network as Graphviz DOT text, causes ranked above signs and tests."""
    lines = [f'digraph "{spec.name}" {{', "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for layer in sorted({kind_of(n).layer for n in spec.nodes}):
        members = [n for n in spec.nodes if kind_of(n).layer == layer]
        if members:
            lines.append("  { rank=same; " + " ".join(f'"{n.id}";' for n in members) + " }")
    for n in spec.nodes:
        lines.append(f'  "{n.id}" [label="{n.id}\\n({n.kind})", fillcolor="{kind_of(n).color}"];')
    for n in spec.nodes:
        lines += [f'  "{p}" -> "{n.id}";' for p in n.parents]
    lines.append("}")
    return "\n".join(lines) + "\n"


def network_picture(spec: NetworkSpec, path: str | Path) -> Path:
    """The network drawn with networkx's layered layout: causes above signs, tests and taps."""
    import networkx as nx

    plt = _pyplot()
    graph = nx.DiGraph()
    for n in spec.nodes:
        graph.add_node(n.id, layer=kind_of(n).layer)
    graph.add_edges_from((p, n.id) for n in spec.nodes for p in n.parents)
    layers: dict[int, list[str]] = {}
    for n in spec.nodes:  # the file's order within a layer, layer 0 at the top
        layers.setdefault(kind_of(n).layer, []).append(n.id)
    position = {
        v: (i - (len(members) - 1) / 2, -layer)
        for layer, members in layers.items()
        for i, v in enumerate(members)
    }
    fig, ax = plt.subplots(figsize=(16, 8))
    colors = {n.id: kind_of(n).color for n in spec.nodes}
    nx.draw_networkx_edges(graph, position, ax=ax, alpha=0.35, arrows=True, arrowsize=10, node_size=2600)
    nx.draw_networkx_nodes(graph, position, ax=ax, node_color=[colors[v] for v in graph], node_size=2600,
                           node_shape="s", alpha=0.9)
    nx.draw_networkx_labels(graph, position, ax=ax, labels={v: v.replace("_", "\n") for v in graph}, font_size=6.5)
    ax.set_title(f"{spec.name}: {spec.title}", fontsize=11)
    ax.axis("off")
    return _save(fig, path)


def _wrap(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
