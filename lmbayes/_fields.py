"""Reading the fields of a network file: error locations and checked clinical numbers.

Shared by :mod:`lmbayes._loader` (the file's structure) and :mod:`lmbayes.kinds` (each node
kind's own fields).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from lmbayes._text import printable, shown
from lmbayes.errors import NetworkFileError
from lmbayes.spec import Parameter

__all__ = ["ID", "MAX_COUNT", "Where", "number", "parameter", "prose", "require", "states", "text", "whole"]

#: A snake_case id; ``\Z``, not ``$``, which would let a final newline through.
ID = re.compile(r"[a-z][a-z0-9_]*\Z")
#: The largest count of patients a file may give.
MAX_COUNT = 10**9
_PARAM_FIELDS = {"value", "range", "sources", "judgement", "note", "counts"}
#: What a multi-line text (a description, a note, a citation) may keep of the control characters.
_LINES = "\n\t"


class _LineFinder(Protocol):
    def find(self, node: str | None, field: str) -> int | None: ...


class Where:
    """Builds error messages that name the file, the line, the node and the field, and collects
    them so that a check can report every problem at once."""

    def __init__(self, file: str, node: str | None = None, lines: _LineFinder | None = None,
                 problems: list[NetworkFileError] | None = None) -> None:
        self.file, self.node, self.lines = file, node, lines
        self.problems = problems if problems is not None else []

    def at(self, node: str) -> Where:
        return Where(self.file, node, self.lines, self.problems)

    def error(self, field: str, problem: str) -> NetworkFileError:
        line = self.lines.find(self.node, field) if self.lines else None
        at_line = f", line {line}" if line else ""
        where = f"node '{printable(self.node)}', " if self.node else ""
        return NetworkFileError(f"{self.file}{at_line}: {where}field '{printable(field)}': {problem}")

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Record a problem raised inside and carry on with the rest of the file."""
        try:
            yield
        except NetworkFileError as exc:
            self.problems.append(exc)


def require(data: Mapping[str, Any], fields: tuple[str, ...], where: Where) -> None:
    for field in fields:
        if field not in data:
            raise where.error(field, "missing")


def text(data: Mapping[str, Any], field: str, where: Where, keep: str = "") -> str:
    """A required non-empty text, stripped, its control characters escaped (but ``keep``)."""
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise where.error(field, "expected a non-empty text")
    return printable(value.strip(), keep)


def prose(raw: Any, where: Where, field: str, lines: bool = False) -> str:
    """A free text (a label, a description, a note): text or a plain number, never a list, a
    mapping or a number too long to read; control characters escaped (newlines and tabs kept
    when ``lines``)."""
    if isinstance(raw, str):
        return printable(raw, _LINES if lines else "")
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
        return str(raw)
    raise where.error(field, f"expected a text, got {shown(raw)}")


def states(raw: Any, where: Where) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and ID.match(s) for s in raw):
        raise where.error("states", "expected a list of snake_case state names")
    if len(set(raw)) != len(raw):
        raise where.error("states", "duplicate state names")
    return tuple(raw)


def number(raw: Any, where: Where, field: str, low: float = 0.0, high: float = 1.0) -> float:
    """The one reader of a number from a file: finite and in ``[low, high]``.

    Text, true/false, nan, infinity and whole numbers too long to read
    (:class:`~lmbayes._yaml.LongNumber`) are refused with the file, the line and the field.
    """
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise where.error(field, f"expected a number from {low:g} to {high:g}, got {shown(raw)}")
    if not math.isfinite(raw):
        raise where.error(field, f"{raw} is not a finite number; expected one from {low:g} to {high:g}")
    if not low <= raw <= high:  # a whole number is compared before it becomes a float
        raise where.error(field, f"{float(raw):g} is outside [{low:g}, {high:g}]")
    return float(raw)


def whole(raw: Any, low: int, high: int) -> int | None:
    """``raw`` if it is a whole number from ``low`` to ``high``, else None (the caller words the
    error: a count and a number of taps are explained differently)."""
    if isinstance(raw, int) and not isinstance(raw, bool) and low <= raw <= high:
        return raw
    return None


def parameter(raw: Any, where: Where, field: str, source_keys: frozenset[str]) -> Parameter:
    if not isinstance(raw, dict):
        raise where.error(field, "expected {value: ..., range: [low, high], sources: [...]}")
    unknown = set(raw) - _PARAM_FIELDS
    if unknown:
        raise where.error(f"{field}.{sorted(unknown)[0]}", f"unknown field; expected {', '.join(sorted(_PARAM_FIELDS))}")
    if "value" not in raw:
        raise where.error(f"{field}.value", "missing")
    value = number(raw["value"], where, f"{field}.value")
    rng = raw.get("range")
    if not isinstance(rng, list) or len(rng) != 2:
        raise where.error(f"{field}.range", "expected [low, high]")
    low = number(rng[0], where, f"{field}.range")
    high = number(rng[1], where, f"{field}.range")
    if not low <= value <= high:
        raise where.error(f"{field}.range", f"the value {value:g} is outside its range [{low:g}, {high:g}]")
    sources = raw.get("sources", [])
    if not isinstance(sources, list) or not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in sources):
        raise where.error(f"{field}.sources", "expected a list of source keys")
    sources = [printable(str(k)) for k in sources]
    for key in sources:
        if key not in source_keys:
            raise where.error(f"{field}.sources", f"unknown source key '{key}'; add it to 'sources'")
    judgement = raw.get("judgement", False)
    if not isinstance(judgement, bool):
        raise where.error(f"{field}.judgement", "expected true or false")
    if not sources and not judgement:
        raise where.error(field, "cite a source key or flag it 'judgement: true'")
    counts = raw.get("counts")
    if counts is not None:
        if (
            not isinstance(counts, list)
            or len(counts) != 2
            or any(whole(c, 0, MAX_COUNT) is None for c in counts)
            or not 0 <= counts[0] <= counts[1]
            or counts[1] < 1
        ):
            raise where.error(
                f"{field}.counts",
                f"expected [events, total], whole numbers with 0 <= events <= total <= {MAX_COUNT:,}, got {shown(counts, 60)}",
            )
        if abs(counts[0] / counts[1] - value) > 0.01:
            raise where.error(
                f"{field}.counts",
                f"{counts[0]}/{counts[1]} = {counts[0] / counts[1]:.3f} does not match the value {value:g}",
            )
        counts = (counts[0], counts[1])
    return Parameter(
        value=value,
        low=low,
        high=high,
        sources=tuple(str(s) for s in sources),
        judgement=judgement,
        note=prose(raw.get("note", ""), where, f"{field}.note", lines=True),
        counts=counts,
    )


