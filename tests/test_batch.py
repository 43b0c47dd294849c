"""Batched P(LM) over many patients agrees with one query per patient."""

from __future__ import annotations

import numpy as np
import pytest

from lmbayes import load_network
from lmbayes.batch import core_nodes, joint, p_target
from lmbayes.cohort import draw_cohort


@pytest.fixture(scope="module")
def cohort_and_net():
    net = load_network(pretest=0.2)
    return net, draw_cohort(net, 40, missing=0.4, rng=7)


def findings_of(net, cohort, i):
    return {c: net.spec.node(c).states[s] for c, s in zip(cohort.columns, cohort.states[i]) if s >= 0}


def test_p_lm_of_each_patient_is_the_networks_posterior(cohort_and_net):
    net, cohort = cohort_and_net
    p, z = p_target(net.tables, "lm", cohort.columns, cohort.states)
    for i in range(cohort.patients):
        post = net.posterior(findings_of(net, cohort, i))
        assert p[i] == pytest.approx(post.p_target, rel=1e-9, abs=1e-300)
        assert z[i] == pytest.approx(post.p_findings, rel=1e-9)


def test_the_joint_over_the_core_marginalises_to_the_posteriors(cohort_and_net):
    net, cohort = cohort_and_net
    core = core_nodes(net.tables)
    assert "burden" in core and "csf_reaction" in core and "headache" not in core
    full = joint(net.tables, cohort.columns, cohort.states)
    assert full.shape == (cohort.patients, *(len(net.tables.states[c]) for c in core))
    axes = tuple(a for a in range(1, full.ndim) if a != 1 + core.index("burden"))
    shedding = full.sum(axis=axes)
    shedding /= shedding.sum(axis=1, keepdims=True)
    for i in (0, 5, 17):
        expected = net.posterior(findings_of(net, cohort, i), nodes=["burden"]).posterior["burden"]
        np.testing.assert_allclose(shedding[i], list(expected.values()), rtol=1e-9, atol=1e-300)


def test_a_patient_with_nothing_recorded_gets_the_prior(cohort_and_net):
    net, cohort = cohort_and_net
    p, z = p_target(net.tables, "lm", cohort.columns, np.full((3, len(cohort.columns)), -1, dtype=np.int8))
    np.testing.assert_allclose(p, 0.2, rtol=1e-9)
    np.testing.assert_allclose(z, 1.0, rtol=1e-12)
