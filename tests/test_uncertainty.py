"""Sensitivity analysis and credible intervals."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from lmbayes.cli.main import cli
from lmbayes.network import Network
from lmbayes.sensitivity import one_way
from lmbayes.tables import build_tables
from lmbayes.uncertainty import batched_engine, draw_parameters, p_target, posterior_intervals, tap_intervals

TWO_NEGATIVE = ["negative", "negative"]


def fixed_spec(spec):
    """Every range collapsed onto its value, no counts: a network without uncertainty."""
    params = {
        path: dataclasses.replace(p, low=p.value, high=p.value, counts=None) for path, p in spec.parameters.items()
    }
    return dataclasses.replace(spec, parameters=params)


def test_degenerate_ranges_give_zero_width_intervals_at_the_point_estimate(breast, case_findings):
    net = Network(fixed_spec(breast.spec))
    draws = draw_parameters(net.spec, 50, 0)
    assert draws.acceptance == 1.0
    interval = posterior_intervals(net, case_findings, csf=TWO_NEGATIVE, draws=draws)["lm"]
    point = net.posterior(case_findings, csf=TWO_NEGATIVE).p_target
    assert interval.high - interval.low < 1e-12
    assert interval.median == pytest.approx(point, abs=1e-12)
    taps = tap_intervals(net, case_findings, csf=TWO_NEGATIVE, draws=draws)
    table = net.taps(case_findings, csf=TWO_NEGATIVE)
    for i, step in zip(taps.steps, table.steps):
        assert i.p_lm_if_negative.median == pytest.approx(step.p_lm_if_negative, abs=1e-12)
        assert i.p_lm_if_negative.high - i.p_lm_if_negative.low < 1e-12


def test_batched_draws_equal_networks_built_one_at_a_time(breast, case_findings):
    draws = draw_parameters(breast.spec, 4, 11)
    case = breast.case(case_findings, TWO_NEGATIVE)
    together = p_target(batched_engine(breast, case, draws.values), "lm", case.evidence)
    for j in range(draws.n):
        spec = breast.spec
        for path in spec.parameters:
            spec = spec.with_parameter(path, float(draws.values[path][j]))
        alone = Network(spec).posterior(case_findings, csf=TWO_NEGATIVE).p_target
        assert together[j] == pytest.approx(alone, abs=1e-12)


def test_calibration_is_solved_again_for_every_draw(breast):
    draws = draw_parameters(breast.spec, 500, 5)
    assert 0 < draws.acceptance <= 1
    cal = build_tables(breast.spec, values=draws.values).calibration
    np.testing.assert_allclose(cal.cumulative(1), draws.values["cytology.one_tap"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(cal.cumulative(3), draws.values["cytology.three_taps"], atol=1e-9, rtol=0)
    assert np.ptp(draws.values["cytology.one_tap"]) > 0.02  # the figures themselves vary


def test_draws_follow_the_stated_distributions(breast):
    draws = draw_parameters(breast.spec, 20000, 2)
    mri = breast.spec.parameters["mri.sensitivity"]
    x = draws.values["mri.sensitivity"]
    assert abs(x.mean() - mri.value) < 4 * x.std() / np.sqrt(x.size)
    assert x.std() == pytest.approx((mri.high - mri.low) / 4, rel=0.05)
    fp = draws.values["cytology.false_positive"]  # counts 1/66: Beta(1.5, 65.5)
    assert fp.mean() == pytest.approx(1.5 / 67, rel=0.05)


def test_same_seed_same_output(runner):
    args = ["taps", "-e", "mri=normal", "--csf", "neg", "--uncertainty", "--draws", "300", "--json"]
    first = runner.invoke(cli, [*args, "--seed", "7"]).output
    assert first == runner.invoke(cli, [*args, "--seed", "7"]).output
    assert first != runner.invoke(cli, [*args, "--seed", "8"]).output
    data = json.loads(first)["uncertainty"]
    assert data["draws"] == 300 and data["seed"] == 7
    assert set(data["steps"][0]) == {"tap", "p_lm_if_positive", "p_lm_if_negative"}
    assert data["current"]["low"] <= data["current"]["median"] <= data["current"]["high"]


def test_one_parameter_alone_reproduces_bayes_rule(breast):
    """With only a typical MRI, P(LM) = m Se / (m Se + (1 - m)(1 - Sp)) at each end of Se's range."""
    m = breast.posterior().p_target
    sp = breast.spec.parameters["mri.specificity"].value
    swing = next(s for s in one_way(breast, {"mri": "typical_enhancement"}) if s.path == "mri.sensitivity")
    for se, p in ((swing.low, swing.p_low), (swing.high, swing.p_high)):
        assert p == pytest.approx(m * se / (m * se + (1 - m) * (1 - sp)), abs=1e-14)


