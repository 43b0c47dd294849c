"""Options that would have no effect are refused in one line, exit 2; an option that never has
an effect on a command is not listed in its help (issue 28)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from lmbayes.cli.main import cli

REFUSED = [
    (["network", "draw", "d.dot", "--pretest", "0.5"], "--pretest has no effect on `lmbayes network draw`"),
    (["network", "draw", "d.dot", "--setting", "suspected_lm"], "--setting has no effect on `lmbayes network draw`"),
    (["network", "nodes", "--pretest", "0.5"], "--pretest has no effect on `lmbayes network nodes`"),
    (["fit", "breast_cohort", "--out", "n.yaml", "--pretest", "0.3"], "--pretest has no effect on `lmbayes fit`"),
    (["simulate", "--cohort", "100", "--out", "c.csv", "--strategy", "2taps"], "--strategy has no effect with --cohort"),
    (["simulate", "--cohort", "100", "--out", "c.csv", "--compare", "mri+2taps"], "--compare has no effect with --cohort"),
    (["simulate", "--cohort", "100", "--out", "c.csv", "--patients", "50"], "--patients has no effect with --cohort"),
    (["simulate", "--missing", "0.3"], "--missing has no effect without --cohort"),
    (["simulate", "--unknown", "0.1"], "--unknown has no effect without --cohort"),
    (["taps", "--csv", "--json"], "--csv and --json are two output formats: give one of them"),
    (["plan", "--csv", "--json"], "--csv and --json"),
    (["sensitivity", "--csv", "--json"], "--csv and --json"),
    (["simulate", "--csv", "--json"], "--csv and --json"),
    (["validate", "breast_cohort", "--csv", "--json"], "--csv and --json"),
    (["taps", "--csv", "--uncertainty"], "--uncertainty has no effect with --csv"),
    (["plan", "--csv", "--uncertainty"], "--uncertainty has no effect with --csv"),
    (["taps", "--draws", "50"], "--draws has no effect without --uncertainty"),
    (["posterior", "--seed", "3"], "--seed has no effect without --uncertainty"),
    (["plan", "--test-harm", "1"], "--test-harm has no effect without --benefit and --harm"),
    (["fit", "breast_cohort", "--out", "n.yaml", "--json", "--top", "3"], "--top has no effect with --json"),
    (["validate", "breast_cohort", "--bootstrap", "0", "--seed", "3"], "--seed has no effect with --bootstrap 0"),
]


@pytest.mark.parametrize("args, message", REFUSED, ids=lambda x: " ".join(x) if isinstance(x, list) else None)
def test_an_option_with_no_effect_is_refused_in_one_line(args, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, args, prog_name="lmbayes")
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"Error: {message}") and result.output.count("\n") == 1, result.output
    assert list(tmp_path.iterdir()) == []  # nothing written


@pytest.mark.parametrize("command", [["network", "draw"], ["network", "nodes"], ["fit"]], ids=" ".join)
def test_a_refused_option_is_not_listed(command):
    text = CliRunner().invoke(cli, [*command, "--help"]).output
    assert "--pretest" not in text and "--setting" not in text and "--network" in text


def test_the_same_options_still_work_where_they_have_an_effect(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(cli, ["taps", "--uncertainty", "--draws", "50", "--seed", "3"]).exit_code == 0
    assert runner.invoke(cli, ["plan", "--benefit", "1", "--harm", "1", "--test-harm", "0.1"]).exit_code == 0
    result = runner.invoke(cli, ["simulate", "--cohort", "20", "--out", "c.csv", "--missing", "0.3"])
    assert result.exit_code == 0 and (tmp_path / "c.csv").exists()
