"""The cytology calibration reproduces the published cumulative figures exactly."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import lmbayes
from lmbayes.calibration import CalibrationError, calibrate


def p_any_positive_given_lm(net: lmbayes.Network, k: int) -> float:
    """P(at least one of the first k taps positive | LM present), by the numpy engine."""
    taps = net.spec.taps[:k]
    joint = net.engine.joint(taps, {net.target: 1})
    joint = joint / joint.sum()
    positive = len(net.spec.tap_states) - 1
    none_positive = sum(
        joint[config] for config in itertools.product(range(positive), repeat=k)
    )
    return 1.0 - float(none_positive)


def test_closed_form_without_false_positives_matches_hand_calculation():
    # p = (3 - sqrt(4r - 3)) / 2 with r = 0.85 / 0.50; pi = 0.50 / p (evidence file: 0.525, 0.952)
    p = (3 - math.sqrt(4 * 1.7 - 3)) / 2
    c = calibrate(0.50, 0.85)
    assert c.per_tap == pytest.approx(p, abs=1e-12)
    assert c.shedding_share == pytest.approx(0.50 / p, abs=1e-12)
    assert round(c.per_tap, 3) == 0.525 and round(c.shedding_share, 3) == 0.952
    assert round(c.two_taps, 3) == 0.737
    assert c.plateau == c.shedding_share


@pytest.mark.parametrize("f", [0.0, 0.015, 0.03], ids=["no-fp", "shipped-fp", "high-fp"])
def test_calibration_reproduces_one_and_three_tap_figures(f):
    c = calibrate(0.50, 0.85, f)
    assert c.cumulative(1) == pytest.approx(0.50, abs=1e-12)
    assert c.cumulative(3) == pytest.approx(0.85, abs=1e-12)
    assert c.cumulative(1) < c.two_taps < c.cumulative(3)


@pytest.mark.parametrize("k, figure", [(1, 0.50), (3, 0.85)], ids=["one-tap", "three-taps"])
def test_shipped_network_reproduces_published_figures(breast, k, figure):
    assert abs(p_any_positive_given_lm(breast, k) - figure) < 1e-9


def test_pgmpy_reproduces_published_figures(breast, breast_pgmpy):
    from pgmpy.inference import VariableElimination

    factor = VariableElimination(breast_pgmpy).query(
        ["csf_1", "csf_2", "csf_3"], evidence={"lm": "present"}, show_progress=False
    )
    values = np.asarray(factor.values)
    order = [factor.variables.index(t) for t in ("csf_1", "csf_2", "csf_3")]
    values = values.transpose(order)
    positive = factor.state_names["csf_1"].index("positive")
    keep = [i for i in range(values.shape[0]) if i != positive]
    none_positive = values[np.ix_(keep, keep, keep)].sum()
    assert abs(1 - none_positive - 0.85) < 1e-9
    assert abs(1 - values[keep].sum() - 0.50) < 1e-9


def test_editing_the_figures_recalibrates(edited_network):
    path = edited_network(
        (r"one_tap: \{value: 0.50,", "one_tap: {value: 0.45,"),
        (r"three_taps: \{value: 0.85,", "three_taps: {value: 0.83,"),
    )
    net = lmbayes.load_network(path)
    assert abs(p_any_positive_given_lm(net, 1) - 0.45) < 1e-9
    assert abs(p_any_positive_given_lm(net, 3) - 0.83) < 1e-9


def test_figures_that_leave_too_many_patients_beyond_reach_are_refused_by_name(edited_network):
    """0.54 and 0.80 leave 16% of patients with LM beyond cytology's reach, some of them with
    nothing in the CSF: no burden model then gives tumour DNA its pooled 97.9% sensitivity."""
    path = edited_network(
        (r"one_tap: \{value: 0.50,", "one_tap: {value: 0.54,"),
        (r"three_taps: \{value: 0.85,", "three_taps: {value: 0.80,"),
    )
    (problem,) = lmbayes._loader.check_spec(path)
    assert "node 'ctdna', field 'sensitivity.value': gives a detection at a high burden of 1.0" in problem
    assert "outside [0, 1]" in problem


@pytest.mark.parametrize(
    "one, three, reason",
    [
        (0.50, 0.50, "must exceed"),
        (0.50, 0.45, "must exceed"),
        (0.50, 0.90, "at most 0.875"),
        (1.00, 1.00, "between"),
    ],
    ids=["flat", "falling", "above-independent", "perfect"],
)
def test_unreachable_figures_are_refused_with_the_reason(one, three, reason):
    with pytest.raises(CalibrationError, match=reason):
        calibrate(one, three)


def test_independent_taps_are_the_upper_limit():
    c = calibrate(0.5, 0.875)
    assert c.shedding_share == pytest.approx(1.0)
    assert c.per_tap == pytest.approx(0.5)
