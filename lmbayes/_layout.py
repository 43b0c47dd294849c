"""A layered drawing of a network without Graphviz: rows of boxes, and edges routed around them.

Nodes sit in rows (their kind's layer, or Graphviz's ranks); within a row the order follows the
parents' mean position (one sweep from the top, as Graphviz's barycentre heuristic starts), so
that edges cross less. An edge between adjacent rows is straight: it runs between the rows, in
no box. An edge that skips rows passes each row in between through a gap between two boxes (the
gap nearest its straight line), vertically, as Graphviz's virtual nodes do; edges through one
gap are spread across it. An edge within a row dips below the row. So no edge runs through a
box that is not its own end.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

Point = tuple[float, float]

#: A box's width and height, the distance between two boxes' centres being 1 and between rows 1.
BOX_WIDTH, BOX_HEIGHT = 0.84, 0.52
#: The space kept between an edge and a box it passes.
MARGIN = 0.04


@dataclass(frozen=True)
class Layout:
    """Box centres by node, and each edge's route: the points from the parent's box edge to the
    child's (the last segment carries the arrow)."""

    position: Mapping[str, Point]
    routes: Mapping[tuple[str, str], tuple[Point, ...]]


def order_rows(rows: Sequence[Sequence[str]], parents: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Each row after the first ordered by the mean place of its nodes' parents in the rows
    above (nodes without a parent above keep their place among the others)."""
    place: dict[str, float] = {}
    ordered: list[list[str]] = []
    for row in rows:
        def key(item: tuple[int, str]) -> float:
            i, v = item
            above = [place[p] for p in parents.get(v, ()) if p in place]
            return sum(above) / len(above) if above else i - (len(row) - 1) / 2
        members = [v for _, v in sorted(enumerate(row), key=key)] if ordered else list(row)
        ordered.append(members)
        place.update({v: i - (len(members) - 1) / 2 for i, v in enumerate(members)})
    return ordered


def layout(rows: Sequence[Sequence[str]], edges: Sequence[tuple[str, str]]) -> Layout:
    """Centres of the boxes of ``rows`` (top first, centred) and the routes of ``edges``."""
    position = {v: (i - (len(row) - 1) / 2, -float(r)) for r, row in enumerate(rows) for i, v in enumerate(row)}
    row_of = {v: r for r, row in enumerate(rows) for v in row}
    xs = [sorted(position[v][0] for v in row) for row in rows]
    # for each edge, the gap it takes in each row it passes: (row, gap x) -> edges
    passes: dict[tuple[int, float], list[tuple[str, str]]] = {}
    chosen: dict[tuple[str, str], list[tuple[int, float]]] = {}
    for u, v in edges:
        (x0, _), (x1, _) = position[u], position[v]
        a, b = row_of[u], row_of[v]
        step = 1 if b > a else -1
        gaps = []
        for k in range(a + step, b, step):
            straight = x0 + (x1 - x0) * (k - a) / (b - a)
            gaps.append((k, _nearest_gap(xs[k], straight)))
        chosen[(u, v)] = gaps
        for k, g in gaps:
            passes.setdefault((k, g), []).append((u, v))
    spread: dict[tuple[tuple[str, str], int], float] = {}
    for (k, g), through in passes.items():
        through.sort(key=lambda e: position[e[0]][0] + position[e[1]][0])
        room = (1.0 - BOX_WIDTH) - 2 * MARGIN
        for i, e in enumerate(through):
            spread[(e, k)] = g + (i - (len(through) - 1) / 2) * min(0.05, room / max(1, len(through)))
    routes: dict[tuple[str, str], tuple[Point, ...]] = {}
    half = BOX_HEIGHT / 2
    for u, v in edges:
        (x0, y0), (x1, y1) = position[u], position[v]
        if row_of[u] == row_of[v]:  # within a row: below it
            dip = y0 - half - 0.22
            routes[(u, v)] = ((x0, y0 - half), ((x0 + x1) / 2, dip), (x1, y1 - half))
            continue
        down = y1 < y0
        sign = -1.0 if down else 1.0
        points: list[Point] = [(x0, y0 + sign * half)]
        for k, _ in chosen[(u, v)]:
            gx, yk = spread[((u, v), k)], -float(k)
            points += [(gx, yk - sign * (half + MARGIN)), (gx, yk + sign * (half + MARGIN))]
        points.append((x1, y1 - sign * half))
        routes[(u, v)] = tuple(points)
    return Layout(position, routes)


def _nearest_gap(xs: Sequence[float], x: float) -> float:
    """The middle of the gap between two boxes of a row (or beside its ends) nearest ``x``."""
    if not xs:
        return x
    gaps = [xs[0] - 0.5, *((a + b) / 2 for a, b in zip(xs, xs[1:])), xs[-1] + 0.5]
    return min(gaps, key=lambda g: (abs(g - x), g))


def crosses_box(a: Point, b: Point, centre: Point, margin: float = 0.0) -> bool:
    """Whether the segment from ``a`` to ``b`` enters the box centred at ``centre`` (shrunk by
    ``margin``): Liang-Barsky clipping against the rectangle."""
    (x0, y0), (x1, y1) = a, b
    left, right = centre[0] - BOX_WIDTH / 2 + margin, centre[0] + BOX_WIDTH / 2 - margin
    bottom, top = centre[1] - BOX_HEIGHT / 2 + margin, centre[1] + BOX_HEIGHT / 2 - margin
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - left), (dx, right - x0), (-dy, y0 - bottom), (dy, top - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True
