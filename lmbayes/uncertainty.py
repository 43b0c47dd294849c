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

**Many draws.** Up to :data:`CHUNK` draws are held together. More are made and evaluated
:data:`CHUNK` at a time, each chunk from its own seed (drawn from the seed given), so that every
pass over them sees the same draws and memory stays bounded: the tables of one chunk at a time,
plus one float per draw for each reported probability. The quantiles are then those of all the
draws, exactly. (The chunks' draws differ from what one batch of the same size would draw.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lmbayes.calibration import reachable
from lmbayes.engine import Engine
from lmbayes.errors import InputError
from lmbayes.findings import Findings
from lmbayes.network import Case, Network
from lmbayes.spec import NetworkSpec, Parameter
from lmbayes.tables import Tables
from lmbayes.taps import tap_joints
from lmbayes.thresholds import RULE_OUT, TREAT
from lmbayes.technique import Technique

if TYPE_CHECKING:
    from lmbayes.plan import Plan

__all__ = [
    "CHUNK",
    "Draws",
    "Interval",
    "beta_parameters",
    "draw_parameters",
    "plan_intervals",
    "posterior_intervals",
    "tap_intervals",
]

_CALIBRATION = ("cytology.one_tap", "cytology.three_taps", "cytology.false_positive")
#: The most draws evaluated together; more are evaluated this many at a time.
CHUNK = 20_000


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
    """Parameter values by path, one entry per draw, and the calibration acceptance rate.

    ``values`` holds the draws when there are at most :data:`CHUNK`; beyond, it is None and
    :meth:`chunks` draws them again, chunk by chunk, from ``seeds``.
    """

    values: Mapping[str, np.ndarray] | None
    n: int
    acceptance: float
    spec: NetworkSpec | None = field(default=None, repr=False, compare=False)
    seeds: tuple[int, ...] = ()

    def chunks(self) -> Iterator[Mapping[str, np.ndarray]]:
        """The draws, all at once (at most :data:`CHUNK`) or :data:`CHUNK` at a time."""
        if self.values is not None:
            yield self.values
            return
        assert self.spec is not None
        for k, seed in enumerate(self.seeds):
            yield _chunk(self.spec, min(CHUNK, self.n - k * CHUNK), seed)[0]


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
    if n <= CHUNK:
        values, tried = _draw(spec, n, rng)
        return Draws(values=values, n=n, acceptance=n / tried)
    seeds = tuple(int(s) for s in rng.integers(2**63, size=-(-n // CHUNK)))
    tried = 0
    for k, seed in enumerate(seeds):  # the acceptance rate needs only the cytology figures
        tried += _chunk(spec, min(CHUNK, n - k * CHUNK), seed, calibration_only=True)[1]
    return Draws(values=None, n=n, acceptance=n / tried, spec=spec, seeds=seeds)


def _one(p: Parameter, size: int, rng: np.random.Generator) -> np.ndarray:
    ab = beta_parameters(p)
    return np.full(size, p.value) if ab is None else rng.beta(*ab, size=size)


def _draw(spec: NetworkSpec, n: int, rng: np.random.Generator) -> tuple[dict[str, np.ndarray], int]:
    """``n`` draws of every parameter, in the file's order, then the infeasible cytology
    figures drawn again; with the number of cytology draws tried."""
    values = {path: _one(p, n, rng) for path, p in spec.parameters.items()}
    return values, _redraw_infeasible(spec, values, n, rng)


def _chunk(spec: NetworkSpec, n: int, seed: int, calibration_only: bool = False) -> tuple[dict[str, np.ndarray], int]:
    """One chunk of draws from its own seed: the cytology figures first (so that the
    acceptance rate needs nothing else), then the other parameters."""
    rng = np.random.default_rng(seed)
    values = {path: _one(spec.parameters[path], n, rng) for path in _CALIBRATION}
    tried = _redraw_infeasible(spec, values, n, rng)
    if not calibration_only:
        values.update({path: _one(p, n, rng) for path, p in spec.parameters.items() if path not in values})
    return values, tried


def _redraw_infeasible(spec: NetworkSpec, values: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> int:
    tried = n
    bad = ~_feasible(values)
    for _ in range(200):
        if not bad.any():
            return tried
        k = int(bad.sum())
        tried += k
        for path in _CALIBRATION:
            values[path][bad] = _one(spec.parameters[path], k, rng)
        bad = ~_feasible(values)
    raise InputError("the cytology figures' ranges admit almost no tumour-burden model; narrow them")


def _intervals(network: Network, draws: Draws, compute: Callable[[Tables], Sequence[np.ndarray]]) -> list[Interval]:
    """The interval of each probability that ``compute`` gives from the tables over draws (one
    value per draw): over all the draws, evaluated chunk by chunk (see the module docstring).

    Up to :data:`CHUNK` draws the tables are the network's own (:meth:`Network.draw_tables`);
    beyond, each chunk's tables are built, used and dropped before the next chunk is drawn.
    """
    if draws.values is not None:
        return [Interval.of(a) for a in compute(network.draw_tables(draws.values))]
    found: np.ndarray | None = None
    start = 0
    for values in draws.chunks():
        arrays = compute(network.tables_over(values))
        del values
        if found is None:
            found = np.empty((len(arrays), draws.n))
        size = len(arrays[0])
        for row, array in zip(found, arrays):
            row[start : start + size] = array
        start += size
        del arrays
    assert found is not None
    return [Interval.of(row) for row in found]


def _engine(tables: Tables, case: Case) -> Engine:
    """An engine over the draws' tables with the case's tap techniques."""
    return Engine(tables.with_techniques(dict(case.techniques)))


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
    nodes = network.summary_nodes

    def compute(tables: Tables) -> list[np.ndarray]:
        dists, _ = _engine(tables, case).posteriors(case.evidence, nodes)
        return [dists[node][..., -1] for node in nodes]

    return dict(zip(nodes, _intervals(network, draws, compute)))


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
    analyses: str | Sequence[str] = (),
) -> TapIntervals:
    """Intervals of P(LM) now and after each further tap (positive, or negative like all
    before), read from the same loop as the tap table (:func:`lmbayes.taps.tap_joints`) over
    the draws; ``analyses`` as in :meth:`Network.taps`."""
    network.require_target()
    chosen = network.analyses(analyses)
    further = {}
    if next_technique is not None:
        further = {t: next_technique for t in network.spec.taps[findings.taps_done :]}
    case = network.case(findings, further)
    target = network.target
    taps = range(case.taps_done + 1, network.spec.n_taps + 1)

    def compute(tables: Tables) -> list[np.ndarray]:
        engine = _engine(tables, case)
        before = p_target(engine, target, case.evidence)
        found = [before]
        for j in tap_joints(engine, network.spec, case.evidence, case.taps_done, chosen):
            found.append(j.p_lm_if_positive(before))
            before = j.p_lm_if_negative
            found.append(before)
        return found

    current, *rest = _intervals(network, draws, compute)
    steps = tuple(TapInterval(k, rest[2 * i], rest[2 * i + 1]) for i, k in enumerate(taps))
    return TapIntervals(current, steps)


@dataclass(frozen=True)
class PlanIntervals:
    """Intervals of P(LM) now and after each result of each test, in the plan's order.

    ``straddles[n][k]``: the result moves P(LM) into another zone at the plan's numbers, but
    the 95% interval of P(LM) after it contains the threshold it crosses, so with other
    numbers in their ranges it might not change management.
    """

    current: Interval
    outcomes: tuple[tuple[Interval, ...], ...]
    straddles: tuple[tuple[bool, ...], ...] = ()


def plan_intervals(network: Network, findings: Findings, plan: Plan, draws: Draws) -> PlanIntervals:
    """Intervals for a :class:`~lmbayes.plan.Plan` made with the same findings: each option's
    tap technique is the plan's own value, never re-read."""
    from lmbayes.plan import outcome_groups

    network.require_target()
    case = network.case(findings)
    target = network.target
    options = [
        (option, case if option.technique is None else network.case(findings, {option.test: option.technique}))
        for option in plan.tests
    ]

    def compute(tables: Tables) -> list[np.ndarray]:
        found = [p_target(_engine(tables, case), target, case.evidence)]
        for option, c in options:
            engine = _engine(tables, c)
            joint = engine.joint((target, *option.readings), c.evidence)
            joint = joint.reshape(joint.shape[0], 2, -1)
            groups = dict(outcome_groups(network.spec, option.readings))
            with np.errstate(divide="ignore", invalid="ignore"):
                found += [
                    joint[:, 1, groups[o.state]].sum(axis=-1) / joint[:, :, groups[o.state]].sum(axis=(1, 2))
                    for o in option.outcomes
                ]
        return found

    current, *rest = _intervals(network, draws, compute)
    outcomes, straddles, start = [], [], 0
    t = plan.thresholds
    for option, _ in options:
        found = rest[start : start + len(option.outcomes)]
        outcomes.append(tuple(found))
        straddles.append(tuple(
            o.zone in (RULE_OUT, TREAT) and o.probability > 0 and i.low < (t.rule_out if o.zone == RULE_OUT else t.treat) < i.high
            for o, i in zip(option.outcomes, found)
        ))
        start += len(option.outcomes)
    return PlanIntervals(current, tuple(outcomes), tuple(straddles))
