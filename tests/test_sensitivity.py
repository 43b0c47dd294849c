"""One-way sensitivity analysis (tornado) and decision flips."""

from __future__ import annotations

import json

import pytest

from lmbayes.cli.main import cli
from lmbayes.network import Network
from lmbayes.sensitivity import one_way

TWO_NEGATIVE = ["negative", "negative"]


def test_one_parameter_alone_reproduces_bayes_rule(breast):
    """With only a typical MRI, P(LM) = m Se / (m Se + (1 - m)(1 - Sp)) at each end of Se's range,
    Sp the specificity in the population (the rival causes of enhancement included; Se does
    not change it)."""
    m = breast.posterior().p_target
    sp = breast.posterior({"lm": "absent"}, nodes=["mri"]).posterior["mri"]["normal"]
    swing = next(s for s in one_way(breast, breast.observe({"mri": "typical_enhancement"})) if s.path == "mri.sensitivity")
    for se, p in ((swing.low, swing.p_lm_low), (swing.high, swing.p_lm_high)):
        assert p == pytest.approx(m * se / (m * se + (1 - m) * (1 - sp)), abs=1e-14)


def test_tornado_ends_equal_the_posterior_with_that_parameter_set(breast, case_findings):
    swings = one_way(breast, breast.observe(case_findings, TWO_NEGATIVE))
    assert [s.swing for s in swings] == sorted((s.swing for s in swings), reverse=True)
    for s in swings:
        for value, p in ((s.low, s.p_lm_low), (s.high, s.p_lm_high)):
            alone = Network(breast.spec.with_parameter(s.path, value)).posterior(case_findings, csf=TWO_NEGATIVE)
            assert p == pytest.approx(alone.p_target, abs=1e-12), s.path


def test_cytology_ends_are_limited_to_what_a_shedding_model_reproduces(breast, case_findings):
    swings = {s.path: s for s in one_way(breast, breast.observe(case_findings, TWO_NEGATIVE))}
    one_tap = swings["cytology.one_tap"]
    assert one_tap.limited and one_tap.low == pytest.approx(1 - 0.15 ** (1 / 3))
    assert not swings["mri.sensitivity"].limited


def test_decision_flips_cross_the_threshold(breast, case_findings):
    swings = one_way(breast, breast.observe(case_findings, TWO_NEGATIVE), threshold=0.15)
    flips = [s for s in swings if s.flip is not None]
    assert flips
    for s in flips:
        assert s.low <= s.flip <= s.high
        p = Network(breast.spec.with_parameter(s.path, s.flip)).posterior(case_findings, csf=TWO_NEGATIVE).p_target
        assert p == pytest.approx(0.15, abs=1e-8)
    for s in swings:
        if s.flip is None:
            assert (min(s.p_lm_low, s.p_lm_high) > 0.15) or (max(s.p_lm_low, s.p_lm_high) < 0.15)


def test_sensitivity_cli(runner, tmp_path):
    png = tmp_path / "tornado.png"
    result = runner.invoke(cli, ["sensitivity", "-e", "mri=normal", "--csf", "neg", "--top", "5", "--plot", str(png), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # stderr says which file was written
    assert result.stderr == f"wrote {png}\n"
    assert len(data["parameters"]) == 5
    assert set(data["parameters"][0]) >= {"path", "low", "high", "p_lm_low", "p_lm_high", "judgement", "flip"}
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
    text = runner.invoke(cli, ["sensitivity", "-e", "mri=normal", "--threshold", "0.001"]).output
    joined = " ".join(text.split())
    assert "moves P(LM) across 0.1%" in joined and "Largest swing from a judgement" in joined
    assert max(len(line) for line in text.splitlines()) <= 80
