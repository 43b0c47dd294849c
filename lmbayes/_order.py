"""The order of a contraction: which two tables to multiply next, from the labels and sizes alone.

:func:`cheapest_path` tries variable elimination in weighted min-fill and in min-weight order
(:func:`elimination_order`) and the greedy pairwise order of opt_einsum, and keeps the one
with the fewest multiplications whose largest table fits; :mod:`lmbayes._contract` turns the
path into einsum and matrix-product steps.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

import numpy as np

from lmbayes.errors import LmbayesError

__all__ = ["Path", "TooLargeError", "cheapest_path", "elimination_order"]

Labels = tuple[Hashable, ...]

#: Up to this many tables, numpy's einsum_path plans the contraction (see :func:`_greedy_path`).
_NUMPY_PATH_TABLES = 16

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


class TooLargeError(LmbayesError):
    """The query would build a table larger than the limit (:data:`lmbayes._contract.MAX_CELLS`)."""


#: A contraction path: each step names the one or two tables it contracts by their position in
#: the list of every table made so far (the inputs, then each step's result in turn).
Path = list[tuple[int, ...]]


class _Costed:
    """A path, the labels of each step's result, its multiplications (all steps together) and
    the cells of its largest result. (A plain class: a NamedTuple costs every command-line
    start a fraction of a millisecond to create.)"""

    __slots__ = ("path", "results", "work", "largest")

    def __init__(self, path: Path, results: list[Labels], work: int, largest: int) -> None:
        self.path, self.results, self.work, self.largest = path, results, work, largest


def _costed(path: Path, inputs: Sequence[Labels], output: Labels, sizes: dict[Hashable, int]) -> _Costed:
    """The labels of each step's result (those of its tables that another live table or the
    output still has; the others are summed at that step) and the cost of the whole. Counts of
    the live tables carrying each label are kept as the steps go, so that a step costs the size
    of its tables, not of the network."""
    carrying: dict[Hashable, int] = {}
    for labels in inputs:
        for a in labels:
            carrying[a] = carrying.get(a, 0) + 1
    live: list[Labels] = list(inputs)
    kept = set(output)
    results = []
    work = largest = 0
    for positions in path:
        joined = _union(*(live[p] for p in positions))
        for p in positions:
            for a in live[p]:
                carrying[a] -= 1
        result = tuple(a for a in joined if carrying[a] or a in kept)
        for a in result:
            carrying[a] += 1
        live.append(result)
        results.append(result)
        work += math.prod(sizes[a] for a in joined)
        largest = max(largest, math.prod(sizes[a] for a in result))
    return _Costed(path, results, work, largest)


def cheapest_path(
    inputs: tuple[Labels, ...], output: Labels, sizes: dict[Hashable, int], max_cells: int, batch_cells: int = 1
) -> _Costed:
    """The cheapest of a few contraction orders whose largest table fits in ``max_cells``.

    The candidates: variable elimination in weighted min-fill order and in min-weight order
    (:func:`elimination_order`; the orders junction-tree engines triangulate with, which keep
    the largest table near the network's largest clique), and the greedy pairwise order of
    opt_einsum (numpy's own for a few tables), which on small networks often saves a step or
    two but on large ones can build tables a million times larger than the cliques. Cost is
    the number of multiplications, all steps together. A greedy order with small tables
    (:data:`_SMALL_CELLS`) is kept at once; above :data:`_GREEDY_TABLES` tables min-fill alone
    is planned, and min-weight only when min-fill's largest table does not fit.
    Every table holds ``batch_cells`` copies (rows of evidence, draws) of what its labels say.
    """
    max_cells = max(1, max_cells // batch_cells)
    if len(inputs) == 1:
        return _costed([(0,)], inputs, output, sizes)
    candidates = []
    if len(inputs) <= _GREEDY_TABLES:
        candidates.append(_costed(_greedy_path(inputs, output, sizes, max_cells), inputs, output, sizes))
        if candidates[0].largest <= _SMALL_CELLS:  # planning more would cost more than it saves
            return candidates[0]
    candidates.append(_costed(_elimination_path(inputs, output, sizes, fill=True), inputs, output, sizes))
    if len(inputs) <= _GREEDY_TABLES or candidates[-1].largest > max_cells:
        candidates.append(_costed(_elimination_path(inputs, output, sizes, fill=False), inputs, output, sizes))
    fitting = [(c.work, k) for k, c in enumerate(candidates) if c.largest <= max_cells]
    if not fitting:
        raise TooLargeError(_too_large(min(c.largest for c in candidates) * batch_cells, max_cells * batch_cells))
    return candidates[min(fitting)[1]]


#: Up to this many tables, the greedy order is tried too (opt_einsum's greedy search grows
#: faster than linearly with the number of tables: seconds at a thousand).
_GREEDY_TABLES = 200
#: A greedy order whose largest table is this small is kept without trying others: the query
#: takes microseconds whichever order, and planning it twice more would take milliseconds (the
#: shipped networks are answered in the greedy order, as before min-fill was added).
_SMALL_CELLS = 2**12


def _greedy_path(inputs: tuple[Labels, ...], output: Labels, sizes: dict[Hashable, int], max_cells: int) -> Path:
    """The greedy order: numpy's own (opt_einsum's algorithm, already loaded) for a few tables
    whose labels fit its 52 letters; opt_einsum's otherwise (about 6 ms to import, but numpy's
    version slows down fast with the number of tables: 0.3 ms for 11 tables, 13 ms for 57)."""
    labels = _union(*inputs, output)
    found: list[tuple[int, ...]] | None = None
    if len(inputs) <= _NUMPY_PATH_TABLES and len(labels) <= len(_LETTERS):
        name = _letters(labels)
        spec = ",".join("".join(name[a] for a in i) for i in inputs) + "->" + "".join(name[a] for a in output)
        shapes = [np.broadcast_to(0.0, tuple(sizes[a] for a in i)) for i in inputs]
        numpy_path = [tuple(p) for p in np.einsum_path(spec, *shapes, optimize=("greedy", max_cells))[0][1:]]
        if all(len(p) <= 2 for p in numpy_path):
            found = numpy_path
    if found is None:
        from opt_einsum.paths import greedy

        found = [tuple(p) for p in greedy([frozenset(i) for i in inputs], frozenset(output), sizes)]
    # opt_einsum's positions count in a list from which each step removes its tables and to
    # which it appends its result; ours count every table ever made
    alive = list(range(len(inputs)))
    path = []
    for chosen in found:
        path.append(tuple(alive[i] for i in chosen))
        for i in sorted(chosen, reverse=True):
            del alive[i]
        alive.append(len(inputs) + len(path) - 1)
    return path


def elimination_order(inputs: tuple[Labels, ...], output: Labels, sizes: dict[Hashable, int], *, fill: bool) -> list[Hashable]:
    """The labels not in ``output``, in the order variable elimination sums them out.

    Each time the label whose elimination costs least in the interaction graph (two labels
    joined when a table carries both): with ``fill``, the fewest new links among its neighbours,
    each weighted by the product of its two ends' sizes, then the smallest table (weighted
    min-fill); without, the smallest table (min-weight). Eliminating a label links its
    neighbours; only the labels whose cost that changes are scored again.
    """
    import heapq  # only large networks get here: not loaded at start-up

    neighbours: dict[Hashable, set[Hashable]] = {}
    for labels in inputs:
        for a in labels:
            neighbours.setdefault(a, set()).update(labels)
    for a, linked in neighbours.items():
        linked.discard(a)
    kept = set(output)

    def score(v: Hashable) -> tuple[int, int]:
        linked = neighbours[v]
        weight = sizes[v] * math.prod(sizes[a] for a in linked)
        if not fill:
            return (weight, 0)
        missing = 0
        ordered = list(linked)
        for i, a in enumerate(ordered):
            others = neighbours[a]
            for b in ordered[i + 1 :]:
                if b not in others:
                    missing += sizes[a] * sizes[b]
        return (missing, weight)

    rank = {a: k for k, a in enumerate(neighbours)}  # ties broken by first appearance
    current = {v: score(v) for v in neighbours if v not in kept}
    heap = [(s, rank[v], v) for v, s in current.items()]
    heapq.heapify(heap)
    order = []
    while heap:
        s, _, v = heapq.heappop(heap)
        if current.get(v) != s:
            continue  # scored again since
        del current[v]
        order.append(v)
        linked = neighbours.pop(v)
        changed = set(linked)
        for a in linked:
            neighbours[a].discard(v)
            new = linked - neighbours[a] - {a}
            if new and fill:
                for b in new:  # the labels joined to both ends of a new link lose a missing link
                    changed |= neighbours[a] & neighbours[b]
            neighbours[a] |= new
        for a in changed:
            if a in current:
                current[a] = score(a)
                heapq.heappush(heap, (current[a], rank[a], a))
    return order


def _elimination_path(inputs: tuple[Labels, ...], output: Labels, sizes: dict[Hashable, int], *, fill: bool) -> Path:
    """Variable elimination as pairwise steps: for each label in :func:`elimination_order`,
    the tables carrying it are multiplied two at a time, smallest first, and the label is
    summed at the last of those steps; the tables left (over output labels only) are then
    multiplied the same way."""
    import bisect

    holding: dict[Hashable, set[int]] = {}
    for i, labels in enumerate(inputs):
        for a in labels:
            holding.setdefault(a, set()).add(i)
    live: list[Labels] = list(inputs)
    alive = set(range(len(inputs)))
    kept = set(output)
    path: Path = []

    def cells(i: int) -> int:
        return math.prod(sizes[a] for a in live[i])

    def step(*positions: int) -> int:
        joined = _union(*(live[p] for p in positions))
        for p in positions:
            alive.discard(p)
            for a in live[p]:
                holding[a].discard(p)
        result = tuple(a for a in joined if holding[a] or a in kept)
        new = len(live)
        for a in result:
            holding[a].add(new)
        live.append(result)
        alive.add(new)
        path.append(positions)
        return new

    def multiply(group: set[int], *, sum_alone: bool) -> None:
        pool = sorted(group, key=lambda i: (cells(i), i))
        if len(pool) == 1:
            if sum_alone:
                step(pool[0])
            return
        while len(pool) > 1:
            a, b = pool.pop(0), pool.pop(0)
            made = step(a, b)
            bisect.insort(pool, made, key=lambda i: (cells(i), i))

    for v in elimination_order(inputs, output, sizes, fill=fill):
        if holding.get(v):
            multiply(set(holding[v]), sum_alone=True)
    if len(alive) > 1:
        multiply(alive, sum_alone=False)
    return path



def _letters(*groups: Labels) -> dict[Hashable, str]:
    names: dict[Hashable, str] = {}
    for group in groups:
        for label in group:
            if label not in names:
                names[label] = _LETTERS[len(names)]
    return names


def _union(*groups: Labels) -> Labels:
    seen: dict[Hashable, None] = {}
    for group in groups:
        seen.update(dict.fromkeys(group))
    return tuple(seen)


def _too_large(cells: int, max_cells: int) -> str:
    return (
        f"exact inference here needs a table of {cells:.3g} numbers ({cells * 8 / 2**30:.3g} GiB) at its "
        f"largest step, above the {max_cells * 8 / 2**30:.3g} GiB lmbayes allows: the network's nodes are "
        "too densely connected (a network with fewer links between its nodes, or one without its unused nodes, may fit)"
    )
