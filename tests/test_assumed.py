"""Say what was assumed (issue 28): with the systemic status unknown, or no sign entered and
P(LM) from the population prior, one line says so in `posterior`, `taps` and `plan`."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from lmbayes import load_network
from lmbayes.assumed import assumed
from lmbayes.cli.main import cli

COMMANDS = ["posterior", "taps", "plan"]


def _assumed_line(out: str) -> str | None:
    """The 'Assumed:' sentence, unwrapped (None if absent)."""
    match = re.search(r"^Assumed: (.*?\.)\n(?!  )", out, re.M | re.S)
    return None if match is None else " ".join(match[1].split())


@pytest.mark.parametrize("command", COMMANDS)
def test_nothing_entered_says_both(command):
    out = CliRunner().invoke(cli, [command]).stdout
    line = _assumed_line(out)
    # the file's prior of active recurrence is 0.30, and P(LM) before any finding 1.26%
    assert line == "systemic disease status unknown (averaged over: 30.0% active recurrence); no sign entered, " \
                   "so P(LM) starts from the population prior (1.3%)."


@pytest.mark.parametrize("command", COMMANDS)
def test_a_sign_entered_leaves_the_unknown_status(command, breast):
    out = CliRunner().invoke(cli, [command, "-e", "headache=present", "--csf", "neg"]).stdout
    now = breast.posterior(breast.observe({"headache": "present"}, ["neg"]), nodes=["systemic_status"]).posterior
    assert _assumed_line(out) == f"systemic disease status unknown (averaged over: {100 * now['systemic_status']['active_recurrence']:.1f}% active recurrence)."


@pytest.mark.parametrize("command", COMMANDS)
def test_status_and_a_sign_entered_assume_nothing(command):
    out = CliRunner().invoke(cli, [command, "-e", "systemic_status=active_recurrence", "-e", "headache=present"]).stdout
    assert "Assumed:" not in out


@pytest.mark.parametrize("option", [["--pretest", "0.2"], ["--setting", "suspected_lm"]], ids=["pretest", "setting-with-signs"])
def test_a_stated_pretest_is_not_the_population_prior(option):
    out = CliRunner().invoke(cli, ["posterior", "-e", "systemic_status=active_recurrence", *option]).stdout
    assert "Assumed:" not in out


def test_a_setting_without_signs_still_starts_from_its_prior():
    net = load_network("breast", setting="metastatic_breast_cancer")
    said = assumed(net, net.observe({"systemic_status": "active_recurrence"}))
    assert said.unknown == () and said.population_prior == pytest.approx(net.posterior(nodes=["lm"]).p_target)
