"""The command line, through click's CliRunner: exact output, JSON keys, errors and exit codes."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import invoke_cleanly
from lmbayes.cli.main import cli

CASE_ARGS = [
    "-e", "systemic_status=active_recurrence",
    "-e", "cranial_nerve_palsy=present",
    "-e", "limb_weakness=present",
    "-e", "bladder_bowel=present",
    "-e", "mri=normal",
    "-e", "mri_compression=absent",
    "-e", "mri_parenchymal=absent",
    "-e", "antibody_panel=negative",
]  # fmt: skip

CASE_TAPS = """\
Network: breast 3.0 [997a02b85a78] (Leptomeningeal metastasis after breast
  cancer); prior from the network file.
For planning and teaching; not a medical device.
Findings: systemic_status=active_recurrence, cranial_nerve_palsy=present,
  limb_weakness=present, bladder_bowel=present, mri=normal,
  mri_compression=absent, mri_parenchymal=absent, antibody_panel=negative,
  csf_1=negative, csf_2=negative
P(LM): 2.5% before any finding, 12.8% now (2 taps done).
EANO-ESMO level: possible.
Further taps: cytology only (--with adds routine, ctc, ctdna).
Each row: that tap's result, the further taps before it all negative.

tap    P(tap +)  P(LM) if +  P(LM) if -      change       LR(-)       Fagan
  3        5.2%       98.3%        7.4%    -5.4 pts        0.54        5.8%
  4        2.2%       95.8%        5.1%    -2.3 pts        0.67        2.5%
  5        0.9%       90.0%        4.2%    -0.9 pts        0.81        1.1%
  6        0.4%       77.9%        3.8%    -0.4 pts        0.91        0.5%

After 2 more negative taps P(LM) falls from 12.8% to 5.1%; each further tap
changes it by less than 1 point. A Fagan chain would claim 2.5%; however many
taps are negative, P(LM) stays above 3.5% (patients whose tumour burden cytology
cannot see).
Fagan: the odds multiplied by the published single-tap LR(-) of 0.42 per
negative tap, as a Fagan nomogram chains it (taps as independent tests).
"""

PARANEOPLASTIC_POSTERIOR = """\
Network: breast 3.0 [997a02b85a78] (Leptomeningeal metastasis after breast
  cancer); prior from the network file.
For planning and teaching; not a medical device.
Findings: cranial_nerve_palsy=present, limb_weakness=present,
  antibody_panel=positive

P(present)                                            prior      now
Leptomeningeal metastasis                              2.5%     9.4%  ▉
Systemic disease status = active_recurrence           30.0%    35.8%  ███▋
Brain parenchymal metastases                          11.1%    17.2%  █▊
Paraneoplastic neurological syndrome                   1.0%    86.4%  ████████▋
Epidural spinal cord or cauda equina compression       2.8%     5.3%  ▌
Degenerative spine disease or peripheral neuropat…    25.0%    35.3%  ███▌
Metabolic or toxic encephalopathy                     12.0%    12.0%  █▎
CNS infection                                          1.0%     1.0%  ▏

EANO-ESMO level: possible.

