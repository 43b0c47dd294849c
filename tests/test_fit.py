"""fit: the quantities each number is, the E-step against pgmpy's inference, recovery of changed
numbers from a simulated cohort, and the written network file."""

from __future__ import annotations

import numpy as np
import pytest

from lmbayes import load_network
from lmbayes._loader import load_spec
from lmbayes.fit import core_nodes
from lmbayes.cohort import draw_cohort
from lmbayes.fit import FitError, _Counts, fit, quantities
from lmbayes.fitted_file import write_fitted
from lmbayes.network import Network


@pytest.fixture(scope="session")  # a session: the slow group shares it with its worker
def net():
    return load_network()


def test_each_number_is_a_frequency_in_a_condition(net):
    found, kept = quantities(net.spec)
    q = {x.path: x for x in found}
    assert q["limb_weakness.leak"].condition == tuple((p, 0) for p in net.spec.node("limb_weakness").parents)
    assert dict(q["limb_weakness.causes.epidural_compression"].condition)["epidural_compression"] == 1
    assert q["headache.given.lm"].condition == (("lm", 1),)
    assert q["mri.specificity"].event == (0,) and q["mri.specificity"].condition == (("lm", 0),)
    assert q["cells.given.lm"].nodes == tuple(f"cells_{k}" for k in range(1, 7))
    assert q["cytology.three_taps"].within == 3 and q["cytology.three_taps"].nodes == ("csf_1", "csf_2", "csf_3")
    assert q["cytology.false_positive"].condition == (("burden", 0),)
    assert q["subtype.share.absent.her2_positive"].event == (1,)
    reasons = dict(kept)
    assert set(reasons) == {
        "lm.added_risk.brain_metastases",
        *(p for p in net.spec.parameters if p.startswith("cytology.technique.")),
        "cytology.low_burden", "ctc.low_burden", "ctdna.low_burden", "ctdna.causes.brain_metastases",
    }
    assert q["ctc.sensitivity"].condition == (("lm", 1),) and q["ctc.specificity"].event == (0,)


CHECKED = ("mri.sensitivity", "headache.causes.brain_metastases", "limb_weakness.leak", "cells.given.lm",
           "cytology.false_positive", "systemic_status.prior", "csf_reaction.prior.present")


def test_expected_counts_equal_pgmpys_posteriors_summed_over_patients():
    from pgmpy.inference import VariableElimination

    small = load_network(taps=2)
    cohort = draw_cohort(small, 12, missing=0.4, unknown=0.4, rng=5).with_diagnosis("lm")
    wanted = [q for q in quantities(small.spec)[0] if q.path in CHECKED]
    ours = _Counts(small.tables, cohort, wanted)(small.tables)
    inference = VariableElimination(small.to_pgmpy())
    theirs = np.zeros((len(wanted), 4))  # events, total, sum of squares, patients counted
    for row in cohort.states:
        evidence = {c: small.spec.node(c).states[s] for c, s in zip(cohort.columns, row) if s >= 0}
        for i, q in enumerate(wanted):
            hidden = q.nodes[0] in core_nodes(small.tables)
            asked = dict(q.condition)
            if hidden:
                joint = _probability(inference, small, evidence, {**asked, q.nodes[0]: q.event[0]})
                w = _probability(inference, small, evidence, asked)
                theirs[i] += (joint, w, joint * joint / w if w > 0 else 0.0, w)
                continue
            for node in q.nodes:
                if node in evidence:
                    w = _probability(inference, small, evidence, asked)
                    state = small.spec.node(node).states.index(evidence[node])
                    theirs[i] += (w * (state in q.event), w, w * w, 1.0)
    np.testing.assert_allclose(ours[:, :2], theirs[:, :2], rtol=1e-9, atol=1e-12)
    # the information: the share of the hidden indicator's variance the findings resolve
    hidden = np.array([q.nodes[0] in core_nodes(small.tables) for q in wanted])
    mean = np.where(hidden, theirs[:, 0] / theirs[:, 1], theirs[:, 1] / theirs[:, 3])
    spread = mean * (1 - mean)
    information = np.where(spread > 1e-12, (theirs[:, 2] / theirs[:, 3] - mean**2) / np.where(spread > 1e-12, spread, 1), 1.0)
    np.testing.assert_allclose(ours[:, 2], np.clip(information, 0, 1), rtol=1e-9, atol=1e-12)
    assert ours[[q.path for q in wanted].index("mri.sensitivity"), 2] < 1  # some diagnoses unknown


