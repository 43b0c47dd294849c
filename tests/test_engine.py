"""The numpy engine agrees with pgmpy's variable elimination on the same tables."""

from __future__ import annotations

import sys
from pathlib import Path

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


@pytest.mark.parametrize("seed", range(6))
def test_large_products_as_matrix_products_give_the_einsum_answer(monkeypatch, seed):
    # lmbayes._contract does a pairwise product of more than _BLAS_CELLS cells as one batched
    # matrix product between transposes (labels kept by both, by one, summed over both, summed
    # alone); with the threshold at one cell every product of every query goes that way
    import lmbayes._contract as contract
    from lmbayes._random import random_tables
    from lmbayes.engine import Engine

    tables = random_tables(45, rng=seed, max_parents=4, max_states=4, window=9)
    rng = np.random.default_rng(seed)
    observed = list(rng.choice(tables.variables, size=6, replace=False))
    evidence = {v: int(rng.integers(len(tables.states[v]))) for v in observed}
    rows = rng.integers(-1, 2, size=(30, len(observed)))
    wanted = [(tables.variables[0],), tables.variables[10:12], ()]

    def everything():
        engine = Engine(tables)
        posteriors, z = engine.posteriors(evidence, tables.variables)
        return posteriors, z, engine.joint_rows(tables.variables[:2], observed, rows), engine.family_rows(observed, rows, wanted)

    posteriors, z, joint, (fz, families) = everything()
    monkeypatch.setattr(contract, "_BLAS_CELLS", 1)
    posteriors2, z2, joint2, (fz2, families2) = everything()
    np.testing.assert_allclose(z2, z, rtol=1e-12)
    for v in tables.variables:
        np.testing.assert_allclose(posteriors2[v], posteriors[v], rtol=0, atol=1e-12)
    np.testing.assert_allclose(joint2, joint, rtol=1e-12)
    np.testing.assert_allclose(fz2, fz, rtol=1e-12)
    for a, b in zip(families2, families):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_andes_posteriors_agree_with_pyagrum(tmp_path):
    # ANDES (223 nodes, bnlearn): every node's posterior given five findings, beside pyAgrum's
    # junction tree; the order of elimination is min-fill (the greedy order builds tables twice
    # as large and does seven times the work here)
    import pyagrum as gum
    from test_bif import public_bif

    from lmbayes._bif import read_tables
    from lmbayes.engine import Engine

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    from sizes import likely_evidence, to_agrum

    tables = read_tables(public_bif("andes", tmp_path))
    evidence = likely_evidence(tables)
    ours, _ = Engine(tables).posteriors({v: tables.states[v].index(s) for v, s in evidence.items()}, tables.variables)
    engine = gum.LazyPropagation(to_agrum(tables))
    engine.setEvidence(evidence)
    engine.makeInference()
    worst = max(float(np.abs(engine.posterior(v).toarray() - ours[v]).max()) for v in tables.variables)
    assert worst < 1e-9


def test_munin_is_answered_within_the_memory_limit(tmp_path):
    # MUNIN (1,041 nodes): the greedy order needed a table of 2.95e8 numbers (2.2 GiB) and was
    # refused; min-fill's largest is far below the limit. Without findings every root's
    # posterior is its own table, and each node's posterior is its table summed over its
    # parents' posteriors where those parents are roots (a hand calculation)
    from test_bif import public_bif

    from lmbayes._bif import read_tables
    from lmbayes._contract import MAX_CELLS
    from lmbayes._order import cheapest_path
    from lmbayes.engine import Engine

    tables = read_tables(public_bif("munin", tmp_path))
    # the file's numbers sum to one within about 1e-6: normalised, the hand calculation is exact
    tables = tables.with_cpts({v: t / t.sum(axis=-1, keepdims=True) for v, t in tables.cpts.items()})
    engine = Engine(tables)
    posteriors, z = engine.posteriors({}, tables.variables)
    assert float(z) == pytest.approx(1.0, abs=1e-12)
    factors, labels = engine._factors({}, tables.variables)
    sizes = {a: n for f, ls in zip(factors, labels) for a, n in zip(ls, f.shape)}
    assert cheapest_path(tuple(map(tuple, labels)), (), sizes, MAX_CELLS).largest < MAX_CELLS / 100
    roots = {v for v in tables.variables if not tables.parents[v]}
    checked = 0
    for v in tables.variables:
        np.testing.assert_allclose(posteriors[v].sum(), 1.0, atol=1e-12)
        if v in roots:
            np.testing.assert_allclose(posteriors[v], tables.cpts[v], atol=1e-12)
        elif set(tables.parents[v]) <= roots and len(set(tables.parents[v])) == len(tables.parents[v]):
            expected = tables.cpts[v]
            for p in tables.parents[v]:  # independent roots: sum over each in turn
                expected = np.tensordot(tables.cpts[p], expected, axes=(0, 0))
            np.testing.assert_allclose(posteriors[v], expected, atol=1e-12)
            checked += 1
    assert checked > 10
