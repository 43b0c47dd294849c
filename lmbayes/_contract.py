"""Sums of products of labelled tables, in pairs, forwards and backwards.

A query is a *contraction*: the tables (factors) each carry labels (variable names), and the
result keeps the output labels and sums every other one out. :func:`plan` finds the order in
which to multiply the factors two at a time and checks that the largest intermediate table fits
in memory. The order is the cheapest (fewest multiplications) of variable elimination in
weighted min-fill and in min-weight order, the heuristics junction-tree engines triangulate
with, and the greedy pairwise order of opt_einsum; on the 1,041-node MUNIN network the greedy
order alone needed a table of 2.95e8 numbers where min-fill's largest holds a few million. The
plan depends only on the labels and sizes, so it is computed once per query shape and kept.
Large pairwise products run as matrix products (:class:`_Blas`).

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

import functools
import math
from collections.abc import Hashable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from lmbayes._order import _LETTERS, TooLargeError, _letters, _too_large, _union, cheapest_path

__all__ = ["MAX_CELLS", "Plan", "TooLargeError", "plan"]  # TooLargeError: from lmbayes._order

#: The largest intermediate table a query may build: 2^28 numbers, 2 GiB in double precision
#: (the machines this runs on have a few to a few dozen GiB; a pairwise step holds three such
#: tables at most).
MAX_CELLS = 2**28

Labels = tuple[Hashable, ...]


class _Blas:
    """A large pairwise product as one batched matrix product (BLAS) between two transposes.

    einsum without an optimised path loops over every cell of the joined labels in C, one
    multiplication at a time; a matrix product of the same numbers runs at the machine's full
    speed (on the 223-node ANDES network einsum took most of a query's time). Products under
    :data:`_BLAS_CELLS` stay with einsum, which is faster there and sums in a fixed order: the
    shipped networks' figures do not depend on the BLAS kernel of the machine.
    """

    __slots__ = ("sum_x", "order_x", "sum_y", "order_y", "batch", "left", "shared", "order_out")

    def __init__(
        self, sum_x: tuple[int, ...], order_x: tuple[int, ...], sum_y: tuple[int, ...], order_y: tuple[int, ...],
        batch: int, left: int, shared: int, order_out: tuple[int, ...],
    ) -> None:  # fmt: skip
        self.sum_x, self.order_x = sum_x, order_x  # x's axes summed alone; then x as (batch, left, shared)
        self.sum_y, self.order_y = sum_y, order_y  # and y as (batch, shared, right)
        self.batch, self.left, self.shared = batch, left, shared  # how many labels in each group
        self.order_out = order_out  # (batch, left, right) to the result's order

    def __call__(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.sum_x:
            x = x.sum(axis=self.sum_x)
        if self.sum_y:
            y = y.sum(axis=self.sum_y)
        x, y = x.transpose(self.order_x), y.transpose(self.order_y)
        batch, left = self.batch, self.left
        b, l, c = x.shape[:batch], x.shape[batch : batch + left], x.shape[batch + left :]
        r = y.shape[batch + self.shared :]
        product = np.matmul(
            x.reshape(math.prod(b), math.prod(l), math.prod(c)), y.reshape(math.prod(b), math.prod(c), math.prod(r))
        )
        return product.reshape((*b, *l, *r)).transpose(self.order_out)


#: A pairwise product is done as a matrix product (:class:`_Blas`) from this many cells of its
#: joined labels, not counting the labels every table carries (rows of evidence, draws).
_BLAS_CELLS = 2**14


def _blas(x: Labels, y: Labels, out: Labels, sizes: Mapping[Hashable, int], everywhere: Set[Hashable]) -> _Blas | None:
    """The matrix-product recipe for ``x`` times ``y`` summed to ``out``, if it is large."""
    xs, ys = set(x), set(y)
    if math.prod(sizes[a] for a in xs | ys if a not in everywhere) < _BLAS_CELLS:
        return None
    kept = set(out)
    batch = [a for a in out if a in xs and a in ys]
    left = [a for a in out if a in xs and a not in ys]
    right = [a for a in out if a in ys and a not in xs]
    shared = [a for a in x if a in ys and a not in kept]
    x_kept = [a for a in x if a in kept or a in ys]
    y_kept = [a for a in y if a in kept or a in xs]
    made = batch + left + right
    return _Blas(
        tuple(i for i, a in enumerate(x) if a not in kept and a not in ys),
        tuple(x_kept.index(a) for a in batch + left + shared),
        tuple(i for i, a in enumerate(y) if a not in kept and a not in xs),
        tuple(y_kept.index(a) for a in batch + shared + right),
        len(batch), len(left), len(shared),
        tuple(made.index(a) for a in out),
    )  # fmt: skip


class _Grad(NamedTuple):
    """How a step's backward pass gives ``dZ/dA`` for one of its operands ``A``."""

    target: int  # the position of A
    other: int | None  # the position of the step's other operand B, if any
    spec: str  # einsum subscripts: dZ/dC (and B) to the labels of A that C or B have
    blas: _Blas | None  # the same with B as a matrix product, when there is a B and it is large
    spread: tuple[slice | None, ...] | None  # index adding A's other labels (None: none to add)


@dataclass(frozen=True)
class _Step:
    left: int  # positions in the list of live tables (inputs first, then results)
    right: int | None
    labels: Labels  # of the result
    spec: str  # the einsum subscripts of this step
    blas: _Blas | None  # the same as a matrix product, when there are two tables and it is large


@dataclass(frozen=True)
class Plan:
    """How to contract factors with these labels to ``output``: pairwise steps, in order."""

    inputs: tuple[Labels, ...]
    output: Labels
    steps: tuple[_Step, ...]
    sizes: Mapping[Hashable, int]
    everywhere: frozenset[Hashable]  # labels every table carries (rows of evidence, draws)

    @functools.cached_property
    def _backward(self) -> tuple[tuple[_Grad, ...], ...]:
        """Each step's backward pass, one per operand: made the first time
        :meth:`marginals` runs (a query of one node never needs it)."""
        live: list[Labels] = list(self.inputs)
        passes: list[tuple[_Grad, ...]] = []
        for s in self.steps:
            if s.right is None:
                passes.append((_grad(s.left, live[s.left], s.labels, None, (), self.sizes, self.everywhere),))
            else:
                a, b = s.left, s.right
                passes.append((
                    _grad(a, live[a], s.labels, b, live[b], self.sizes, self.everywhere),
                    _grad(b, live[b], s.labels, a, live[a], self.sizes, self.everywhere),
                ))  # fmt: skip
            live.append(s.labels)
        return tuple(passes)

    def contract(self, tables: Sequence[np.ndarray]) -> np.ndarray:
        """The sum over every label not in the output of the product of ``tables``."""
        return self._forward(tables)[-1]

    def _forward(self, tables: Sequence[np.ndarray]) -> list[np.ndarray]:
        live = list(tables)
        for s in self.steps:
            if s.right is None:
                live.append(np.einsum(s.spec, live[s.left]))
            elif s.blas is None:
                live.append(np.einsum(s.spec, live[s.left], live[s.right], optimize=False))
            else:
                live.append(s.blas(live[s.left], live[s.right]))
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
            for d in self._backward[k]:
                if d.other is None:
                    summed = np.einsum(d.spec, g)
                elif d.blas is None:
                    summed = np.einsum(d.spec, g, live[d.other], optimize=False)
                else:
                    summed = d.blas(g, live[d.other])
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


def _grad(
    target: int, mine: Labels, result: Labels, other: int | None, other_labels: Labels,
    sizes: Mapping[Hashable, int], everywhere: Set[Hashable],
) -> _Grad:
    """The backward pass for operand ``target`` (labels ``mine``) of a step whose result has
    labels ``result`` and whose other operand, if any, ``other_labels``: ``dZ/dA`` is ``dZ/dC``
    times ``B``, summed to ``A``'s labels, and constant along the labels that only ``A`` had."""
    seen = set(result) | set(other_labels)
    kept = tuple(a for a in mine if a in seen)
    name = _letters(result, other_labels)
    terms = [result] if other is None else [result, other_labels]
    spec = ",".join("".join(name[a] for a in t) for t in terms) + "->" + "".join(name[a] for a in kept)
    spread = None if len(kept) == len(mine) else tuple(slice(None) if a in kept else None for a in mine)
    blas = None if other is None else _blas(result, other_labels, kept, sizes, everywhere)
    return _Grad(target, other, spec, blas, spread)


def plan(inputs: Sequence[Labels], output: Labels, sizes: dict[Hashable, int], *, max_cells: int = MAX_CELLS) -> Plan:
    """The pairwise contraction of tables labelled ``inputs`` to ``output``.

    Raises :class:`TooLargeError` when every order tried (:func:`lmbayes._order.cheapest_path`)
    would build an intermediate table of more than ``max_cells`` numbers.
    """
    inputs = tuple(tuple(i) for i in inputs)
    # a label every table carries and the output keeps (the rows of a batch of evidence) is
    # never summed: the order is planned without it, or every pair of tables would look joined
    everywhere = set(output).intersection(*map(set, inputs)) if inputs else set()
    bare = tuple(tuple(a for a in i if a not in everywhere) for i in inputs)
    batch_cells = math.prod(sizes[a] for a in everywhere)  # each table holds one copy per row
    chosen = cheapest_path(bare, tuple(a for a in output if a not in everywhere), sizes, max_cells, batch_cells)
    live: list[Labels] = list(inputs)
    steps: list[_Step] = []
    for positions, bare_result in zip(chosen.path, chosen.results):
        joined = _union(*(live[p] for p in positions))
        kept = set(bare_result)
        result = tuple(a for a in joined if a in everywhere or a in kept)
        if len(joined) > len(_LETTERS):
            raise TooLargeError(_too_large(math.prod(sizes[a] for a in joined), max_cells))
        name = _letters(joined)
        spec = ",".join("".join(name[a] for a in live[p]) for p in positions) + "->" + "".join(name[a] for a in result)
        if len(positions) == 1:
            steps.append(_Step(positions[0], None, result, spec, None))
        else:
            a, b = positions
            steps.append(_Step(a, b, result, spec, _blas(live[a], live[b], result, sizes, everywhere)))
        live.append(result)
    last = live[-1]
    if last != tuple(output):  # the same labels, perhaps in another order
        name = _letters(last)
        spec = "".join(name[a] for a in last) + "->" + "".join(name[a] for a in output)
        steps.append(_Step(len(live) - 1, None, tuple(output), spec, None))
    return Plan(inputs, tuple(output), tuple(steps), sizes, frozenset(everywhere))
