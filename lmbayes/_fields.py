"""Reading the fields of a network file: error locations and checked clinical numbers.

Shared by :mod:`lmbayes._loader` (the file's structure) and :mod:`lmbayes.kinds` (each node
kind's own fields).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

from lmbayes.errors import NetworkFileError
from lmbayes.spec import Parameter

__all__ = ["ID", "Where", "number", "parameter", "require", "states", "text"]

ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_FIELDS = {"value", "range", "sources", "judgement", "note", "counts"}


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
        where = f"node '{self.node}', " if self.node else ""
        return NetworkFileError(f"{self.file}{at_line}: {where}field '{field}': {problem}")

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


def text(data: Mapping[str, Any], field: str, where: Where) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise where.error(field, "expected a non-empty text")
    return value.strip()


def states(raw: Any, where: Where) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and ID.match(s) for s in raw):
        raise where.error("states", "expected a list of snake_case state names")
    if len(set(raw)) != len(raw):
        raise where.error("states", "duplicate state names")
    return tuple(raw)


def number(raw: Any, where: Where, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise where.error(field, f"expected a number, got {raw!r}")
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise where.error(field, f"{value:g} is outside [0, 1]")
    return value


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
    if not isinstance(sources, list):
        raise where.error(f"{field}.sources", "expected a list of source keys")
    for key in sources:
        if str(key) not in source_keys:
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
            or not all(isinstance(c, int) and not isinstance(c, bool) for c in counts)
            or not 0 <= counts[0] <= counts[1]
            or counts[1] < 1
        ):
            raise where.error(f"{field}.counts", "expected [events, total], whole numbers with 0 <= events <= total")
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
        note=str(raw.get("note", "")),
        counts=counts,
    )


