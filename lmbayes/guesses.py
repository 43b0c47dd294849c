"""Guesses of P(LM), a class's spread, and how close they come to a reference.

A guess is a percentage (``30``, ``30%``, ``12.5``), kept as a probability; an empty guess is
no guess. A class's guesses come as CSV: one row per student, one column per step of the case,
an optional header row (a row with no number in it) and empty cells for steps not guessed.

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
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lmbayes._text import decimal, read_file, shown
from lmbayes.errors import InputError

__all__ = ["CERTAIN_AS", "ClassGuesses", "Score", "Spread", "parse_guess", "read_class_guesses", "score"]

#: A guess of 0% is scored as this, 100% as one minus this (see the module docstring).
CERTAIN_AS = 0.001


def parse_guess(text: str) -> float | None:
    """A percentage as a probability; None for an empty text. An :class:`InputError` for
    anything but a number from 0 to 100 (a trailing ``%`` allowed).

    >>> parse_guess("30"), parse_guess(" 12.5 % "), parse_guess("")
    (0.3, 0.125, None)
    """
    text = text.strip()
    if not text:
        return None
    number = text[:-1].strip() if text.endswith("%") else text
    read = decimal(number)  # not float(): it reads 1_0 as 10
    value = math.nan if read is None else read
    if not 0.0 <= value <= 100.0:  # NaN fails too
        raise InputError(f"{shown(text)} is not a percentage: give a number from 0 to 100, e.g. 30")
    return value / 100.0


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
class ClassGuesses:
    """A class's guesses: one tuple per student, one entry per step (None: not guessed)."""

    source: str
    students: tuple[tuple[float | None, ...], ...]

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
    """A class's guesses from CSV (module docstring), checked to have ``steps`` columns; every
    problem names the file, the line and the column."""
    name = Path(path).name
    try:
        text = read_file(path).decode("utf-8-sig").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{name}: cannot read the guesses ({exc})") from None
    try:
        rows = list(csv.reader(text.split("\n")))  # not splitlines(): a form feed is no line end
    except csv.Error as exc:
        raise InputError(f"{name}: not CSV ({exc})") from None
    students = []
    for line, row in enumerate(rows, start=1):
        if not any(cell.strip() for cell in row):
            continue  # blank line
        if line == 1 and not any(_is_number(cell) for cell in row):
            continue  # a header row
        if len(row) != steps:
            raise InputError(
                f"{name}, line {line}: {len(row)} column{'s' if len(row) != 1 else ''}, expected {steps} "
                "(one per step of the case, separated by commas; leave a cell empty for a step not guessed)"
            )
        guesses = []
        for column, cell in enumerate(row, start=1):
            try:
                guesses.append(parse_guess(cell))
            except InputError as exc:
                raise InputError(f"{name}, line {line}, column {column}: {exc}") from None
        students.append(tuple(guesses))
    if not students:
        raise InputError(f"{name}: no guesses (one row per student, one column per step)")
    return ClassGuesses(str(path), tuple(students))


def _is_number(cell: str) -> bool:
    return decimal(cell.strip().rstrip("%")) is not None
