"""Sums of products of labelled tables, in pairs, forwards and backwards.

A query is a *contraction*: the tables (factors) each carry labels (variable names), and the
result keeps the output labels and sums every other one out. :func:`plan` finds the order in
which to multiply the factors two at a time (the greedy path of opt_einsum, also in numpy: the
min-size heuristic of variable elimination) and checks that the largest intermediate table fits in memory; the plan
depends only on the labels and sizes, so it is computed once per query shape and kept.

**All marginals in one pass.** With ``Z = sum_x prod_i F_i(x_i)`` the contraction of every
factor, the derivative of ``Z`` with respect to one factor ``F_j`` is the contraction of all the
others with ``F_j``'s labels left open, and ``F_j * dZ/dF_j`` is the joint over ``F_j``'s labels
(Darwiche 2003, "A differential approach to inference in Bayesian networks", J. ACM 50:280).
:meth:`Plan.marginals` computes every ``dZ/dF_j`` by running the pairwise contractions
backwards (reverse-mode differentiation): for a step ``C = sum A B``,

.. math:: \\frac{\\partial Z}{\\partial A} = \\sum_{\\text{labels of } B \\text{ not in } A}
          \\frac{\\partial Z}{\\partial C}\\, B,

constant along labels that only ``A`` had. That is the collect and distribute passes of a
junction tree over the cliques of the elimination order, at about three times the cost of one
contraction, whatever the number of variables asked for.

numpy's einsum names axes with 52 letters; here each pairwise step renames its own labels, so a
query may involve any number of variables, as long as every intermediate table fits.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lmbayes.errors import LmbayesError

__all__ = ["MAX_CELLS", "Plan", "TooLargeError", "plan"]

#: The largest intermediate table a query may build: 2^28 numbers, 2 GiB in double precision
#: (the machines this runs on have a few to a few dozen GiB; a pairwise step holds three such
#: tables at most).
MAX_CELLS = 2**28

#: Up to this many tables, numpy's einsum_path plans the contraction (see :func:`_path`).
_NUMPY_PATH_TABLES = 16

_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

Labels = tuple[Hashable, ...]


class TooLargeError(LmbayesError):
    """The query would build a table larger than :data:`MAX_CELLS`."""


class _Grad(NamedTuple):
    """How a step's backward pass gives ``dZ/dA`` for one of its operands ``A``."""

    target: int  # the position of A
    other: int | None  # the position of the step's other operand B, if any
    spec: str  # einsum subscripts: dZ/dC (and B) to the labels of A that C or B have
    spread: tuple[slice | None, ...] | None  # index adding A's other labels (None: none to add)


@dataclass(frozen=True)
class _Step:
    left: int  # positions in the list of live tables (inputs first, then results)
    right: int | None
    labels: Labels  # of the result
    spec: str  # the einsum subscripts of this step
    grads: tuple[_Grad, ...]  # the backward pass of this step, one per operand


