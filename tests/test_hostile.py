"""Hostile files and hard stops (issue 14): whatever a network file or a case file holds, a
command ends with one line and exit 1 or 2 (or a correct result), never a traceback, a hang or
a half-written file.

Generated files carry one or more hostile edits: aliases expanding to billions of elements,
odd or repeated keys, huge and non-finite numbers, control characters and names full of
quotes, braces, newlines and HTML. Each command runs in a subprocess under a memory limit
(``resource.setrlimit``) and a deadline, with its output file already in place: after a
failure it must be untouched. A few examples run that way (a subprocess costs about 0.4 s);
many more run in-process.
"""

from __future__ import annotations

import os
import re
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lmbayes import networks
from lmbayes.cases import available_cases
from lmbayes.cli.main import cli

NETWORK = networks.available()["breast"].read_text(encoding="utf-8")
CASE = available_cases()["seed_case"].read_text(encoding="utf-8")
#: The address space a command may use: ample for numpy and pgmpy, far short of what an alias
#: expansion or every draw held at once takes.
MEMORY = 1 << 30
DEADLINE = 30
SENTINEL = b"an existing file that a failed command must leave as it was\n"

# Each hostile edit: substitutions (pattern, replacement), each applied to its first match.
BOMB = "lol:\n  l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"  l{i + 1}: &l{i + 1} [*l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}, *l{i}]\n" for i in range(8)
)
HUGE = "9" * 400
NETWORK_EDITS = {
    "alias bomb in the title": [(r"^title: .*\n", BOMB + "title: *l8\n")],
    "alias bomb in a label": [(r"^target: lm\n", "target: lm\n" + BOMB), (r"^    label: Systemic disease status", "    label: *l8")],
    "alias bomb in a citation": [(r"^target: lm\n", "target: lm\n" + BOMB), (r"^  kaplan1990: .*", "  kaplan1990: *l8")],
    "alias in a note": [(r"note: \"share with known", "note: &n \"share with known")],
    "unknown top-level key": [(r"^target: lm\n", 'target: lm\n"\\x1b[31m\\a": 1\n')],
    "list as a key": [(r"^target: lm\n", "target: lm\n? [a, b]\n: c\n")],
    "mapping as a key": [(r"^target: lm\n", "target: lm\n? {a: 1}\n: c\n")],
    "repeated key": [(r"^target: lm\n", "target: lm\ntarget: lm\n")],
    "huge value": [(r"(leak: \{value: )0\.15", rf"\g<1>{HUGE}")],
    "huge range": [(r"(leak: \{value: 0\.15, range: \[)[0-9.]+", rf"\g<1>{HUGE}")],
    "huge count": [(r"counts: \[20, 63\]", f"counts: [20, {HUGE}]")],
    "huge taps": [(r"^  taps: 6", f"  taps: {'9' * 5000}")],
    "huge int label": [(r"^    label: Systemic disease status", f"    label: {'9' * 5000}")],
    "huge int id": [(r"^  paraneoplastic:\n", f"  {'9' * 5000}:\n")],
    "nan value": [(r"(leak: \{value: )0\.15", r"\g<1>.nan")],
    "infinite value": [(r"(leak: \{value: )0\.15", r"\g<1>1.0e+999")],
    "negative infinity": [(r"(leak: \{value: 0\.15, range: \[)[0-9.]+", r"\g<1>-.inf")],
    "bell and return in the title": [(r"^title: .*", 'title: "LM\\a after\\rbreast\\x1b[2J cancer"')],
    "control characters in a label": [(r"^    label: Systemic disease status", '    label: "Sys\\ttemic\\u202e\\x07"')],
    "DOT injection in the name": [(r"^name: breast", 'name: "x\\" {a -> b} digraph \\"y"')],
    "newline and braces in the name": [(r"^name: breast", 'name: "a\\n}\\n{ <b>html</b> \\\\"')],
    "newline after an id": [(r"^  paraneoplastic:\n", '  "paraneoplastic\\n":\n')],
    "HTML in a citation": [(r"^  kaplan1990: .*", '  kaplan1990: "<script>alert(1)</script> \\" ; }"')],
}
CASE_EDITS = {
    "alias in a case": [(r"^title: (.*)", "title: &t \\g<1>\ndescription: *t")],
    "repeated key in a case": [(r"^name: seed_case\n", "name: seed_case\nname: other\n")],
    "huge number in a case": [(r"^  - label: Left-hand numbness and hoarseness", f"  - label: {'9' * 5000}")],
    "huge state in a case": [(r"findings: \{antibody_panel: negative\}", f"findings: {{antibody_panel: {'9' * 5000}}}")],
    "control characters in a case": [(r"^title: .*", 'title: "seed\\a\\r\\x1b[31m case"')],
    "list as a key in a case": [(r"^steps:\n", "? [a]\n: b\nsteps:\n")],
}


def edited(text: str, edits: list[tuple[str, str]]) -> str:
    """``text`` with each substitution made once; a replacement is literal but for ``\\g<1>``."""
    for pattern, replacement in edits:
        text = re.sub(
            pattern, lambda m, r=replacement: r.replace(r"\g<1>", m.group(1) if m.re.groups else ""), text, count=1, flags=re.M
        )
    return text


