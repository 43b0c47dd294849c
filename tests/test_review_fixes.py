"""Inputs found by an independent new-user review: each ends in one clear error or sane output."""

from __future__ import annotations

import json

import pytest

from lmbayes.cli.main import cli


def one_error(result, code, message):
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args, code, message",
    [
        (["posterior", "--uncertainty", "--seed", "-1"], 2, "-1 is not in the range x>=0"),
        (["simulate", "--seed", "-1"], 2, "-1 is not in the range x>=0"),
        (["posterior", "--csf", "neg@5ml+10ml"], 2, "the volume is given twice"),
        (["posterior", "--csf", "neg@ventricular+cisternal"], 2, "the site is given twice"),
        (["plan", "--next-tap", "volume=3,volume=20"], 2, "the volume is given twice"),
        (["taps", "-e", "csf_3=positive"], 2, "tap 3 is given but tap 1 is not"),
    ],
    ids=["seed-posterior", "seed-simulate", "volume-twice", "site-twice", "next-tap-twice", "tap-gap"],
)
def test_bad_input(runner, args, code, message):
    one_error(runner.invoke(cli, args), code, message)


def test_imported_network_limits(runner, tmp_path):
    bif = tmp_path / "ex.bif"
    assert runner.invoke(cli, ["network", "export", "--format", "bif", str(bif)]).exit_code == 0
    one_error(runner.invoke(cli, ["posterior", "--network", str(bif), "--uncertainty"]), 2, "needs to know which node is LM")
    one_error(runner.invoke(cli, ["posterior", "--network", str(bif), "--csf", "neg"]), 2, "declares no CSF taps; give results of its nodes with -e")
    assert runner.invoke(cli, ["posterior", "--network", str(bif), "-e", "csf_1=negative"]).exit_code == 0
    check = runner.invoke(cli, ["network", "check", str(bif)])
    assert check.exit_code == 1 and "not a lmbayes network file (YAML)" in check.output
    garbage = tmp_path / "g.bif"
    garbage.write_text("garbage {{{")
    one_error(runner.invoke(cli, ["posterior", "--network", str(garbage)]), 1, "g.bif: cannot read it as BIF")


def test_taps_summary_when_taps_cannot_move_p_lm(runner):
    data = json.loads(runner.invoke(cli, ["taps", "--pretest", "0.999999999999", "--json"]).output)
    assert data["summary"].startswith("Further negative taps change P(LM) by less than 0.05 points")
    data = json.loads(runner.invoke(cli, ["taps", "-e", "lm=present", "--json"]).output)
    assert data["summary"] == "The findings fix P(LM) at 100.0%: further taps cannot change it."


def test_replay_models_as_many_taps_as_the_case_has(runner, tmp_path):
    case = tmp_path / "seven.yaml"
    steps = "\n".join(f"  - label: tap {k}\n    csf: [negative]" for k in range(1, 8))
    case.write_text(f"name: seven\ntitle: Seven taps\nnetwork: breast\nsteps:\n{steps}\n")
    result = runner.invoke(cli, ["replay", str(case), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["steps"][-1]["findings"] == ["csf_7=negative"]


def test_node_names_are_case_insensitive(runner):
    upper = json.loads(runner.invoke(cli, ["posterior", "-e", "MRI=Normal", "--json"]).output)
    lower = json.loads(runner.invoke(cli, ["posterior", "-e", "mri=normal", "--json"]).output)
    assert upper["posterior"] == lower["posterior"]


def test_empty_teaching_views(runner):
    assert "No findings to explain" in runner.invoke(cli, ["explain"]).output
    assert "All 2 modelled taps are done" in runner.invoke(cli, ["dependence", "--max-taps", "2", "--csf", "n,n"]).output
