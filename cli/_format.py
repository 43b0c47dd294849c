"""What every renderer shares: the width of text, the one JSON encoder, table columns for text
and CSV alike, the header of an output. No inference happens here.

The renderers themselves are grouped by family: :mod:`lmbayes.cli._format_query` (posterior,
taps, plan, sensitivity), :mod:`lmbayes.cli._format_network` (network show and nodes),
:mod:`lmbayes.cli._format_teaching` (explain, dependence), :mod:`lmbayes.cli._format_cohort`
(simulate, validate, fit) and :mod:`lmbayes.cli._teach` (replay and the lesson).
"""

from __future__ import annotations

import dataclasses
import os
import sys
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from lmbayes.findings import Findings
from lmbayes.spec import MAX_TAPS
from lmbayes.taps import percent
from lmbayes.technique import STANDARD, Technique

if TYPE_CHECKING:  # command-specific modules load only with their command
    from lmbayes.network import Network
    from lmbayes.review import Review
    from lmbayes.uncertainty import Draws, Interval

from lmbayes.cli._words import DISCLAIMER
#: Text fits this many columns, or the terminal's width where it is wider.
MIN_WIDTH = 80


def width() -> int:
    """The width text is fitted to: 80 columns, or the terminal's when wider (not a terminal: 80)."""
    if sys.stdout.isatty():
        # what shutil.get_terminal_size does, without loading bz2 and lzma at every start-up
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return max(MIN_WIDTH, int(columns))
        try:
            return max(MIN_WIDTH, os.get_terminal_size(sys.stdout.fileno()).columns)
        except (OSError, ValueError):
            return MIN_WIDTH
    return MIN_WIDTH


def colour() -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _style(text: str, fg: str) -> str:
    return click.style(text, fg=fg) if colour() else text


def review_lines(rv: Review | None) -> list[str]:
    """The EANO-ESMO level (with the line where it and P(LM) disagree) and each same-sample
    alert, wrapped; nothing for a network without taps."""
    if rv is None:
        return []
    level, *alerts = rv.lines()
    return [textwrap.fill(level, width()), *(_style(textwrap.fill(a, width()), "yellow") for a in alerts)]


def _fill(text: str, indent: str = "") -> str:
    """TEXT wrapped to the terminal, never inside a word: a file name stays whole (and can be
    copied), even one longer than the line."""
    return textwrap.fill(text, width(), subsequent_indent=indent, break_on_hyphens=False, break_long_words=False)
_BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(p: float, width: int = 20) -> str:
    """A horizontal bar of ``p`` in eighths of a character.

    >>> bar(0.5, 4)
    '██'
    >>> bar(0.3, 4)
    '█▎'
    """
    eighths = round(p * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[part] if part else "")


#: The version of every JSON output's layout, written first in each. 2: a tap's technique is
#: its token (``5ml+45min+lumbar``, as the command line takes it) instead of a sentence; plan
#: results carry ``another_cause`` and, with --uncertainty, ``straddles``.
SCHEMA_VERSION = 2


def _plain(value: Any) -> Any:
    """The one JSON encoding of library values: a result dataclass becomes its fields (and the
    properties it lists in ``json_extra``), a technique its token (:func:`technique_token`),
    findings as the command line takes them."""
    if isinstance(value, Technique):
        return technique_token(value)
    if isinstance(value, Findings):
        return written(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        data.update((name, getattr(value, name)) for name in getattr(value, "json_extra", ()))
        return data
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any) -> str:
    """Any result as JSON (:func:`_plain`); a top-level object starts with ``schema_version``."""
    import json  # only for --json

    if isinstance(data, Mapping):
        data = {"schema_version": SCHEMA_VERSION, **data}
    return json.dumps(data, indent=2, ensure_ascii=False, default=_plain)


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of a table, for text and CSV alike: its CSV name, its heading and width in
    text, how a row gives its value and how text writes that value (CSV writes the value)."""

    name: str
    heading: str
    width: int
    value: Callable[[Any], Any]
    text: Callable[[Any], str] = str
    left: bool = False

    def cell(self, row: Any) -> str:
        """The row's value as text, aligned in the column's width."""
        text = self.text(self.value(row))
        return f"{text:<{self.width}}" if self.left else f"{text:>{self.width}}"


def table_lines(columns: Sequence[Column], rows: Sequence[Any], gap: str = "  ") -> list[str]:
    """The heading and one line a row, each cell aligned in its column's width."""
    lines = [gap.join(f"{c.heading:<{c.width}}" if c.left else f"{c.heading:>{c.width}}" for c in columns)]
    for row in rows:
        lines.append(gap.join(c.cell(row) for c in columns))
    return lines