def limits() -> None:  # runs in the child before exec
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def lmbayes(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """``python -m lmbayes ARGS`` under the memory limit and the deadline."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "80"}
    return subprocess.run(
        [sys.executable, "-m", "lmbayes", *args], cwd=cwd, capture_output=True, text=True,
        timeout=DEADLINE, preexec_fn=limits, env=env,
    )


def check_clean_end(code: int, stdout: str, stderr: str, output: Path | None) -> None:
    """One line and exit 1 or 2, the output file untouched; or exit 0 with nothing raw."""
    assert "Traceback" not in stdout + stderr, stderr
    assert code in (0, 1, 2), (code, stderr)
    if code and re.fullmatch(r"\d+ problems? in .*\n", stderr):  # `network check`: every problem, one line each
        assert stdout.count("\n") == int(stderr.split()[0]), stdout
        assert all(re.match(r"\S+\.yaml[:,] ", line) for line in stdout.splitlines()), stdout
    elif code:
        errors = [line for line in stderr.splitlines() if line]
        assert len(errors) == 1 and errors[0].startswith("Error: "), stderr
        if output is not None:
            assert output.read_bytes() == SENTINEL
    else:
        assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", stdout + stderr), repr(stdout)
        assert "Warning" not in stderr, stderr
        if output is not None:
            assert output.read_bytes() != SENTINEL and output.stat().st_size > 100
    if output is not None:
        assert sorted(p.name for p in output.parent.iterdir() if p.name.startswith(".")) == [], "a temporary file was left"


COMMANDS = [
    ["posterior", "--network", "{net}", "-e", "mri=normal"],
    ["taps", "--network", "{net}", "--csf", "neg"],
    ["network", "check", "{net}"],
    ["network", "show", "--network", "{net}"],
    ["network", "draw", "--network", "{net}", "{out}.dot"],
    ["network", "export", "--network", "{net}", "--format", "xmlbif", "{out}.xmlbif"],
    ["replay", "{case}"],
]
PLOT = ["taps", "--network", "{net}", "--plot", "{out}.png"]  # in-process: matplotlib loads once
hostile_network = st.lists(st.sampled_from(sorted(NETWORK_EDITS)), min_size=1, max_size=3, unique=True)
hostile_case = st.lists(st.sampled_from(sorted(CASE_EDITS)), min_size=0, max_size=2, unique=True)


def write_files(folder: Path, network_edits: list[str], case_edits: list[str]) -> tuple[Path, Path]:
    net = folder / "hostile.yaml"
    net.write_text(edited(NETWORK, [s for e in network_edits for s in NETWORK_EDITS[e]]), encoding="utf-8")
    case = folder / "case.yaml"
    case_text = edited(CASE, [s for e in case_edits for s in CASE_EDITS[e]]).replace("network: breast", "network: hostile.yaml")
    case.write_text(case_text, encoding="utf-8")
    return net, case


def arguments(command: list[str], net: Path, case: Path, out: Path) -> tuple[list[str], Path | None]:
    args = [a.format(net=net, case=case, out=out) for a in command]
    written = next((Path(a) for a in args if a.startswith(str(out))), None)
    if written is not None:
        written.write_bytes(SENTINEL)
    return args, written


def hostile_run(folder: Path, network_edits: Any, case_edits: Any, command: Any) -> tuple[list[str], Path | None]:
    """Write the hostile network and case files into ``folder`` and return the command's
    arguments and the output file it may write (under ``folder/out``)."""
    net, case = write_files(folder, network_edits, case_edits)
    outputs = folder / "out"
    outputs.mkdir()
    return arguments(command, net, case, outputs / "result")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is a Linux limit")
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(network_edits=hostile_network, case_edits=hostile_case, command=st.sampled_from(COMMANDS))
def test_hostile_files_in_a_subprocess_under_a_memory_limit(network_edits, case_edits, command):
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        args, written = hostile_run(folder, network_edits, case_edits, command)
        result = lmbayes(args, folder)
        check_clean_end(result.returncode, result.stdout, result.stderr, written)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(network_edits=hostile_network, case_edits=hostile_case, command=st.sampled_from([*COMMANDS[:5], *COMMANDS[6:], PLOT]))
def test_hostile_files_in_process(network_edits, case_edits, command):
    with tempfile.TemporaryDirectory() as name:
        args, written = hostile_run(Path(name), network_edits, case_edits, command)
        result = CliRunner().invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        check_clean_end(result.exit_code, result.stdout, result.stderr, written)


@pytest.mark.parametrize("edit", sorted(NETWORK_EDITS), ids=sorted(NETWORK_EDITS))
def test_each_hostile_network_edit_ends_cleanly(edit, tmp_path):
    net, case = write_files(tmp_path, [edit], [])
    for command in COMMANDS[:5]:
        args, written = arguments(command, net, case, tmp_path / "out")
        result = CliRunner().invoke(cli, args)
        assert result.exception is None or isinstance(result.exception, SystemExit), (command, repr(result.exception))
        check_clean_end(result.exit_code, result.stdout, result.stderr, None)
        if written is not None and result.exit_code:
            assert written.read_bytes() == SENTINEL


@pytest.mark.parametrize("edit", sorted(CASE_EDITS), ids=sorted(CASE_EDITS))
def test_each_hostile_case_edit_ends_cleanly(edit, tmp_path):
    net, case = write_files(tmp_path, [], [edit])
    result = CliRunner().invoke(cli, ["replay", str(case)])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    check_clean_end(result.exit_code, result.stdout, result.stderr, None)
