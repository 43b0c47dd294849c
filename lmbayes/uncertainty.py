"""Probabilistic sensitivity analysis: how far could each printed P(LM) move?

Every parameter of the network file gets a distribution:

* with ``counts: [x, n]``, the Jeffreys posterior ``Beta(x + 1/2, n - x + 1/2)``;
* with a range ``[low, high]``, a Beta with mean ``value`` and standard deviation
  ``(high - low) / 4`` (the range read as about two standard deviations either side), by the
  method of moments: with ``m = value`` and ``v = sd**2``, ``k = m (1 - m) / v - 1``,
  ``alpha = m k``, ``beta = (1 - m) k``;
* with ``low == high``, the value itself.

The cytology figures are drawn too, and the latent shedding node is solved again for every
draw, so the intervals carry the uncertainty of the published 50% and 85% themselves. Draws
whose figures no shedding model can reproduce (a three-tap figure above what independent taps
reach) are rejected and drawn again; the acceptance rate is reported.

All draws are evaluated at once: the probability tables carry a leading axis over draws
(:func:`lmbayes.tables.build_tables`) and one einsum contraction serves them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from lmbayes.calibration import reachable
from lmbayes.engine import Engine
from lmbayes.errors import InputError
from lmbayes.findings import Findings
from lmbayes.network import Case, Network
from lmbayes.spec import NetworkSpec, Parameter, tap_id
from lmbayes.technique import Technique

if TYPE_CHECKING:
    from lmbayes.plan import Plan

__all__ = [
    "Draws",
    "Interval",
    "beta_parameters",
    "draw_parameters",
    "plan_intervals",
    "posterior_intervals",
    "tap_intervals",
]

_CALIBRATION = ("cytology.one_tap", "cytology.three_taps", "cytology.false_positive")


@dataclass(frozen=True)
class Interval:
    """Median and 95% interval of a probability over the draws."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: np.ndarray) -> Interval:
        median, low, high = np.quantile(values, [0.5, 0.025, 0.975])
        return cls(float(median), float(low), float(high))


@dataclass(frozen=True)
class Draws:
    """Parameter values by path, one entry per draw, and the calibration acceptance rate."""

    values: Mapping[str, np.ndarray]
    n: int
    acceptance: float


def beta_parameters(p: Parameter) -> tuple[float, float] | None:
    """``(alpha, beta)`` of a parameter's distribution, or ``None`` for a fixed value.

    >>> [round(x, 6) for x in beta_parameters(Parameter(0.5, 0.4, 0.6))]  # sd 0.05: k = 0.25/0.0025 - 1
    [49.5, 49.5]
    >>> beta_parameters(Parameter(0.015, 0.0, 0.03, counts=(1, 66)))
    (1.5, 65.5)
    """
    if p.counts is not None:
        x, n = p.counts
        return x + 0.5, n - x + 0.5
    if p.high <= p.low:
        return None
    m = min(max(p.value, 1e-6), 1 - 1e-6)
    var = ((p.high - p.low) / 4.0) ** 2
    k = max(m * (1 - m) / var - 1.0, 2.0)
    return m * k, (1 - m) * k


def draw_parameters(spec: NetworkSpec, n: int, rng: np.random.Generator | int | None = None) -> Draws:
    """``n`` joint draws of every parameter (see the module docstring)."""
    if n < 1:
        raise InputError(f"the number of draws must be at least 1, not {n}")
    rng = np.random.default_rng(rng)

    def one(p: Parameter, size: int) -> np.ndarray:
        ab = beta_parameters(p)
        return np.full(size, p.value) if ab is None else rng.beta(*ab, size=size)

    values = {path: one(p, n) for path, p in spec.parameters.items()}
    tried = n
    bad = ~_feasible(values)
    for _ in range(200):
        if not bad.any():
            break
        k = int(bad.sum())
        tried += k
        for path in _CALIBRATION:
            values[path][bad] = one(spec.parameters[path], k)
        bad = ~_feasible(values)
    else:
        raise InputError("the cytology figures' ranges admit almost no shedding model; narrow them")
    return Draws(values=values, n=n, acceptance=n / tried)