Sources and ranges of every number: `lmbayes network show`.
"""


def run(runner, *args):
    result = runner.invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert not re.search(r"\bnan\b", result.output, re.IGNORECASE)
    return result


def test_taps_for_the_case_exact_output(runner):
    result = run(runner, "taps", *CASE_ARGS, "--csf", "neg,neg")
    assert result.exit_code == 0
    assert result.output == CASE_TAPS


def test_posterior_exact_output_shows_explaining_away(runner):
    result = run(runner, "posterior", "-e", "cranial_nerve_palsy=present", "-e", "limb_weakness=present", "-e", "antibody_panel=positive")
    assert result.exit_code == 0
    assert result.output == PARANEOPLASTIC_POSTERIOR


def test_taps_json_matches_the_library(runner, breast, case_findings):
    result = run(runner, "taps", *CASE_ARGS, "--csf", "negative,negative", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    table = breast.taps(case_findings, csf=["negative", "negative"])
    # the same numbers; the command and this call may sum the tables in another order (a warm
    # cache in one, tables built now in the other), so to the last few bits, not bit for bit
    assert data["prior"] == pytest.approx(table.prior, rel=1e-12) and data["current"] == pytest.approx(table.current, rel=1e-12)
    assert [s["tap"] for s in data["steps"]] == [3, 4, 5, 6]
    for step, ours in zip(data["steps"], table.steps):
        assert set(step) >= {"tap", "p_positive", "p_lm_if_positive", "p_lm_if_negative", "p_lm_if_negative_fagan"}
        assert step["p_lm_if_negative"] == pytest.approx(ours.p_lm_if_negative, rel=1e-12)
        assert step["p_lm_if_negative_fagan"] == pytest.approx(ours.p_lm_if_negative_fagan, rel=1e-12)
    assert data["findings"]["csf_2"] == "negative"


def test_posterior_json(runner, breast):
    result = run(runner, "posterior", "-e", "headache=present", "--json")
    data = json.loads(result.output)
    assert set(data["posterior"]) == set(breast.summary_nodes)
    assert data["posterior"]["lm"]["present"] == breast.posterior({"headache": "present"}).p_target
    assert sum(data["posterior"]["lm"].values()) == pytest.approx(1.0, abs=1e-15)
    # by hand: staging and brain metastases, P(LM | s, b) = 1 - (1 - p_s)(1 - 0.10 b)
    by_hand = 0.7 * (0.97 * 0.006 + 0.03 * (1 - 0.994 * 0.9)) + 0.3 * (0.7 * 0.035 + 0.3 * (1 - 0.965 * 0.9))
    assert data["prior"]["lm"]["present"] == pytest.approx(by_hand, abs=1e-12)


def test_network_show_json(runner, breast):
    data = json.loads(run(runner, "network", "show", "--json").output)
    ids = [n["id"] for n in data["nodes"]]
    assert ids == list(breast.spec.node_ids)
    observable = {n["id"]: n["observable"] for n in data["nodes"]}
    assert observable["lm"] is False and observable["csf_1"] is True and observable["mri"] is True
    assert data["calibration"]["one_tap"] == 0.5 and data["calibration"]["three_taps"] == 0.85
    assert data["parameters"]["headache.given.lm"]["sources"] == ["kaplan1990"]
    assert data["parameters"]["bladder_bowel.given.lm"]["judgement"] is True
    assert (data["version"], len(data["digest"])) == ("3.0", 12)
    assert data["no_sign_share"] == pytest.approx(breast.share_without_signs(), abs=1e-15)


def test_network_show_text_lists_sources_and_calibration(runner):
    out = run(runner, "network", "show").output
    assert "kaplan1990: Kaplan et al. J Neurooncol 1990;9:225. n=63" in out
    assert "implied: 0.7373 after two taps; plateau 0.9516" in out
    assert "Share of this population with none of the listed signs: 46.4%." in out  # 0.464, test_clinical checks it by the joint
    assert "JUDGEMENT" in out and "not a medical device" in out


def test_setting_and_pretest_change_the_prior(runner):
    data = json.loads(run(runner, "taps", "--pretest", "0.3", "--json").output)
    assert data["prior"] == pytest.approx(0.3, abs=1e-12)
    data = json.loads(run(runner, "taps", "--setting", "metastatic_breast_cancer", "--json").output)
    assert data["prior"] == pytest.approx(0.035, abs=1e-12)


def test_max_taps(runner):
    data = json.loads(run(runner, "taps", "--max-taps", "10", "--csf", "n,n,n", "--json").output)
    assert [s["tap"] for s in data["steps"]] == list(range(4, 11))


def test_all_taps_done(runner):
    out = run(runner, "taps", "--max-taps", "2", "--csf", "neg,neg").output
    assert "All 2 modelled taps are done" in out


BAD_INPUT = [
    (["posterior", "-e", "cranial_nerve=present"], 2, "did you mean 'cranial_nerve_palsy'?"),
    (["posterior", "-e", "headache=maybe"], 2, "unknown state 'maybe' for 'headache'; valid states: absent, present"),
    (["posterior", "-e", "headache"], 2, "expected NODE=STATE"),
    (["taps", "--csf", ",".join(["neg"] * 7)], 2, "use --max-taps 7"),
    (["taps", "--csf", ",".join(["neg"] * 11), "--max-taps", "10"], 2, "at most 10 taps"),
    (["taps", "--csf", "neg,,neg"], 2, "empty result in --csf"),
    (["taps", "--csf", "p,x"], 2, "unknown state 'x' for 'csf_2'"),
    (["posterior", "-e", "lm=absent", "-e", "burden=high"], 1, "impossible findings: lm=absent and burden=high"),
    (["posterior", "--network", "brest"], 2, "did you mean 'breast'?"),
    (["posterior", "--pretest", "1.5"], 2, "1.5 is not in the range"),
    (["posterior", "--pretest", "0"], 2, "0.0 is not in the range"),
    (["posterior", "--setting", "foo"], 2, "unknown setting 'foo'"),
    (["posterior", "--pretest", "0.2", "--setting", "suspected_lm"], 2, "not both"),
    (["taps", "--max-taps", "11"], 2, "11 is not in the range"),
    (["posterior", "-e", "mri=normal", "-e", "mri=typical_enhancement"], 2, "'mri' is given twice"),
    # found by an independent new-user review
    (["posterior", "--uncertainty", "--seed", "-1"], 2, "-1 is not in the range x>=0"),
    (["simulate", "--seed", "-1"], 2, "-1 is not in the range x>=0"),
    (["posterior", "--csf", "neg@5ml+10ml"], 2, "the volume is given twice"),
    (["posterior", "--csf", "neg@ventricular+cisternal"], 2, "the site is given twice"),
    (["plan", "--next-tap", "volume=3,volume=20"], 2, "the volume is given twice"),
    (["taps", "-e", "csf_3=positive"], 2, "tap 3 is given but tap 1 is not"),
]


@pytest.mark.parametrize("args, code, message", BAD_INPUT, ids=[f"{a[0]}: {m}" for a, _, m in BAD_INPUT])
def test_bad_input_gives_one_clear_line(runner, args, code, message):
    result = run(runner, *args)
    assert result.exit_code == code
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.output


def test_node_names_are_case_insensitive(runner):
    upper = json.loads(run(runner, "posterior", "-e", "MRI=Normal", "--json").output)
    lower = json.loads(run(runner, "posterior", "-e", "mri=normal", "--json").output)
    assert upper["posterior"] == lower["posterior"]


def test_empty_teaching_views(runner):
    assert "No findings to explain" in run(runner, "explain").output
    assert "All 2 modelled taps are done" in run(runner, "dependence", "--max-taps", "2", "--csf", "n,n").output


def test_malformed_network_file(runner, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodes: [\n")
    result = run(runner, "taps", "--network", str(bad))
    assert result.exit_code == 1
    assert result.output.startswith("Error: bad.yaml, line 2: not valid YAML")
    assert len(result.output.strip().splitlines()) == 1


def test_invalid_network_file_names_node_and_field(runner, edited_network, breast_text):
    path = edited_network((r"(specificity: \{value: )0.95, range: \[0.90, 0.99\], sources: \[nakasu2023", r"\g<1>1.95, range: [0.90, 0.99], sources: [nakasu2023"))
    result = run(runner, "posterior", "--network", str(path))
    assert result.exit_code == 1
    line = next(i for i, text in enumerate(breast_text.splitlines(), 1) if "specificity: {value: 0.95, range: [0.90, 0.99], sources: [nakasu2023" in text)
    assert result.output == f"Error: edited.yaml, line {line}: node 'mri', field 'specificity.value': 1.95 is outside [0, 1]\n"


def test_help_says_what_the_tool_is_not(runner):
    out = run(runner, "--help").output
    assert "not a medical device" in out
    assert "lmbayes network show" in out


@pytest.mark.parametrize(
    "args",
    [["posterior", "--pretest", "2"], ["posterior", "-e", "headache"], ["nosuch"], ["taps", "--max-taps", "0"], ["simulate", "--patients", "-1"]],
    ids=["pretest", "malformed-e", "command", "max-taps", "patients"],
)
def test_usage_errors_are_one_line(runner, args):
    result = runner.invoke(cli, args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "--help`)" in lines[0]


def test_no_arguments_show_the_help(runner):
    result = runner.invoke(cli, [])
    assert "not a medical device" in result.output and "Error" not in result.output


# Property-based: malformed argument strings end in one clear error, and no command prints NaN.

SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
text_args = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=25)


@SETTINGS
@given(evidence=st.lists(text_args, max_size=3), csf=text_args, command=st.sampled_from(["posterior", "taps", "plan", "explain"]))
def test_random_arguments_end_in_clear_errors(evidence, csf, command):
    args = [command]
    for e in evidence:
        args += ["-e", e]
    if csf:
        args += ["--csf", csf]
    result = invoke_cleanly(args)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code:
        assert sum(line.startswith("Error:") for line in result.output.splitlines()) == 1, result.output


@SETTINGS
@given(
    option=st.sampled_from(["--pretest", "--max-taps", "--setting", "--next-tap", "--rule-out-below", "--strategy"]),
    value=text_args,
)
def test_random_option_values_end_in_clear_errors(option, value):
    command = {"--next-tap": "plan", "--rule-out-below": "plan", "--strategy": "simulate"}.get(option, "taps")
    args = [command, option, value] + (["--patients", "100"] if command == "simulate" else [])
    result = invoke_cleanly(args)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code:
        assert sum(line.startswith("Error:") for line in result.output.splitlines()) == 1, result.output


PINNED = [
    ["-e", "lm=present"],
    ["-e", "lm=absent"],
    ["-e", "burden=high"],
    ["-e", "lm=present", "-e", "burden=none", "--csf", "neg,neg"],
    ["--csf", "pos,pos,pos,pos,pos,pos"],
]
COMMANDS = ["posterior", "taps", "plan", "dependence", "explain", "sensitivity"]


def test_findings_that_pin_lm_never_print_nan():
    """LM or the burden given as findings make odds infinite: no command may print NaN or inf."""
    for findings in PINNED:
        for command in COMMANDS:
            for extra in ([], ["--json"]):
                result = invoke_cleanly([command, *findings, *extra])
                assert result.exit_code in (0, 1, 2), (command, findings)
                assert not re.search(r"\bnan\b|\binf\b|Infinity|NaN", result.output), (command, findings, result.output)


def test_every_output_names_the_network_version_and_digest(runner, breast):
    digest = breast.spec.digest
    assert len(digest) == 12 and breast.spec.version == "3.0"
    text = run(runner, "taps").output
    assert text.startswith(f"Network: breast 3.0 [{digest}] (Leptomeningeal")
    for command in (["taps"], ["posterior"], ["plan"], ["explain", "-e", "headache=present"], ["dependence"], ["replay", "seed_case"]):
        data = json.loads(run(runner, *command, "--json").output)
        assert (data["network"], data["network_version"], data["network_digest"]) == ("breast", "3.0", digest), command


def test_an_edited_copy_is_named_by_its_path_with_its_own_digest(runner, breast, edited_network, tmp_path):
    path = edited_network((r"(specificity: \{value: )0.90", r"\g<1>0.85"), name="mine.yaml")
    data = json.loads(run(runner, "posterior", "--network", str(path), "--json").output)
    assert data["network"] == str(path) and data["network_digest"] != breast.spec.digest
    # compared without whitespace: the text wraps a long path where it can (after a hyphen of
    # pytest-of-root, depending on the length of the temporary folder's name)
    header = "".join(run(runner, "posterior", "--network", str(path)).output.split())
    assert header.startswith("".join(f"Network: {path} 3.0 [{data['network_digest']}]".split()))
    case = tmp_path / "case.yaml"
    case.write_text("name: c\ntitle: t\nnetwork: mine.yaml\nsteps:\n  - label: tap\n    csf: [negative]\n", encoding="utf-8")
    replayed = json.loads(run(runner, "replay", str(case), "--json").output)
    assert replayed["network"] == str(path) and replayed["network_digest"] == data["network_digest"]


WIDE = [
    ["posterior", *CASE_ARGS, "--csf", "neg,neg", "--uncertainty", "--draws", "50"],
    ["taps", *CASE_ARGS, "--csf", "neg,neg", "--uncertainty", "--draws", "50"],
    ["plan", *CASE_ARGS, "--csf", "neg,neg", "--uncertainty", "--draws", "50"],
    ["sensitivity", *CASE_ARGS, "--csf", "neg,neg", "--threshold", "0.1"],
    ["simulate", *CASE_ARGS, "--patients", "2000", "--compare", "3taps+standard", "--compare", "1tap+ctc", "--compare", "1tap+routine"],
    ["replay", "normal_csf_settles"],
    ["explain", *CASE_ARGS, "--csf", "neg,neg,pos"],
    ["dependence", "--pretest", "0.5"],
    ["network", "show"],
    ["plan", "-e", "cranial_nerve_palsy=present", "-e", "limb_weakness=present", "-e", "mri=normal"],
]


@pytest.mark.parametrize("args", WIDE, ids=[" ".join(a[:1] + a[-2:]) for a in WIDE])
def test_text_output_fits_80_columns(runner, args):
    result = run(runner, *args)
    assert result.exit_code == 0, result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from lmbayes.cli import _format

    monkeypatch.setattr(_format.sys.stdout, "isatty", lambda: True, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert _format.colour() and "\x1b[" in _format._style("(treat)", "red")
    monkeypatch.setenv("NO_COLOR", "1")
    assert not _format.colour() and _format._style("(treat)", "red") == "(treat)"
    monkeypatch.setattr(_format.sys.stdout, "isatty", lambda: False, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert not _format.colour()


def test_piped_output_has_no_escape_codes(runner):
    assert "\x1b[" not in run(runner, "plan", *CASE_ARGS, "--csf", "neg,neg").output


def test_a_finished_taps_technique_is_echoed_so_the_output_reproduces(runner):
    plain = json.loads(run(runner, "posterior", "--csf", "neg,neg", "--json").output)
    stated = json.loads(run(runner, "posterior", "--csf", "neg@5ml+45min,neg", "--json").output)
    assert stated["findings"]["csf_1"] == "negative@5ml+45min+lumbar" and plain["findings"]["csf_1"] == "negative"
    assert stated["posterior"]["lm"]["present"] != plain["posterior"]["lm"]["present"]
    # feeding the echoed findings back gives the same answer
    again = json.loads(run(runner, "posterior", "--csf", ",".join(stated["findings"].values()), "--json").output)
    assert again["posterior"] == stated["posterior"]
    assert "csf_1=negative@5ml+45min+lumbar" in run(runner, "taps", "--csf", "neg@5ml+45min").output


# Hard stops (issue 14): Ctrl-C, numpy warnings, control characters in what was typed.


def test_ctrl_c_while_the_modules_load_is_quiet(tmp_path):
    """Before: a KeyboardInterrupt traceback from the import of numpy (the entry point imported
    everything before any code could catch it)."""
    fake = tmp_path / "fake"
    (fake / "numpy").mkdir(parents=True)
    (fake / "numpy" / "__init__.py").write_text("raise KeyboardInterrupt\n")
    env = {**os.environ, "PYTHONPATH": str(fake)}
    done = subprocess.run([sys.executable, "-m", "lmbayes", "taps"], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "\nInterrupted.\n")


@pytest.mark.parametrize("where", ["lmbayes", "lmbayes.cli"])
def test_ctrl_c_while_lmbayes_itself_loads_is_one_line(tmp_path, where):
    """The process that is the lmbayes command: a Ctrl-C that arrives while lmbayes's own
    modules load (here right after them, before main) ends it with one line and 130."""
    script = (
        "import os, signal, sys, time\n"
        "sys.argv[0] = os.path.join(os.path.dirname(sys.executable), 'lmbayes')\n"
        f"import {where}\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "time.sleep(5)\n"
        "print('not interrupted')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (130, "", "\nInterrupted.\n")


def test_importing_lmbayes_as_a_library_leaves_ctrl_c_alone(tmp_path):
    script = "import signal, lmbayes.cli; assert signal.getsignal(signal.SIGINT) is signal.default_int_handler"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr


def test_ctrl_c_during_a_long_computation_exits_130(tmp_path):
    """Before: click printed "Aborted!" and exited 1."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lmbayes", "taps", "--uncertainty", "--draws", "1000000", "--yes"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as from a terminal, whatever runs pytest
    )
    time.sleep(1.5)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert (process.returncode, stdout, stderr) == (130, "", "\nInterrupted.\n")


