"""Calibration in numbers, clinical usefulness and subgroups (issue 26): each measure against an
independent reference (statsmodels' lowess, a hand calculation, per-patient posteriors)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from statsmodels.nonparametric.smoothers_lowess import lowess

from lmbayes import load_network
from lmbayes.cli.main import cli
from lmbayes.cohort import draw_cohort, write_cohort
from lmbayes.usefulness import calibration, decision_curve, lowess_curve, observed_expected
from lmbayes.validate import validate


def test_the_smoothed_curve_is_statsmodels_lowess():
    rng = np.random.default_rng(1)
    p = rng.beta(1, 4, 400)
    y = (rng.random(400) < p**0.8).astype(float)
    ours = lowess_curve(p, y, points=400)  # evaluated at every patient: no interpolation
    theirs = lowess(y, p, frac=0.75, it=0, delta=0, return_sorted=False)
    assert ours == pytest.approx(np.clip(theirs, 0, 1), abs=1e-10)


def test_ici_is_small_when_calibrated_and_large_when_not():
    rng = np.random.default_rng(2)
    p = rng.beta(1, 3, 20_000)
    y = (rng.random(p.size) < p).astype(float)
    good = calibration(p, y, 0.05, 0.8)
    assert good.ici < 0.01 and good.observed_expected == pytest.approx(1.0, abs=0.03)
    bad = calibration(np.sqrt(p), y, 0.05, 0.8)  # every P(LM) too high
    assert bad.ici > 0.1 and bad.e90 > bad.e50 and bad.observed_expected < 0.8 and bad.oe_high < 1


def test_each_measure_by_hand():
    p = np.array([0.9, 0.6, 0.3, 0.04, 0.02, 0.85])
    y = np.array([1, 0, 1, 1, 0, 0])
    c = calibration(p, y, 0.05, 0.8)
    assert c.observed_expected == pytest.approx(3 / p.sum())
    assert c.oe_low == pytest.approx(3 / p.sum() * np.exp(-1.959964 / np.sqrt(3)))
    assert c.log_loss == pytest.approx(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))
    assert c.scaled_brier == pytest.approx(1 - np.mean((p - y) ** 2) / 0.25)
    assert (c.missed, c.false_alarms) == (1, 1)  # LM at 4%; no LM at 85%
    assert c.warning.startswith("only 3 patients with LM")
    for point in decision_curve(p, y, [0.05, 0.5]):
        odds = point.threshold / (1 - point.threshold)
        act = p >= point.threshold
        by_hand = ((act & (y == 1)).sum() - (act & (y == 0)).sum() * odds) / y.size
        assert point.network == pytest.approx(by_hand) and point.everyone == pytest.approx(0.5 - 0.5 * odds)
    perfect = decision_curve(y.astype(float), y)
    assert all(point.network == pytest.approx(0.5) for point in perfect)  # prevalence at every threshold
    assert observed_expected(np.zeros(3), np.zeros(3)) == (None, None, None)


@pytest.fixture(scope="module")
def drawn():
    """60 patients drawn from the network with a pre-test probability of 20%."""
    net = load_network(pretest=0.2)
    return net, draw_cohort(net, 60, rng=5)


def test_validate_carries_usefulness_subgroups_and_the_curve(runner, drawn, tmp_path):
    net, cohort = drawn
    result = validate(net, cohort, bootstrap=0)
    # each patient's P(LM) from all their findings, one public posterior at a time
    p = np.array([net.posterior(_findings(net, row)).p_target for row in cohort.states])
    y = cohort.diagnosis.astype(float)
    u = result.stages[0].usefulness
    assert u.observed_expected == pytest.approx(y.sum() / p.sum(), rel=1e-9)
    assert u.missed == int(((p < 0.05) & (y == 1)).sum()) and u.false_alarms == int(((p > 0.8) & (y == 0)).sum())
    subgroup = next(g for g in result.subgroups if (g.finding, g.state) == ("mri", "normal"))
    rows = cohort.states[:, cohort.columns.index("mri")] == 0
    assert subgroup.expected == pytest.approx(p[rows].sum(), rel=1e-9) and subgroup.lm == int(y[rows].sum())
    path = write_cohort(net, cohort, tmp_path / "c.csv")
    data = json.loads(runner.invoke(cli, ["validate", str(path), "--pretest", "0.2", "--bootstrap", "0", "--json"]).output)
    usefulness = data["stages"][0]["usefulness"]
    assert {"observed_expected", "ici", "log_loss", "missed", "false_alarms", "scaled_brier"} <= set(usefulness)
    assert [c["threshold"] for c in data["decision_curve"]][:3] == [0.01, 0.02, 0.03]
    assert {g["finding"] for g in data["subgroups"]} >= {"systemic_status", "mri", "taps done"}
    text = runner.invoke(cli, ["validate", str(path), "--pretest", "0.2", "--bootstrap", "0"]).output
    assert "Net benefit with all findings" in text and "Calibration by subgroup" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def _findings(net, row):
    """A cohort row of state indices (-1: not recorded) as findings: cytology as --csf."""
    recorded = {c: int(s) for c, s in zip(net_columns(net), row) if s >= 0}
    evidence = {c: net.spec.node(c).states[s] for c, s in recorded.items() if net.spec.node(c).kind != "tap"}
    return net.observe(evidence, [net.spec.tap_states[recorded[t]] for t in net.spec.taps if t in recorded])


def net_columns(net):
    return net.spec.observable


def test_the_comparator_is_a_fagan_chain_scored_on_the_same_patients(drawn):
    from scipy.stats import mannwhitneyu

    from lmbayes.comparator import chained_lr

    net, cohort = drawn
    # one finding: the chain is the exact posterior given it
    single = chained_lr(net, ["headache"], np.array([[1], [0]]))
    assert single[0] == pytest.approx(net.posterior(net.observe({"headache": "present"})).p_target, rel=1e-12)
    assert single[1] == pytest.approx(net.posterior(net.observe({"headache": "absent"})).p_target, rel=1e-12)
    result = validate(net, cohort, bootstrap=50, rng=1)
    q = chained_lr(net, cohort.columns, cohort.states)
    y = cohort.diagnosis
    u = mannwhitneyu(q[y == 1], q[y == 0]).statistic  # ties count one half, as in lmbayes' AUC
    c = result.comparator
    assert c.auc == pytest.approx(u / ((y == 1).sum() * (y == 0).sum()), rel=1e-12)
    assert c.brier == pytest.approx(np.mean((q - y) ** 2), rel=1e-12)
    first = result.stages[0]
    assert c.auc_difference == pytest.approx(first.auc.value - c.auc, abs=1e-12)
    assert c.auc_low <= c.auc_difference <= c.auc_high
