"""Posteriors of many patients at once: one contraction over a cohort, not one query per patient.

Patient ``b``'s findings enter as likelihood vectors (as in
:meth:`lmbayes.engine.Engine.subset_joint`): an indicator of the recorded state, ones where
nothing is recorded. The nodes that are nobody's parent (signs, tests, taps and their analyses)
are summed out one at a time before the contraction, each into a factor over the patient and
its parents:

.. math:: \\phi_v(b, \\text{pa}(v)) = \\sum_x P(v = x \\mid \\text{pa}(v))\\, \\lambda_{b,v}(x)
          = P(v = x_b \\mid \\text{pa}(v)) \\text{ or } 1 ,

a gather from the table. What is left is the *core*, the nodes with children (LM, the causes,
the context, the hidden CSF state and shedding): a dozen variables whatever the number of
taps, contracted with :func:`numpy.einsum` with a leading patient axis:

.. math:: P(\\text{core}, e_b) = \\prod_{c \\in \\text{core}} P(c \\mid \\text{pa}(c))\\,\\lambda_{b,c}(c)
          \\prod_{v \\notin \\text{core}} \\phi_v(b, \\text{pa}(v)) .
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from lmbayes.tables import Tables

__all__ = ["CHUNK", "core_nodes", "joint", "p_target"]

#: Patients per contraction: bounds memory (a core of 9 binary nodes is 512 values a patient).
CHUNK = 4096


def core_nodes(tables: Tables, target: str | None = None) -> tuple[str, ...]:
    """The nodes that are some node's parent, and ``target``, in topological order."""
    parents = {p for v in tables.variables for p in tables.parents[v]}
    return tuple(v for v in tables.variables if v in parents or v == target)


def joint(tables: Tables, columns: Sequence[str], states: np.ndarray, out: Sequence[str] | None = None) -> np.ndarray:
    """The unnormalised ``P(out, e_b)`` for every patient ``b``: shape ``(B, *cards of out)``.

    ``states[b, j]`` is patient ``b``'s state index of ``columns[j]``, ``-1`` where not recorded.
    ``out`` defaults to the core (:func:`core_nodes`); it must lie within the core.
    """
    if tables.batch:
        raise NotImplementedError("patients over draws of parameters")
    core = core_nodes(tables)
    out = tuple(core if out is None else out)
    results = [
        _joint(tables, core, columns, states[start : start + CHUNK], out)
        for start in range(0, max(states.shape[0], 1), CHUNK)
    ]
    return results[0] if len(results) == 1 else np.concatenate(results)


def _joint(tables: Tables, core: tuple[str, ...], columns: Sequence[str], states: np.ndarray, out: tuple[str, ...]) -> np.ndarray:
    t = tables
    label = {v: i for i, v in enumerate(core, start=1)}  # label 0: the patients
    factors: dict[tuple[int, ...], np.ndarray] = {}

    def add(labels: tuple[int, ...], table: np.ndarray) -> None:
        key = tuple(sorted(labels))
        table = np.transpose(table, [labels.index(k) for k in key])
        factors[key] = factors[key] * table if key in factors else table

    for v in core:
        add(tuple(label[a] for a in (*t.parents[v], v)), t.cpts[v])
    for j, v in enumerate(columns):
        observed = states[:, j]
        if not (observed >= 0).any():
            continue
        n = len(t.states[v])
        if v in label:  # an observed core node: its indicator, or ones
            add((0, label[v]), np.vstack([np.eye(n), np.ones((1, n))])[observed])
        else:  # a leaf: P(v = recorded state | parents), or ones
            cpt = np.moveaxis(t.cpts[v], -1, 0)
            padded = np.concatenate([cpt, np.ones((1, *cpt.shape[1:]))])
            add((0, *(label[a] for a in t.parents[v])), padded[observed])
    if out == core:  # every core label kept: no sum, a broadcast product is the fastest
        return _product(factors, len(core), states.shape[0])
    operands: list[object] = []
    for key, table in factors.items():
        if 0 not in key:  # a factor without the patient axis: broadcast it
            table, key = table[None], (0, *key)
        operands += [table, list(key)]
    if not any(0 in k for k in factors):
        operands += [np.ones(states.shape[0]), [0]]
    return np.einsum(*operands, [0, *(label[v] for v in out)], optimize="greedy")  # type: ignore[call-overload]  # interleaved form


def _product(factors: dict[tuple[int, ...], np.ndarray], n_core: int, patients: int) -> np.ndarray:
    """The product of the factors over the patient axis and every core label, by broadcasting:
    the factors without a patient axis (the core's own tables) are multiplied first."""
    def spread(key: tuple[int, ...], table: np.ndarray) -> np.ndarray:
        shape = [1] * (n_core + 1)
        for axis, n in zip(key, table.shape):
            shape[axis] = n
        return table.reshape(shape)

    prior = np.ones([1] * (n_core + 1))
    for key, table in factors.items():
        if 0 not in key:
            prior = prior * spread(key, table)
    result = np.broadcast_to(prior, (patients, *prior.shape[1:])).copy()
    for key, table in factors.items():
        if 0 in key:
            result *= spread(key, table)
    return result


def p_target(tables: Tables, target: str, columns: Sequence[str], states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(P(target present | e_b), P(e_b))`` for every patient ``b`` (the target's last state).

    Where ``P(e_b)`` is zero the first is NaN: the caller checks the second.
    """
    z = joint(tables, columns, states, (target,))
    total = z.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return z[:, -1] / total, total
