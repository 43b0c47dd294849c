"""Lessons: the naive chain, the reason of each step, the teaching notes, and `replay --step`
driven with typed guesses (click's testing input and a real pseudo-terminal)."""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Callable

import pytest
from click.testing import CliRunner

from lmbayes.cases import available_cases, load_case
from lmbayes.cli import _teach
from lmbayes.cli.main import cli
from lmbayes.replay import CompetingCause, CrossesThreshold, NormalTest, RulesIn, WeakerTap, lesson
from lmbayes.explain import dependence
from conftest import PseudoTerminal

CASES = sorted(available_cases())


def taught(name):
    case, net = load_case(name)
    return lesson(net, case), net


def test_the_naive_chain_is_the_dependence_tables_fagan_column():
    """Two code paths: the chain of the lesson and `dependence`'s Fagan column."""
    result, net = taught("typical_mri_negative_taps")
    before_taps = result.steps[2].row.p_lm_after
    table = dependence(net, load_case("typical_mri_negative_taps")[0].findings[2])
    assert [s.fagan for s in result.steps[3:]] == pytest.approx([r.fagan for r in table.rows[:3]], rel=1e-12)
    assert [s.row.p_lm_after for s in result.steps[3:]] == pytest.approx([r.network for r in table.rows[:3]], rel=1e-12)
    assert result.steps[2].fagan == pytest.approx(before_taps, rel=1e-12)  # no tap yet: the chain is the network


def test_a_positive_tap_in_the_chain_uses_the_first_taps_ratio(breast):
    result, _ = taught("positive_cytology_rules_in")
    p = breast.posterior
    lr = (p(breast.observe({}, ["positive"])).p_target / (1 - p(breast.observe({}, ["positive"])).p_target)) / (
        result.prior / (1 - result.prior)
    )
    before = result.steps[2].row.p_lm_after
    odds = before / (1 - before) * lr
    assert result.steps[3].fagan == pytest.approx(odds / (1 + odds), rel=1e-12)


@pytest.mark.parametrize(
    "name, step, reason",
    [
        ("typical_mri_negative_taps", 5, WeakerTap),
        ("typical_mri_negative_taps", 6, WeakerTap),
        ("explained_away", 4, CompetingCause),
        ("seed_case", 4, NormalTest),
        ("positive_cytology_rules_in", 4, RulesIn),
        ("normal_csf_settles", 5, CrossesThreshold),
    ],
)
def test_each_shipped_case_teaches_its_lesson(name, step, reason):
    result, _ = taught(name)
    why = result.steps[step - 1].why
    assert isinstance(why, reason), why
    row = result.steps[step - 1].row
    if reason is WeakerTap:
        assert 1 > why.likelihood_ratio > why.previous and why.previous == result.steps[step - 2].row.likelihood_ratio
    if reason is CompetingCause:
        assert row.p_lm_after < row.p_lm_before and why.cause_after > why.cause_before
    if reason is NormalTest:
        assert row.p_lm_after >= 0.05 and why.missed == pytest.approx(1 - 0.594)
    if reason is RulesIn:
        assert row.p_lm_after >= 0.80 and why.false_positive == pytest.approx(0.001)
    if reason is CrossesThreshold:
        assert why.below and row.p_lm_before >= 0.05 > row.p_lm_after


def numbers(text):
    return re.findall(r"\d+(?:\.\d+)?%?", text)


