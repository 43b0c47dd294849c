"""Property-based tests: malformed network files and argument strings end in one clear error."""

from __future__ import annotations

import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmbayes import networks
from lmbayes.cli.main import cli

BREAST = networks.available()["breast"].read_text(encoding="utf-8")
LINES = BREAST.splitlines()
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

yaml_bits = st.sampled_from(
    [": ", "- ", "{", "}", "[", "]", "value: 2", "range: [0.5]", "states: []", "kind: sign", "x", "1e9",
     "null", "yes", "!!python/object", "&a", "*a", "\t", "'", '"', "---", "? [a, b]: c", "-1", "0.3"]
)


@st.composite
def mutated_network(draw) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "replace", "insert", "number"]))
        if action == "delete":
            del lines[i]
        elif action == "replace":
            lines[i] = draw(st.text(max_size=30)) if draw(st.booleans()) else draw(yaml_bits)
        elif action == "insert":
            lines.insert(i, " " * draw(st.integers(0, 6)) + draw(yaml_bits))
        else:
            lines[i] = lines[i].replace("0.", draw(st.sampled_from(["1.", "-0.", "9", "0.0", "abc"])), 1)
    return "\n".join(lines)


def run(args: list[str]):
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


@SETTINGS
@given(mutated_network())
def test_malformed_network_files_end_in_clear_errors(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(text, encoding="utf-8")
        check = run(["network", "check", str(path)])
        assert check.exit_code in (0, 1)
        query = run(["posterior", "--network", str(path), "-e", "mri=normal", "--csf", "neg"])
        assert query.exit_code in (0, 1, 2)
        if query.exit_code:
            errors = [line for line in query.output.splitlines() if line.startswith("Error:")]
            assert len(errors) == 1, query.output
            assert check.exit_code == 1 or "mri" in errors[0] or "csf" in errors[0] or "Invalid value" in errors[0]
        else:
            assert check.exit_code == 0


text_args = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=25)


@SETTINGS
@given(evidence=st.lists(text_args, max_size=3), csf=text_args, command=st.sampled_from(["posterior", "taps", "plan", "explain"]))
def test_random_arguments_end_in_clear_errors(evidence, csf, command):
    args = [command]
    for e in evidence:
        args += ["-e", e]
    if csf:
        args += ["--csf", csf]
    result = run(args)
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
    result = run(args)
    assert result.exit_code in (0, 1, 2)
    if result.exit_code:
        assert sum(line.startswith("Error:") for line in result.output.splitlines()) == 1, result.output


PINNED = [
    ["-e", "lm=present"],
    ["-e", "lm=absent"],
    ["-e", "shedding=yes"],
    ["-e", "lm=present", "-e", "shedding=no", "--csf", "neg,neg"],
    ["--csf", "pos,pos,pos,pos,pos,pos"],
]
COMMANDS = ["posterior", "taps", "plan", "dependence", "explain", "sensitivity"]


def test_findings_that_pin_lm_never_print_nan():
    """LM or shedding given as findings make odds infinite: no command may print NaN or inf."""
    import re

    for findings in PINNED:
        for command in COMMANDS:
            for extra in ([], ["--json"]):
                result = run([command, *findings, *extra])
                assert result.exit_code in (0, 1, 2), (command, findings)
                assert not re.search(r"\bnan\b|\binf\b|Infinity|NaN", result.output), (command, findings, result.output)
