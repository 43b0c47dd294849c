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

from lmbayes._numbers import about_zero
from lmbayes._output import target, write_atomically
from lmbayes.errors import InputError, LmbayesError
from lmbayes.kinds import KINDS, kind_of
from lmbayes.sensitivity import Swing
from lmbayes.spec import NetworkSpec
from lmbayes.taps import TapTable, percent
from lmbayes.teaching import ReplayRow

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
    words: Mapping[str, str] | None = None, threshold: float | None = None,
) -> Path:
    """A tornado chart of P(LM) with each parameter at the ends of its range, each labelled in
    ``words`` (see :func:`lmbayes.sensitivity.parameter_words`) where given, with a dashed line
    at ``threshold`` where given."""
    with _drawing(path) as plt:
        return _tornado(plt, swings, current, path, title, top, words or {}, threshold)


def _tornado(
    plt: Any, swings: Sequence[Swing], current: float, path: str | Path, title: str, top: int, words: Mapping[str, str],
    threshold: float | None = None,
) -> Path:
    import textwrap

    shown = list(swings[:top])[::-1]
    labels = ["\n".join(textwrap.wrap(words.get(s.path, s.path) + (" (judgement)" if s.judgement else ""), 44,
                                      break_long_words=False)) for s in shown]
    lines = max((label.count("\n") + 1 for label in labels), default=1)
    fig, ax = plt.subplots(figsize=(11, (0.3 + 0.22 * lines) * len(shown) + 1.8))
    for y, s in enumerate(shown):
        lo, hi = sorted((s.p_lm_low, s.p_lm_high))
        color = "#d98c2b" if s.judgement else "#2f6f9f"
        ax.barh(y, hi - lo, left=lo, color=color, hatch="//" if s.judgement else None, edgecolor="white")
        ax.annotate(f"{s.low:.3g}", (s.p_lm_low, y), xytext=(-3 if s.p_lm_low < s.p_lm_high else 3, 0), textcoords="offset points",
                    ha="right" if s.p_lm_low < s.p_lm_high else "left", va="center", fontsize=10)
        ax.annotate(f"{s.high:.3g}", (s.p_lm_high, y), xytext=(3 if s.p_lm_high > s.p_lm_low else -3, 0), textcoords="offset points",
                    ha="left" if s.p_lm_high > s.p_lm_low else "right", va="center", fontsize=10)
    ax.axvline(current, color="black", linewidth=1)
    if threshold is not None:
        ax.axvline(threshold, color="#b03a2e", linestyle="--", linewidth=1.5)
    ax.set_yticks(range(len(shown)), labels, fontsize=11)
    ax.set_xlabel("P(LM) with the parameter at the low or high end of its range", fontsize=11)
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=None))
    ax.tick_params(axis="x", labelsize=10)
    ax.set_title(title, fontsize=12)
    marks = [current] + ([threshold] if threshold is not None else [])
    lows = [min(s.p_lm_low, s.p_lm_high) for s in shown] + marks
    highs = [max(s.p_lm_low, s.p_lm_high) for s in shown] + marks
    span = max(highs) - min(lows) or 0.01
    ax.set_xlim(max(min(lows) - 0.1 * span, 0.0), min(max(highs) + 0.1 * span, 1.0))
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color="#2f6f9f", label="sourced")] if any(not s.judgement for s in shown) else []
    handles += [Patch(facecolor="#d98c2b", hatch="//", label="judgement")] if any(s.judgement for s in shown) else []
    handles.append(Line2D([], [], color="black", linewidth=1, label=f"P(LM) now {percent(current)}"))
    if threshold is not None:
        handles.append(Line2D([], [], color="#b03a2e", linestyle="--", linewidth=1.5, label=f"threshold {percent(threshold)}"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=10)
    return _save(fig, path)


def ladder(rows: Sequence[ReplayRow], prior: float, path: str | Path, title: str) -> Path:
    """P(LM) and the competing causes after each step of a case."""
    with _drawing(path) as plt:
        return _ladder(plt, rows, prior, path, title)


#: Colours of the competing causes in the ladder: none near LM's blue.
CAUSE_COLOURS = ("#d98c2b", "#5a9e3a", "#8e5ea2", "#b03a2e", "#7f7f7f", "#c9a227", "#e377c2", "#17becf")


def _ladder(plt: Any, rows: Sequence[ReplayRow], prior: float, path: str | Path, title: str) -> Path:
    import textwrap

    x = list(range(len(rows) + 1))
    fig, ax = plt.subplots(figsize=(max(10.0, 1.45 * len(x) + 3), 6.5))
    ax.plot(x, [prior] + [r.p_lm_after for r in rows], marker="o", linewidth=3, color="#2f6f9f", label="LM", zorder=3)
    for cause, colour in zip(rows[0].causes, CAUSE_COLOURS * 4):
        ax.plot(x, [float("nan")] + [r.causes[cause] for r in rows], linestyle="--", marker=".", alpha=0.75,
                color=colour, label=cause.replace("_", " "))
    # P(LM) and the level of each step in a row above the plot, on no line
    for xi, r in zip(x[1:], rows):
        ax.annotate(f"{100 * r.p_lm_after:.0f}%\n{r.eano_esmo}", (xi, 1.0), xycoords=("data", "axes fraction"),
                    xytext=(0, 4), textcoords="offset points", ha="center", va="bottom", fontsize=10, color="#2f6f9f")
    labels = ["before"] + ["\n".join(textwrap.wrap(f"{r.step}. {r.label}", 16, break_long_words=False)) for r in rows]
    ax.set_xticks(x, labels, fontsize=9)
    ax.set_ylim(0, 1.02)
    ax.yaxis.set_major_formatter(lambda y, _: f"{100 * y:.0f}%")
    ax.tick_params(axis="y", labelsize=10)
    ax.set_ylabel("probability after the step", fontsize=11)
    ax.set_title(title, fontsize=12, pad=36)
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return _save(fig, path)


def tap_curve(table: TapTable, path: str | Path, title: str) -> Path:
    """P(LM) after each further negative tap: the network, independent taps, and the floor."""
    with _drawing(path) as plt:
        return _tap_curve(plt, table, path, title)


def _tap_curve(plt: Any, table: TapTable, path: str | Path, title: str) -> Path:
    fig, ax = plt.subplots(figsize=(8, 5))
    x = [table.taps_done] + [s.tap for s in table.steps]
    ax.plot(x, [table.current] + [s.p_lm_if_negative for s in table.steps], marker="o", linewidth=2.5,
            color="#2f6f9f", label="network: taps share the shedding state")
    ax.plot(x, [table.current] + [s.p_lm_if_negative_independent for s in table.steps], marker="s", linestyle="--",
            color="#d98c2b", label=f"independent taps (fixed LR- {table.single_tap_lr:.2f}, as a nomogram)")
    # scaled to the curves (the positive-tap markers may go off the top: they are labelled)
    top = min(1.02, max(0.05, 1.25 * max([table.current, table.floor, *(s.p_lm_if_negative for s in table.steps)])))
    inside = [s for s in table.steps if s.p_lm_if_positive <= top]
    if inside:  # in the legend only when a marker is drawn
        ax.scatter([s.tap for s in inside], [s.p_lm_if_positive for s in inside], marker="^", color="#b03a2e",
                   label="if that tap is positive", zorder=3)
    if not about_zero(table.floor):
        ax.axhline(table.floor, color="grey", linestyle=":", label=f"floor {percent(table.floor)}: LM that sheds no cells")
    ax.set_xticks(x)
    ax.set_xlabel("taps done (all further taps negative)")
    ax.set_ylabel("P(LM)")
    ax.set_ylim(0, top)
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
    """Observed share with LM against mean predicted P(LM) in each group, with all findings
    and before the first tap; the diagonal is perfect calibration."""
    with _drawing(path) as plt:
        fig, ax = plt.subplots(figsize=(6, 6))
        ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
        for stage, style in zip(result.stages[:2], ({"marker": "o", "color": "#2f6f9f"}, {"marker": "s", "color": "#d98c2b"})):
            slope = f", slope {stage.slope.value:.2f}" if stage.slope.value is not None else ""
            ax.plot([b.predicted for b in stage.bins], [b.observed for b in stage.bins], label=f"{stage.name}{slope}", **style)
        ax.set_xlabel("mean predicted P(LM) in the group")
        ax.set_ylabel("observed share with LM")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1)
        ax.set_title(title, fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
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
    """The network as Graphviz DOT text, causes ranked above signs and tests, each node shown
    by its clinical label (its id below; an imported node without one, by id and kind); every
    name quoted by :func:`dot_string`."""
    q = dot_string
    lines = [f"digraph {q(spec.name)} {{", "  rankdir=TB;", '  node [shape=box, style="rounded,filled", fontname="Helvetica"];']
    for layer in sorted({kind_of(n).layer for n in spec.nodes}):
        members = [n for n in spec.nodes if kind_of(n).layer == layer]
        if members:
            lines.append("  { rank=same; " + " ".join(f"{q(n.id)};" for n in members) + " }")
    for n in spec.nodes:
        shown = f"{n.label}\n({n.id})" if n.label and n.label != n.id else f"{n.id}\n({n.kind})"
        lines.append(f"  {q(n.id)} [label={q(shown)}, fillcolor={q(kind_of(n).color)}];")
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
    """Boxes with the nodes' clinical labels in rows, edges routed around the boxes
    (:mod:`lmbayes._layout`); rows and their order from Graphviz where installed."""
    import textwrap

    import networkx as nx
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Patch

    from lmbayes._layout import BOX_HEIGHT, BOX_WIDTH, layout, order_rows

    shown = [n for n in spec.nodes if n.tap <= 2]  # the taps alike after the second: drawn once
    ids = {n.id for n in shown}
    edges = [(p, n.id) for n in shown for p in n.parents if p in ids]
    graph = nx.DiGraph()
    graph.add_nodes_from(ids)
    graph.add_edges_from(edges)
    ranked = _graphviz_rows(graph)
    if ranked is None:
        layers: dict[int, list[str]] = {}
        for n in shown:  # the file's order within a layer, layer 0 at the top
            layers.setdefault(kind_of(n).layer, []).append(n.id)
        ranked = order_rows([layers[k] for k in sorted(layers)], {n.id: n.parents for n in shown})
    drawn = layout(ranked, edges)
    columns = max(map(len, ranked))
    fig, ax = plt.subplots(figsize=(max(12.0, 1.7 * columns + 2.5), 1.75 * len(ranked) + 1.2))
    for (u, v), points in drawn.routes.items():
        xs, ys = zip(*points)
        ax.plot(xs[:-1], ys[:-1], color="#555555", linewidth=1.1, alpha=0.55, solid_capstyle="round", zorder=1)
        ax.add_patch(FancyArrowPatch(points[-2], points[-1], arrowstyle="-|>", mutation_scale=13, color="#555555",
                                     alpha=0.75, linewidth=1.1, shrinkA=0, shrinkB=0, zorder=2))
    for n in shown:
        x, y = drawn.position[n.id]
        ax.add_patch(FancyBboxPatch((x - BOX_WIDTH / 2, y - BOX_HEIGHT / 2), BOX_WIDTH, BOX_HEIGHT,
                                    boxstyle="round,pad=0,rounding_size=0.06", facecolor=kind_of(n).color,
                                    edgecolor="#333333", linewidth=0.8, zorder=3))
        label = "\n".join(textwrap.wrap(n.label or n.id, 14, break_long_words=False)[:4])
        ax.text(x, y, label, ha="center", va="center", fontsize=11, zorder=4,
                color="white" if _dark(kind_of(n).color) else "black")
    centres = [x for x, _ in drawn.position.values()]
    ax.set_xlim(min(centres) - 0.6, max(centres) + 0.6)
    ax.set_ylim(-len(ranked) + 0.5, 0.5)
    more = f"; taps 3 to {spec.n_taps} as taps 1 and 2" if spec.n_taps > 2 else ""
    ax.set_title(f"{spec.name}: {spec.title}{more}", fontsize=15)
    kinds = dict.fromkeys(kind_of(n).name for n in shown)
    ax.legend(handles=[Patch(facecolor=KINDS[k].color, edgecolor="#333333", label=k.replace("_", " ")) for k in kinds],
              loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=12, title="kind", title_fontsize=12)
    ax.axis("off")
    return _save(fig, path)


def _dark(color: str) -> bool:
    """Whether a ``#rrggbb`` fill needs white text (its luminance below one half)."""
    r, g, b = (int(color[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5


def _graphviz_rows(graph: Any) -> list[list[str]] | None:
    """Graphviz's ranks, top first, each in Graphviz's order (fewest crossings); None without
    Graphviz (the rows by kind are used)."""
    position = _graphviz_positions(graph)
    if position is None:
        return None
    by_level: dict[float, list[tuple[float, str]]] = {}
    for v, (x, y) in position.items():
        by_level.setdefault(y, []).append((x, v))
    return [[v for _, v in sorted(by_level[y])] for y in sorted(by_level, reverse=True)]


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
