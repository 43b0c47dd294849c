"""Posteriors and the tap table, checked against hand calculations and stated properties."""

from __future__ import annotations

import numpy as np
import pytest

import lmbayes
from lmbayes.errors import (
    FindingError,
    ImpossibleEvidenceError,
    InputError,
    TooFewTapsError,
    UnknownNodeError,
    UnknownParameterError,
)
from lmbayes.tables import with_pretest
from lmbayes.tables import build_tables


@pytest.fixture(scope="session")
def hand(breast):
    """The shipped numbers a hand calculation needs."""
    par = {path: p.value for path, p in breast.spec.parameters.items()}
    cal = breast.tables.calibration
    active = par["systemic_status.prior"]
    # enumeration over staging s, brain metastases b, epidural compression e and CNS infection i
    # (the causes the MRI reads), with P(LM | s, b) = 1 - (1 - p_s)(1 - a b) (added risk)
    a = par["lm.added_risk.brain_metastases"]
    joint = []  # (weight with LM, weight without, b, e, i)
    for s, ps in (("no_active_disease", 1 - active), ("active_recurrence", active)):
        p_lm = par[f"lm.prior.{s}"]
        for b in (0, 1):
            pb = par[f"brain_metastases.prior.{s}"] if b else 1 - par[f"brain_metastases.prior.{s}"]
            lm = 1 - (1 - p_lm) * (1 - a * b)
            for e in (0, 1):
                pe = par[f"epidural_compression.prior.{s}"] if e else 1 - par[f"epidural_compression.prior.{s}"]
                for i in (0, 1):
                    pi_ = par["cns_infection.prior"] if i else 1 - par["cns_infection.prior"]
                    w = ps * pb * pe * pi_
                    joint.append((w * lm, w * (1 - lm), b, e, i))
    prior = sum(j[0] for j in joint)
    leak = 1 - par["mri.specificity"]
    keep = {c: (1 - par[f"mri.causes.{c}"]) / (1 - leak) for c in ("brain_metastases", "epidural_compression", "cns_infection")}
    normal_no_lm = sum(w0 * (1 - leak) * keep["brain_metastases"] ** b * keep["epidural_compression"] ** e * keep["cns_infection"] ** i
                       for _, w0, b, e, i in joint) / (1 - prior)
    f, e0, e1 = par["cytology.false_positive"], par["cytology.equivocal_without_cells"], par["cytology.equivocal_with_cells"]
    neg_no_lm = 1 - f - e0
    neg_lm = cal.shedding_share * (1 - cal.per_tap - e1) + (1 - cal.shedding_share) * neg_no_lm
    return {"par": par, "prior": prior, "neg_lm": neg_lm, "neg_no_lm": neg_no_lm, "cal": cal, "mri_spec": normal_no_lm}


def bayes(prior: float, p_given_lm: float, p_given_no_lm: float) -> float:
    return prior * p_given_lm / (prior * p_given_lm + (1 - prior) * p_given_no_lm)


def test_prior_is_the_mixture_over_systemic_status(breast, hand):
    assert breast.posterior().p_target == pytest.approx(hand["prior"], abs=1e-15)


def test_typical_mri_by_hand(breast, hand):
    """The sensitivity holds among patients with LM (solved); among those without, the rival
    causes of enhancement lower the specificity below the file's (leak-only) figure."""
    sens, spec = hand["par"]["mri.sensitivity"], hand["mri_spec"]
    assert spec < hand["par"]["mri.specificity"]
    expected = bayes(hand["prior"], sens, 1 - spec)
    assert breast.posterior({"mri": "typical_enhancement"}).p_target == pytest.approx(expected, abs=1e-14)


def test_one_negative_tap_by_hand(breast, hand):
    expected = bayes(hand["prior"], hand["neg_lm"], hand["neg_no_lm"])
    assert breast.posterior(csf=["negative"]).p_target == pytest.approx(expected, abs=1e-14)


def test_two_negative_taps_by_hand_show_the_dependence(breast, hand):
    cal, par = hand["cal"], hand["par"]
    miss = 1 - cal.per_tap - par["cytology.equivocal_with_cells"]
    both_neg_lm = cal.shedding_share * miss**2 + (1 - cal.shedding_share) * hand["neg_no_lm"] ** 2
    expected = bayes(hand["prior"], both_neg_lm, hand["neg_no_lm"] ** 2)
    assert breast.posterior(csf=["negative", "negative"]).p_target == pytest.approx(expected, abs=1e-14)
    naive = bayes(hand["prior"], hand["neg_lm"] ** 2, hand["neg_no_lm"] ** 2)
    assert expected > naive  # dependent negatives rule out less than independent ones


