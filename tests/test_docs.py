"""The documentation is tested: README and docs/commands.md examples reproduce, doctests pass,
every command is documented with its current --help."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil
import re
import shlex
from pathlib import Path

import click
import pytest

import lmbayes
from lmbayes.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
COMMANDS = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")


def load_generator():
    """docs/make_commands.py, the generator of the help blocks of docs/commands.md."""
    spec = importlib.util.spec_from_file_location("make_commands", ROOT / "docs" / "make_commands.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_commands = load_generator()


def console_examples(text: str) -> list[tuple[str, str]]:
    """(command, expected output) for each ```console block of TEXT."""
    examples = []
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        lines = block.splitlines()
        command = lines.pop(0)
        while command.endswith("\\"):
            command = command[:-1] + lines.pop(0)
        assert command.startswith("$ lmbayes ")
        examples.append((command[len("$ lmbayes ") :], "\n".join(lines) + "\n"))
    return examples


EXAMPLES = console_examples(README) + console_examples(COMMANDS)


@pytest.mark.parametrize("command, expected", EXAMPLES, ids=[c[:50] for c, _ in EXAMPLES])
def test_console_examples_are_real_output(runner, command, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file (fit --out) writes it there
    result = runner.invoke(cli, shlex.split(command))
    assert result.output == expected


def test_readme_python_example():
    blocks = re.findall(r"```pycon\n(.*?)```", README, re.S)
    assert blocks
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for i, block in enumerate(blocks):
        runner.run(parser.get_doctest(block, {}, f"README-{i}", "README.md", 0))
    assert runner.failures == 0


PACKAGES = [lmbayes, importlib.import_module("lmbayes.cli"), importlib.import_module("lmbayes.networks")]
MODULES = [p.__name__ for p in PACKAGES] + [
    m.name
    for p in PACKAGES
    for m in pkgutil.iter_modules(p.__path__, f"{p.__name__}.")
    if m.name not in ("lmbayes._pgmpy", "lmbayes.cli", "lmbayes.networks")
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name in group.list_commands(click.Context(group)):
        command = group.get_command(click.Context(group), name)
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += all_commands(command, f"{prefix}{name} ")
    return found


def overview_commands() -> list[set[str]]:
    """The words of the first cell of each row of the README's command overview table."""
    cells = re.findall(r"^\| (`lmbayes [^|]*) \|", README, re.M)
    assert cells, "the README has a command overview table"
    return [set(re.findall(r"[a-z-]+", cell)) for cell in cells]


@pytest.mark.parametrize("name, command", all_commands(cli), ids=[n for n, _ in all_commands(cli)])
def test_every_command_has_help_and_is_documented(name, command):
    assert command.help and len(command.help) > 20
    assert f"\n## lmbayes {name}\n" in COMMANDS, f"docs/commands.md has no section for `lmbayes {name}`"
    words = set(name.split())
    assert any(words <= row for row in overview_commands()), f"`{name}` is not in the README's overview table"


@pytest.mark.parametrize("path", make_commands.command_paths())
def test_command_reference_shows_the_current_help(path):
    block = make_commands.blocks(COMMANDS).get(path)
    assert block == make_commands.help_text(path), (
        f"docs/commands.md does not show the current `{path} --help`: run python docs/make_commands.py"
    )


def test_command_reference_shows_no_removed_command():
    removed = set(make_commands.blocks(COMMANDS)) - set(make_commands.command_paths())
    assert not removed, f"docs/commands.md shows commands that no longer exist: {sorted(removed)}"


def test_readme_points_to_the_command_reference():
    assert "(docs/commands.md)" in README
    assert "\n## Command reference\n" not in COMMANDS


def test_readme_parameter_table_matches_the_network(breast):
    def source(p):
        judgement = "**judgement**" if p.judgement else ""
        return " ".join(x for x in (", ".join(p.sources), judgement) if x)

    for path, p in breast.spec.parameters.items():
        row = f"| `{path}` | {p.value:g} | {p.low:g}–{p.high:g} | {source(p)} |"
        assert row in README, row
    for s in breast.spec.settings.values():
        row = f"| setting `{s.name}` | {s.p_lm.value:g} | {s.p_lm.low:g}–{s.p_lm.high:g} | {source(s.p_lm)} |"
        assert row in README, row


def test_readme_and_ci_use_the_same_commands():
    test_command = "python3 -m venv .venv && .venv/bin/pip install '.[test]' && .venv/bin/pytest"
    assert test_command in README
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/lmbayes taps" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"pip\"? install [^\n]*'\.\[test\]'", ci), "CI must install as the README says"
    assert "--editable" not in ci and " -e " not in ci
    assert re.search(r"/bin/pytest\"?\s*$", ci), "CI must end with the README's test command"


def test_the_notebook_runs_and_each_result_shows_as_a_table():
    """docs/notebook.ipynb, cell by cell in one namespace (as a kernel would): every code cell
    runs, and each ends in a result with an HTML table."""
    import ast
    import json

    notebook = json.loads((ROOT / "docs" / "notebook.ipynb").read_text(encoding="utf-8"))
    namespace: dict[str, object] = {}
    shown = 0
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        tree = ast.parse(source)
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        exec(compile(tree, "notebook", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "notebook", "eval"), namespace)
            html = value._repr_html_()
            assert html.startswith("<table>") and "not a medical device" in html
            shown += 1
    assert shown == 5


def test_readme_teaching_transcript_is_a_real_session(monkeypatch):
    """The ```text block after `<!-- transcript: COMMAND; typed: GUESSES -->`: every line, in
    order, is in the output of the same session ([...] marks what the excerpt leaves out)."""
    from click.testing import CliRunner

    from lmbayes.cli import _teach

    match = re.search(r"<!-- transcript: lmbayes (.*?); typed: (.*?) -->\n```text\n\$ lmbayes \1\n(.*?)```", README, re.S)
    assert match, "the README has a teaching transcript"
    command, typed, block = match.groups()
    monkeypatch.setattr(_teach, "interactive", lambda: True)
    monkeypatch.setattr(_teach, "columns", lambda: 80)
    session = CliRunner(echo_stdin=True).invoke(cli, shlex.split(command), input="".join(f"{g}\n" for g in typed.split(",")))
    assert session.exit_code == 0
    lines, at = session.output.splitlines(), 0
    for line in block.splitlines():
        if line.startswith("[..."):
            continue
        assert line in lines[at:], line
        at = lines.index(line, at) + 1


def test_readme_case_file_example_checks_clean(runner, tmp_path):
    blocks = re.findall(r"```yaml\n(.*?)```", README, re.S)
    example = next(b for b in blocks if b.startswith("name: my_case"))
    path = tmp_path / "my_case.yaml"
    path.write_text(example, encoding="utf-8")
    assert runner.invoke(cli, ["case", "check", str(path)]).output == f"{path}: no problems\n"
    assert runner.invoke(cli, ["replay", str(path)]).exit_code == 0
