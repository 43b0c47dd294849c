"""Random networks of any size, for tests and benchmarks of the engine (not for patients).

:func:`random_tables` draws a directed acyclic graph over ``n`` nodes (each node's parents
among the ``window`` nodes before it, so that the graph stays sparse and its cliques small
however large it grows) and a Dirichlet(1) distribution for every row of every table.
"""

from __future__ import annotations

import numpy as np

from lmbayes.tables import Tables

__all__ = ["chain_tables", "random_tables"]


def random_tables(
    n: int,
    *,
    max_parents: int = 3,
    max_states: int = 3,
    window: int = 8,
    rng: np.random.Generator | int | None = None,
) -> Tables:
    """A random sparse network of ``n`` nodes ``x0, x1, ...`` (in topological order)."""
    rng = np.random.default_rng(rng)
    names = [f"x{i}" for i in range(n)]
    states = {v: tuple(f"s{k}" for k in range(int(rng.integers(2, max_states + 1)))) for v in names}
    parents: dict[str, tuple[str, ...]] = {}
    cpts: dict[str, np.ndarray] = {}
    for i, v in enumerate(names):
        pool = names[max(0, i - window) : i]
        k = int(rng.integers(0, min(max_parents, len(pool)) + 1))
        parents[v] = tuple(sorted(rng.choice(pool, size=k, replace=False), key=names.index)) if k else ()
        shape = tuple(len(states[p]) for p in parents[v]) + (len(states[v]),)
        cpts[v] = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
    return Tables(tuple(names), states, parents, cpts)


def chain_tables(n: int, rng: np.random.Generator | int | None = None) -> Tables:
    """A chain ``x0 -> x1 -> ... -> x(n-1)`` of binary nodes."""
    rng = np.random.default_rng(rng)
    names = [f"x{i}" for i in range(n)]
    parents = {v: (names[i - 1],) if i else () for i, v in enumerate(names)}
    cpts = {v: rng.dirichlet(np.ones(2), size=(2,) if i else ()) for i, v in enumerate(names)}
    return Tables(tuple(names), {v: ("s0", "s1") for v in names}, parents, cpts)
