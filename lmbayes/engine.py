"""Exact inference with numpy: the fast engine behind every command-line query.

A posterior is a ratio of sums of products of the probability tables:

.. math::

    P(X = x \\mid e) = \\frac{\\sum_{\\text{others}} \\prod_v P(v \\mid \\text{pa}(v))\\,[e]}
                          {\\sum_{\\text{all}} \\prod_v P(v \\mid \\text{pa}(v))\\,[e]}

Evidence selects a slice of each table; nodes that are neither queried, observed nor an
ancestor of either sum to one and are dropped (barren nodes). :func:`numpy.einsum` with
``optimize="greedy"`` chooses the elimination order and contracts the rest, which is variable
elimination without importing pgmpy (about 3-5 s here). :mod:`lmbayes._pgmpy` builds the
reference model from the same tables; the tests hold the two to 1e-10.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from lmbayes.errors import LmbayesError

if TYPE_CHECKING:
    from lmbayes.tables import Tables

__all__ = ["Engine"]

#: numpy.einsum labels axes with the 52 letters a-z, A-Z.
_MAX_LABELS = 52


class Engine:
    """Exact queries over :class:`~lmbayes.tables.Tables`; evidence maps node to state index."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._paths: dict[tuple[object, ...], list[object]] = {}

    def _ancestral(self, nodes: Iterable[str]) -> list[str]:
        keep = set()
        stack = list(nodes)
        while stack:
            v = stack.pop()
            if v not in keep:
                keep.add(v)
                stack.extend(self.tables.parents[v])
        return [v for v in self.tables.variables if v in keep]

    def _contract(self, evidence: Mapping[str, int], out: tuple[str, ...]) -> np.ndarray:
        """Sum of the product of the tables, evidence fixed, over all but ``out`` (and draws).

        Factors over the same variables are multiplied first, and the contraction order that
        :func:`numpy.einsum_path` finds is kept for the next query of the same shape.
        """
        t = self.tables
        lead = (slice(None),) if t.batch else ()
        relevant = self._ancestral([*evidence, *out])
        if not relevant:
            return np.ones((t.batch,)) if t.batch else np.array(1.0)
        free = [v for v in relevant if v not in evidence]
        if len(free) + 1 > _MAX_LABELS:
            raise LmbayesError(
                f"the query involves {len(free)} unobserved variables; the numpy engine contracts at most "
                f"{_MAX_LABELS - 1} at once (give more findings, or query a smaller network)"
            )
        label = {v: i for i, v in enumerate(free, start=1)}  # label 0: the draws
        batch = (0,) if t.batch else ()
        factors: dict[tuple[int, ...], np.ndarray] = {}
        for v in relevant:
            axes = (*t.parents[v], v)
            table = t.cpts[v][lead + tuple(evidence.get(a, slice(None)) for a in axes)]
            labels = batch + tuple(label[a] for a in axes if a not in evidence)
            key = tuple(sorted(labels))
            table = np.transpose(table, [labels.index(k) for k in key])
            factors[key] = factors[key] * table if key in factors else table
        operands: list[object] = []
        for key, table in factors.items():
            operands += [table, list(key)]
        output = list(batch) + [label[v] for v in out]
        signature = (tuple(factors), tuple(f.shape for f in factors.values()), tuple(output))
        path = self._paths.get(signature)
        if path is None:
            path = self._paths[signature] = np.einsum_path(*operands, output, optimize="greedy")[0]
        return np.einsum(*operands, output, optimize=path)

    def joint(self, nodes: tuple[str, ...], evidence: Mapping[str, int] | None = None) -> np.ndarray:
        """The unnormalised joint ``P(nodes, evidence)``, one axis per node (after the draws).

        An observed node's axis holds the whole mass at its observed state.
        """
        evidence = evidence or {}
        lead = 1 if self.tables.batch else 0
        free = tuple(v for v in nodes if v not in evidence)
        result = self._contract(evidence, free)
        for axis, v in enumerate(nodes, start=lead):
            if v in evidence:
                one_hot = np.zeros(len(self.tables.states[v]))
                one_hot[evidence[v]] = 1.0
                result = np.moveaxis(np.multiply.outer(result, one_hot), -1, axis)
        return result

    def probability(self, evidence: Mapping[str, int]) -> np.ndarray:
        """``P(evidence)``: a 0-d array, or one value per draw."""
        return np.asarray(self._contract(evidence, ()))

    def posteriors(
        self, evidence: Mapping[str, int], nodes: Iterable[str]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``P(node | evidence)`` for each node, and ``P(evidence)``.

        An observed node gets its observed state with probability one. Where ``P(evidence)``
        is zero the posteriors are undefined (NaN): the caller must check the probability.
        """
        z = self.probability(evidence)
        result = {}
        for v in nodes:
            joint = self.joint((v,), evidence)
            with np.errstate(divide="ignore", invalid="ignore"):
                result[v] = joint / z[..., None] if v not in evidence else joint / joint.sum(axis=-1, keepdims=True)
        return result, z

    def subset_joint(
        self, nodes: tuple[str, ...], findings: Mapping[str, int], masks: np.ndarray
    ) -> np.ndarray:
        """``P(nodes, S_b)`` for many subsets ``S_b`` of the findings at once.

        ``masks[b, i]`` says whether the ``i``-th finding (in the order of ``findings``) is in
        subset ``b``. Each finding enters as a likelihood vector: its indicator when included,
        ones when not (which sums it out). Returns an array of shape ``(B, *cards of nodes)``.
        """
        t = self.tables
        if t.batch:
            raise NotImplementedError("subsets of findings over draws of parameters")
        relevant = self._ancestral([*findings, *nodes])
        label = {v: i for i, v in enumerate(relevant, start=1)}  # label 0: the subsets
        operands: list[object] = []
        for v in relevant:
            operands += [t.cpts[v], [label[a] for a in (*t.parents[v], v)]]
        for i, (v, state) in enumerate(findings.items()):
            likelihood = np.ones((masks.shape[0], len(t.states[v])))
            likelihood[masks[:, i]] = np.eye(len(t.states[v]))[state]
            operands += [likelihood, [0, label[v]]]
        output = [0] + [label[v] for v in nodes]
        return np.einsum(*operands, output, optimize="greedy")
