"""Rows of evidence (patients, subsets of findings) in one contraction: the engine's plan with a
rows axis, against pgmpy's own inference row by row and against one query per row."""

from __future__ import annotations

import numpy as np
import pytest

from lmbayes import engine as engine_module
from lmbayes import load_network
from lmbayes._random import random_tables
from lmbayes.cohort import draw_cohort
from lmbayes.engine import Engine
from lmbayes.tables import Tables


def random_rows(tables: Tables, rows: int, rng: np.random.Generator, share: float = 0.3) -> np.ndarray:
    """Each node recorded with probability ``share`` (a random state), else ``-1``."""
    cards = np.array([len(tables.states[v]) for v in tables.variables])
    states = (rng.random((rows, cards.size)) * cards).astype(np.int64)
    return np.where(rng.random((rows, cards.size)) < share, states, -1)


def evidence_of(columns, row) -> dict[str, int]:
    return {c: int(s) for c, s in zip(columns, row) if s >= 0}


def pgmpy_joint(model, tables: Tables, evidence: dict[str, int], nodes: tuple[str, ...]) -> np.ndarray:
    """P(nodes | evidence) by pgmpy's variable elimination, axes in the order of ``nodes``."""
    from pgmpy.inference import VariableElimination

    named = {v: tables.states[v][s] for v, s in evidence.items()}
    factor = VariableElimination(model).query(list(nodes), evidence=named, joint=True, show_progress=False)
    values = np.asarray(factor.values)
    # pgmpy orders the factor's axes and states its own way: move them to ours
    axes = [factor.variables.index(v) for v in nodes]
    values = np.transpose(values, axes)
    for i, v in enumerate(nodes):
        order = [factor.state_names[v].index(s) for s in tables.states[v]]
        values = np.take(values, order, axis=i)
    return values


@pytest.fixture(scope="module")
def breast_cohort():
    net = load_network(pretest=0.2)
    return net, draw_cohort(net, 40, missing=0.4, rng=7)


def test_p_lm_of_each_patient_is_the_networks_posterior(breast_cohort):
    net, cohort = breast_cohort
    joint = net.engine.joint_rows(("lm",), cohort.columns, cohort.states)
    z = joint.sum(axis=1)
    for i in range(cohort.patients):
        findings = {c: net.spec.node(c).states[s] for c, s in zip(cohort.columns, cohort.states[i]) if s >= 0}
        post = net.posterior(findings)
        assert joint[i, 1] / z[i] == pytest.approx(post.p_target, rel=1e-9, abs=1e-300)
        assert z[i] == pytest.approx(post.p_findings, rel=1e-9)


def test_a_row_with_nothing_recorded_gets_the_prior(breast_cohort):
    net, cohort = breast_cohort
    joint = net.engine.joint_rows(("lm",), cohort.columns, np.full((3, len(cohort.columns)), -1, dtype=np.int8))
    np.testing.assert_allclose(joint[:, 1], 0.2, rtol=1e-9)
    np.testing.assert_allclose(joint.sum(axis=1), 1.0, rtol=1e-12)


@pytest.mark.parametrize("n", [15, 40], ids=["15-nodes", "40-nodes"])
def test_rows_agree_with_pgmpy_on_random_networks(n):
    from lmbayes._pgmpy import to_pgmpy

    tables = random_tables(n, rng=100 + n)
    model, engine = to_pgmpy(tables), Engine(tables)
    rng = np.random.default_rng(n)
    columns = tables.variables
    states = random_rows(tables, 6, rng)
    asked = tuple(str(v) for v in rng.choice(columns, size=2, replace=False))
    states[:, [columns.index(v) for v in asked]] = -1  # asked nodes are not observed
    joint = engine.joint_rows(asked, columns, states)
    assert joint.shape == (6, *(len(tables.states[v]) for v in asked))
    for row, ours in zip(states, joint):
        theirs = pgmpy_joint(model, tables, evidence_of(columns, row), asked)
        np.testing.assert_allclose(ours / ours.sum(), theirs, atol=1e-10, rtol=0)


