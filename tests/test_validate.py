"""validate: each measure against an independent reference, and calibration on cohorts drawn
from the same network and from a shifted one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lmbayes import load_network
from lmbayes.cohort import draw_cohort, parse_cohort
from lmbayes.network import Network
from lmbayes.validate import ONE_OUTCOME, QUASI, SEPARATED, Estimate, auc, brier, calibration_fit, slope_obstacles, validate, wilson

P = np.array([0.9, 0.8, 0.8, 0.6, 0.55, 0.4, 0.3, 0.3, 0.2, 0.1])
Y = np.array([1, 1, 0, 1, 0, 1, 0, 1, 0, 0])


def test_auc_is_the_share_of_concordant_pairs():
    pairs = [(i, j) for i, j in itertools.product(range(10), range(10)) if Y[i] == 1 and Y[j] == 0]
    by_hand = sum(1.0 if P[i] > P[j] else 0.5 if P[i] == P[j] else 0.0 for i, j in pairs) / len(pairs)
    # LM at 0.9, 0.8, 0.6, 0.4, 0.3 against no LM at 0.8, 0.55, 0.3, 0.2, 0.1:
    # 5 + (4 + tie) + 4 + 3 + (2 + tie) = 19 of 25 pairs
    assert by_hand == pytest.approx(19 / 25)
    assert float(auc(P, Y)) == pytest.approx(by_hand, abs=1e-15)


def test_weighted_auc_and_brier_equal_the_measures_on_the_resampled_cohort():
    w = np.array([[2, 0, 1, 1, 0, 3, 1, 0, 1, 1]], dtype=float)
    repeated = np.repeat(np.arange(10), w[0].astype(int))
    assert float(auc(P, Y, w)) == pytest.approx(float(auc(P[repeated], Y[repeated])), abs=1e-15)
    assert float(brier(P, Y, w)) == pytest.approx(float(brier(P[repeated], Y[repeated])), abs=1e-15)


def test_brier_by_hand():
    assert float(brier(P, Y)) == pytest.approx(sum((p - y) ** 2 for p, y in zip(P, Y)) / 10, abs=1e-15)


def test_calibration_intercept_and_slope_maximise_the_likelihood():
    from scipy.optimize import minimize

    lp = np.log(P / (1 - P))

    def nll(a, b):
        eta = a + b * lp
        return -np.sum(Y * eta - np.log1p(np.exp(eta)))

    a0 = minimize(lambda t: nll(t[0], 1.0), [0.0], tol=1e-12).x[0]
    b = minimize(lambda t: nll(t[0], t[1]), [0.0, 1.0], tol=1e-12).x[1]
    intercept, slope = calibration_fit(P, Y)
    assert float(intercept) == pytest.approx(a0, abs=1e-5)
    assert float(slope) == pytest.approx(b, abs=1e-5)


def test_no_slope_without_both_outcomes():
    intercept, slope = calibration_fit(P, np.ones(10))
    assert np.isnan(intercept) and np.isnan(slope)
    assert np.isnan(auc(P, np.ones(10)))


def test_separated_outcomes_have_no_slope_whatever_the_weights():
    p = np.array([0.05, 0.1, 0.2, 0.3, 0.6, 0.7, 0.9])
    y = np.array([0, 0, 0, 0, 1, 1, 1])
    assert slope_obstacles(p, y) == [SEPARATED]
    assert np.isnan(calibration_fit(p, y)[1])
    # a tie at the boundary: quasi-separated, still no finite maximum-likelihood slope
    assert slope_obstacles(np.array([0.1, 0.2, 0.3, 0.3, 0.6]), np.array([0, 0, 0, 1, 1])) == [QUASI]
    # the reversed order is separated too (a negative slope without end)
    assert slope_obstacles(p, 1 - y) == [SEPARATED]
    # bootstrap rows: weight 0 removes the patients that made the overlap
    overlap = np.array([0, 0, 1, 0, 1, 1, 1])
    w = np.array([[1, 1, 1, 1, 1, 1, 1], [1, 1, 0, 1, 1, 1, 1], [0, 0, 0, 0, 1, 1, 1]], dtype=float)
    assert slope_obstacles(p, overlap, w) == [None, SEPARATED, ONE_OUTCOME]
    intercept, slope = calibration_fit(p, overlap, w)
    assert np.isfinite(slope[0]) and np.isnan(slope[1:]).all()


@pytest.mark.slow
def test_slope_agrees_with_statsmodels_logit_on_a_cohort_with_overlap(network):
    """The two-parameter fit against statsmodels' Logit on the same patients, and the intercept
    with the slope fixed at 1 against its GLM with an offset."""
    import statsmodels.api as sm

    cohort = draw_cohort(network, 3000, rng=21)
    tapped = {n.id for n in network.spec.nodes if n.tap}
    columns = [c for c in cohort.columns if c not in tapped]  # before the first tap: overlap
    keep = [cohort.columns.index(c) for c in columns]
    joint = network.engine.joint_rows((network.target,), columns, cohort.states[:, keep])
    p = joint[:, -1] / joint.sum(axis=1)
    y = cohort.diagnosis.astype(float)
    assert slope_obstacles(p, y) == [None]
    lp = np.log(p / (1 - p))
    logit = sm.Logit(y, sm.add_constant(lp)).fit(disp=0)
    offset = sm.GLM(y, np.ones((y.size, 1)), family=sm.families.Binomial(), offset=lp).fit()
    intercept, slope = calibration_fit(p, y)
    assert abs(float(slope) - logit.params[1]) < 0.1
    assert float(slope) == pytest.approx(logit.params[1], abs=1e-6)  # the same maximum
    assert float(intercept) == pytest.approx(offset.params[0], abs=1e-6)


def test_a_separated_cohort_prints_n_a_with_the_reason_in_text_json_and_csv(tmp_path):
    import json

    from click.testing import CliRunner

    from lmbayes.cli.main import cli

    path = tmp_path / "separated.csv"
    path.write_text("lm,csf_1\npresent,pos\npresent,pos\nabsent,neg\nabsent,neg\nabsent,neg\n", encoding="utf-8")
    runner = CliRunner()
    text = runner.invoke(cli, ["validate", str(path), "--bootstrap", "20"])
    assert text.exit_code == 0, text.output
    row = next(line for line in text.output.splitlines() if line.startswith("all findings"))
    assert row.split()[4:6] == ["n/a", "n/a"]
    assert "n/a: outcomes perfectly separated (all findings, after tap 1)." in text.output
    data = json.loads(runner.invoke(cli, ["validate", str(path), "--json"]).output)
    slope = data["stages"][0]["slope"]
    assert slope["value"] is None and slope["reason"] == SEPARATED
    assert data["stages"][0]["intercept"]["reason"] == SEPARATED
    csv = runner.invoke(cli, ["validate", str(path), "--csv"]).output.splitlines()
    header, first = csv[0].split(","), csv[1].split(",")
    assert first[header.index("slope")] == "" and first[header.index("slope_missing")] == SEPARATED


def test_wilson_agrees_with_statsmodels():
    from statsmodels.stats import proportion
    for x, n in [(8, 10), (0, 7), (779, 1636)]:
        np.testing.assert_allclose(wilson(x, n), proportion.proportion_confint(x, n, method="wilson"), atol=1e-6)


@pytest.fixture(scope="module")
def network():
    return load_network(pretest=0.2)


@pytest.mark.slow
def test_a_cohort_from_the_same_network_is_calibrated(network):
    result = validate(network, draw_cohort(network, 10_000, rng=11), rng=3)
    first, before = result.stages[0], result.stages[1]
    assert (first.name, before.name) == ("all findings", "before the first tap")
    for stage in (first, before):
        assert stage.slope.low < 1.0 < stage.slope.high
        assert stage.intercept.low < 0.0 < stage.intercept.high
    assert before.auc.value < first.auc.value
    for y in result.yields:
        assert y.low <= y.network <= y.high


@pytest.mark.slow
def test_a_shifted_network_shows_miscalibration(network):
    shifted = network.spec.with_parameter("mri.specificity", 0.7).with_parameter("headache.leak", 0.3)
    cohort = draw_cohort(Network(shifted, pretest=0.35), 10_000, rng=12)
    before = validate(network, cohort, rng=3).stages[1]
    assert before.intercept.low > 0.1  # P(LM) too low on average (the interval well above 0)
    assert before.slope.high < 1.0  # and too extreme


def test_patients_without_diagnosis_are_left_out_and_yields_count_lm_with_k_taps(network):
    text = "lm,csf_1,csf_2,mri\npresent,neg,pos,\npresent,pos,,\npresent,neg,,\nabsent,neg,neg,normal\n,pos,,\n"
    result = validate(network, parse_cohort(network, text), bootstrap=0)
    assert (result.patients, result.known, result.lm) == (5, 4, 3)
    # the life table: 3 with LM at tap 1, one positive; at tap 2 only the one still negative
    # is at risk, and positive: everyone found within two taps
    assert [(y.taps, y.at_risk, y.positive) for y in result.yields] == [(1, 3, 1), (2, 1, 1)]
    assert [y.observed for y in result.yields] == pytest.approx([1 / 3, 1.0])
    assert result.stages[0].slope.low is None  # no bootstrap, no interval


def test_resamples_in_blocks_are_the_same_for_every_stage(monkeypatch):
    from lmbayes import validate as module

    monkeypatch.setattr(module, "CELLS", 7 * 100)
    resamples = module._Resamples(100, 30, np.random.default_rng(1))
    assert [len(b) for b in resamples] == [7, 7, 7, 7, 2]
    first, again = np.concatenate(list(resamples)), np.concatenate(list(resamples))
    np.testing.assert_array_equal(first, again)
    assert (first.sum(axis=1) == 100).all()


@pytest.mark.slow
def test_validate_in_blocks_gives_intervals(network, monkeypatch):
    from lmbayes import validate as module

    monkeypatch.setattr(module, "CELLS", 3000 * 7)
    stage = validate(network, draw_cohort(network, 3000, rng=5), bootstrap=40, rng=2).stages[1]
    assert stage.auc.low < stage.auc.value < stage.auc.high
    assert stage.slope.low < stage.slope.value < stage.slope.high


def test_a_tiny_cohort_without_lm_gives_no_undefined_numbers(network):
    text = "lm,headache,csf_1\nabsent,yes,neg\nabsent,no,\nabsent,no,pos\n"
    result = validate(network, parse_cohort(network, text), bootstrap=30, rng=1)
    for stage in result.stages:
        assert stage.auc == stage.slope == stage.intercept == Estimate(None, None, None, ONE_OUTCOME)
        assert stage.brier.value is not None and np.isfinite(stage.brier.value)