def test_tornado_ends_equal_the_posterior_with_that_parameter_set(breast, case_findings):
    swings = one_way(breast, case_findings, csf=TWO_NEGATIVE)
    assert [s.swing for s in swings] == sorted((s.swing for s in swings), reverse=True)
    for s in swings:
        for value, p in ((s.low, s.p_low), (s.high, s.p_high)):
            alone = Network(breast.spec.with_parameter(s.path, value)).posterior(case_findings, csf=TWO_NEGATIVE)
            assert p == pytest.approx(alone.p_target, abs=1e-12), s.path


def test_cytology_ends_are_limited_to_what_a_shedding_model_reproduces(breast, case_findings):
    swings = {s.path: s for s in one_way(breast, case_findings, csf=TWO_NEGATIVE)}
    one_tap = swings["cytology.one_tap"]
    assert one_tap.limited and one_tap.low == pytest.approx(1 - 0.15 ** (1 / 3))
    assert not swings["mri.sensitivity"].limited


def test_decision_flips_cross_the_threshold(breast, case_findings):
    swings = one_way(breast, case_findings, csf=TWO_NEGATIVE, threshold=0.15)
    flips = [s for s in swings if s.flip is not None]
    assert flips
    for s in flips:
        assert s.low <= s.flip <= s.high
        p = Network(breast.spec.with_parameter(s.path, s.flip)).posterior(case_findings, csf=TWO_NEGATIVE).p_target
        assert p == pytest.approx(0.15, abs=1e-8)
    for s in swings:
        if s.flip is None:
            assert (min(s.p_low, s.p_high) > 0.15) or (max(s.p_low, s.p_high) < 0.15)


def test_sensitivity_cli(runner, tmp_path):
    png = tmp_path / "tornado.png"
    result = runner.invoke(cli, ["sensitivity", "-e", "mri=normal", "--csf", "neg", "--top", "5", "--plot", str(png), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert len(data["parameters"]) == 5
    assert set(data["parameters"][0]) >= {"path", "low", "high", "p_lm_low", "p_lm_high", "judgement", "flip"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    text = runner.invoke(cli, ["sensitivity", "-e", "mri=normal", "--threshold", "0.001"]).output
    assert "crosses 0.1% at" in text and "Largest swing from a judgement" in text


def test_plot_without_matplotlib_says_how_to_install(runner, tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = runner.invoke(cli, ["sensitivity", "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert result.output == "Error: --plot needs matplotlib: pip install 'lmbayes[plot]'\n"


def test_uncertainty_on_posterior_and_plan(runner):
    post = json.loads(runner.invoke(cli, ["posterior", "-e", "headache=present", "--uncertainty", "--draws", "200", "--json"]).output)
    assert set(post["uncertainty"]["posterior"]) == set(post["posterior"])
    plan = json.loads(runner.invoke(cli, ["plan", "--csf", "neg", "--uncertainty", "--draws", "200", "--json"]).output)
    tests = plan["uncertainty"]["tests"]
    assert [t["test"] for t in tests] == [t["test"] for t in plan["tests"]]
    assert all(o["p_lm"]["low"] <= o["p_lm"]["high"] for t in tests for o in t["outcomes"])