@pytest.mark.slow
def test_one_em_step_equals_pgmpys_expectation_maximization():
    """pgmpy's EM takes complete rows and hidden columns: a one-tap network, every finding and
    diagnosis recorded, the causes, the CSF state and the burden hidden. One step from our tables
    gives each CPT entry as expected counts; every quantity that is a CPT entry (a prior, a
    leak, a cause alone, a sensitivity, one tap's false positives) must be our ratio e / n."""
    import warnings

    import pandas as pd
    from pgmpy.estimators import ExpectationMaximization
    from pgmpy.models import DiscreteBayesianNetwork

    small = load_network(taps=1)
    cohort = draw_cohort(load_network(taps=1, pretest=0.3), 60, missing=0.0, rng=3).with_diagnosis("lm")
    model = small.to_pgmpy()
    hidden = set(small.spec.node_ids) - set(cohort.columns)
    assert hidden == {"paraneoplastic", "epidural_compression", "spine_or_nerve_disease", "brain_metastases",
                      "metabolic_encephalopathy", "cns_infection", "csf_reaction", "burden"}
    latent = DiscreteBayesianNetwork(model.edges(), latents=hidden)
    data = pd.DataFrame({c: [small.spec.node(c).states[s] for s in cohort.states[:, j]] for j, c in enumerate(cohort.columns)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimator = ExpectationMaximization(latent, data, state_names={c: list(small.spec.node(c).states) for c in cohort.columns})
        cpds = estimator.get_parameters(
            latent_card={v: len(small.spec.node(v).states) for v in hidden},
            max_iter=1,
            init_cpds={v: model.get_cpds(v) for v in model.nodes()},
            show_progress=False,
        )
    theirs = {cpd.variable: cpd for cpd in cpds}
    wanted = quantities(small.spec)[0]
    ours = _Counts(small.tables, cohort, wanted)(small.tables)
    compared = 0
    for q, (e, n, _) in zip(wanted, ours):
        node, cpd = q.nodes[0], theirs[q.nodes[0]]
        state = {**dict(q.condition), node: q.event[0]}
        if set(cpd.variables) != set(state) or len(q.nodes) > 1 or q.within:
            continue  # not one CPT entry (a marginal figure such as given.lm, or pooled taps)

        def index(v):
            names, name = list(cpd.state_names[v]), small.spec.node(v).states[state[v]]
            return names.index(name) if name in names else state[v]

        assert e / n == pytest.approx(cpd.values[tuple(index(v) for v in cpd.variables)], rel=1e-7, abs=1e-12), q.path
        compared += 1
    assert compared >= 40


def _probability(inference, net, evidence, asked):
    """P(asked | evidence) by pgmpy, the asked states given by index."""
    states = {n: net.spec.node(n).states[s] for n, s in asked.items()}
    if any(n in evidence and evidence[n] != s for n, s in states.items()):
        return 0.0
    free = [n for n in states if n not in evidence]
    if not free:
        return 1.0
    factor = inference.query(free, evidence=evidence, joint=True, show_progress=False)
    return float(factor.get_value(**{n: states[n] for n in free}))


CHANGED = {"systemic_status.prior": 0.42, "mri.specificity": 0.82, "headache.leak": 0.13, "ctc.specificity": 0.91}


@pytest.fixture(scope="session")  # one fit per worker (a module fixture is rebuilt when xdist interleaves modules)
def recovered(net):
    spec = net.spec
    for path, value in CHANGED.items():
        spec = spec.with_parameter(path, value)
    return spec, fit(net, draw_cohort(Network(spec), 4000, rng=21))


@pytest.mark.slow
def test_fit_recovers_changed_numbers_within_their_intervals(net, recovered):
    truth, result = recovered
    assert result.converged
    before, after = truth.parameters, {u.path: u.after for u in result.updates}
    covered = 0
    for path, value in CHANGED.items():
        original = net.spec.parameters[path].value  # where the fit started: the file's value
        assert abs(after[path].value - value) < abs(original - value), path  # moved towards the truth
        covered += after[path].low <= value <= after[path].high
    assert covered >= 3  # 95% intervals: one miss in four happens (bench/fit.py measures coverage)


@pytest.mark.slow  # beside the other users of the recovered fixture: one fit, not one per worker
def test_fit_leaves_unchanged_numbers_near_their_priors(recovered):
    truth, result = recovered
    unchanged = [u for u in result.updates if u.path not in CHANGED]
    covered = np.mean([u.after.low <= truth.parameters[u.path].value <= u.after.high for u in unchanged])
    assert covered >= 0.85
    assert np.median([abs(u.shift) for u in unchanged]) < 0.5


@pytest.mark.slow  # beside the other users of the recovered fixture: one fit, not one per worker
def test_the_fitted_file_loads_with_the_new_numbers(net, recovered, tmp_path):
    _, result = recovered
    path = write_fitted(net, result, tmp_path / "fitted.yaml", "4,000 simulated patients")
    spec = load_spec(path)
    assert spec.version == "3.0+cohort"
    assert spec.sources["cohort"] == "4,000 simulated patients"
    for u in result.updates:
        p = spec.parameters[u.path]
        assert p.value == pytest.approx(u.after.value, rel=1e-3)
        assert "cohort" in p.sources
        assert p.counts is None or abs(p.counts[0] / p.counts[1] - p.value) <= 0.01
    assert spec.parameters["cytology.technique.low_volume_loss"] == net.spec.parameters["cytology.technique.low_volume_loss"]


def test_fit_holds_a_stated_pretest_and_keeps_the_prior_of_lm(net):
    stated = load_network(pretest=0.2)
    result = fit(stated, draw_cohort(stated, 300, rng=1))
    kept = dict(result.kept)
    assert kept["lm.prior.active_recurrence"].startswith("P(LM) before any finding is held at 20% (--pretest 0.2)")
    assert not any(u.path.startswith("lm.prior") for u in result.updates)
    assert result.spec.parameters["lm.prior.active_recurrence"] == net.spec.parameters["lm.prior.active_recurrence"]


def test_numbers_the_cohort_does_not_record_are_kept_and_said(net):
    from lmbayes.cohort import parse_cohort

    cohort = parse_cohort(net, "lm,headache,mri\npresent,yes,abnormal\nabsent,no,normal\nabsent,yes,normal\n")
    result = fit(net, cohort)
    kept = dict(result.kept)
    assert kept["cytology.three_taps"] == "no patient in the cohort informs it"
    assert kept["ctc.sensitivity"] == "no patient in the cohort informs it"
    assert result.spec.parameters["ctc.sensitivity"] == net.spec.parameters["ctc.sensitivity"]
    assert "headache.given.lm" in {u.path for u in result.updates}
