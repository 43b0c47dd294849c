"""The tap table's plain-language summary and the odds arithmetic it uses."""

from __future__ import annotations

import json

import pytest

import lmbayes
from lmbayes.cli.main import cli
from lmbayes.taps import apply_likelihood_ratio


def test_apply_likelihood_ratio_multiplies_the_odds():
    assert apply_likelihood_ratio(0.2, 3.0) == pytest.approx(0.75 / 1.75, abs=1e-15)  # odds 0.25 * 3 = 0.75
    assert apply_likelihood_ratio(0.5, 0.5, 3) == pytest.approx(0.125 / 1.125, abs=1e-15)
    assert apply_likelihood_ratio(0.0, 9.0) == 0.0 and apply_likelihood_ratio(1.0, 0.1) == 1.0


def test_taps_summary_when_taps_cannot_move_p_lm(runner):
    almost_certain = lmbayes.load_network(pretest=0.999999999999)
    assert almost_certain.taps().summary().startswith("Further negative taps change P(LM) by less than 0.05 points")
    data = json.loads(runner.invoke(cli, ["taps", "--pretest", "0.999999999999", "--json"]).output)
    assert data["summary"].startswith("Further negative taps change P(LM) by less than 0.05 points")
    fixed = "The findings fix P(LM) at 100.0%: further taps cannot change it."
    assert lmbayes.load_network().taps({"lm": "present"}).summary() == fixed
    data = json.loads(runner.invoke(cli, ["taps", "-e", "lm=present", "--json"]).output)
    assert data["summary"] == fixed


def test_summary_when_all_taps_are_done_names_no_option(breast):
    two = breast.with_taps(2)
    summary = two.taps(two.observe({}, "neg,neg")).summary()
    assert summary == "All 2 modelled taps are done; model more taps (up to 10) to see further ones."
    assert "--" not in summary


def test_summary_of_the_case(breast, case_findings):
    table = breast.taps(breast.observe(case_findings, "neg,neg"))
    summary = table.summary()
    assert summary.startswith("After 2 more negative taps P(LM) falls from 12.8% to 5.1%")
    assert "P(LM) stays above 3.5% (patients whose tumour burden cytology cannot see)" in summary