def _feasible(values: Mapping[str, np.ndarray]) -> np.ndarray:
    s1, s3, f = (values[p] for p in _CALIBRATION)
    low, high = reachable(s1, f)
    return (s1 > f) & (s3 > low) & (s3 <= high)


def batched_engine(network: Network, case: Case, values: Mapping[str, np.ndarray]) -> Engine:
    """An engine over the draws, with the case's tap techniques and the network's prior.

    The tables over the draws are built once per set of draws (:meth:`Network.draw_tables`);
    a case's techniques change only the tables of its taps.
    """
    return Engine(network.draw_tables(values).with_techniques(dict(case.techniques)))


def p_target(engine: Engine, target: str, evidence: Mapping[str, int]) -> np.ndarray:
    """P(target present | evidence), one value per draw."""
    dists, _ = engine.posteriors(evidence, [target])
    return dists[target][..., -1]


def posterior_intervals(network: Network, findings: Findings, *, draws: Draws) -> dict[str, Interval]:
    """The interval of P(node present | findings) for the target and the competing causes."""
    network.require_target()
    case = network.case(findings)
    engine = batched_engine(network, case, draws.values)
    dists, _ = engine.posteriors(case.evidence, network.summary_nodes)
    return {node: Interval.of(dist[..., -1]) for node, dist in dists.items()}


@dataclass(frozen=True)
class TapInterval:
    tap: int
    p_lm_if_positive: Interval
    p_lm_if_negative: Interval


@dataclass(frozen=True)
class TapIntervals:
    current: Interval
    steps: tuple[TapInterval, ...]


def tap_intervals(
    network: Network,
    findings: Findings,
    *,
    draws: Draws,
    next_technique: Technique | None = None,
) -> TapIntervals:
    """Intervals of P(LM) now and after each further tap (positive, or negative like all before)."""
    network.require_target()
    further = {}
    if next_technique is not None:
        further = {t: next_technique for t in network.spec.taps[findings.taps_done :]}
    case = network.case(findings, further)
    engine = batched_engine(network, case, draws.values)
    target = network.target
    negative, positive = 0, len(network.spec.tap_states) - 1
    prefix = case.evidence
    current = Interval.of(p_target(engine, target, prefix))
    steps = []
    for k in range(case.taps_done + 1, network.spec.n_taps + 1):
        node = tap_id(k)
        if_positive = p_target(engine, target, {**prefix, node: positive})
        prefix = {**prefix, node: negative}
        steps.append(TapInterval(k, Interval.of(if_positive), Interval.of(p_target(engine, target, prefix))))
    return TapIntervals(current, tuple(steps))


@dataclass(frozen=True)
class PlanIntervals:
    """Intervals of P(LM) now and after each result of each test, in the plan's order."""

    current: Interval
    outcomes: tuple[tuple[Interval, ...], ...]


def plan_intervals(network: Network, findings: Findings, plan: Plan, draws: Draws) -> PlanIntervals:
    """Intervals for a :class:`~lmbayes.plan.Plan` made with the same findings: each option's
    tap technique is the plan's own value, never re-read."""
    from lmbayes.plan import outcome_groups

    network.require_target()
    case = network.case(findings)
    target = network.target
    current = Interval.of(p_target(batched_engine(network, case, draws.values), target, case.evidence))
    outcomes = []
    for option in plan.tests:
        c = case if option.technique is None else network.case(findings, {option.test: option.technique})
        engine = batched_engine(network, c, draws.values)
        joint = engine.joint((target, *option.readings), c.evidence)
        joint = joint.reshape(joint.shape[0], 2, -1)
        groups = dict(outcome_groups(network.spec, option.readings))
        with np.errstate(divide="ignore", invalid="ignore"):
            after = [joint[:, 1, groups[o.state]].sum(axis=-1) / joint[:, :, groups[o.state]].sum(axis=(1, 2)) for o in option.outcomes]
        outcomes.append(tuple(Interval.of(a) for a in after))
    return PlanIntervals(current, tuple(outcomes))
