"""validate: each measure against an independent reference, and calibration on cohorts drawn
from the same network and from a shifted one."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lmbayes import load_network
from lmbayes.cohort import draw_cohort, parse_cohort
from lmbayes.network import Network
from lmbayes.validate import Estimate, auc, brier, calibration_fit, validate, wilson

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


def test_wilson_agrees_with_statsmodels():
    proportion = pytest.importorskip("statsmodels.stats.proportion")
    for x, n in [(8, 10), (0, 7), (779, 1636)]:
        np.testing.assert_allclose(wilson(x, n), proportion.proportion_confint(x, n, method="wilson"), atol=1e-6)


@pytest.fixture(scope="module")
def network():
    return load_network(pretest=0.2)


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
    assert [(y.taps, y.patients, y.positive) for y in result.yields] == [(1, 3, 1), (2, 1, 1)]
    assert result.stages[0].slope.low is None  # no bootstrap, no interval


def test_resamples_in_blocks_are_the_same_for_every_stage(monkeypatch):
    from lmbayes import validate as module

    monkeypatch.setattr(module, "CELLS", 7 * 100)
    resamples = module._Resamples(100, 30, np.random.default_rng(1))
    assert [len(b) for b in resamples] == [7, 7, 7, 7, 2]
    first, again = np.concatenate(list(resamples)), np.concatenate(list(resamples))
    np.testing.assert_array_equal(first, again)
    assert (first.sum(axis=1) == 100).all()


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
        assert stage.auc == stage.slope == stage.intercept == Estimate(None, None, None)
        assert stage.brier.value is not None and np.isfinite(stage.brier.value)
