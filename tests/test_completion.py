"""Shell completion as a user gets it: ``eval "$(_LMBAYES_COMPLETE=bash_source lmbayes)"``,
then TAB after a partial word (issue 28).

The bash test runs click's own bash script in bash, with ``compopt`` recorded instead of
applied: bash completes file names itself when the script leaves no words and asked for
``compopt -o default``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.shell_completion import ShellComplete

from lmbayes.cli.main import cli

BIN = Path(sys.executable).parent

_BASH = r"""
eval "$(_LMBAYES_COMPLETE=bash_source lmbayes)"
compopt() { echo "compopt $1 $2"; }
read -r -a COMP_WORDS <<< "$LINE"
[[ "$LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_lmbayes_completion lmbayes
for word in "${COMPREPLY[@]}"; do echo "word $word"; done
"""


def bash_tab(line: str, cwd: Path) -> tuple[list[str], bool]:
    """The words bash offers after ``line`` and whether it falls back to file names."""
    env = {**os.environ, "LINE": line, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    out = subprocess.run(["bash", "-c", _BASH], capture_output=True, text=True, env=env, cwd=cwd, check=True).stdout
    words = [w.removeprefix("word ") for w in out.splitlines() if w.startswith("word ")]
    files = any(w.startswith("compopt") and "default" in w for w in out.splitlines())
    return words, files and not words


needs_bash = pytest.mark.skipif(shutil.which("bash") is None or not (BIN / "lmbayes").exists(), reason="needs bash and the lmbayes script")


@needs_bash
@pytest.mark.parametrize(
    "line",
    ["lmbayes validate myco", "lmbayes fit fix", "lmbayes replay mycase", "lmbayes network check myf",
     "lmbayes fit breast_cohort.csv --out ne", "lmbayes taps --network myn", "lmbayes replay seed_case --guesses cla",
     "lmbayes taps --plot pi", "lmbayes network draw d", "lmbayes network export e", "lmbayes case check c",
     "lmbayes simulate --cohort 10 --out c"],
    ids=lambda line: line.removeprefix("lmbayes "),
)
def test_bash_completes_file_arguments_as_files(line: str, tmp_path: Path):
    words, files = bash_tab(line, tmp_path)
    assert words == [] and files, (words, files)


@needs_bash
@pytest.mark.parametrize(
    "line, expected",
    [("lmbayes replay seed", ["seed_case"]), ("lmbayes validate bre", ["breast_cohort"]),
     ("lmbayes taps --network mel", ["melanoma"]), ("lmbayes network copy l", ["lung"]),
     ("lmbayes taps --network lung --setting ", ["suspected_lm"])],
    ids=lambda x: x if isinstance(x, str) else None,
)
def test_bash_completes_shipped_names(line: str, expected: list[str], tmp_path: Path):
    assert bash_tab(line, tmp_path) == (expected, False)


def test_every_shipped_case_completes_and_a_file_too():
    from lmbayes.cases import available_cases

    items = ShellComplete(cli, {}, "lmbayes", "_LMBAYES_COMPLETE").get_completions(["replay"], "")
    assert items[0].type == "file"
    assert [i.value for i in items[1:]] == list(available_cases())


def _file_params(command, path=()):
    import click

    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            yield from _file_params(command.get_command(click.Context(command), name), (*path, name))
        return
    for param in command.params:
        metavar = (param.metavar or "").upper()
        if any(s in metavar for s in ("FILE", "PATH", ".CSV", ".YAML", "OUTPUT", "COHORT", "CASE")) or param.name in ("output", "path"):
            yield " ".join(path), param


@pytest.mark.parametrize("where, param", list(_file_params(cli)), ids=lambda x: x if isinstance(x, str) else x.name)
def test_every_file_parameter_completes_files(where, param):
    import click

    ctx = click.Context(cli)
    assert any(item.type == "file" for item in param.type.shell_complete(ctx, param, "x")), f"{where} {param.name}"
