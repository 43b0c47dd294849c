"""Every CSF analysis on every tap: routine CSF through a per-patient state, CTC and tumour
DNA per tap, brain metastases and metabolic encephalopathy as rival causes."""

from __future__ import annotations

import json

import numpy as np

import pytest

import lmbayes
from lmbayes.cli.main import cli
from lmbayes.engine import Engine

ROUTINE = ("cells", "protein", "lactate")


@pytest.fixture(scope="module", params=["breast", "lung", "melanoma"])
def net(request) -> lmbayes.Network:
    return lmbayes.load_network(request.param)


def conditional(net: lmbayes.Network, node: str, state: int, given: dict[str, int]) -> float:
    joint = net.engine.joint((node,), given)
    return float(joint[state] / joint.sum())


def test_an_abnormal_csf_among_patients_with_lm_is_the_sourced_figure(net):
    """wasserstrom1982: the initial CSF was abnormal in 87 of 90 patients with LM."""
    assert conditional(net, "csf_reaction", 1, {"lm": 1}) == pytest.approx(0.97, abs=1e-9)


@pytest.mark.parametrize("analysis", ROUTINE)
def test_each_routine_analysis_on_the_first_tap_reproduces_its_figure(net, analysis):
    stated = net.spec.parameters[f"{analysis}.given.lm"].value
    assert conditional(net, f"{analysis}_1", 1, {"lm": 1}) == pytest.approx(stated, abs=1e-9)
    assert conditional(net, f"{analysis}_4", 1, {"lm": 1}) == pytest.approx(stated, abs=1e-9)


def test_the_second_routine_csf_says_less_than_the_first(net):
    """The CSF state is the patient's: a normal second routine CSF (with its cytology) moves the
    odds less than the first. (One analysis alone can say more the second time: the patients
    without LM whose first protein was normal are those whose CSF is normal, now that rival
    causes make an abnormal CSF common without LM.)"""
    all_first = net.taps(net.observe(), analyses="routine").steps[0].likelihood_ratio
    all_second = net.taps(net.observe(), analyses="routine").steps[1].likelihood_ratio
    assert all_first < all_second < 1


@pytest.mark.parametrize("name, analysis, sensitivity, specificity", [
    ("breast", "ctc", 0.870, 0.938), ("lung", "ctc", 0.870, 0.938), ("breast", "ctdna", 0.979, 0.89),
])
def test_ctc_and_tumour_dna_reproduce_their_figures_on_every_tap(name, analysis, sensitivity, specificity):
    net = lmbayes.load_network(name)
    for k in (1, 3):
        assert conditional(net, f"{analysis}_{k}", 1, {"lm": 1}) == pytest.approx(sensitivity, abs=1e-9)
        assert conditional(net, f"{analysis}_{k}", 0, {"lm": 0}) == pytest.approx(specificity, abs=1e-9)
    assert "nakasu2023" in net.spec.parameters[f"{analysis}.specificity"].sources  # the pooled figures