def test_ctrl_c_in_a_command_exits_130(runner, monkeypatch):
    from lmbayes.network import Network

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Network, "taps", interrupt)
    handler = signal.getsignal(signal.SIGINT)
    result = runner.invoke(cli, ["taps"])
    assert result.exit_code == 130 and result.stderr == "\nInterrupted.\n"
    assert signal.getsignal(signal.SIGINT) is handler  # the host program keeps its Ctrl-C


@pytest.mark.parametrize("command", ["posterior", "taps", "plan", "dependence", "explain", "sensitivity", "simulate"])
def test_extreme_pretests_give_no_numpy_warning(runner, command):
    """Before: `--pretest 5e-324` (or 1e-300) printed "overflow encountered in exp" (here,
    warnings are errors, so the command would fail)."""
    extra = ["--patients", "1000"] if command == "simulate" else []
    for pretest in ("1e-300", "0.9999999999999999"):
        result = runner.invoke(cli, [command, "--pretest", pretest, "-e", "headache=present", *extra])
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        assert result.exit_code in (0, 2) and "Warning" not in result.output, result.output
    tiny = runner.invoke(cli, [command, "--pretest", "5e-324", *extra])
    assert tiny.exit_code == 2
    assert tiny.output.startswith("Error: a pre-test probability of 5e-324 is below 1e-300, the smallest lmbayes computes with")


