"""Replay every console example of the README and docs/, and rewrite their outputs.

    python docs/make_examples.py            # after a change that moves a printed number
    python docs/make_examples.py --check    # exit 1 if an example's output is out of date

A console example is a ```console block whose first line is `$ lmbayes ...` (continued with
a trailing backslash); everything after the command is its output. Each command runs in an
empty temporary folder (an example that writes a file writes it there), through click's test
runner, as tests/test_docs.py runs it. Only the outputs are rewritten: read the diff before
committing it, because prose around a block may quote a figure that moved.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

BLOCK = re.compile(r"```console\n(.*?)```", re.S)


def pages() -> list[Path]:
    """The README and every page of docs/, in a fixed order."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def parse(block: str) -> tuple[str, list[str], str]:
    """(the command after `$ lmbayes `, the command's lines as written, the expected output)."""
    lines = block.splitlines()
    written = [lines.pop(0)]
    while written[-1].endswith("\\"):
        written.append(lines.pop(0))
    command = " ".join(line[:-1] if line.endswith("\\") else line for line in written)
    if not command.startswith("$ lmbayes "):
        raise ValueError(f"a console block must start with `$ lmbayes `: {written[0]!r}")
    return command[len("$ lmbayes ") :], written, "\n".join(lines) + "\n"


def examples(page: Path) -> Iterator[tuple[str, str]]:
    """(command, expected output) for each console block of PAGE."""
    for m in BLOCK.finditer(page.read_text(encoding="utf-8")):
        command, _, expected = parse(m[1])
        yield command, expected


def run(command: str) -> str:
    """The output of `lmbayes COMMAND`, run in an empty temporary folder."""
    from click.testing import CliRunner

    from lmbayes.cli.main import cli

    here = os.getcwd()
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        try:
            return CliRunner().invoke(cli, shlex.split(command)).output
        finally:
            os.chdir(here)


def render(text: str) -> str:
    """TEXT with the output of every console block replaced by the command's real output."""

    def replay(m: re.Match[str]) -> str:
        command, written, _ = parse(m[1])
        return "```console\n" + "\n".join(written) + "\n" + run(command) + "```"

    return BLOCK.sub(replay, text)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for page in pages():
        text = page.read_text(encoding="utf-8")
        new = render(text)
        if new != text:
            stale.append(page.relative_to(ROOT))
            if not check:
                page.write_text(new, encoding="utf-8")
    verb = "out of date" if check else "rewritten"
    for page in stale:
        print(f"{page}: {verb}")
    return 1 if check and stale else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
