"""Evidence: findings as numbers, one row per patient, with the two checks every reader of
findings makes.

A :class:`Evidence` value holds columns (node ids), integer rows (``rows[b, j]`` is patient
``b``'s state index of ``columns[j]``, ``-1`` where not recorded) and the techniques of the taps
that state one. One patient's :class:`~lmbayes.findings.Findings` gives a one-row value
(:meth:`Findings.evidence <lmbayes.findings.Findings.evidence>`); a cohort file gives an n-row
one (:attr:`lmbayes.cohort.Cohort.evidence`). Both are checked by the same two functions:

* :meth:`Evidence.tap_gap`: taps are counted in order, so a row with a reading of tap ``k``
  has one of every earlier tap;
* :meth:`Evidence.impossible` and :meth:`Evidence.conflict`: the rows whose findings cannot
  occur together under the network (probability 0), and for one row the smallest set of its
  findings that cannot.

The callers word the messages (a finding's name for one patient, a line of the file for a
cohort).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lmbayes.engine import Engine
    from lmbayes.spec import NetworkSpec
    from lmbayes.technique import Technique

__all__ = ["MISSING", "Evidence"]

#: A finding not recorded.
MISSING = -1


@dataclass(frozen=True)
class Evidence:
    """Findings as state indices, one row per patient (module docstring)."""

    columns: tuple[str, ...]
    rows: np.ndarray
    techniques: Mapping[str, Technique] = field(default_factory=lambda: MappingProxyType({}))

    def tap_gap(self, spec: NetworkSpec) -> tuple[int, int, int] | None:
        """The first row with a tap recorded after one that is not: ``(row, the last tap
        recorded, the first earlier tap missing)``, or None when every row is in order."""
        tap_of = {n.id: n.tap for n in spec.nodes if n.tap}
        present = np.zeros((len(self.rows), spec.n_taps + 1), dtype=bool)
        for j, column in enumerate(self.columns):
            if column in tap_of:
                present[:, tap_of[column]] |= self.rows[:, j] >= 0
        done = self.taps_done(spec)
        gap = (np.arange(spec.n_taps + 1)[None, :] < done[:, None]) & ~present
        gap[:, 0] = False
        if not gap.any():
            return None
        row, missing = np.argwhere(gap)[0]
        return int(row), int(done[row]), int(missing)

    def taps_done(self, spec: NetworkSpec) -> np.ndarray:
        """The number of taps of each row: its last tap with any reading recorded."""
        tap_of = {n.id: n.tap for n in spec.nodes if n.tap}
        done = np.zeros(len(self.rows), dtype=int)
        for j, column in enumerate(self.columns):
            k = tap_of.get(column, 0)
            if k:
                done = np.where(self.rows[:, j] >= 0, np.maximum(done, k), done)
        return done

    def probability(self, engine: Engine) -> np.ndarray:
        """``P(findings of row b)`` for every row, in one contraction over the rows."""
        return engine.joint_rows((), self.columns, self.rows)

    def impossible(self, engine: Engine) -> np.ndarray:
        """The rows whose findings cannot occur together under the network (probability 0)."""
        return np.flatnonzero(~(self.probability(engine) > 0.0))

    def conflict(self, engine: Engine, row: int = 0) -> tuple[str, ...]:
        """A smallest set of row ``row``'s findings that cannot occur together: each finding in
        turn is left out when the rest stay impossible without it (one contraction each)."""
        kept = [j for j in range(len(self.columns)) if self.rows[row, j] >= 0]
        for j in list(kept):
            trial = [k for k in kept if k != j]
            evidence = {self.columns[k]: int(self.rows[row, k]) for k in trial}
            if engine.probability(evidence) == 0.0:
                kept = trial
        return tuple(self.columns[k] for k in kept)