@pytest.mark.parametrize(
    "name, claims",
    [
        ("seed_case", {"41%": lambda L, n: n.posterior(n.observe({"lm": "present"}), nodes=["mri"]).posterior["mri"]["normal"],
                       "0.64": lambda L, n: L.steps[3].row.likelihood_ratio, "29%": lambda L, n: L.steps[3].row.p_lm_after,
                       "8.8%": lambda L, n: L.steps[6].row.p_lm_after, "97%": lambda L, n: L.steps[7].row.p_lm_after}),
        ("typical_mri_negative_taps", {"81%": lambda L, n: L.steps[2].row.p_lm_after, "65%": lambda L, n: L.steps[3].row.p_lm_after,
                                       "46%": lambda L, n: L.steps[4].row.p_lm_after, "32%": lambda L, n: L.steps[5].row.p_lm_after,
                                       "25%": lambda L, n: L.steps[5].fagan, "0.54": lambda L, n: L.steps[5].row.likelihood_ratio,
                                       "17%": lambda L, n: n.case(load_case("typical_mri_negative_taps")[0].findings[5]).floor()}),
        ("explained_away", {"8.8%": lambda L, n: L.steps[2].row.p_lm_after, "95%": lambda L, n: L.steps[2].row.causes["epidural_compression"],
                            "41%": lambda L, n: L.steps[1].row.causes["epidural_compression"], "6.7%": lambda L, n: L.steps[1].row.p_lm_after,
                            "99.8%": lambda L, n: L.steps[3].row.causes["epidural_compression"],
                            "7.5%": lambda L, n: L.steps[3].row.p_lm_after, "3.4%": lambda L, n: L.steps[4].row.p_lm_after}),
        ("normal_csf_settles", {"76%": lambda L, n: L.steps[1].row.p_lm_after, "41%": lambda L, n: L.steps[2].row.p_lm_after,
                                "4.0%": lambda L, n: L.steps[4].row.p_lm_after, "1.5%": lambda L, n: L.steps[5].row.p_lm_after,
                                "0.8%": lambda L, n: L.steps[6].row.p_lm_after, "0.52": lambda L, n: L.steps[6].row.likelihood_ratio,
                                "25%": lambda L, n: n.posterior(n.observe(load_case("normal_csf_settles")[0].findings_until(2)[0], "neg,neg,neg")).p_target,
                                "13%": lambda L, n: n.case(n.observe(load_case("normal_csf_settles")[0].findings_until(2)[0], "neg,neg,neg")).floor()}),
        ("positive_cytology_rules_in", {"500": lambda L, n: L.steps[3].row.likelihood_ratio, "9.4%": lambda L, n: L.steps[2].row.p_lm_after,
                                        "98%": lambda L, n: L.steps[3].row.p_lm_after, "29%": lambda L, n: L.steps[1].row.p_lm_after,
                                        "97%": lambda L, n: n.posterior(n.observe({"systemic_status": "active_recurrence"}, ["positive"])).p_target}),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_teaching_notes_are_true_of_the_network(name, claims):
    """Every figure checked here is in the note and is the network's, at the note's rounding."""
    result, net = taught(name)
    note = result.case.note
    for shown, value in claims.items():
        assert shown in numbers(note), (shown, note)
        got = value(result, net)
        if shown.endswith("%"):
            decimals = len(shown.split(".")[1]) - 1 if "." in shown else 0
            assert f"{100 * got:.{decimals}f}%" == shown or (shown == "20%" and 0.20 <= got < 0.21), (shown, got)
        else:
            decimals = len(shown.split(".")[1]) if "." in shown else 0
            assert f"{got:.{decimals}f}" == shown, (shown, got)


@pytest.mark.parametrize("name", CASES)
def test_every_shipped_case_replays_with_its_note(runner, name):
    result = runner.invoke(cli, ["replay", name])
    assert result.exit_code == 0, result.output
    case, _ = load_case(name)
    assert case.note and "Teaching note: " + case.note.split()[0] in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


@pytest.fixture
def terminal(monkeypatch):
    """`replay --step` as if standard input were a terminal of the given width."""

    def at(cols: int = 80) -> None:
        monkeypatch.setattr(_teach, "interactive", lambda: True)
        monkeypatch.setattr(_teach, "columns", lambda: cols)

    return at


def test_step_with_typed_guesses_scores_them_by_hand(terminal, tmp_path, breast):
    """Two steps whose P(LM) comes straight from the network; guesses 20% and 50%."""
    terminal()
    case = tmp_path / "two.yaml"
    case.write_text("name: two\ntitle: Two steps\nnetwork: breast\nsteps:\n"
                    "  - label: Diplopia\n    findings: {cranial_nerve_palsy: present}\n"
                    "  - label: First tap negative\n    csf: [negative]\n", encoding="utf-8")
    p1 = breast.posterior(breast.observe({"cranial_nerve_palsy": "present"})).p_target
    p2 = breast.posterior(breast.observe({"cranial_nerve_palsy": "present"}, ["negative"])).p_target
    lr = breast.single_tap_lr()  # the nomogram's ratio of a negative tap
    odds = p1 / (1 - p1) * lr
    f2 = odds / (1 + odds)
    brier = ((0.2 - p1) ** 2 + (0.5 - p2) ** 2) / 2
    kl = lambda p, q: p * math.log2(p / q) + (1 - p) * math.log2((1 - p) / (1 - q))  # noqa: E731
    log_score = (kl(p1, 0.2) + kl(p2, 0.5)) / 2
    result = CliRunner().invoke(cli, ["replay", str(case), "--step", "--json"], input="20\n50%\n")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # the screens went to stderr
    scores = data["scores"]
    assert scores["guesses"] == [0.2, 0.5]
    assert scores["you_vs_network"]["brier"] == pytest.approx(brier, rel=1e-12)
    assert scores["you_vs_network"]["log_score"] == pytest.approx(log_score, rel=1e-12)
    assert scores["you_vs_fagan"]["brier"] == pytest.approx(((0.2 - p1) ** 2 + (0.5 - f2) ** 2) / 2, rel=1e-12)
    assert scores["fagan_vs_network"]["brier"] == pytest.approx((f2 - p2) ** 2 / 2, rel=1e-12)
    assert "Step 2 of 2: First tap negative" in result.stderr
    text = CliRunner().invoke(cli, ["replay", str(case), "--step"], input="20\n50%\n").output
    assert re.search(rf"\n  your guesses vs the network +{brier:.4f} +{log_score:.3f} bits +2\n", text)
    assert "No repeated taps in this case: the Fagan chain is the network." in text


def test_step_reveals_after_each_guess_and_ends_with_the_ladder(terminal):
    terminal()
    typed = "\n".join(["20", "", "abc", "150", "45", "30", "40", "20", "10", "90"]) + "\n"
    result = CliRunner().invoke(cli, ["replay", "seed_case", "--step"], input=typed)
    assert result.exit_code == 0, result.output
    out = result.output
    first_answer = out.index("P(LM): 2.5% -> 27.9% (your guess: 20%)")
    assert out.index("Step 1 of 8: Left-hand numbness") < out.index("P(LM) now, in %?") < first_answer
    assert out.index("Step 2 of 8") > first_answer  # the question of step 2 comes after the answer of step 1
    assert "P(LM): 27.9% -> 43.7%\n" in out  # Enter alone: no guess
    assert "'abc' is not a percentage" in out and "'150' is not a percentage" in out
    assert "P(LM): 43.7% -> 39.5% (your guess: 45%)" in out  # asked again, nothing lost
    ladder = out.index(" #  step")
    assert ladder > out.index("Step 8 of 8") and "Teaching note: A normal MRI does not rule out LM." in out[ladder:]
    table = out[out.index(" #    you"):]
    assert table.splitlines()[2].split() == ["2", "-", "43.7%", "43.7%"]
    assert table.splitlines()[8].split() == ["8", "90%", "97.4%", "97.8%"]


@pytest.mark.parametrize("typed", ["20\nq\n", "20\n"], ids=["q", "end-of-input"])
def test_q_quits_cleanly(terminal, typed):
    terminal()
    result = CliRunner().invoke(cli, ["replay", "seed_case", "--step"], input=typed)
    assert result.exit_code == 0 and result.exception is None
    assert result.output.rstrip().endswith("Stopped at step 2 of 8.")
    assert " #  step" not in result.output and "Teaching note" not in result.output


@pytest.mark.parametrize("cols", [80, 60, 40])
@pytest.mark.parametrize("name", CASES)
def test_no_line_is_wider_than_the_terminal(terminal, tmp_path, name, cols):
    terminal(cols)
    group = tmp_path / "class.csv"
    steps = len(load_case(name)[0].steps)
    group.write_text("\n".join(",".join(str(10 * ((i + k) % 10)) for k in range(steps)) for i in range(12)) + "\n")
    # echo_stdin: the typed guess and its Enter show, as a terminal echoes them
    result = CliRunner(echo_stdin=True).invoke(cli, ["replay", name, "--step", "--guesses", str(group)], input="30\n" * steps)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= cols
    assert "class median" in result.output


def test_step_without_a_terminal_shows_the_ladder(runner):
    result = CliRunner().invoke(cli, ["replay", "seed_case", "--step"], input="20\n")
    assert result.exit_code == 0
    assert result.stderr == "Standard input is not a terminal: the whole ladder, without stepping.\n"
    assert result.stdout == runner.invoke(cli, ["replay", "seed_case"]).stdout


def test_class_guesses_beside_the_network(runner, tmp_path):
    group = tmp_path / "class.csv"
    group.write_text("s1,s2,s3,s4,s5,s6\n10,20,60,40,20,10\n30,40,80,60,40,30\n20,,70,50,30,20\n", encoding="utf-8")
    result = runner.invoke(cli, ["replay", "typical_mri_negative_taps", "--guesses", str(group)])
    assert result.exit_code == 0, result.output
    rows = result.output[result.output.index(" #  class median"):].splitlines()
    assert rows[2].split() == ["2", "30%", "(20-40%,", "2)", "38.9%", "38.9%"]
    assert rows[6].split() == ["6", "20%", "(10-30%,", "3)", "31.6%", "24.6%"]
    assert "of 3 students guessed closer to the network than to the Fagan chain" in result.output
    data = json.loads(runner.invoke(cli, ["replay", "typical_mri_negative_taps", "--guesses", str(group), "--json"]).output)
    assert data["scores"]["students"] == 3 and data["scores"]["class_spread"][1] == pytest.approx({"median": 0.3, "low": 0.2, "high": 0.4, "n": 2})
    assert data["steps"][4]["why"]["kind"] == "weaker_tap" and data["steps"][4]["why"]["text"].startswith("This negative tap")


@pytest.mark.parametrize(
    "text, message, code",
    [
        ("10,20\n", "Error: class.csv, line 1: 2 columns, expected 6 (one per step of the case,", 2),
        ("10,20,30,40,50,abc\n", "Error: class.csv, line 1, column 6: 'abc' is not a percentage", 2),
    ],
)
def test_a_bad_class_file_is_one_line(runner, tmp_path, text, message, code):
    group = tmp_path / "class.csv"
    group.write_text(text, encoding="utf-8")
    result = runner.invoke(cli, ["replay", "typical_mri_negative_taps", "--guesses", str(group)])
    assert result.exit_code == code and result.output.startswith(message) and result.output.count("\n") == 1


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_step_in_a_real_pseudo_terminal(tmp_path):
    """The command in a pseudo-terminal 60 columns wide: a typed guess, then q."""
    terminal = PseudoTerminal(["replay", "typical_mri_negative_taps", "--step"], tmp_path, {"COLUMNS": "60", "NO_COLOR": "1"})

    def shown(text: bytes) -> Callable[[bytes], bool]:
        return lambda out: text in out

    try:
        terminal.read_until(shown(b"P(LM) now, in %? "))
        os.write(terminal.fd, b"10\n")
        terminal.read_until(shown(b"Step 2 of 6"))
        terminal.read_until(shown(b"P(LM) now, in %? "))
        os.write(terminal.fd, b"q\n")
        terminal.read_until(shown(b"Stopped at step 2 of 6."))
    finally:
        code = terminal.exit_code()
    text = terminal.out.decode().replace("\r\n", "\n")
    assert code == 0
    assert "P(LM): 2.5% -> 13.8% (your guess: 10%)" in text
    assert text.rstrip().endswith("Stopped at step 2 of 6.")
    assert max(len(line) for line in text.splitlines()) <= 60