@dataclass(frozen=True)
class Plan:
    """How to contract factors with these labels to ``output``: pairwise steps, in order."""

    inputs: tuple[Labels, ...]
    output: Labels
    steps: tuple[_Step, ...]

    def contract(self, tables: Sequence[np.ndarray]) -> np.ndarray:
        """The sum over every label not in the output of the product of ``tables``."""
        return self._forward(tables)[-1]

    def _forward(self, tables: Sequence[np.ndarray]) -> list[np.ndarray]:
        live = list(tables)
        for s in self.steps:
            if s.right is None:
                live.append(np.einsum(s.spec, live[s.left]))
            else:
                live.append(np.einsum(s.spec, live[s.left], live[s.right], optimize=False))
        return live

    def marginals(self, tables: Sequence[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
        """The contraction, and for each input table ``F_j * dZ/dF_j`` (the module docstring):
        the joint over that table's labels, summed over the output's labels' other values."""
        live = self._forward(tables)
        root = live[-1]
        grads: list[np.ndarray | None] = [None] * len(live)
        grads[-1] = np.ones_like(root)
        for k in range(len(self.steps) - 1, -1, -1):
            g = grads[len(self.inputs) + k]
            assert g is not None
            for d in self.steps[k].grads:
                if d.other is None:
                    summed = np.einsum(d.spec, g)
                else:
                    summed = np.einsum(d.spec, g, live[d.other], optimize=False)
                if d.spread is not None:  # constant along the labels that only A had
                    summed = np.broadcast_to(summed[d.spread], live[d.target].shape)
                _add(grads, d.target, summed)
        joints = []
        for j, table in enumerate(tables):
            g = grads[j]
            joints.append(table * g if g is not None else np.zeros_like(table))
        return root, joints


def _add(grads: list[np.ndarray | None], i: int, g: np.ndarray) -> None:
    grads[i] = g if grads[i] is None else grads[i] + g


def _letters(*groups: Labels) -> dict[Hashable, str]:
    names: dict[Hashable, str] = {}
    for group in groups:
        for label in group:
            if label not in names:
                names[label] = _LETTERS[len(names)]
    return names


def _grad(target: int, mine: Labels, result: Labels, other: int | None, other_labels: Labels) -> _Grad:
    """The backward pass for operand ``target`` (labels ``mine``) of a step whose result has
    labels ``result`` and whose other operand, if any, ``other_labels``: ``dZ/dA`` is ``dZ/dC``
    times ``B``, summed to ``A``'s labels, and constant along the labels that only ``A`` had."""
    seen = set(result) | set(other_labels)
    kept = tuple(a for a in mine if a in seen)
    name = _letters(result, other_labels)
    terms = [result] if other is None else [result, other_labels]
    spec = ",".join("".join(name[a] for a in t) for t in terms) + "->" + "".join(name[a] for a in kept)
    spread = None if len(kept) == len(mine) else tuple(slice(None) if a in kept else None for a in mine)
    return _Grad(target, other, spec, spread)


def plan(inputs: Sequence[Labels], output: Labels, sizes: dict[Hashable, int], *, max_cells: int = MAX_CELLS) -> Plan:
    """The pairwise contraction of tables labelled ``inputs`` to ``output``.

    Raises :class:`TooLargeError` when an intermediate table would exceed ``max_cells``.
    """
    inputs = tuple(tuple(i) for i in inputs)
    live: list[Labels] = list(inputs)
    steps: list[_Step] = []
    # a label every table carries and the output keeps (the rows of a batch of evidence) is
    # never summed: the order is planned without it, or every pair of tables would look joined
    everywhere = set(output).intersection(*map(set, inputs)) if inputs else set()
    bare = tuple(tuple(a for a in i if a not in everywhere) for i in inputs)
    path = _path(bare, tuple(a for a in output if a not in everywhere), sizes, max_cells)
    # opt_einsum's path removes the chosen tables from a list and appends the result; keep the
    # positions of every table ever made instead, so that the backward pass can find them.
    alive = list(range(len(inputs)))
    for chosen in path:
        positions = [alive[i] for i in chosen]
        for i in sorted(chosen, reverse=True):
            del alive[i]
        rest = {a for p in alive for a in live[p]} | set(output)
        joined = _union(*(live[p] for p in positions))
        if len(joined) > len(_LETTERS):
            raise TooLargeError(_too_large(math.prod(sizes[a] for a in joined), max_cells))
        result = tuple(a for a in joined if a in rest)
        cells = math.prod(sizes[a] for a in result)
        if cells > max_cells:
            raise TooLargeError(_too_large(cells, max_cells))
        name = _letters(joined)
        spec = ",".join("".join(name[a] for a in live[p]) for p in positions) + "->" + "".join(name[a] for a in result)
        if len(positions) == 1:
            steps.append(_Step(positions[0], None, result, spec, (_grad(positions[0], live[positions[0]], result, None, ()),)))
        elif len(positions) == 2:
            a, b = positions
            grads = (_grad(a, live[a], result, b, live[b]), _grad(b, live[b], result, a, live[a]))
            steps.append(_Step(a, b, result, spec, grads))
        else:  # pragma: no cover - greedy contracts in pairs
            raise AssertionError(f"a contraction step of {len(positions)} tables")
        alive.append(len(live))
        live.append(result)
    last = live[-1]
    if last != tuple(output):  # the same labels, perhaps in another order
        name = _letters(last)
        spec = "".join(name[a] for a in last) + "->" + "".join(name[a] for a in output)
        steps.append(_Step(len(live) - 1, None, tuple(output), spec, (_grad(len(live) - 1, last, tuple(output), None, ()),)))
    return Plan(inputs, tuple(output), tuple(steps))


def _path(inputs: tuple[Labels, ...], output: Labels, sizes: dict[Hashable, int], max_cells: int) -> list[tuple[int, ...]]:
    """The greedy contraction order: numpy's own (opt_einsum's algorithm, already loaded) for a
    few tables whose labels fit its 52 letters; opt_einsum's otherwise (about 6 ms to import,
    but numpy's version slows down fast with the number of tables: 0.3 ms for 11 tables, 13 ms
    for the 57 of the breast network here)."""
    if len(inputs) == 1:
        return [(0,)]
    labels = _union(*inputs, output)
    if len(inputs) <= _NUMPY_PATH_TABLES and len(labels) <= len(_LETTERS):
        name = _letters(labels)
        spec = ",".join("".join(name[a] for a in i) for i in inputs) + "->" + "".join(name[a] for a in output)
        shapes = [np.broadcast_to(0.0, tuple(sizes[a] for a in i)) for i in inputs]
        path = np.einsum_path(spec, *shapes, optimize=("greedy", max_cells))[0][1:]
        if all(len(p) <= 2 for p in path):
            return [tuple(p) for p in path]
    from opt_einsum.paths import greedy

    return [tuple(p) for p in greedy([frozenset(i) for i in inputs], frozenset(output), sizes)]


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
