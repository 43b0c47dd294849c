"""Check a network's P(LM) against a cohort with known diagnoses: calibration and discrimination.

For every patient whose diagnosis is known, P(LM) from all their other findings (one batched
contraction, :meth:`lmbayes.engine.Engine.joint_rows`), then, as a clinical prediction model is judged (TRIPOD):

* **calibration table**: patients in ``bins`` groups of equal size by predicted P(LM) (deciles
  by default); mean predicted beside the observed share with LM;
* **calibration slope and calibration-in-the-large**: with ``lp = logit(p)``, the slope ``b``
  of the logistic regression ``logit P(y) = a + b lp`` (1 when the predictions are neither too
  extreme nor too timid) and the intercept ``a`` of ``logit P(y) = a + lp``, the slope fixed
  at 1 (calibration-in-the-large: 0 when the predictions are right on average), both by
  Newton's method. A statistic exists or it does not: where the outcomes are separated by
  P(LM) (every patient with LM above every one without, or ties at the boundary) the
  maximum-likelihood slope is infinite, and it is reported as missing with the reason
  (:func:`slope_obstacles`), never as wherever an iteration stopped;
* **Brier score**: ``mean (p - y)^2``;
* **area under the ROC curve** (c statistic): the share of (LM, no LM) pairs in which the
  patient with LM has the higher P(LM), ties counting one half (Mann-Whitney);
* each with a 95% percentile bootstrap interval: patients resampled with replacement
  (multinomial weights), every measure recomputed as a weighted one.

The same is done with the findings available before the first tap and after each tap (among
the patients who had that tap), so the user sees where the network goes wrong. Beside it, the
per-tap cytology yield observed in the cohort by the life table (:class:`TapYield`): right when
taps stop after a positive, as in the usual work-up, where the share positive within ``k``
among patients who had ``k`` taps would leave out those found early; beside the network's
``S(k)`` (:mod:`lmbayes.calibration`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from lmbayes.cohort import Cohort
from lmbayes.comparator import Comparison, compare
from lmbayes.measures import (
    NOT_CONVERGED, ONE_OUTCOME, QUASI, SEPARATED, auc, brier, calibration_fit, life_table, logit_design, newton, slope_obstacles,
    wilson,
)
from lmbayes.network import Network
from lmbayes.thresholds import DEFAULT_THRESHOLDS
from lmbayes.usefulness import Calibration, CurvePoint, Subgroup, calibration, decision_curve, observed_expected

__all__ = [
    "Bin", "Estimate", "Stage", "TapYield", "Validation", "auc", "brier", "calibration_fit", "slope_obstacles", "validate",
    "wilson",
]

#: Bootstrap resamples by default.
BOOTSTRAP = 200
#: The most bootstrap weights held at once (resamples times patients): 32 MB of floats, so that
#: with the copies a weighted AUC makes a validation of 3 x 10^5 patients stays under 500 MiB.
CELLS = 4_000_000
#: Bootstrap resamples computed at a time within a block (each row is its own resample, so
#: the numbers do not depend on it); the progress of a long bootstrap moves at this step.
CHUNK = 2000


@dataclass(frozen=True)
class Estimate:
    """A measure with its 95% bootstrap interval (None where undefined, e.g. AUC without LM,
    with ``reason`` saying why in one short phrase)."""

    value: float | None
    low: float | None
    high: float | None
    reason: str | None = None


@dataclass(frozen=True)
class Bin:
    """One calibration group: its range of predicted P(LM), size, mean predicted, share with LM."""

    low: float
    high: float
    patients: int
    lm: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class Stage:
    """The measures with the findings available at one point of the workup."""

    name: str
    taps: int | None  # None: all findings; 0: before the first tap; k: up to tap k
    patients: int
    lm: int
    brier: Estimate
    auc: Estimate
    intercept: Estimate
    slope: Estimate
    bins: tuple[Bin, ...]
    #: O/E, log loss, scaled Brier, ICI, missed LM and false alarms at the thresholds
    usefulness: Calibration | None = None


@dataclass(frozen=True)
class TapYield:
    """Cytology among patients with LM at tap ``taps``, by the life table: ``at_risk`` had that
    tap with every earlier one not positive, ``positive`` of them were positive then
    (``hazard``, with its Wilson interval); ``observed`` is the share positive within the first
    ``taps`` taps (``1 - prod (1 - hazard)``, with Greenwood's interval on the log-log scale),
    ``network`` the network's. Right for the usual work-up, where nobody is tapped again after
    a positive cytology; a patient who stops while negative is assumed to be like those who
    go on (missing at random)."""

    taps: int
    at_risk: int
    positive: int
    hazard: float | None
    hazard_low: float | None
    hazard_high: float | None
    observed: float | None
    low: float | None
    high: float | None
    network: float
    network_hazard: float


@dataclass(frozen=True)
class Validation:
    patients: int
    known: int
    lm: int
    bootstrap: int
    seed: int | None
    stages: tuple[Stage, ...]
    yields: tuple[TapYield, ...]
    #: the share of patients with a known diagnosis in whom each column is not recorded
    missing: Mapping[str, float] = field(default_factory=dict)
    #: net benefit by threshold, and O/E by subgroup, with all findings
    decision_curve: tuple[CurvePoint, ...] = ()
    subgroups: tuple[Subgroup, ...] = ()
    #: the Fagan chain on the same patients, with all findings (:mod:`lmbayes.comparator`)
    comparator: Comparison | None = None


def validate(
    network: Network,
    cohort: Cohort,
    *,
    bins: int = 10,
    bootstrap: int = BOOTSTRAP,
    rng: np.random.Generator | int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Validation:
    """Calibration and discrimination of ``network`` on ``cohort`` (see the module docstring).

    ``progress``, if given, is called with the number of resamples done at each step of the
    bootstrap (``bootstrap`` times the number of stages in all, see :func:`bootstrap_steps`).
    Ctrl-C during the bootstrap raises :class:`BootstrapStopped` carrying the result without
    intervals (every point estimate is there): what the user had waited for so far.
    """
    network.require_target()
    target = network.target
    cohort.require_diagnoses(target)
    cohort.check_possible(network.engine, cohort.known)  # then every stage's subset of the findings is too
    seed = rng if isinstance(rng, int) else None
    rng = np.random.default_rng(rng)
    spec = network.spec
    tap_of = {n.id: n.tap for n in spec.nodes if n.tap}
    known = cohort.known
    y = cohort.diagnosis[known].astype(float)
    states = cohort.states[known]
    taps = cohort.taps_done(tap_of)[known]
    resamples = _Resamples(y.size, bootstrap, rng) if bootstrap else None

    plan: list[tuple[str, int | None]] = [("all findings", None), ("before the first tap", 0)]
    plan += [(f"after tap {k}", k) for k in range(1, int(taps.max(initial=0)) + 1)]

    def result(stages: list[Stage], scored: np.ndarray, bootstrap: int) -> Validation:
        return Validation(
            patients=cohort.patients,
            known=int(known.sum()),
            lm=int(y.sum()),
            bootstrap=bootstrap,
            seed=seed,
            stages=tuple(stages),
            yields=tuple(_yields(network, cohort)),
            missing={c: float((states[:, j] < 0).mean()) for j, c in enumerate(cohort.columns)} if y.size else {},
            decision_curve=decision_curve(scored, y),
            subgroups=_subgroups(network, cohort.columns, states, taps, scored, y),
            comparator=compare(network, cohort.columns, states, scored, y, resamples if bootstrap else None),
        )

    try:
        stages, scored = _stages(network, cohort, plan, y, states, taps, resamples, bins, progress)
    except KeyboardInterrupt:
        if resamples is None:
            raise
        raise BootstrapStopped(result(*_stages(network, cohort, plan, y, states, taps, None, bins, None), 0)) from None
    return result(stages, scored, bootstrap)


class BootstrapStopped(KeyboardInterrupt):
    """Ctrl-C during the bootstrap; ``partial`` is the validation without intervals."""

    def __init__(self, partial: Validation) -> None:
        super().__init__("bootstrap stopped")
        self.partial = partial


def bootstrap_steps(network: Network, cohort: Cohort) -> int:
    """The number of stages the bootstrap of :func:`validate` runs for (all findings, before
    the first tap, after each tap): the work is ``bootstrap`` times this many resamples."""
    tap_of = {n.id: n.tap for n in network.spec.nodes if n.tap}
    return 2 + int(cohort.taps_done(tap_of)[cohort.known].max(initial=0))


def _stages(
    network: Network, cohort: Cohort, plan: list[tuple[str, int | None]], y: np.ndarray, states: np.ndarray,
    taps: np.ndarray, resamples: _Resamples | None, bins: int, progress: Callable[[int], None] | None,
) -> tuple[list[Stage], np.ndarray]:
    """The stages of ``plan``, and every patient's P(LM) with all findings (the first stage)."""
    target = network.target
    tap_of = {n.id: n.tap for n in network.spec.nodes if n.tap}
    stages: list[Stage] = []
    scored = np.empty(0)
    for name, k in plan:
        keep = np.ones(len(cohort.columns), dtype=bool) if k is None else np.array([tap_of.get(c, 0) <= k for c in cohort.columns], dtype=bool)
        rows = np.ones(y.size, dtype=bool) if not k else taps >= k
        joint = network.engine.joint_rows((target,), [c for c, kept in zip(cohort.columns, keep) if kept], states[rows][:, keep])
        z = joint.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # P(findings) zero: refused below
            p = joint[:, -1] / z
        blocks = None if resamples is None else (w[:, rows] for w in resamples)
        stage = _stage(name, k, p, y[rows], blocks, bins, progress)
        t = DEFAULT_THRESHOLDS
        stages.append(replace(stage, usefulness=calibration(p, y[rows], t.rule_out, t.treat)))
        if k is None:
            scored = p
    return stages, scored


#: The findings whose states make the subgroups of the calibration (where the cohort has them).
SUBGROUPS = ("systemic_status", "subtype", "mri")


def _subgroups(
    network: Network, columns: Sequence[str], states: np.ndarray, taps: np.ndarray, p: np.ndarray, y: np.ndarray
) -> tuple[Subgroup, ...]:
    """O/E in each state of :data:`SUBGROUPS` (not recorded: its own group) and by taps done."""
    groups: list[tuple[str, str, np.ndarray]] = []
    for finding in SUBGROUPS:
        if finding in columns and finding in network.spec.node_ids:
            column = states[:, list(columns).index(finding)]
            names = network.spec.node(finding).states
            groups += [(finding, names[i], column == i) for i in range(len(names))]
            groups.append((finding, "not recorded", column < 0))
    for k in range(0, min(int(taps.max(initial=0)), 3) + 1):
        groups.append(("taps done", f"{k}+" if k == 3 else str(k), taps >= 3 if k == 3 else taps == k))
    found = []
    for finding, state, rows in groups:
        if rows.any():
            oe, low, high = observed_expected(p[rows], y[rows])
            found.append(Subgroup(finding, state, int(rows.sum()), int(y[rows].sum()), float(p[rows].sum()), oe, low, high))
    return tuple(found)


class _Resamples:
    """Bootstrap resamples as multinomial weights, in blocks of at most :data:`CELLS` weights
    (a million patients would otherwise take gigabytes). A single block is drawn once; more
    are drawn again from their own seeds for each stage, so every stage sees the same
    resamples."""

    def __init__(self, patients: int, count: int, rng: np.random.Generator) -> None:
        size = max(1, CELLS // patients)
        self.patients = patients
        self.blocks = [(min(size, count - start), int(rng.integers(2**63))) for start in range(0, count, size)]
        self.kept = [self._draw(*self.blocks[0])] if len(self.blocks) == 1 else None

    def _draw(self, count: int, seed: int) -> np.ndarray:
        n = self.patients
        return np.random.default_rng(seed).multinomial(n, np.full(n, 1.0 / n), size=count).astype(float)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self.kept) if self.kept is not None else (self._draw(*block) for block in self.blocks)


def _chunks(blocks: Iterable[np.ndarray], progress: Callable[[int], None] | None) -> Iterator[np.ndarray]:
    """The rows of each block :data:`CHUNK` at a time, reporting each chunk once done."""
    for w in blocks:
        for start in range(0, w.shape[0], CHUNK):
            yield w[start : start + CHUNK]
            if progress is not None:
                progress(min(CHUNK, w.shape[0] - start))


def _stage(name: str, taps: int | None, p: np.ndarray, y: np.ndarray, blocks: Iterable[np.ndarray] | None, bins: int,
           progress: Callable[[int], None] | None = None) -> Stage:
    intercept, slope = calibration_fit(p, y)
    obstacle = slope_obstacles(p, y)[0]
    if obstacle in (SEPARATED, QUASI):
        # calibration-in-the-large exists, but with outcomes separated it rests on predictions
        # at the clipping limit EPS (an arbitrary constant): reported as missing too
        intercept = np.array(np.nan)
    reasons = {
        "intercept": None if np.isfinite(intercept) else obstacle or NOT_CONVERGED,
        "slope": obstacle or (None if np.isfinite(slope) else NOT_CONVERGED),
        "auc": None if len(set(y.tolist())) == 2 else ONE_OUTCOME,
        "brier": None,
    }
    point = {"brier": brier(p, y), "auc": auc(p, y), "intercept": intercept, "slope": slope}
    boot: dict[str, np.ndarray] = {}
    if blocks is not None:  # only what is defined on the cohort itself is bootstrapped
        design = logit_design(p)
        fitted = newton(np.ones((1, p.size)), y, *design, slope=True)[0] if np.isfinite(slope) else None
        parts: dict[str, list[np.ndarray]] = {}
        for w in _chunks(blocks, progress):
            found = {"brier": brier(p, y, w), "auc": auc(p, y, w)}
            # each resample starts from the cohort's own fit: a few Newton steps; one that
            # needs more than 20 has no fit, and neither has a separated one
            blocked = np.array([r is not None for r in slope_obstacles(p, y, w)])
            if np.isfinite(intercept):
                found_intercept = newton(w, y, *design, slope=False, start=float(intercept), iterations=20)[:, 0]
                found["intercept"] = np.where(blocked, np.nan, found_intercept)
            if fitted is not None:
                found_slope = newton(w, y, *design, slope=True, start=fitted, iterations=20)[:, 1]
                found["slope"] = np.where(blocked, np.nan, found_slope)
            for key, values in found.items():
                parts.setdefault(key, []).append(np.atleast_1d(values))
        boot = {key: np.concatenate(values) for key, values in parts.items()}
    e = {key: _estimate(value, boot.get(key), reasons[key]) for key, value in point.items()}
    return Stage(name, taps, int(y.size), int(y.sum()), e["brier"], e["auc"], e["intercept"], e["slope"], _bins(p, y, bins))


def _estimate(value: np.ndarray, draws: np.ndarray | None, reason: str | None) -> Estimate:
    """The value with the 2.5% and 97.5% percentiles of its bootstrap draws; no interval where
    fewer than 95% of the resamples define the measure (near-perfect separation, say)."""
    v = float(value)
    if not np.isfinite(v):
        return Estimate(None, None, None, reason or NOT_CONVERGED)
    if draws is None:
        return Estimate(v, None, None)
    draws = np.atleast_1d(draws)
    finite = draws[np.isfinite(draws)]
    if finite.size < max(10, 0.95 * draws.size):  # undefined in many resamples: no honest interval
        return Estimate(v, None, None)
    low, high = np.percentile(finite, [2.5, 97.5])
    return Estimate(v, float(low), float(high))


def _bins(p: np.ndarray, y: np.ndarray, bins: int) -> tuple[Bin, ...]:
    """Groups of (nearly) equal size by rank of P(LM)."""
    order = np.argsort(p, kind="stable")
    groups = np.array_split(order, min(bins, p.size))
    return tuple(
        Bin(float(p[g].min()), float(p[g].max()), int(g.size), int(y[g].sum()), float(p[g].mean()), float(y[g].mean()))
        for g in groups
        if g.size
    )


def _yields(network: Network, cohort: Cohort) -> Sequence[TapYield]:
    """Cytology yield among patients with LM by the life table (:class:`TapYield`)."""
    spec = network.spec
    calibration = network.tables.calibration
    if calibration is None:
        return []
    positive_state = len(spec.tap_states) - 1
    lm = cohort.diagnosis == 1
    found = np.zeros(cohort.patients, dtype=bool)
    at_risk, events = [], []
    for tap in spec.taps:
        if tap not in cohort.columns:
            break
        column = cohort.states[:, cohort.columns.index(tap)]
        risk = lm & (column >= 0) & ~found
        at_risk.append(int(risk.sum()))
        events.append(int((risk & (column == positive_state)).sum()))
        found |= column == positive_state
    cumulative, variance = life_table(np.array(at_risk, dtype=float), np.array(events, dtype=float))
    result = []
    for k, (n, x) in enumerate(zip(at_risk, events), start=1):
        before, expected = float(calibration.cumulative(k - 1)), float(calibration.cumulative(k))
        network_hazard = (expected - before) / (1.0 - before)
        if n == 0:
            result.append(TapYield(k, 0, 0, None, None, None, None, None, None, expected, network_hazard))
            continue
        low, high = wilson(x, n)
        f, v = float(cumulative[k - 1]), float(variance[k - 1])
        band = _log_log(1.0 - f, v)
        result.append(TapYield(
            k, n, x, x / n, low, high, f, None if band is None else 1.0 - band[1], None if band is None else 1.0 - band[0],
            expected, network_hazard,
        ))
        if f >= 1.0:
            break  # everyone at risk positive: no one left for the next tap
    return result


def _log_log(survival: float, variance: float, z: float = 1.959964) -> tuple[float, float] | None:
    """The 95% interval of a life-table survival on the log(-log) scale (always within (0, 1)):
    ``S ** exp(+-1.96 sqrt(V) / (S |ln S|))``. By hand for S = 0.3, V = 0.021: the standard
    error is 0.1449 / 0.3612 = 0.4012, so 0.3 ** 2.195 = 0.0711 and 0.3 ** 0.4556 = 0.5779.

    >>> [round(x, 4) for x in _log_log(0.3, 0.021)]
    [0.0711, 0.5779]
    """
    if not 0.0 < survival < 1.0 or not np.isfinite(variance):
        return None
    se = np.sqrt(variance) / (survival * abs(np.log(survival)))
    return float(survival ** np.exp(z * se)), float(survival ** np.exp(-z * se))
