"""Pictures with matplotlib, an optional extra (``pip install 'lmbayes[plot]'``), and DOT text.

matplotlib is imported inside each function, with the non-interactive Agg backend, so that
nothing else pays for it and no display is needed. Text from the network file is drawn as it
is (``$`` starts no formula), and every file is written atomically (:mod:`lmbayes._output`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lmbayes._output import target, write_atomically
from lmbayes.errors import LmbayesError
from lmbayes.kinds import KINDS, kind_of
from lmbayes.sensitivity import Swing
from lmbayes.spec import NetworkSpec
from lmbayes.taps import TapTable, percent
from lmbayes.replay import ReplayRow

if TYPE_CHECKING:
    from lmbayes.validate import Validation

__all__ = ["PICTURES", "PlotError", "calibration_curve", "draw_network", "ladder", "network_dot", "network_picture", "tap_curve", "tornado"]

#: The picture formats matplotlib writes here, by suffix.
PICTURES = (".png", ".svg", ".pdf")
#: DOT text, by suffix.
DOT = (".dot", ".gv")


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


@contextmanager
def _drawing(path: str | Path) -> Iterator[Any]:
    """pyplot, after the target is checked, with text drawn as written (no ``$...$`` maths)."""
    plt = _pyplot()
    target(path, "picture", PICTURES)
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False}):
        yield plt


def _save(fig: Any, path: str | Path, tight: bool = True) -> Path:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names; cut to what is
    drawn when ``tight``, else the figure's own size (pictures of one series alike)."""
    plt = _pyplot()
    fmt = Path(path).suffix.lower().lstrip(".")
    bbox = "tight" if tight else None
    try:
        return write_atomically(path, lambda temporary: fig.savefig(temporary, format=fmt, dpi=150, bbox_inches=bbox))
    except (ValueError, RuntimeError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise PlotError(f"cannot draw the picture {path}: {reason}") from None
    finally:
        plt.close(fig)


def tornado(
    swings: Sequence[Swing], current: float, path: str | Path, title: str, top: int = 15,
    words: Mapping[str, str] | None = None,
) -> Path:
    """A tornado chart of P(LM) with each parameter at the ends of its range, each labelled in
    ``words`` (see :func:`lmbayes.sensitivity.parameter_words`) where given."""
    with _drawing(path) as plt:
        return _tornado(plt, swings, current, path, title, top, words or {})


def _tornado(
    plt: Any, swings: Sequence[Swing], current: float, path: str | Path, title: str, top: int, words: Mapping[str, str]
) -> Path:
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
    ax.set_yticks(
        range(len(shown)),
        [_wrap(words.get(s.path, s.path), 60) + (" (judgement)" if s.judgement else "") for s in shown],
        fontsize=9,
    )
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
    with _drawing(path) as plt:
        return _ladder(plt, rows, prior, path, title)


def _ladder(plt: Any, rows: Sequence[ReplayRow], prior: float, path: str | Path, title: str) -> Path:
    x = list(range(len(rows) + 1))
    fig, ax = plt.subplots(figsize=(10, 5.5))
    ax.plot(x, [prior] + [r.p_lm_after for r in rows], marker="o", linewidth=2.5, color="#2f6f9f", label="LM", zorder=3)
    for cause in rows[0].causes:
        ax.plot(x, [float("nan")] + [r.causes[cause] for r in rows], linestyle="--", marker=".", alpha=0.6,
                label=cause.replace("_", " "))
    for xi, r in zip(x[1:], rows):
        ax.annotate(f"{100 * r.p_lm_after:.0f}%\n{r.eano_esmo}", (xi, r.p_lm_after), xytext=(0, 10), textcoords="offset points",
                    ha="center", fontsize=7.5, bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax.set_xticks(x, ["before"] + [f"{r.step}. {_wrap(r.label)}" for r in rows], fontsize=7.5, rotation=30, ha="right")
    ax.set_ylim(0, 1.12)
    ax.yaxis.set_major_formatter(lambda y, _: f"{100 * y:.0f}%")
    ax.set_ylabel("probability after the step")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.subplots_adjust(bottom=0.3)
    return _save(fig, path)


def tap_curve(table: TapTable, path: str | Path, title: str) -> Path:
    """P(LM) after each further negative tap: the network, independent taps, and the floor."""
    with _drawing(path) as plt:
        return _tap_curve(plt, table, path, title)


def _tap_curve(plt: Any, table: TapTable, path: str | Path, title: str) -> Path:
    fig, ax = plt.subplots(figsize=(8, 5))
    x = [table.taps_done] + [s.tap for s in table.steps]
    ax.plot(x, [table.current] + [s.p_lm_if_negative for s in table.steps], marker="o", linewidth=2.5,
            color="#2f6f9f", label="network: taps share the tumour burden")
    ax.plot(x, [table.current] + [s.p_lm_if_negative_fagan for s in table.steps], marker="s", linestyle="--",
            color="#d98c2b", label=f"Fagan chain (fixed LR- {table.single_tap_lr:.2f}, as a nomogram)")
    ax.scatter([s.tap for s in table.steps], [s.p_lm_if_positive for s in table.steps], marker="^", color="#b03a2e",
               label="if that tap is positive", zorder=3)
    ax.axhline(table.floor, color="grey", linestyle=":", label=f"floor {percent(table.floor)}: LM that sheds no cells")
    ax.set_xticks(x)
    ax.set_xlabel("taps done (all further taps negative)")
    ax.set_ylabel("P(LM)")
    # scaled to the curves (the positive-tap markers may go off the top: they are labelled)
    top = max([table.current, table.floor, *(s.p_lm_if_negative for s in table.steps)])
    ax.set_ylim(0, min(1.02, max(0.05, 1.25 * top)))
    for s in table.steps:
        if s.p_lm_if_positive > ax.get_ylim()[1]:
            ax.annotate(f"if + {100 * s.p_lm_if_positive:.0f}%", (s.tap, ax.get_ylim()[1]), xytext=(0, -12),
                        textcoords="offset points", ha="center", fontsize=7.5, color="#b03a2e")
    ax.yaxis.set_major_formatter(lambda y, _: f"{100 * y:.0f}%")
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return _save(fig, path)


def calibration_curve(result: Validation, path: str | Path, title: str) -> Path:
    """Left: observed share with LM against mean predicted P(LM) in each group, with all
    findings and before the first tap (the diagonal is perfect calibration). Right: the
    decision curve with all findings, net benefit against the threshold beside acting in
    everyone and in no one."""
    with _drawing(path) as plt:
        fig, (ax, dc) = plt.subplots(1, 2, figsize=(12, 6))
        curve = result.decision_curve
        if curve:
            t = [100 * c.threshold for c in curve]
            dc.plot(t, [c.network for c in curve], marker="o", color="#2f6f9f", linewidth=2.5, label="act where P(LM) >= threshold")
            dc.plot(t, [c.everyone for c in curve], color="#d98c2b", linestyle="--", label="act in everyone")
            dc.plot(t, [c.no_one for c in curve], color="grey", linestyle=":", label="act in no one")
            top = max(c.network for c in curve)
            dc.set_ylim(-0.1 * max(top, 0.01), 1.15 * max(top, 0.01))
            dc.set_xlabel("threshold P(LM) to act (%)", fontsize=12)
            dc.set_ylabel("net benefit (true positives per patient)", fontsize=12)
            dc.set_title("decision curve, all findings", fontsize=13)
            dc.grid(alpha=0.3)
            dc.tick_params(labelsize=11)
            dc.legend(fontsize=11, loc="center right")
        else:
            dc.set_axis_off()
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
        for stage, style in zip(result.stages[:2], ({"marker": "o", "color": "#2f6f9f"}, {"marker": "s", "color": "#d98c2b"})):
            slope = f", slope {stage.slope.value:.2f}" if stage.slope.value is not None else ""
            ax.plot([b.predicted for b in stage.bins], [b.observed for b in stage.bins], label=f"{stage.name}{slope}", **style)
        ax.set_xlabel("mean predicted P(LM) in the group", fontsize=12)
        ax.set_ylabel("observed share with LM", fontsize=12)
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(title, fontsize=13)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=11)
        ax.legend(fontsize=11, loc="upper left")
        return _save(fig, path)


def dot_string(text: str) -> str:
    r"""``text`` as a DOT double-quoted string that Graphviz shows as written.

    Inside quotes DOT ends the string at ``"`` and Graphviz reads backslash escapes in labels
    (``\n``, ``\N``, ``\G``); so backslashes are doubled, quotes escaped, line breaks written
    ``\n`` and other control characters dropped, and a string never ends in a backslash (older
    Graphviz would read ``\"`` there as an escaped quote). Braces, semicolons and ``<...>``
    inside quotes are plain text: only an unquoted ``<...>`` is an HTML label.

    >>> print(dot_string('a "b" {c}\n<i>'))
    "a \"b\" {c}\n<i>"
    >>> print(dot_string('C:\\'))
    "C:\\ "
    """
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    text = text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n")
    text = re.sub(r"[\x00-\x1f\x7f]", "", text)
    return f'"{text} "' if text.endswith("\\") else f'"{text}"'


def network_dot(spec: NetworkSpec) -> str:
    """The network as Graphviz DOT text, causes ranked above signs and tests; every name
    quoted by :func:`dot_string`."""
    q = dot_string
    lines = [f"digraph {q(spec.name)} {{", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for layer in sorted({kind_of(n).layer for n in spec.nodes}):
        members = [n for n in spec.nodes if kind_of(n).layer == layer]
        if members:
            lines.append("  { rank=same; " + " ".join(f"{q(n.id)};" for n in members) + " }")
    for n in spec.nodes:
        lines.append(f"  {q(n.id)} [label={q(f'{n.id}{chr(10)}({n.kind})')}, fillcolor={q(kind_of(n).color)}];")
    for n in spec.nodes:
        lines += [f"  {q(p)} -> {q(n.id)};" for p in n.parents]
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_network(spec: NetworkSpec, path: str | Path) -> Path:
    """Draw the network to ``path``: DOT text for ``.dot`` and ``.gv``, else a picture
    (:func:`network_picture`); an :class:`~lmbayes.errors.InputError` for another suffix."""
    checked = target(path, "drawing", (*DOT, *PICTURES))
    if checked.suffix.lower() in DOT:
        text = network_dot(spec)
        return write_atomically(checked, lambda temporary: _write_text(temporary, text))
    return network_picture(spec, checked)


def network_picture(spec: NetworkSpec, path: str | Path) -> Path:
    """The network drawn with networkx's layered layout: causes above signs, tests and taps."""
    with _drawing(path) as plt:
        return _network_picture(plt, spec, path)


def _network_picture(plt: Any, spec: NetworkSpec, path: str | Path) -> Path:
    import networkx as nx

    shown = [n for n in spec.nodes if n.tap <= 2]  # the taps alike after the second: drawn once
    graph = nx.DiGraph()
    for n in shown:
        graph.add_node(n.id, layer=kind_of(n).layer)
    graph.add_edges_from((p, n.id) for n in shown for p in n.parents)
    layers: dict[int, list[str]] = {}
    for n in shown:  # the file's order within a layer, layer 0 at the top
        layers.setdefault(kind_of(n).layer, []).append(n.id)
    position = _graphviz_positions(graph) or {
        v: (i - (len(members) - 1) / 2, -layer)
        for layer, members in layers.items()
        for i, v in enumerate(members)
    }
    across = max(x for x, _ in position.values()) - min(x for x, _ in position.values())
    fig, ax = plt.subplots(figsize=(max(16, 0.85 * (across + 1.3)), 8))
    colors = {n.id: kind_of(n).color for n in shown}
    nx.draw_networkx_edges(graph, position, ax=ax, alpha=0.35, arrows=True, arrowsize=10, node_size=2600)
    nx.draw_networkx_nodes(graph, position, ax=ax, node_color=[colors[v] for v in graph], node_size=2600,
                           node_shape="s", alpha=0.9)
    nx.draw_networkx_labels(graph, position, ax=ax, labels={v: v.replace("_", "\n") for v in graph}, font_size=6.5)
    more = f"; taps 3 to {spec.n_taps} as taps 1 and 2" if spec.n_taps > 2 else ""
    ax.set_title(f"{spec.name}: {spec.title}{more}", fontsize=11)
    from matplotlib.patches import Patch

    kinds = dict.fromkeys(kind_of(n).name for n in shown)
    ax.legend(handles=[Patch(color=KINDS[k].color, label=k.replace("_", " ")) for k in kinds],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, title="kind")
    ax.axis("off")
    return _save(fig, path)


def _graphviz_positions(graph: Any) -> dict[str, tuple[float, float]] | None:
    """Node positions from Graphviz's ``dot`` (layered, fewest crossings) when pydot and the
    ``dot`` program are installed; None otherwise (the layered layout by kind is used)."""
    import shutil

    if shutil.which("dot") is None:
        return None
    try:
        from networkx.drawing.nx_pydot import graphviz_layout

        raw = graphviz_layout(graph, prog="dot")
    except Exception:  # pydot missing or dot failing: fall back quietly
        return None
    # Graphviz's ranks and its order within each rank (fewest crossings), evenly spaced
    by_rank: dict[int, list[tuple[float, str]]] = {}
    for v, (x, y) in raw.items():
        by_rank.setdefault(round(y), []).append((x, v))
    position: dict[str, tuple[float, float]] = {}
    for level, rank in enumerate(sorted(by_rank, reverse=True)):  # dot puts the roots at the top
        members = [v for _, v in sorted(by_rank[rank])]
        position.update({v: (1.3 * (i - (len(members) - 1) / 2), float(-level)) for i, v in enumerate(members)})
    return position


def _wrap(text: str, width: int = 28) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _write_text(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