def test_control_characters_typed_are_shown_escaped(runner):
    result = runner.invoke(cli, ["posterior", "-e", "head\x1b[2Jache=present\r"])
    assert result.exit_code == 2 and "\x1b" not in result.output and "\r" not in result.output
    assert "unknown node 'head\\x1b[2Jache'" in result.output


def test_one_technique_vocabulary_and_the_spaced_csf_hint(runner):
    standard = json.loads(run(runner, "posterior", "--csf", "neg@standard,neg", "--json").output)
    assert standard["findings"]["csf_1"] == "negative@standard"
    usual = json.loads(run(runner, "posterior", "--csf", "neg@usual,neg", "--json").output)
    plain = json.loads(run(runner, "posterior", "--csf", "neg,neg", "--json").output)
    assert usual["posterior"] == plain["posterior"] != standard["posterior"]
    taps = json.loads(run(runner, "taps", "--next-tap", "usual", "--json").output)
    assert taps["steps"] == json.loads(run(runner, "taps", "--json").output)["steps"]
    spaced = run(runner, "posterior", "--csf", "neg,", "neg")
    assert spaced.exit_code == 2 and "--csf neg,neg, without spaces, or quoted" in spaced.output


def test_network_nodes_copy_and_export_by_suffix(runner, tmp_path):
    nodes = run(runner, "network", "nodes").output
    assert "mri                      normal | typical_enhancement" in nodes and "ctc_1..6" in nodes
    copy = tmp_path / "mine.yaml"
    assert run(runner, "network", "copy", "breast", str(copy)).exit_code == 0
    assert run(runner, "network", "check", str(copy)).output.endswith("no problems\n")
    assert run(runner, "network", "copy", "breast", str(copy)).exit_code == 2  # never overwrites
    out = tmp_path / "net.BIF"
    result = run(runner, "network", "export", str(out))
    assert result.exit_code == 0 and result.output == f"wrote {out} (bif)\n" and out.read_text().startswith("network")
    bad = run(runner, "network", "export", str(tmp_path / "net.txt"))
    assert bad.exit_code == 2 and "from its suffix" in bad.output and bad.output.count("\n") == 1


