"""Text fitted to a narrow terminal: prose is wrapped by the renderers at :func:`width`; a table
wider than the terminal is cut here between its columns, and a line of prose a renderer left whole is
wrapped here, never inside a word.

A table is a run of lines laid out in columns (two spaces between cells). Where a row is wider
than the terminal, the table is split at the last column boundary that fits: the columns after
it follow as a second table below, led by the first column again (the row's key), as pandas
prints a wide frame. A table with no such boundary has each row too wide folded between its
cells. A word longer than the line (a file name) is left whole for the terminal to wrap.
"""

from __future__ import annotations

import re
import textwrap
from typing import Any

import click

_CELL_GAP = re.compile(r"\S  +\S")


def _in_table(line: str) -> bool:
    return _CELL_GAP.search(line) is not None


def fit(text: str, cols: int) -> str:
    """``text`` with every table wider than ``cols`` split between its columns.

    >>> print(fit("key  alpha  beta  gamma\\n  1     10    20     30", 16))
    key  alpha  beta
      1     10    20
    <BLANKLINE>
    key  gamma
      1     30
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if not _in_table(lines[i]):
            out += _wrap(lines[i], cols)
            i += 1
            continue
        j = i
        while j < len(lines) and _in_table(lines[j]):
            j += 1
        out += _split(lines[i:j], cols)
        i = j
    return "\n".join(out)


def _wrap(line: str, cols: int) -> list[str]:
    """A line of prose wider than ``cols`` wrapped between words, its indentation kept (and
    two more on the lines after the first); a word longer than the line stays whole."""
    if len(line) <= cols or len(line.split()) < 2:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    return textwrap.wrap(line.strip(), cols, initial_indent=indent, subsequent_indent=indent + "  ",
                         break_long_words=False, break_on_hyphens=False) or [line]


def _split(block: list[str], cols: int) -> list[str]:
    """A table's lines, split into tables no wider than ``cols`` where a column boundary allows."""
    if max(map(len, block)) <= cols:
        return block
    wide = max(map(len, block))

    def gap(p: int) -> bool:
        return all(p >= len(line) or line[p] == " " for line in block)

    # the first column: up to the first boundary after some text in every line
    key = next((p for p in range(1, wide) if gap(p) and all(line[:p].strip() for line in block if line.strip())), 0)
    # the last boundary (two blank columns: not the single space inside a heading) that fits
    cut = next((p for p in range(min(cols + 1, wide - 1), key, -1) if gap(p) and gap(p - 1)), None)
    if not key or cut is None or cut <= key + 1:
        return [folded for line in block for folded in _fold(line, cols)]
    first = [line[:cut].rstrip() for line in block]
    rest = [(line[:key] + " " + line[cut:]).rstrip() for line in block]
    return [*first, "", *_split(rest, cols)]


def _fold(line: str, cols: int) -> list[str]:
    """A table row no column cut can fit, folded between its cells (two spaces apart), the
    cells after the first line indented under the row's own indentation."""
    if len(line) <= cols:
        return [line]
    indent = line[: len(line) - len(line.lstrip())]
    cells = re.split(r"(?<=\S)  +(?=\S)", line.strip())
    lines, current = [], indent + cells[0]
    for cell in cells[1:]:
        if len(current) + 2 + len(cell) <= cols:
            current += "  " + cell
        else:
            lines.append(current)
            current = indent + "    " + cell
    return [*lines, current]


def wrap(text: str, width: int = 70, **options: Any) -> list[str]:
    """:func:`textwrap.wrap`, but a word longer than the line stays whole (a node id, a file
    name): the renderers wrap with this, so a narrow terminal never cuts a word."""
    options.setdefault("break_long_words", False)
    return textwrap.wrap(text, width, **options)


def fill(text: str, width: int = 70, **options: Any) -> str:
    """:func:`textwrap.fill`, a word longer than the line kept whole (see :func:`wrap`)."""
    return "\n".join(wrap(text, width, **options))


def echo_text(text: str, cols: int) -> None:
    """Print a command's text output fitted to ``cols`` columns (the terminal's)."""
    click.echo(fit(text, cols))
