"""Guesses of P(LM), a class's spread, and how close they come to a reference.

A guess is a percentage (``30``, ``30%``, ``12.5``, ``12,5``), kept as a probability; an empty
guess is no guess. A number is digits with at most one decimal point or comma: ``1_0``, ``1e1``
and ``0x10`` are not numbers here, though Python's ``float`` reads them.

A class's guesses come as a spreadsheet saves them: CSV separated by commas, or by semicolons
(where the comma is the decimal mark) or tabs; one row per student, one column per step of the
case, empty cells for steps not guessed. Optional: a header row (a row with no number in it, or
the step numbers 1, 2, ... after a first cell), and a first column of students' names (a first
column with no number in it), which then name the students in the scores. A file whose guesses
are all at most 1, none written with ``%``, holds fractions (0.6 is 60%), and says so in its
:attr:`ClassGuesses.note`.

**Scores against a reference.** The reference ``p_k`` (the network's P(LM) after step ``k``,
or the naive chain's) is taken as the probability that LM is present; a guess ``q_k`` is
scored by how much worse its expected score is than the reference's own, averaged over the
steps guessed. For the Brier score the expected score is ``(q - p)^2 + p(1 - p)``, so the
excess is

.. math:: \\text{Brier} = \\frac{1}{n} \\sum_k (q_k - p_k)^2 ;

for the logarithmic score it is the Kullback-Leibler divergence, in bits,

.. math:: \\text{log score} = \\frac{1}{n} \\sum_k p_k \\log_2 \\frac{p_k}{q_k}
          + (1 - p_k) \\log_2 \\frac{1 - p_k}{1 - q_k} .

Both are 0 for guesses equal to the reference and grow as they move away. A guess of 0% or
100% is scored as :data:`CERTAIN_AS` or ``1 - CERTAIN_AS``, so that a certain guess against an
uncertain reference costs much but not infinitely.
"""

from __future__ import annotations

import csv
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lmbayes._text import shown
from lmbayes.errors import InputError

__all__ = ["CERTAIN_AS", "ClassGuesses", "Score", "Spread", "StudentScore", "parse_guess", "read_class_guesses", "score"]

#: A guess of 0% is scored as this, 100% as one minus this (see the module docstring).
CERTAIN_AS = 0.001


def parse_guess(text: str) -> float | None:
    """A percentage as a probability; None for an empty text. An :class:`InputError` for
    anything but a number from 0 to 100 (a trailing ``%`` allowed; the decimal mark a point or
    a comma).

    >>> parse_guess("30"), parse_guess(" 12.5 % "), parse_guess("12,5"), parse_guess("")
    (0.3, 0.125, 0.125, None)
    """
    read = _number(text)
    if read is None:
        return None
    value, _ = read
    if not 0.0 <= value <= 100.0:
        raise InputError(f"{shown(text.strip())} is not a percentage: give a number from 0 to 100, e.g. 30")
    return value / 100.0


def shown_guess(guess: float) -> str:
    """A guess in %, as it was typed: ``0.6%`` stays ``0.6%`` and ``30`` is ``30%``.

    >>> shown_guess(0.006), shown_guess(0.3), shown_guess(0.125)
    ('0.6%', '30%', '12.5%')
    """
    return f"{100 * guess:.6g}%"