def test_plan_json_names_its_findings(runner):
    data = json.loads(run(runner, "plan", "-e", "headache=present", "--csf", "neg", "--json").output)
    assert data["findings"] == {"headache": "present", "csf_1": "negative"}


def test_the_shell_completes_node_states_and_network_names():
    from click.shell_completion import ShellComplete

    def complete(args: list[str], incomplete: str) -> list[str]:
        return [c.value for c in ShellComplete(cli, {}, "lmbayes", "_LMBAYES_COMPLETE").get_completions(args, incomplete)]

    assert complete(["posterior", "-e"], "mri=") == ["mri=normal", "mri=typical_enhancement"]
    assert "ctc_2=positive" in complete(["taps", "-e"], "ctc_2")
    assert "histology=small_cell" in complete(["posterior", "--network", "lung", "-e"], "hist")
    assert complete(["posterior", "--network"], "mel")[0] == "melanoma"
    assert complete([], "ta") == ["taps"]  # the lazy group lists its commands


def test_completing_after_an_unknown_command_prints_no_error(tmp_path):
    import subprocess
    import sys

    env = {**os.environ, "_LMBAYES_COMPLETE": "bash_complete", "COMP_WORDS": "lmbayes foo -e ", "COMP_CWORD": "3"}
    done = subprocess.run([sys.executable, "-m", "lmbayes"], env=env, capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""


def test_every_command_says_the_same_when_all_modelled_taps_are_done(runner):
    done = "All 2 modelled taps are done; model more with --max-taps (up to 10)."
    for command in ("taps", "plan", "dependence"):
        result = run(runner, command, "--max-taps", "2", "--csf", "neg,neg")
        assert result.exit_code == 0 and done in result.output, command
    simulated = run(runner, "simulate", "--max-taps", "2", "--csf", "neg,neg", "--patients", "100")
    assert simulated.exit_code == 2 and "(use --max-taps 5)" in simulated.output


def test_a_missing_case_file_is_named_as_such(runner):
    result = run(runner, "replay", "nosuch/case.yaml")
    assert result.exit_code == 2 and result.output.startswith("Error: no case file at 'nosuch/case.yaml'")


@pytest.mark.parametrize("command", ["taps", "plan", "sensitivity", "simulate"])
def test_tables_as_csv_for_a_spreadsheet(runner, breast, command):
    import csv
    import io

    extra = ["--patients", "2000"] if command == "simulate" else []
    result = run(runner, command, "-e", "headache=present", "--csf", "neg", "--csv", *extra)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert rows and "not a medical device" not in result.output
    if command == "taps":
        table = breast.taps({"headache": "present"}, csf=["neg"])
        assert [int(r["tap"]) for r in rows] == [s.tap for s in table.steps]
        assert float(rows[0]["p_lm_if_negative"]) == table.steps[0].p_lm_if_negative


@pytest.mark.parametrize(
    "typed, hint",
    [("tap", " Did you mean 'taps'?"), ("valdate", " Did you mean 'validate'?"), ("zzz", "")],
    ids=["tap", "valdate", "nothing-close"],
)
def test_an_unknown_command_names_the_closest_in_one_line(runner, typed, hint):
    result = runner.invoke(cli, [typed])
    assert result.exit_code == 2
    assert f"No such command '{typed}'.{hint}" in result.output
