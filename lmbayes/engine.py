"""Exact inference with numpy: the fast engine behind every command-line query.

A posterior is a ratio of sums of products of the probability tables:

.. math::

    P(X = x \\mid e) = \\frac{\\sum_{\\text{others}} \\prod_v P(v \\mid \\text{pa}(v))\\,[e]}
                          {\\sum_{\\text{all}} \\prod_v P(v \\mid \\text{pa}(v))\\,[e]}

Evidence selects a slice of each table; nodes that are neither queried, observed nor an
ancestor of either sum to one and are dropped (barren nodes). :mod:`lmbayes._contract`
multiplies the tables two at a time in a greedy elimination order (any number of variables)
and, for the posteriors of many nodes, runs the same steps backwards once, so that all of them
cost about three contractions instead of one each. This is variable elimination without
importing pgmpy (about 3-5 s here). :mod:`lmbayes._pgmpy` builds the reference model from the
same tables; the tests hold the two to 1e-10.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from lmbayes._contract import Plan, plan

if TYPE_CHECKING:
    from lmbayes.tables import Tables

__all__ = ["Engine"]

#: Labels of the axes that are not variables: the draws of the parameters, the subsets of
#: findings (no node id starts with a NUL character).
_DRAWS = "\0draws"
_SUBSETS = "\0subsets"


class Engine:
    """Exact queries over :class:`~lmbayes.tables.Tables`; evidence maps node to state index."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._plans: dict[tuple[object, ...], Plan] = {}

    def _ancestral(self, nodes: Iterable[str]) -> list[str]:
        keep = set()
        stack = list(nodes)
        while stack:
            v = stack.pop()
            if v not in keep:
                keep.add(v)
                stack.extend(self.tables.parents[v])
        return [v for v in self.tables.variables if v in keep]

    def _factors(
        self, evidence: Mapping[str, int], relevant: Iterable[str]
    ) -> tuple[list[np.ndarray], list[tuple[Hashable, ...]]]:
        """The relevant tables with the evidence selected, labelled by their free variables;
        tables over the same variables are multiplied into one."""
        t = self.tables
        lead = (slice(None),) if t.batch else ()
        batch = (_DRAWS,) if t.batch else ()
        factors: dict[frozenset[Hashable], tuple[np.ndarray, tuple[Hashable, ...]]] = {}
        for v in relevant:
            axes = (*t.parents[v], v)
            table = t.cpts[v][lead + tuple(evidence.get(a, slice(None)) for a in axes)]
            labels: tuple[Hashable, ...] = batch + tuple(a for a in axes if a not in evidence)
            key = frozenset(labels)
            if key in factors:
                other, order = factors[key]
                table = other * np.transpose(table, [labels.index(a) for a in order])
                labels = order
            factors[key] = (table, labels)
        return [f for f, _ in factors.values()], [labels for _, labels in factors.values()]

    def _plan(self, tables: list[np.ndarray], labels: list[tuple[Hashable, ...]], output: tuple[Hashable, ...]) -> Plan:
        """The contraction plan for tables of these labels and shapes (made once, then kept)."""
        signature = (tuple(labels), tuple(f.shape for f in tables), output)
        found = self._plans.get(signature)
        if found is None:
            sizes = {a: n for f, ls in zip(tables, labels) for a, n in zip(ls, f.shape)}
            found = self._plans[signature] = plan(labels, output, sizes)
        return found

    def _contract(self, evidence: Mapping[str, int], out: tuple[str, ...]) -> np.ndarray:
        """Sum of the product of the tables, evidence fixed, over all but ``out`` (and draws)."""
        t = self.tables
        relevant = self._ancestral([*evidence, *out])
        if not relevant:
            return np.ones((t.batch,)) if t.batch else np.array(1.0)
        tables, labels = self._factors(evidence, relevant)
        output = ((_DRAWS,) if t.batch else ()) + out
        return self._plan(tables, labels, output).contract(tables)

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

        One node costs one contraction; several cost one contraction and one backward pass
        (:mod:`lmbayes._contract`), however many they are. An observed node gets its observed
        state with probability one. Where ``P(evidence)`` is zero the posteriors are undefined
        (NaN): the caller must check the probability.
        """
        nodes = list(nodes)
        free = [v for v in nodes if v not in evidence]
        if not free:
            z, joints = self.probability(evidence), {}
        elif len(free) == 1:  # P(evidence) is the sum of P(v, evidence) over v's states
            joints = {free[0]: self.joint((free[0],), evidence)}
            z = joints[free[0]].sum(axis=-1)
        else:
            joints, z = self._all_joints(evidence, free)
        result = {}
        with np.errstate(divide="ignore", invalid="ignore"):
            for v in nodes:
                if v in evidence:  # P(v, evidence) is P(evidence) at the observed state: no contraction
                    one_hot = np.zeros(len(self.tables.states[v]))
                    one_hot[evidence[v]] = 1.0
                    joint = z[..., None] * one_hot
                    result[v] = joint / joint.sum(axis=-1, keepdims=True)
                else:
                    result[v] = joints[v] / z[..., None]
        return result, z

    def _all_joints(self, evidence: Mapping[str, int], free: list[str]) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """``P(v, evidence)`` for every ``v`` in ``free`` from one forward and backward pass."""
        t = self.tables
        batch = (_DRAWS,) if t.batch else ()
        tables, labels = self._factors(evidence, self._ancestral([*evidence, *free]))
        z, joints = self._plan(tables, labels, batch).marginals(tables)
        result = {}
        for v in free:
            j = min((i for i, ls in enumerate(labels) if v in ls), key=lambda i: joints[i].size)
            keep = [*range(len(batch)), labels[j].index(v)]
            result[v] = joints[j].sum(axis=tuple(i for i in range(len(labels[j])) if i not in keep))
        return result, np.asarray(z)

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
        tables, labels = self._factors({}, self._ancestral([*findings, *nodes]))
        for i, (v, state) in enumerate(findings.items()):
            likelihood = np.ones((masks.shape[0], len(t.states[v])))
            likelihood[masks[:, i]] = np.eye(len(t.states[v]))[state]
            tables.append(likelihood)
            labels.append((_SUBSETS, v))
        return self._plan(tables, labels, (_SUBSETS, *nodes)).contract(tables)