def test_tap_table_columns_by_hand(breast, hand):
    table = breast.taps()
    lr1 = hand["neg_lm"] / hand["neg_no_lm"]
    assert table.single_tap_lr == pytest.approx(lr1, abs=1e-14)
    odds = hand["prior"] / (1 - hand["prior"])
    for j, step in enumerate(table.steps, start=1):
        naive = odds * lr1**j / (1 + odds * lr1**j)
        assert step.p_lm_if_negative_fagan == pytest.approx(naive, abs=1e-14)
    first = table.steps[0]
    assert first.p_lm_if_negative == pytest.approx(bayes(hand["prior"], hand["neg_lm"], hand["neg_no_lm"]), abs=1e-14)
    assert first.likelihood_ratio == pytest.approx(lr1, abs=1e-12)
    p_pos_lm = hand["cal"].cumulative(1)
    p_pos = hand["prior"] * p_pos_lm + (1 - hand["prior"]) * hand["par"]["cytology.false_positive"]
    assert first.p_positive == pytest.approx(p_pos, abs=1e-14)


def test_floor_by_hand_and_approached_by_many_taps(breast, hand):
    pi = hand["cal"].shedding_share
    expected = hand["prior"] * (1 - pi) / (hand["prior"] * (1 - pi) + 1 - hand["prior"])
    table = breast.with_taps(10).taps()
    assert table.floor == pytest.approx(expected, abs=1e-15)
    assert table.floor < table.steps[-1].p_lm_if_negative < table.floor * 1.01


def test_each_further_negative_tap_never_raises_p_lm(breast):
    rng = np.random.default_rng(7)
    for _ in range(150):
        findings = {
            n: breast.spec.node(n).states[rng.integers(2)]
            for n in breast.spec.observable
            if not breast.spec.node(n).tap and rng.random() < 0.5
        }
        done = ["negative", "equivocal", "positive"][: rng.integers(0, 3)]
        table = breast.taps(findings, csf=done)
        previous = table.current
        for step in table.steps:
            assert step.p_lm_if_negative <= previous + 1e-15
            assert step.p_lm_if_positive >= step.p_lm_if_negative
            previous = step.p_lm_if_negative


def test_explaining_away_by_a_competing_cause(breast):
    weak = {"limb_weakness": "present", "bladder_bowel": "present", "back_neck_pain": "present"}
    alone = breast.posterior(weak)
    explained = breast.posterior({**weak, "mri_compression": "shown"})
    assert explained.posterior["epidural_compression"]["present"] > alone.posterior["epidural_compression"]["present"]
    assert explained.p_target < alone.p_target
    palsy = {"cranial_nerve_palsy": "present"}
    assert breast.posterior({**palsy, "antibody_panel": "positive"}).p_target < breast.posterior(palsy).p_target


def test_the_case_story(breast, case_findings):
    """Normal MRI and two negative taps leave LM likely enough to tap again; the third is positive."""
    two = breast.posterior(case_findings, csf=["negative", "negative"]).p_target
    three = breast.posterior(case_findings, csf=["negative", "negative", "positive"]).p_target
    signs_only = breast.posterior({k: v for k, v in case_findings.items() if k.endswith(("palsy", "weakness", "bowel"))}).p_target
    assert 0.29 <= signs_only <= 0.56  # suspected-LM series (nayak2013, lin2017, freilich1995): a check
    assert 0.10 < two < signs_only < three


def test_impossible_findings_name_the_conflict(breast):
    with pytest.raises(ImpossibleEvidenceError) as info:
        breast.posterior({"lm": "absent", "burden": "high", "headache": "present"})
    assert info.value.conflicting == ("lm", "burden")
    assert "lm=absent and burden=high" in str(info.value)


def test_impossible_with_a_perfectly_specific_cytology(edited_network):
    path = edited_network((r"false_positive: \{value: 0.001, range: \[0.0002, 0.005\]", "false_positive: {value: 0.0, range: [0.0, 0.005]"))
    net = lmbayes.load_network(path)
    with pytest.raises(ImpossibleEvidenceError, match="lm=absent and csf_2=positive"):
        net.taps({"lm": "absent", "mri": "normal"}, csf=["negative", "positive"])


