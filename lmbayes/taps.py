"""The tap table: how each additional lumbar puncture would move P(LM).

For findings ``E`` with ``t`` taps done and each further tap ``k = t+1 .. N``, with
``N_k`` = "taps ``t+1 .. k-1`` negative":

* ``p_positive = P(tap k positive | E, N_k)``;
* ``p_lm_if_positive = P(LM | E, N_k, tap k positive)``;
* ``p_lm_if_negative = P(LM | E, N_k, tap k negative)``;
* ``likelihood_ratio = P(tap k negative | LM, E, N_k) / P(tap k negative | no LM, E, N_k)``,
  the odds multiplier that negative tap applied given everything before it;
* ``p_lm_if_negative_independent``: the naive chain, odds(P(LM | E)) times
  ``LR1 ** (k - t)``, where ``LR1`` is the single-tap likelihood ratio of a negative result.
  Treating taps as independent ignores that a patient who sheds few cells does so on every
  tap, so it overstates what repeated negatives rule out.

``floor`` is P(LM) after infinitely many negative taps: LM patients who do not shed stay
indistinguishable from patients without LM,

.. math:: \\text{floor} = \\frac{P(LM, \\text{no shedding} \\mid E)}
                               {P(LM, \\text{no shedding} \\mid E) + P(\\text{no LM} \\mid E)} .
"""

from __future__ import annotations

from dataclasses import dataclass

from lmbayes._numbers import about_zero, percent
from lmbayes.spec import MAX_TAPS

__all__ = ["TapStep", "TapTable", "apply_likelihood_ratio", "percent"]


def apply_likelihood_ratio(p: float, lr: float, times: int = 1) -> float:
    """Multiply the odds of ``p`` by ``lr ** times``; 0 and 1 stay put.

    >>> apply_likelihood_ratio(0.5, 0.5, 2)
    0.2
    """
    if p <= 0.0 or p >= 1.0:
        return p
    odds = p / (1.0 - p) * lr**times
    return odds / (1.0 + odds)


@dataclass(frozen=True)
class TapStep:
    """One further tap, given that every tap before it (after those done) is negative."""

    tap: int
    p_positive: float
    p_lm_if_positive: float
    p_lm_if_negative: float
    change: float
    likelihood_ratio: float | None
    p_lm_if_negative_independent: float


@dataclass(frozen=True)
class TapTable:
    """P(LM) now and after each further tap; see the module docstring for the columns."""

    prior: float
    current: float
    taps_done: int
    n_taps: int
    single_tap_lr: float
    floor: float
    steps: tuple[TapStep, ...]
    #: the analyses sent from every further tap beside cytology
    analyses: tuple[str, ...] = ()

    def __str__(self) -> str:
        """The table of :meth:`_repr_html_` as plain text (``print`` shows it)."""
        from lmbayes._html import text

        return text(self._repr_html_())

    def _repr_html_(self) -> str:
        from lmbayes._html import taps_html

        return taps_html(self)

    def summary(self) -> str:
        """One plain sentence: how far more negative taps take P(LM), and when they stop mattering."""
        if self.current in (0.0, 1.0):
            return f"The findings fix P(LM) at {percent(self.current)}: further taps cannot change it."
        if self.steps and max(abs(s.change) for s in self.steps) < 0.0005:
            return (
                f"Further negative taps change P(LM) by less than 0.05 points: it stays at "
                f"{percent(self.current)}."
            )
        if not self.steps:
            return f"All {self.n_taps} modelled taps are done; model more taps (up to {MAX_TAPS}) to see further ones."
        # the first step after which every further tap changes P(LM) by less than a point
        useful = len(self.steps)
        while useful > 1 and all(abs(s.change) < 0.01 for s in self.steps[useful - 1 :]):
            useful -= 1
        last = self.steps[useful - 1]
        taps = "tap" if useful == 1 else "taps"
        text = (
            f"After {useful} more negative {taps} P(LM) falls from {percent(self.current)} "
            f"to {percent(last.p_lm_if_negative)}"
        )
        if useful < len(self.steps):
            text += "; each further tap changes it by less than 1 point"
        text += f". Independent taps would claim {percent(last.p_lm_if_negative_independent)}"
        if about_zero(self.floor):  # no floor worth a sentence
            return text + "."
        text += (
            f"; however many taps are negative, P(LM) stays above {percent(self.floor)} "
            + ("(patients whose every reading can stay negative)." if self.analyses else "(patients who shed no cells).")
        )
        return text
