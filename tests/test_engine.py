"""The numpy engine agrees with pgmpy's variable elimination on the same tables."""

from __future__ import annotations

import numpy as np
from conftest import taps_in_order
import pytest

from lmbayes._pgmpy import query

N_EVIDENCE_SETS = 600


def random_findings(net, rng) -> dict[str, str]:
    findings = {}
    for node in net.spec.observable:
        if rng.random() < 0.5:
            states = net.spec.node(node).states
            findings[node] = states[rng.integers(len(states))]
    return taps_in_order(findings)


def test_pgmpy_model_is_valid_and_holds_the_same_tables(breast, breast_pgmpy):
    assert breast_pgmpy.check_model()
    assert set(breast_pgmpy.nodes()) == set(breast.spec.node_ids)
    for node in breast.spec.node_ids:
        cpd = breast_pgmpy.get_cpds(node)
        ours = breast.tables.cpts[node]
        assert cpd.state_names[node] == list(breast.spec.node(node).states)
        np.testing.assert_allclose(cpd.get_values(), ours.reshape(-1, ours.shape[-1]).T, atol=0)


@pytest.mark.slow
def test_engines_agree_on_random_evidence(breast, breast_pgmpy):
    from pgmpy.inference import VariableElimination

    rng = np.random.default_rng(20261128)
    nodes = [*breast.summary_nodes, "burden"]
    inference = VariableElimination(breast_pgmpy)  # one for every query
    worst = 0.0
    for _ in range(N_EVIDENCE_SETS):
        findings = random_findings(breast, rng)
        ours = breast.posterior(findings, nodes=nodes).posterior
        hidden = [n for n in nodes if n not in findings]
        theirs = query(breast_pgmpy, findings, hidden, inference)
        for node in hidden:
            diff = np.abs(np.array(list(ours[node].values())) - theirs[node]).max()
            worst = max(worst, diff)
    assert worst < 1e-10


@pytest.mark.parametrize("k", [1, 4, 6], ids=["one-tap", "four-taps", "six-taps"])
def test_engines_agree_on_the_tap_marginals(breast, breast_pgmpy, case_findings, k):
    findings = {**case_findings, **{f"csf_{i}": "negative" for i in range(1, k)}}
    node = f"csf_{k}"
    ours = breast.engine.posteriors(
        {n: breast.tables.state_index(n, s) for n, s in findings.items()}, [node]
    )[0][node]
    np.testing.assert_allclose(ours, query(breast_pgmpy, findings, [node])[node], atol=1e-10, rtol=0)


def test_probability_of_findings_sums_to_one_over_a_node(breast):
    # sum over the states of a tap of P(findings, tap = s) equals P(findings)
    base = {"systemic_status": 1, "mri": 0}
    total = sum(breast.engine.probability({**base, "csf_1": s}) for s in range(3))
    assert total == pytest.approx(breast.engine.probability(base), abs=1e-15)


# Networks of any size (issue 15): generated networks against pgmpy, all posteriors in one pass.


def _random_evidence(tables, rng, share=0.2):
    return {v: int(rng.integers(len(tables.states[v]))) for v in tables.variables if rng.random() < share}


@pytest.mark.parametrize("n", [20, 60, 100], ids=["20-nodes", "60-nodes", "100-nodes"])
def test_all_posteriors_of_generated_networks_agree_with_pgmpy(n):
    from lmbayes._pgmpy import to_pgmpy
    from lmbayes._random import random_tables
    from lmbayes.engine import Engine

    tables = random_tables(n, rng=n)
    engine, model = Engine(tables), to_pgmpy(tables)
    rng = np.random.default_rng(n)
    for _ in range(3):
        evidence = _random_evidence(tables, rng)
        hidden = [v for v in tables.variables if v not in evidence]
        ours, z = engine.posteriors(evidence, tables.variables)  # one forward and backward pass
        asked = list(rng.choice(hidden, size=6, replace=False))
        named = {v: tables.states[v][s] for v, s in evidence.items()}
        theirs = query(model, named, asked)
        for v in asked:
            np.testing.assert_allclose(ours[v], theirs[v], atol=1e-10, rtol=0)
        for v in evidence:  # an observed node is certain
            assert ours[v][evidence[v]] == 1.0
        # the one-pass posteriors equal one contraction per node
        for v in asked:
            np.testing.assert_allclose(ours[v], engine.posteriors(evidence, [v])[0][v], atol=1e-12, rtol=0)
        assert 0 < z <= 1


def test_a_chain_longer_than_the_letters_of_einsum_is_answered_exactly():
    # 60 unobserved binary nodes: numpy.einsum alone names at most 52 axes. Along a chain the
    # marginal of the last node is the product of the transition matrices (a hand calculation).
    from lmbayes._random import chain_tables
    from lmbayes.engine import Engine

    tables = chain_tables(60, rng=1)
    expected = tables.cpts["x0"]
    for i in range(1, 60):
        expected = expected @ tables.cpts[f"x{i}"]
    ours, _ = Engine(tables).posteriors({}, ["x59", "x30"])
    np.testing.assert_allclose(ours["x59"], expected, atol=1e-14)
    # and with the end observed, the start follows Bayes' rule over the same matrices
    backward = np.eye(2)
    for i in range(1, 60):
        backward = backward @ tables.cpts[f"x{i}"]
    joint = tables.cpts["x0"] * backward[:, 1]
    ours, z = Engine(tables).posteriors({"x59": 1}, ["x0"])
    np.testing.assert_allclose(ours["x0"], joint / joint.sum(), atol=1e-14)
    np.testing.assert_allclose(z, joint.sum(), atol=1e-15)


def test_a_query_whose_largest_table_would_not_fit_is_refused_in_one_line():
    # An observed child of every pair of 40 root nodes joins them all: eliminating any of them
    # needs a table over the rest, about 2^39 numbers, although no table holds more than 8.
    from lmbayes._contract import TooLargeError
    from lmbayes.engine import Engine
    from lmbayes.tables import Tables

    roots = [f"p{i}" for i in range(40)]
    pairs = {f"c{i}_{j}": (roots[i], roots[j]) for i in range(40) for j in range(i + 1, 40)}
    parents = {**{p: () for p in roots}, **pairs}
    cpts = {v: np.full((2,) * len(ps) + (2,), 0.5) for v, ps in parents.items()}
    tables = Tables(tuple(parents), {v: ("a", "b") for v in parents}, parents, cpts)
    with pytest.raises(TooLargeError) as error:
        Engine(tables).posteriors({c: 0 for c in pairs}, ["p0"])
    message = str(error.value)
    assert "\n" not in message and "GiB" in message and "numbers" in message
