"""Narrow terminals (issue 28): prose and tables rewrap to the terminal's width, never inside
a word. `lmbayes taps --csf neg` in a 60-column window must not split "metastasis"."""

from __future__ import annotations

import os
import sys

import pytest
from click.testing import CliRunner

from lmbayes.cli import _format
from lmbayes.cli.main import cli

COMMANDS = [
    ["taps", "--csf", "neg"],
    ["taps", "--with", "ctc", "-e", "systemic_status=active_recurrence"],
    ["posterior", "-e", "cranial_nerve_palsy=present", "-e", "limb_weakness=present"],
    ["plan", "--csf", "neg"],
    ["explain", "-e", "mri=typical_enhancement", "--csf", "neg,neg"],
    ["dependence", "-e", "mri=typical_enhancement"],
    ["sensitivity", "--top", "5"],
    ["simulate", "--patients", "2000", "--compare", "mri+2taps"],
    ["network", "show", "--network", "lung"],
]


def _words(text: str) -> set[str]:
    """The words with a letter in them (bars scale with the width), a line break after a hyphen
    joined (a break there is not inside a word)."""
    import re

    return {w for w in re.sub(r"(?<=[A-Za-z])-\n\s*", "-", text).split() if any(c.isalpha() for c in w)}


def at(monkeypatch, cols: int, args: list[str]) -> str:
    monkeypatch.setattr(_format, "width", lambda: cols)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return result.stdout


@pytest.mark.parametrize("cols", [60, 40])
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_text_fits_a_narrow_terminal_without_breaking_words(monkeypatch, args, cols):
    wide = _words(at(monkeypatch, 80, args))
    narrow = at(monkeypatch, cols, args)
    too_long = [line for line in narrow.splitlines() if len(line) > cols and len(line.split()) > 1]
    assert too_long == []
    broken = {w for w in _words(narrow) - wide if not w.endswith("…")}  # a renderer's cut label ends with …
    assert broken == set()


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_taps_in_a_60_column_terminal_keeps_metastasis_whole():
    """The issue's own words: a real pseudo-terminal, COLUMNS=60."""
    import pty

    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execve(sys.executable, [sys.executable, "-m", "lmbayes", "taps", "--csf", "neg"],
                      {**os.environ, "COLUMNS": "60", "NO_COLOR": "1"})
        finally:
            os._exit(127)
    out = b""
    while True:
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    text = out.decode().replace("\r\n", "\n")
    assert os.WEXITSTATUS(status) == 0, text
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "metastasis" in text and "metastasi\n" not in text
    assert "if independent" in text  # the table's last column, in a second block