@pytest.mark.parametrize(
    "evidence, csf, message",
    [
        ({"cranial_nerve": "present"}, [], "unknown node 'cranial_nerve' (did you mean 'cranial_nerve_palsy'?)"),
        ({"headache": "maybe"}, [], "unknown state 'maybe' for 'headache'"),
        ({}, ["negative"] * 7, "7 CSF results given but the network models 6 taps"),
        ({}, ["maybe"], "unknown state 'maybe' for 'csf_1'"),
        ({"csf_1": "negative"}, ["negative"], "tap 1 is given twice"),
    ],
    ids=["node", "state", "too-many-taps", "tap-state", "tap-twice"],
)
def test_bad_findings(breast, evidence, csf, message):
    with pytest.raises(FindingError) as info:
        breast.posterior(evidence, csf=csf)
    assert message in str(info.value)
    assert "--" not in str(info.value)  # the library names no command-line option


def test_error_classes_say_what_went_wrong(breast):
    with pytest.raises(UnknownNodeError, match="unknown node 'cranial_nerve'"):
        breast.observe({"cranial_nerve": "present"})
    with pytest.raises(TooFewTapsError) as info:
        breast.observe({}, ["negative"] * 7)
    assert info.value.needed == 7
    with pytest.raises(TooFewTapsError, match="lmbayes models at most 10 taps") as info:
        breast.observe({}, ["negative"] * 11)
    assert info.value.needed == 11
    with pytest.raises(UnknownParameterError, match="unknown parameter 'mri.sensitivty'") as info:
        breast.spec.with_parameter("mri.sensitivty", 0.5)
    assert isinstance(info.value, KeyError) and str(info.value).startswith("unknown parameter")


@pytest.mark.parametrize("p", [0.05, 0.32, 0.9])
def test_pretest_probability_is_the_prior_and_keeps_the_systemic_odds_ratio(breast, p):
    net = lmbayes.load_network(pretest=p)
    assert net.posterior().p_target == pytest.approx(p, abs=1e-12)

    def odds_ratio(n: lmbayes.Network) -> float:
        cpt = n.tables.cpts["lm"][:, 1]
        odds = cpt / (1 - cpt)
        return odds[1] / odds[0]

    assert odds_ratio(net) == pytest.approx(odds_ratio(breast), rel=1e-9)
    # the pre-test probability is applied to the tables afterwards, not by build_tables
    scaled = with_pretest(build_tables(breast.spec), breast.target, p)
    np.testing.assert_array_equal(scaled.cpts["lm"], net.tables.cpts["lm"])
    assert all(np.array_equal(scaled.cpts[n], breast.tables.cpts[n]) for n in breast.spec.node_ids if n != "lm")


def test_node_names_and_states_are_case_insensitive(breast):
    upper = breast.observe({"MRI": "Normal", "Headache": "PRESENT"}, "NEG")
    assert dict(upper.states) == {"mri": "normal", "headache": "present", "csf_1": "negative"}
    assert breast.posterior(upper).posterior == breast.posterior({"mri": "normal", "headache": "present"}, csf="neg").posterior


def test_settings(breast):
    net = lmbayes.load_network(setting="metastatic_breast_cancer")
    assert net.posterior().p_target == pytest.approx(breast.spec.settings["metastatic_breast_cancer"].p_lm.value, abs=1e-12)
    with pytest.raises(FindingError, match="already includes the clinical signs"):
        lmbayes.load_network(setting="suspected_lm").posterior({"headache": "present"})
    with pytest.raises(InputError, match="unknown setting 'metastatic'") as info:
        lmbayes.load_network(setting="metastatic")
    assert not isinstance(info.value, FindingError)  # a setting is not a finding


@pytest.mark.parametrize("p", [0.0, 1.0, 1.5], ids=["zero", "one", "above-one"])
def test_bad_pretest_is_an_input_error_not_a_finding_error(p):
    with pytest.raises(InputError, match="strictly between 0 and 1") as info:
        lmbayes.load_network(pretest=p)
    assert not isinstance(info.value, FindingError)


def test_more_taps_can_be_modelled(breast):
    net = breast.with_taps(10)
    assert net.spec.taps[-1] == "csf_10"
    assert [s.tap for s in net.taps(net.observe(csf=["neg"] * 8)).steps] == [9, 10]
    with pytest.raises(InputError, match="1 to 10") as info:
        breast.with_taps(11)
    assert not isinstance(info.value, FindingError)