def table_csv(columns: Sequence[Column], rows: Sequence[Any]) -> str:
    """The same table as CSV: the columns' names, then each row's values at full precision."""
    return _csv([c.name for c in columns], [[c.value(row) for c in columns] for row in rows])


def technique_token(technique: Technique) -> str:
    """A technique as the command line writes it after a result (``5ml+45min+cisternal``).

    >>> technique_token(Technique(volume_ml=5, delay_min=45, site="cisternal", away=True))
    '5ml+45min+cisternal+away'
    """
    if technique.usual:
        return "usual"
    if technique == STANDARD:
        return "standard"
    parts = []
    if technique.volume_ml is not None:
        parts.append(f"{technique.volume_ml:g}ml")
    if technique.delay_min is not None:
        parts.append(f"{technique.delay_min:g}min")
    parts.append(technique.site)
    if technique.away:
        parts.append("away")
    return "+".join(parts)


def written(findings: Findings | Mapping[str, str]) -> dict[str, str]:
    """The findings as the command line takes them: a finished tap's technique after ``@``, so
    that an output carries everything needed to reproduce it."""
    techniques = findings.techniques if isinstance(findings, Findings) else {}
    return {n: f"{s}@{technique_token(techniques[n])}" if n in techniques else s for n, s in findings.items()}


def _findings_line(findings: Findings | Mapping[str, str]) -> str:
    text = ", ".join(f"{n}={s}" for n, s in written(findings).items())
    return f"Findings: {text or 'none'}"


def header(net: Network, findings: Findings | Mapping[str, str]) -> list[str]:
    if net.imported:
        return [f"Network: {net.label} ({net.spec.title}).", DISCLAIMER, textwrap.fill(_findings_line(findings), width(), subsequent_indent="  ")]
    prior = f"pre-test setting '{net.setting}'" if net.setting else (
        f"pre-test P(LM) {percent(net.pretest)}" if net.pretest is not None else "prior from the network file"
    )
    return [
        textwrap.fill(f"Network: {net.identity} ({net.spec.title}); {prior}.", width(), subsequent_indent="  "),
        DISCLAIMER,
        textwrap.fill(_findings_line(findings), width(), subsequent_indent="  "),
    ]


def _interval(i: Interval) -> str:
    return f"{percent(i.low)}-{percent(i.high)}"


def _median_interval(i: Interval) -> str:
    """The median and the 95% interval of a probability over the draws.

    >>> from lmbayes.uncertainty import Interval
    >>> _median_interval(Interval(0.12, 0.023, 0.509))
    '12.0% (2.3%-50.9%)'
    """
    return f"{percent(i.median)} ({_interval(i)})"


def network_json(net: Network) -> dict[str, Any]:
    """The keys that name the network in every JSON output."""
    return {"network": net.label, "network_version": net.spec.version, "network_digest": net.spec.digest}


def _draws_line(draws: Draws, seed: int) -> str:
    return _fill(
        f"Uncertainty: {draws.n:,} draws of every parameter (seed {seed}); "
        f"{100 * draws.acceptance:.0f}% of cytology draws reproducible by a tumour-burden model."
    )


def _draws_json(draws: Draws, seed: int) -> dict[str, Any]:
    return {"draws": draws.n, "seed": seed, "acceptance": draws.acceptance}


def _ratio(lr: float | None) -> str:
    return f"{lr:.2f}" if lr is not None else "-"


def _all_taps_done(n_taps: int) -> str:
    """The one sentence taps, plan and dependence print when every modelled tap is done."""
    return _fill(f"All {n_taps} modelled taps are done; model more with --max-taps (up to {MAX_TAPS}).")


def _points(change: float) -> str:
    """A change in percentage points, with more digits when it is small.

    >>> _points(-0.0868), _points(-0.00031)
    ('-8.7 pts', '-0.03 pts')
    """
    digits = 1 if abs(change) >= 0.001 else 2
    return f"{100 * change:+.{digits}f} pts"


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table as CSV for a spreadsheet: probabilities as numbers (0 to 1), full precision."""
    import csv
    import io

    from lmbayes._text import spreadsheet_cell

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([map(spreadsheet_cell, row) for row in rows])
    return out.getvalue().rstrip("\n")
