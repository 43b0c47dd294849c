"""The tap table: how each additional lumbar puncture would move P(LM).

For findings ``E`` with ``t`` taps done and each further tap ``k = t+1 .. N``, with
``N_k`` = "taps ``t+1 .. k-1`` negative":

* ``p_positive = P(tap k positive | E, N_k)``;
* ``p_lm_if_positive = P(LM | E, N_k, tap k positive)``;
* ``p_lm_if_negative = P(LM | E, N_k, tap k negative)``;
* ``likelihood_ratio = P(tap k negative | LM, E, N_k) / P(tap k negative | no LM, E, N_k)``,
  the odds multiplier that negative tap applied given everything before it;
* ``p_lm_if_negative_fagan``: the Fagan chain, odds(P(LM | E)) times ``LR1 ** (k - t)``, where
  ``LR1`` is the single-tap likelihood ratio of a negative result before any finding (the
  published one-tap figure's); the same name in every command.
  Treating taps as independent ignores that a patient who sheds few cells does so on every
  tap, so it overstates what repeated negatives rule out.

``floor`` is P(LM) after infinitely many negative taps: LM patients who do not shed stay
indistinguishable from patients without LM,

.. math:: \\text{floor} = \\frac{P(LM, \\text{no shedding} \\mid E)}
                               {P(LM, \\text{no shedding} \\mid E) + P(\\text{no LM} \\mid E)} .
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmbayes._numbers import percent
from lmbayes.spec import MAX_TAPS

if TYPE_CHECKING:
    from lmbayes.engine import Engine
    from lmbayes.network import Network
    from lmbayes.findings import Findings
    from lmbayes.spec import NetworkSpec
    from lmbayes.technique import Technique

__all__ = ["TapJoint", "TapStep", "TapTable", "apply_likelihood_ratio", "negative_lr", "percent", "tap_joints", "tap_table"]


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
class TapJoint:
    """One further tap ``k``: ``joint[..., l, r] = P(LM = l, readings = r, E, N_k)``, the
    readings of the tap (cytology and the analyses sent with it) flattened, with a leading
    axis over the draws of the parameters when the engine has one. ``positive`` marks the
    readings in which at least one is in its last (positive) state; ``r = 0`` is all negative.

    Each probability is an array over the draws (a 0-d array without them).
    """

    tap: int
    joint: np.ndarray
    positive: np.ndarray

    @property
    def p_positive(self) -> np.ndarray:
        return self.joint[..., self.positive].sum(axis=(-2, -1)) / self.joint.sum(axis=(-2, -1))

    @property
    def p_lm_if_negative(self) -> np.ndarray:
        return self.joint[..., 1, 0] / self.joint[..., :, 0].sum(axis=-1)

    def p_lm_if_positive(self, before: np.ndarray | float) -> np.ndarray:
        """P(LM | E, N_k, tap k positive); ``before`` where a positive result cannot happen
        (it leaves P(LM) where it was)."""
        positive = self.joint[..., self.positive]
        total = positive.sum(axis=(-2, -1))
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(total > 0, positive[..., 1, :].sum(axis=-1) / total, before)


def tap_joints(engine: Engine, spec: NetworkSpec, evidence: Mapping[str, int], done: int, analyses: Sequence[str] = ()) -> Iterator[TapJoint]:
    """The one loop over further taps: for each ``k = done+1 .. N`` the joint of LM and tap
    ``k``'s readings given the findings and every further tap before it negative (one
    contraction each). The tap table, its intervals over the draws and the dependence table
    are each read from it."""
    prefix = dict(evidence)
    for k in range(done + 1, spec.n_taps + 1):
        readings = spec.tap_readings(k, analyses)
        joint = engine.joint((spec.target, *readings), prefix)
        lead = joint.shape[: joint.ndim - 1 - len(readings)]
        yield TapJoint(k, joint.reshape(*lead, joint.shape[len(lead)], -1), _any_last_state(joint.shape[len(lead) + 1 :]))
        prefix.update(dict.fromkeys(readings, 0))


def _any_last_state(shape: tuple[int, ...]) -> np.ndarray:
    """A mask over the flattened readings: at least one reading in its last (positive) state."""
    grids = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    return np.logical_or.reduce([g == n - 1 for g, n in zip(grids, shape)]).reshape(-1)


def negative_lr(joint: np.ndarray, negative: int = 0) -> float | None:
    """P(negative | LM) / P(negative | no LM) from the joint of (LM, tap), or None if undefined."""
    if joint[0].sum() == 0 or joint[1].sum() == 0 or joint[0, negative] == 0:
        return None
    return float((joint[1, negative] / joint[1].sum()) / (joint[0, negative] / joint[0].sum()))


@dataclass(frozen=True)
class TapStep:
    """One further tap, given that every tap before it (after those done) is negative."""

    tap: int
    p_positive: float
    p_lm_if_positive: float
    p_lm_if_negative: float
    change: float
    likelihood_ratio: float | None
    p_lm_if_negative_fagan: float


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
        text += (
            f". A Fagan chain would claim {percent(last.p_lm_if_negative_fagan)}; "
            f"however many taps are negative, P(LM) stays above {percent(self.floor)} "
            + ("(patients whose every reading can stay negative)." if self.analyses else "(patients whose tumour burden cytology cannot see).")
        )
        return text


def tap_table(network: Network, findings: Findings, next_technique: Technique | None = None, analyses: Sequence[str] = ()) -> TapTable:
    """The tap table (module docstring) for checked findings: each further tap done
    ``next_technique`` (the usual way if None), sending ``analyses`` (node ids of the file's
    analyses) beside cytology; one contraction a tap (:func:`tap_joints`)."""
    further = {}
    if next_technique is not None:
        further = {t: next_technique for t in network.spec.taps[findings.taps_done :]}
    case = network.case(findings, further)
    done = case.taps_done
    single = network.single_tap_lr(analyses)
    current = before = case.p_target(case.evidence)
    steps = []
    for j in tap_joints(case.engine, network.spec, case.evidence, done, analyses):
        after = float(j.p_lm_if_negative)
        steps.append(
            TapStep(
                tap=j.tap,
                p_positive=float(j.p_positive),
                p_lm_if_positive=float(j.p_lm_if_positive(before)),
                p_lm_if_negative=after,
                change=after - before,
                likelihood_ratio=None if network.target in case.evidence else negative_lr(j.joint, 0),
                p_lm_if_negative_fagan=apply_likelihood_ratio(current, single, j.tap - done),
            )
        )
        before = after
    return TapTable(
        prior=float(network.prior([network.target])[network.target][-1]),
        current=current,
        taps_done=done,
        n_taps=network.spec.n_taps,
        single_tap_lr=single,
        floor=case.floor(analyses),
        steps=tuple(steps),
        analyses=tuple(analyses),
    )
