"""Random networks of any size, for tests and benchmarks of the engine (not for patients).

:func:`random_tables` draws a directed acyclic graph over ``n`` nodes (each node's parents
among the ``window`` nodes before it, so that the graph stays sparse and its cliques small
however large it grows) and a Dirichlet(1) distribution for every row of every table.
"""

from __future__ import annotations

import numpy as np

from lmbayes.tables import Tables

__all__ = ["chain_tables", "network_text", "random_tables"]


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


def network_text(causes: int, rng: np.random.Generator | int | None = None, *, taps: int = 3) -> str:
    """A lmbayes network file (YAML) of ``3 causes + 1`` nodes besides the taps: LM, ``causes``
    competing causes, one sign of each cause and of LM, and one test of each cause.

    Every number is a random judgement (for tests of size, not of medicine). With 60 causes the
    nodes that are some node's parent are more than einsum's 52 letters; with 333, the file
    has 1,000 nodes before its taps.
    """
    rng = np.random.default_rng(rng)

    def p(low: float, high: float) -> str:
        value = round(float(rng.uniform(low, high)), 3)
        return f"{{value: {value}, range: [{value / 2:.4f}, {(1 + value) / 2:.4f}], judgement: true}}"

    lines = [
        f"name: random{causes}",
        "title: A random network for tests of size",
        "population: Nobody; every number is random.",
        "target: lm",
        "nodes:",
        "  lm: {kind: target, label: LM, description: The target., states: [absent, present], prior: "
        + p(0.05, 0.3)
        + "}",
    ]
    for i in range(causes):
        lines += [
            f"  cause{i}: {{kind: cause, label: Cause {i}, description: A cause., states: [absent, present], prior: {p(0.05, 0.3)}}}",
            f"  sign{i}:",
            f"    {{kind: sign, label: Sign {i}, description: A sign., states: [absent, present], observable: true,",
            "     leak: {value: 0.02, range: [0.01, 0.04], judgement: true},",
            f"     causes: {{cause{i}: {p(0.3, 0.9)}, lm: {p(0.3, 0.9)}}}}}",
            f"  test{i}:",
            f"    {{kind: test, label: Test {i}, description: A test., states: [negative, positive], observable: true,",
            f"     target: cause{i}, sensitivity: {p(0.6, 0.95)}, specificity: {p(0.8, 0.99)}}}",
        ]
    lines += [
        "cytology:",
        f"  taps: {taps}",
        "  label: CSF cytology",
        "  states: [negative, positive]",
        "  one_tap: {value: 0.50, range: [0.45, 0.59], judgement: true}",
        "  three_taps: {value: 0.85, range: [0.80, 0.91], judgement: true}",
        "  false_positive: {value: 0.003, range: [0.0005, 0.01], judgement: true}",
        "sources: {random: \"Random numbers drawn by lmbayes._random for tests of size\"}",
    ]
    return "\n".join(lines) + "\n"