@pytest.mark.parametrize("path", ["union", "backward"])
def test_family_rows_agree_with_pgmpy_on_a_random_network(path, monkeypatch):
    from lmbayes._pgmpy import to_pgmpy

    if path == "backward":  # the pass over every table, as a network too large for the union takes
        monkeypatch.setattr(engine_module, "UNION_CELLS", 1)
    tables = random_tables(25, rng=5)
    model, engine = to_pgmpy(tables), Engine(tables)
    rng = np.random.default_rng(5)
    columns = tables.variables
    states = random_rows(tables, 5, rng)
    families = [(*tables.parents[v], v) for v in ("x7", "x19") if tables.parents[v]]
    wanted = [*families, ("x3",), ("x24", "x2"), ()]  # (x24, x2): in no one family
    z, joints = engine.family_rows(columns, states, wanted)
    for b, row in enumerate(states):
        evidence = evidence_of(columns, row)
        assert z[b] == pytest.approx(float(engine.probability(evidence)), rel=1e-10)
        for s, joint in zip(wanted, joints):
            if not s:
                assert joint[b] == pytest.approx(z[b], rel=1e-12)
                continue
            theirs = pgmpy_joint(model, tables, {v: i for v, i in evidence.items() if v not in s}, s)
            # an observed node of the set: its axis holds the evidence
            expected = theirs.copy()
            for i, v in enumerate(s):
                if v in evidence:
                    keep = np.zeros(expected.shape[i])
                    keep[evidence[v]] = 1.0
                    shape = [1] * expected.ndim
                    shape[i] = -1
                    expected = expected * keep.reshape(shape)
            np.testing.assert_allclose(joint[b] / z[b], expected / expected.sum(), atol=1e-10, rtol=0)


def test_many_rows_equal_one_row_at_a_time_and_the_single_query(monkeypatch):
    tables = random_tables(30, rng=11)
    engine = Engine(tables)
    rng = np.random.default_rng(11)
    columns = tables.variables
    states = random_rows(tables, 9, rng)
    nodes = ("x4", "x29")
    many = engine.joint_rows(nodes, columns, states)
    monkeypatch.setattr(engine_module, "ROWS", 4)  # chunks of 4 rows: 4 + 4 + 1
    chunked = Engine(tables).joint_rows(nodes, columns, states)
    np.testing.assert_allclose(chunked, many, rtol=1e-12, atol=0)
    for b, row in enumerate(states):
        one = engine.joint_rows(nodes, columns, row[None])
        np.testing.assert_allclose(one[0], many[b], rtol=1e-12, atol=0)
        single = engine.joint(nodes, evidence_of(columns, row))
        np.testing.assert_allclose(single, many[b], rtol=1e-10, atol=1e-300)


def test_rows_over_draws_of_parameters_are_each_draws_rows():
    base = random_tables(12, rng=3)
    rng = np.random.default_rng(3)
    other = {v: rng.dirichlet(np.ones(t.shape[-1]), size=t.shape[:-1]) for v, t in base.cpts.items()}
    draws = Tables(base.variables, base.states, base.parents, {v: np.stack([base.cpts[v], other[v]]) for v in base.variables}, batch=2)
    second = Tables(base.variables, base.states, base.parents, other)
    states = random_rows(base, 5, rng, share=0.4)
    states[:, base.variables.index("x11")] = -1
    both = Engine(draws).joint_rows(("x11",), base.variables, states)
    assert both.shape == (5, 2, len(base.states["x11"]))
    np.testing.assert_allclose(both[:, 0], Engine(base).joint_rows(("x11",), base.variables, states), rtol=1e-12)
    np.testing.assert_allclose(both[:, 1], Engine(second).joint_rows(("x11",), base.variables, states), rtol=1e-12)


def test_a_chain_of_rows_longer_than_the_letters_of_einsum():
    # 60 unobserved binary nodes between the evidence and the asked node, in every row: numpy's
    # einsum names at most 52 axes. The marginal of the last node given the first is a product
    # of the transition matrices (a hand calculation).
    from lmbayes._random import chain_tables

    tables = chain_tables(60, rng=2)
    states = np.array([[0], [1], [-1]])
    joint = Engine(tables).joint_rows(("x59",), ("x0",), states)
    through = np.eye(2)
    for i in range(1, 60):
        through = through @ tables.cpts[f"x{i}"]
    prior = tables.cpts["x0"]
    np.testing.assert_allclose(joint[0], prior[0] * through[0], atol=1e-14)
    np.testing.assert_allclose(joint[1], prior[1] * through[1], atol=1e-14)
    np.testing.assert_allclose(joint[2], prior @ through, atol=1e-14)
