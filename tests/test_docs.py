"""The documentation is tested: every console example of the README and docs/ reproduces,
doctests pass, every command is documented with its current --help, and figures quoted in prose
come from the tool."""

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


def load_generator(name: str):
    """docs/NAME.py: make_commands writes the --help blocks, make_examples the console outputs."""
    spec = importlib.util.spec_from_file_location(name, ROOT / "docs" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


make_commands = load_generator("make_commands")
make_examples = load_generator("make_examples")

PAGES = make_examples.pages()
EXAMPLES = [(page.name, command, expected) for page in PAGES for command, expected in make_examples.examples(page)]


def test_every_page_is_linked_from_the_readme():
    for page in PAGES[1:]:
        if page.name != "README.md":
            assert f"](docs/{page.name})" in README, f"the README does not link docs/{page.name}"


def test_the_readme_is_a_front_page():
    assert len(README.splitlines()) <= 200


@pytest.mark.parametrize("page, command, expected", EXAMPLES, ids=[f"{p}: {c[:50]}" for p, c, _ in EXAMPLES])
def test_console_examples_are_real_output(runner, page, command, expected, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file (fit --out) writes it there
    result = runner.invoke(cli, shlex.split(command))
    assert result.output == expected, f"{page} is out of date: run python docs/make_examples.py"


def test_python_examples():
    parser = doctest.DocTestParser()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    found = 0
    for page in PAGES:
        for i, block in enumerate(re.findall(r"```pycon\n(.*?)```", page.read_text(encoding="utf-8"), re.S)):
            runner.run(parser.get_doctest(block, {}, f"{page.name}-{i}", str(page), 0))
            found += 1
    assert found
    assert runner.failures == 0


def prose(page: Path) -> str:
    """PAGE without its code blocks and inline code."""
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return re.sub(r"`[^`]*`", "", text)


def printed(page: Path) -> str:
    """What the page shows the tool printing: its console outputs and its text transcripts."""
    text = page.read_text(encoding="utf-8")
    return "\n".join([*(expected for command, expected in make_examples.examples(page)), *re.findall(r"```text\n(.*?)```", text, re.S)])


#: Figures with a decimal that prose may quote without an example printing them: arithmetic
#: on published figures and published figures themselves, each with where it comes from.
NOT_PRINTED = {
    "87.5%": "three independent taps of 50%: 1 - 0.5^3",
    "9.8%": "EGFR-mutant lung adenocarcinoma, Kwon 2020",
    "0.1%": "the floor of a scored guess (lmbayes.guesses)",
    "99.9%": "the ceiling of a scored guess (lmbayes.guesses)",
    "3.8%": "lumbar punctures with a positive cytology, Rilinger 2026 (audit.md)",
}


@pytest.mark.parametrize("page", [p for p in PAGES if any(True for _ in make_examples.examples(p))], ids=lambda p: p.name)
def test_printed_percentages_quoted_in_prose_are_in_an_example(page):
    """A figure with a decimal and a percent sign is the tool's (the published ones are quoted
    as whole numbers or with their source): it must appear in an output of the same page, so
    that a change of the network that moves it fails here instead of drifting."""
    outputs = printed(page)
    quoted = set(re.findall(r"(?<![\w.])(\d+\.\d+%)", prose(page)))
    missing = sorted(q for q in quoted if q not in outputs and q not in NOT_PRINTED)
    assert not missing, f"{page.name} quotes {missing} in prose, printed by no example of the page"


def test_digests_in_the_docs_are_the_shipped_networks():
    from lmbayes import load_network, networks

    digests = {load_network(name).spec.digest for name in networks.available()}
    for page in PAGES:
        for digest in re.findall(r"\[([0-9a-f]{12})\]", page.read_text(encoding="utf-8")):
            assert digest in digests, f"{page.name} shows digest {digest}, not a shipped network's"


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


MODEL = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
TEACHING = (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8")
NETWORKS = (ROOT / "docs" / "networks.md").read_text(encoding="utf-8")


def test_model_parameter_table_matches_the_network(breast):
    def source(p):
        judgement = "**judgement**" if p.judgement else ""
        return " ".join(x for x in (", ".join(p.sources), judgement) if x)

    for path, p in breast.spec.parameters.items():
        row = f"| `{path}` | {p.value:g} | {p.low:g}–{p.high:g} | {source(p)} |"
        assert row in MODEL, row
    for s in breast.spec.settings.values():
        row = f"| setting `{s.name}` | {s.p_lm.value:g} | {s.p_lm.low:g}–{s.p_lm.high:g} | {source(s.p_lm)} |"
        assert row in MODEL, row


def test_readme_and_ci_use_the_same_commands():
    test_command = "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt '.[test]' && .venv/bin/pytest"
    assert test_command in README
    assert "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/lmbayes taps" in README
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert re.search(r"pip\"? install [^\n]*-c constraints\.txt '\.\[test\]'", ci), "CI must install as the README says"
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


def test_teaching_transcript_is_a_real_session(monkeypatch):
    """The ```text block after `<!-- transcript: COMMAND; typed: GUESSES -->`: every line, in
    order, is in the output of the same session ([...] marks what the excerpt leaves out)."""
    from click.testing import CliRunner

    from lmbayes.cli import _teach

    match = re.search(r"<!-- transcript: lmbayes (.*?); typed: (.*?) -->\n```text\n\$ lmbayes \1\n(.*?)```", TEACHING, re.S)
    assert match, "docs/teaching.md has a teaching transcript"
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


def test_case_file_example_checks_clean(runner, tmp_path):
    blocks = re.findall(r"```yaml\n(.*?)```", TEACHING, re.S)
    example = next(b for b in blocks if b.startswith("name: my_case"))
    path = tmp_path / "my_case.yaml"
    path.write_text(example, encoding="utf-8")
    assert runner.invoke(cli, ["case", "check", str(path)]).output == f"{path}: no problems\n"
    assert runner.invoke(cli, ["replay", str(path)]).exit_code == 0


def test_prose_figures_that_the_tool_computes_are_the_tools(breast, tmp_path):
    """Figures stated in prose that come from the tool, each checked against it."""
    from lmbayes._numbers import percent

    share = percent(breast.share_without_signs())
    assert f"{share} of this population has none of the" in MODEL
    assert f"In the file's population, {share} have none of the seven signs" in (ROOT / "docs" / "evidence.md").read_text(encoding="utf-8")


def test_the_command_reference_contents_link_every_command():
    contents = COMMANDS[COMMANDS.index("Contents:") : COMMANDS.index("\n## ")]
    for path in make_commands.command_paths()[1:]:
        anchor = "#" + path.replace(" ", "-")
        assert f"]({anchor})" in contents, f"docs/commands.md's contents do not link {path}"