def test_melanoma_refuses_a_ctc_finding_with_one_line(runner):
    result = runner.invoke(cli, ["posterior", "--network", "melanoma", "-e", "ctc_1=positive"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1
    assert result.output.startswith("Error: 'ctc_1': ctc does not apply in the network 'melanoma': EpCAM-based")
    for args in (["taps", "--with", "ctc"], ["simulate", "--strategy", "2taps+ctc", "--patients", "100"]):
        result = runner.invoke(cli, [args[0], "--network", "melanoma", *args[1:]])
        assert result.exit_code == 2 and "does not apply in the network 'melanoma'" in result.output
        assert result.output.count("\n") == 1


@pytest.mark.parametrize("staging", ["active_recurrence", "no_active_disease"])
def test_brain_metastases_on_mri_explain_headache_and_confusion_and_raise_lm(net, staging):
    """With the systemic staging known (as it is after PET-CT), metastases in the brain shown on
    MRI explain the headache and confusion; but they also raise the risk of LM (bashir2025,
    jung2012, gao2022), so P(LM) does not fall (issue 24)."""
    signs = {"systemic_status": staging, "headache": "present", "altered_mental_status": "present"}
    without = net.posterior({**signs, "mri_parenchymal": "absent"})
    shown = net.posterior({**signs, "mri_parenchymal": "shown"})
    assert shown.p_target >= without.p_target
    assert shown.posterior["brain_metastases"]["present"] > 0.85


def test_brain_metastases_co_occur_with_lm(net):
    """Brain metastases co-occur with LM through active systemic disease and because they raise
    its risk (rinehardt2021's 33% is the share of LM patients whose earlier metastases included
    the brain, a lower bound); with the staging unknown a metastasis on MRI raises P(LM)
    despite explaining the signs."""
    assert 0.33 < conditional(net, "brain_metastases", 1, {"lm": 1}) < 0.70
    assert conditional(net, "brain_metastases", 1, {"lm": 0}) < 0.159  # below clouston1992's 15.9% of all consultations
    signs = {"headache": "present", "altered_mental_status": "present"}
    assert net.posterior({**signs, "mri_parenchymal": "shown"}).p_target > net.posterior({**signs, "mri_parenchymal": "absent"}).p_target


def test_metabolic_encephalopathy_competes_for_confusion(net):
    confused = net.posterior({"altered_mental_status": "present"})
    assert confused.posterior["metabolic_encephalopathy"]["present"] > net.posterior().posterior["metabolic_encephalopathy"]["present"]


def test_the_cytology_calibration_is_untouched_by_the_analyses(net):
    cal = net.tables.calibration
    assert (cal.one_tap, cal.three_taps) == (0.5, 0.85)
    assert cal.cumulative(1) == pytest.approx(0.5, abs=1e-9) and cal.cumulative(3) == pytest.approx(0.85, abs=1e-9)


def test_the_engine_agrees_with_pgmpy_on_every_analysis(net):
    from lmbayes._pgmpy import query

    model = net.to_pgmpy()
    evidence = {"headache": 1, "csf_1": 0, "protein_1": 1, "cells_1": 0, "csf_2": 0, "lactate_2": 0}
    if "ctc_1" in net.spec.node_ids:
        evidence["ctc_1"] = 0
    named = {n: net.spec.node(n).states[i] for n, i in evidence.items()}
    ours, _ = net.engine.posteriors(evidence, ["lm", "csf_reaction", "brain_metastases", "ctdna_3"])
    theirs = query(model, named, ["lm", "csf_reaction", "brain_metastases", "ctdna_3"])
    for node in ours:
        assert ours[node] == pytest.approx(theirs[node], abs=1e-10)


def test_the_planner_offers_one_lp_with_the_hospitals_panel(runner):
    """One row per way of doing the LP, each with the panel: routine CSF by default (CTC and
    tumour DNA are marked not generally available); --with adds an assay to every tap."""
    args = ["plan", "-e", "cranial_nerve_palsy=present", "--csf", "neg", "--json"]
    routine = ("cells", "protein", "lactate", "glucose", "pressure")
    usual = json.loads(runner.invoke(cli, args).output)
    taps = [t for t in usual["tests"] if t["test"] == "csf_2"]
    assert [tuple(t["analyses"]) for t in taps] == [routine, routine]
    assert {c["technique"] for c in usual["taps_to_rule_out"]} == {"usual", "standard"}
    ctc = json.loads(runner.invoke(cli, [*args, "--with", "ctc"]).output)
    with_ctc = [t for t in ctc["tests"] if t["test"] == "csf_2"]
    assert [tuple(t["analyses"]) for t in with_ctc] == [(*routine, "ctc")] * 2
    by_way = {t["technique"]: t for t in taps}
    assert all(t["information_bits"] > by_way[t["technique"]]["information_bits"] for t in with_ctc)
    counts = {c["technique"]: c["taps"] for c in usual["taps_to_rule_out"]}
    assert all(c["taps"] <= counts[c["technique"]] for c in ctc["taps_to_rule_out"])


def test_simulated_analyses_find_what_the_network_says(breast):
    from lmbayes.simulate import parse_strategy, simulate

    findings = breast.observe({"cranial_nerve_palsy": "present", "mri": "typical_enhancement"})
    strategy = parse_strategy("1tap+ctc")
    result = simulate(breast, findings, strategies=[strategy], patients=200_000, rng=5)[0]
    case = breast.case(findings)
    joint = case.engine.joint(("lm", "csf_1", "ctc_1"), case.evidence)
    joint = joint / joint.sum()
    p_found = joint[1, 2, :].sum() + joint[1, :2, 1].sum()
    observed = result.found_at[0] / result.patients
    se = (p_found * (1 - p_found) / result.patients) ** 0.5
    assert abs(observed - p_found) < 4 * se


def test_breast_subtype_shares_among_patients_with_lm_are_the_published_ones(breast):
    """morikawa2017: 44% HR+/HER2-, 26.5% HER2+, 25.5% triple-negative of 318 (normalised)."""
    joint = breast.engine.joint(("lm", "subtype"))
    shares = joint[1] / joint[1].sum()
    published = np.array([0.44, 0.265, 0.255])
    assert shares == pytest.approx(published / published.sum(), abs=1e-12)
    # observing the subtype multiplies the odds of LM by share with LM / share without
    base = breast.posterior().p_target
    tn = breast.posterior({"subtype": "triple_negative"}).p_target
    without = np.array([0.70, 0.15, 0.15])
    lr = (published[2] / published.sum()) / (without[2] / without.sum())
    assert tn / (1 - tn) == pytest.approx(base / (1 - base) * lr, rel=1e-12)
    assert breast.posterior({"subtype": "luminal"}).p_target < base < tn


def test_a_feature_is_known_not_offered(breast):
    from lmbayes.plan import plan_workup

    offered = {r for o in plan_workup(breast, breast.observe()).tests for r in o.readings}
    assert "subtype" not in offered


def test_lung_histology_and_the_melanoma_mimic(runner):
    lung = lmbayes.load_network("lung")
    assert lung.posterior({"histology": "small_cell"}).p_target > lung.posterior({"histology": "nsclc_other"}).p_target
    melanoma = lmbayes.load_network("melanoma")
    headache = melanoma.posterior({"headache": "present"})
    assert headache.posterior["ici_meningitis"]["present"] > melanoma.posterior().posterior["ici_meningitis"]["present"]
    result = runner.invoke(cli, ["posterior", "--network", "breast", "-e", "histology=small_cell"])
    assert result.exit_code == 2 and "unknown node 'histology'" in result.output


def test_a_feature_needs_a_share_for_every_state(edited_network):
    path = edited_network((r"        triple_negative: \{value: 0.15, range: \[0.10, 0.20\], judgement: true\}\n", ""))
    problems = lmbayes._loader.check_spec(path)
    assert len(problems) == 1 and "field 'shares.absent': expected one share for each state" in problems[0]


def test_lung_histology_carries_the_paraneoplastic_profile():
    """Small-cell lung cancer is the classic paraneoplastic tumour: with the same signs, a
    paraneoplastic syndrome is far likelier, and it explains part of the signs."""
    lung = lmbayes.load_network("lung")
    signs = {"cranial_nerve_palsy": "present", "limb_weakness": "present"}
    small = lung.posterior({**signs, "histology": "small_cell"})
    other = lung.posterior({**signs, "histology": "nsclc_other"})
    assert small.posterior["paraneoplastic"]["present"] > 3 * other.posterior["paraneoplastic"]["present"]
    assert "histology" not in lung.summary_nodes  # a known feature, not a cause to list
