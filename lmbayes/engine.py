"""Exact inference with numpy: the fast engine behind every command-line query.

A posterior is a ratio of sums of products of the probability tables:

.. math::

    P(X = x \\mid e) = \\frac{\\sum_{\\text{others}} \\prod_v P(v \\mid \\text{pa}(v))\\,[e]}
                          {\\sum_{\\text{all}} \\prod_v P(v \\mid \\text{pa}(v))\\,[e]}

Evidence selects a slice of each table; nodes that are neither queried, observed nor an
ancestor of either sum to one and are dropped (barren nodes). :mod:`lmbayes._contract`
multiplies the tables two at a time in a min-fill or greedy elimination order (any number of
variables) and, for the posteriors of many nodes, runs the same steps backwards once, so that
all of them cost about three contractions instead of one each. This is variable elimination without
importing pgmpy (about 3-5 s here). :mod:`lmbayes._pgmpy` builds the reference model from the
same tables; the tests hold the two to 1e-10.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np

from lmbayes._contract import Plan, plan

if TYPE_CHECKING:
    from lmbayes.tables import Tables

__all__ = ["ROWS", "Engine"]

#: Labels of the axes that are not variables: the draws of the parameters, the rows of
#: evidence (patients, subsets of findings); no node id starts with a NUL character.
_DRAWS = "\0draws"
_ROWS = "\0rows"

#: Rows per contraction: bounds memory (a joint over 12 binary nodes is 4096 numbers a row).
ROWS = 4096
#: :meth:`Engine.family_rows` contracts to the union of the wanted nodes when it has at most
#: this many cells, and otherwise runs the backward pass over every table.
UNION_CELLS = 4096
#: The most numbers the tables of one chunk of rows may hold in the backward pass.
ROW_CELLS = 2**23


class Engine:
    """Exact queries over :class:`~lmbayes.tables.Tables`; evidence maps node to state index."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self._plans: dict[tuple[object, ...], Plan] = {}

    def with_tables(self, tables: Tables) -> Engine:
        """An engine over other tables of the same shapes (new numbers), sharing the kept
        contraction plans, which depend only on the labels and shapes."""
        other = Engine(tables)
        other._plans = self._plans
        return other

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
        smallest: dict[Hashable, int] = {}  # each label's smallest table: one pass, not one per node
        for i, ls in enumerate(labels):
            for a in ls:
                if a not in smallest or joints[i].size < joints[smallest[a]].size:
                    smallest[a] = i
        result = {}
        for v in free:
            j = smallest[v]
            keep = [*range(len(batch)), labels[j].index(v)]
            result[v] = joints[j].sum(axis=tuple(i for i in range(len(labels[j])) if i not in keep))
        return result, np.asarray(z)

    def subset_joint(
        self, nodes: tuple[str, ...], findings: Mapping[str, int], masks: np.ndarray
    ) -> np.ndarray:
        """``P(nodes, S_b)`` for many subsets ``S_b`` of the findings at once: the rows of
        :meth:`joint_rows` with finding ``i`` recorded in row ``b`` where ``masks[b, i]``."""
        states = np.where(masks, np.array(list(findings.values()), dtype=np.int64), -1)
        return self.joint_rows(nodes, tuple(findings), states)

    # Rows of evidence: one contraction with a leading axis over patients (or subsets).

    def _likelihoods(self, columns: Sequence[str], states: np.ndarray) -> dict[str, np.ndarray]:
        """Each column recorded in some row: its likelihood rows, the indicator of the recorded
        state or ones where nothing is recorded (``-1``), shape ``(rows, states)``."""
        found = {}
        for j, v in enumerate(columns):
            observed = states[:, j]
            if (observed >= 0).any():
                n = len(self.tables.states[v])
                found[v] = np.vstack([np.eye(n), np.ones((1, n))])[observed]
        return found

    def joint_rows(self, nodes: Sequence[str], columns: Sequence[str], states: np.ndarray) -> np.ndarray:
        """The unnormalised ``P(nodes, e_b)`` for every row ``b`` of evidence: shape
        ``(B, [draws,] *cards of nodes)``.

        ``states[b, j]`` is row ``b``'s state index of ``columns[j]``, ``-1`` where not
        recorded. Each column enters as likelihood rows (:meth:`_likelihoods`): the same plan
        as :meth:`joint` with one more label, the rows, on the evidence and the output. Rows
        are contracted :data:`ROWS` at a time.
        """
        nodes = tuple(nodes)
        states = np.asarray(states).reshape(len(states), len(columns))
        parts = [self._joint_rows(nodes, columns, states[start : start + ROWS]) for start in range(0, max(len(states), 1), ROWS)]
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def _joint_rows(self, nodes: tuple[str, ...], columns: Sequence[str], states: np.ndarray) -> np.ndarray:
        t = self.tables
        draws = (_DRAWS,) if t.batch else ()
        likelihoods = self._likelihoods(columns, states)
        relevant = self._ancestral([*likelihoods, *nodes])
        parents = {p for v in relevant for p in t.parents[v]}
        position = {c: j for j, c in enumerate(columns)}
        tables: list[np.ndarray] = []
        labels: list[tuple[Hashable, ...]] = []
        for v in relevant:
            if v in likelihoods and v not in parents and v not in nodes:
                # an observed leaf: P(v = recorded state | parents) in each row, or ones
                cpt = np.moveaxis(t.cpts[v], -1, 0)
                column = states[:, position[v]]
                tables.append(np.concatenate([cpt, np.ones((1, *cpt.shape[1:]))])[column])
                labels.append((_ROWS, *draws, *t.parents[v]))
                continue
            tables.append(t.cpts[v])
            labels.append((*draws, *t.parents[v], v))
            if v in likelihoods:
                tables.append(likelihoods[v])
                labels.append((_ROWS, v))
        if not likelihoods:  # nothing recorded: every row is the prior
            tables.append(np.ones(len(states)))
            labels.append((_ROWS,))
        return self._plan(tables, labels, (_ROWS, *draws, *nodes)).contract(tables)

    def family_rows(
        self, columns: Sequence[str], states: np.ndarray, wanted: Sequence[tuple[str, ...]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """``P(e_b)`` and the unnormalised ``P(S, e_b)`` for each node set ``S`` in ``wanted``,
        for every row ``b``: shapes ``(B,)`` and ``(B, *cards of S)``.

        Where the union of the sets is small (:data:`UNION_CELLS`) that is one contraction to
        the union, summed down to each set. Otherwise every table gets the rows axis (each
        table ``P(v | pa(v))`` times ``v``'s likelihood rows) and one forward and backward pass
        (:meth:`lmbayes._contract.Plan.marginals`) gives the joint over every family
        ``(pa(v), v)`` in every row; a set that lies in no family costs one more contraction.
        """
        if self.tables.batch:
            raise NotImplementedError("rows of evidence over draws of parameters in the backward pass")
        wanted = [tuple(s) for s in wanted]
        union = tuple(dict.fromkeys(v for s in wanted for v in s))
        states = np.asarray(states).reshape(len(states), len(columns))
        cards = [len(self.tables.states[v]) for v in union]
        if math.prod(cards) <= UNION_CELLS:
            flat = self.joint_rows(union, columns, states).reshape(len(states), -1)
            grid = np.indices(cards).reshape(len(union), flat.shape[1])
            shapes, cells = [], []
            for s in wanted:  # sums over the union's other nodes: one product with a 0/1 matrix
                shapes.append(tuple(cards[union.index(v)] for v in s))
                index = np.ravel_multi_index(tuple(grid[union.index(v)] for v in s), shapes[-1]) if s else np.zeros(grid.shape[1], dtype=int)
                cells.append(index[:, None] == np.arange(math.prod(shapes[-1])))
            sums = flat @ np.concatenate(cells, axis=1).astype(float)
            ends = np.cumsum([c.shape[1] for c in cells])
            found = [part.reshape(len(states), *shape) for part, shape in zip(np.split(sums, ends[:-1], axis=1), shapes)]
            return flat.sum(axis=1), found
        recorded = [c for j, c in enumerate(columns) if (states[:, j] >= 0).any()]
        relevant = self._ancestral([*recorded, *union])
        per_row = sum(self.tables.cpts[v].size for v in relevant)
        chunk = max(1, min(ROWS, ROW_CELLS // max(per_row, 1)))
        parts = [self._family_rows(relevant, columns, states[start : start + chunk], wanted) for start in range(0, max(len(states), 1), chunk)]
        z = np.concatenate([p[0] for p in parts])
        return z, [np.concatenate([p[1][i] for p in parts]) for i in range(len(wanted))]

    def _family_rows(
        self, relevant: list[str], columns: Sequence[str], states: np.ndarray, wanted: list[tuple[str, ...]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        t = self.tables
        rows = len(states)
        likelihoods = self._likelihoods(columns, states)
        tables: list[np.ndarray] = []
        labels: list[tuple[Hashable, ...]] = []
        for v in relevant:
            cpt = t.cpts[v][None]
            if v in likelihoods:
                table = cpt * likelihoods[v].reshape(rows, *(1,) * (cpt.ndim - 2), -1)
            else:
                table = np.broadcast_to(cpt, (rows, *cpt.shape[1:]))
            tables.append(table)
            labels.append((_ROWS, *t.parents[v], v))
        z, joints = self._plan(tables, labels, (_ROWS,)).marginals(tables)
        holding_node: dict[Hashable, set[int]] = {}
        for j, ls in enumerate(labels):
            for a in ls:
                holding_node.setdefault(a, set()).add(j)
        found = []
        for s in wanted:
            holding = set.intersection(*(holding_node.get(v, set()) for v in s)) if s else set(range(len(labels)))
            if holding:
                j = min(holding, key=lambda i: joints[i].size)
                found.append(_marginal(joints[j], labels[j][1:], s))
            else:
                found.append(self._joint_rows(s, columns, states))
        return z, found


def _marginal(joint: np.ndarray, labels: Sequence[Hashable], nodes: tuple[str, ...]) -> np.ndarray:
    """``joint`` (rows first, then one axis per label) summed to ``nodes``, in their order."""
    labels = list(labels)
    summed = joint.sum(axis=tuple(1 + i for i, a in enumerate(labels) if a not in nodes))
    kept = [a for a in labels if a in nodes]
    return np.transpose(summed, [0, *(1 + kept.index(v) for v in nodes)])