#: A number as a person types it: digits, at most one decimal point or comma.
_NUMBER = re.compile(r"(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def _number(text: str) -> tuple[float, bool] | None:
    """``(the number as written, whether a % followed it)``; None for an empty text; an
    :class:`InputError` for anything but a number (module docstring)."""
    text = text.strip()
    if not text:
        return None
    percent = text.endswith("%")
    number = text[:-1].strip() if percent else text
    if _NUMBER.fullmatch(number) is None:
        raise InputError(f"{shown(text)} is not a percentage: give a number from 0 to 100, e.g. 30")
    return float(number.replace(",", ".")), percent


@dataclass(frozen=True)
class Score:
    """Brier score and log score (bits) of guesses against a reference, over ``steps`` guessed
    steps (module docstring)."""

    brier: float
    log_score: float
    steps: int


def score(guesses: Sequence[float | None], reference: Sequence[float]) -> Score | None:
    """The guesses scored against the reference, step by step (None where nothing was guessed)."""
    pairs = [(q, p) for q, p in zip(guesses, reference) if q is not None]
    if not pairs:
        return None
    brier = sum((q - p) ** 2 for q, p in pairs) / len(pairs)
    return Score(brier, max(0.0, sum(_divergence(p, q) for q, p in pairs) / len(pairs)), len(pairs))


def _divergence(p: float, q: float) -> float:
    """``KL(p || q)`` in bits for two Bernoulli probabilities, ``q`` kept off 0 and 1."""
    q = min(max(q, CERTAIN_AS), 1.0 - CERTAIN_AS)
    return sum(a * math.log2(a / b) for a, b in ((p, q), (1.0 - p, 1.0 - q)) if a > 0)


@dataclass(frozen=True)
class Spread:
    """The class's guesses of one step: median, lowest, highest and how many guessed."""

    median: float
    low: float
    high: float
    n: int


@dataclass(frozen=True)
class StudentScore:
    """One student's guesses scored against the network and against the naive chain."""

    name: str
    vs_network: Score | None
    vs_fagan: Score | None


@dataclass(frozen=True)
class ClassGuesses:
    """A class's guesses: one tuple per student, one entry per step (None: not guessed).

    ``names`` are the students' names when the file has a column of them (else empty);
    ``note`` says how the file was read when that is not the usual way (fractions)."""

    source: str
    students: tuple[tuple[float | None, ...], ...]
    names: tuple[str, ...] = ()
    note: str | None = None

    def scores(self, network: Sequence[float], fagan: Sequence[float]) -> tuple[StudentScore, ...]:
        """Each named student's scores against the network and the naive chain (none when the
        file names no students)."""
        return tuple(
            StudentScore(name, score(guesses, network), score(guesses, fagan))
            for name, guesses in zip(self.names, self.students)
        )

    @property
    def spread(self) -> tuple[Spread | None, ...]:
        """Per step, the spread of the guesses (None where no student guessed)."""
        result = []
        for column in zip(*self.students):
            given = [q for q in column if q is not None]
            result.append(Spread(statistics.median(given), min(given), max(given), len(given)) if given else None)
        return tuple(result)

    @property
    def median(self) -> tuple[float | None, ...]:
        """The class's median guess of each step."""
        return tuple(s.median if s is not None else None for s in self.spread)

    def closer_to(self, first: Sequence[float], second: Sequence[float]) -> int:
        """How many students' guesses have a lower Brier score against ``first`` than against
        ``second`` (students with no guess are not counted)."""
        count = 0
        for guesses in self.students:
            a, b = score(guesses, first), score(guesses, second)
            count += a is not None and b is not None and a.brier < b.brier
        return count


def read_class_guesses(path: str | Path, steps: int) -> ClassGuesses:
    """A class's guesses from a CSV file (module docstring), checked to have ``steps`` columns
    of guesses; every problem names the file, the line and the column."""
    name = Path(path).name
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: cannot read the guesses ({exc})") from None
    separator = _separator(text)
    try:
        rows = [(line, row) for line, row in enumerate(csv.reader(text.splitlines(), delimiter=separator), start=1)
                if any(cell.strip() for cell in row)]
    except csv.Error as exc:
        raise InputError(f"{name}: not CSV ({exc})") from None
    if rows and _is_header(rows[0][1]):
        rows = rows[1:]
    named = _named(rows, steps)
    said = {",": "commas", ";": "semicolons", "\t": "tabs"}[separator]
    students: list[tuple[float | None, ...]] = []
    names: list[str] = []
    read: list[list[tuple[float, bool] | None]] = []
    for line, row in rows:
        cells = row[1:] if named else row
        if len(cells) != steps:
            first = "a name and " if named else ""
            raise InputError(
                f"{name}, line {line}: {len(row)} column{'s' if len(row) != 1 else ''}, expected {steps + named} "
                f"({first}one per step of the case, separated by {said}; leave a cell empty for a step not guessed)"
            )
        numbers = []
        for column, cell in enumerate(cells, start=1 + named):
            try:
                number = _number(cell)
                if number is not None and not 0.0 <= number[0] <= 100.0:
                    raise InputError(f"{shown(cell.strip())} is not a percentage: give a number from 0 to 100, e.g. 30")
            except InputError as exc:
                raise InputError(f"{name}, line {line}, column {column}: {exc}") from None
            numbers.append(number)
        read.append(numbers)
        names.append(row[0].strip() or f"student {len(names) + 1}")
    if not read:
        raise InputError(f"{name}: no guesses (one row per student, one column per step)")
    given = [n for numbers in read for n in numbers if n is not None]
    fractions = bool(given) and not any(percent for _, percent in given) and max(v for v, _ in given) <= 1.0
    scale = 1.0 if fractions else 100.0
    for numbers in read:
        students.append(tuple(None if n is None else n[0] / scale for n in numbers))
    note = (f"{name}: every guess is at most 1, so the guesses are read as fractions (0.6 is 60%); "
            "write 0.6% for less than one percent") if fractions else None
    return ClassGuesses(str(path), tuple(students), tuple(names) if named else (), note)


def _separator(text: str) -> str:
    """The separator of a spreadsheet's CSV: semicolons or tabs where the lines have them."""
    lines = [line for line in text.splitlines() if line.strip()]
    for separator in (";", "\t"):
        if lines and all(separator in line for line in lines):
            return separator
    return ","


def _is_number(cell: str) -> bool:
    try:
        return _number(cell) is not None
    except InputError:
        return False


def _is_header(row: list[str]) -> bool:
    """A row of titles: no number in it, or the step numbers 1, 2, ... after a first cell."""
    numbers = [cell.strip() for cell in row if _is_number(cell)]
    return not numbers or (not _is_number(row[0]) and numbers == [str(k) for k in range(1, len(numbers) + 1)])


def _named(rows: list[tuple[int, list[str]]], steps: int) -> bool:
    """Whether the first column names the students: no number in it, and the rows are not all
    exactly one column per step (then the first column is a step's, and a word in it a mistake)."""
    return (
        bool(rows)
        and not any(_is_number(row[0]) for _, row in rows)
        and any(row[0].strip() for _, row in rows)
        and not all(len(row) == steps for _, row in rows)
    )
