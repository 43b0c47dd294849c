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


def test_engines_agree_on_random_evidence(breast, breast_pgmpy):
    rng = np.random.default_rng(20261128)
    nodes = [*breast.summary_nodes, "shedding"]
    worst = 0.0
    for _ in range(N_EVIDENCE_SETS):
        findings = random_findings(breast, rng)
        ours = breast.posterior(findings, nodes=nodes).posterior
        hidden = [n for n in nodes if n not in findings]
        theirs = query(breast_pgmpy, findings, hidden)
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
