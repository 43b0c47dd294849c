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
per-tap cytology yield observed in the cohort: among patients with LM and at least ``k`` taps,
the share with a positive cytology within the first ``k``, beside the network's ``S(k)``
(:mod:`lmbayes.calibration`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from lmbayes.cohort import Cohort
from lmbayes.network import Network

__all__ = [
    "Bin", "Estimate", "Stage", "TapYield", "Validation", "auc", "brier", "calibration_fit", "slope_obstacles", "validate",
    "wilson",
]

#: Bootstrap resamples by default.
BOOTSTRAP = 200
#: The most bootstrap weights held at once (resamples times patients): 160 MB of floats.
CELLS = 20_000_000
#: Bootstrap resamples computed at a time within a block (each row is its own resample, so
#: the numbers do not depend on it); the progress of a long bootstrap moves at this step.
CHUNK = 2000
#: P(LM) is clipped to [EPS, 1 - EPS] for its logit.
EPS = 1e-12

#: Why a calibration statistic does not exist, in one short phrase each.
ONE_OUTCOME = "only one outcome"
SAME = "every P(LM) the same"
SEPARATED = "outcomes perfectly separated"
QUASI = "outcomes quasi-separated"
NOT_CONVERGED = "fit did not converge"


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


@dataclass(frozen=True)
class TapYield:
    """Cytology positive within the first ``taps`` taps among patients with LM who had them."""

    taps: int
    patients: int
    positive: int
    observed: float | None
    #: the Wilson 95% interval of ``observed``
    low: float | None
    high: float | None
    network: float


@dataclass(frozen=True)
class Validation:
    patients: int
    known: int
    lm: int
    bootstrap: int
    seed: int | None
    stages: tuple[Stage, ...]
    yields: tuple[TapYield, ...]


def brier(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Weighted Brier score; ``w`` of shape ``(R, n)`` gives one score per row of weights.

    >>> float(brier(np.array([0.9, 0.2]), np.array([1, 0])))   # (0.01 + 0.04) / 2
    0.025
    """
    w = np.ones((1, p.size)) if w is None else w
    with np.errstate(divide="ignore", invalid="ignore"):  # a resample without these patients: NaN
        return np.squeeze((w * (p - y) ** 2).sum(axis=1) / w.sum(axis=1))


def auc(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Weighted area under the ROC curve: pairs (LM, no LM) ranked right, ties one half.

    With weights ``w`` (rows of ``(R, n)``) each pair counts ``w_i w_j``. NaN where a row has
    no patient with LM or none without.

    >>> float(auc(np.array([0.1, 0.4, 0.35, 0.8]), np.array([0, 0, 1, 1])))   # 3 of 4 pairs
    0.75
    """
    w = np.ones((1, p.size)) if w is None else w
    order = np.argsort(p, kind="stable")
    p, y, w = p[order], y[order], w[:, order]
    values, start = np.unique(p, return_index=True)
    pos = np.add.reduceat(w * (y == 1), start, axis=1)
    neg = np.add.reduceat(w * (y == 0), start, axis=1)
    below = np.cumsum(neg, axis=1) - neg  # negatives with a strictly lower P(LM)
    concordant = (pos * (below + 0.5 * neg)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.squeeze(concordant / (pos.sum(axis=1) * neg.sum(axis=1)))


def calibration_fit(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(intercept, slope)``: calibration-in-the-large and the calibration slope (module doc).

    Newton's method on the weighted log-likelihood, all rows of weights at once (the sums over
    patients are matrix products). NaN where the statistic does not exist: the intercept without
    both outcomes; the slope also where every P(LM) is the same or the outcomes are separated
    (:func:`slope_obstacles` says which), and where Newton's method has not converged.

    >>> p = np.array([0.1, 0.2, 0.3, 0.6, 0.7, 0.9]); y = np.array([0, 0, 1, 0, 1, 1])
    >>> a, b = calibration_fit(p, y)
    >>> round(float(a), 3), round(float(b), 3)
    (0.199, 1.123)
    >>> calibration_fit(p, np.array([0, 0, 0, 1, 1, 1]))[1]   # separated: no slope
    array(nan)
    """
    w = np.ones((1, p.size)) if w is None else w
    design = _design(p)
    intercept = _newton(w, y, *design, slope=False)[..., 0]
    slope = _newton(w, y, *design, slope=True, start=intercept)[..., 1]
    blocked = np.array([reason is not None for reason in slope_obstacles(p, y, w)])
    return np.squeeze(intercept), np.squeeze(np.where(blocked, np.nan, slope))


def slope_obstacles(p: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> list[str | None]:
    """Why the calibration slope does not exist, per row of weights ``w`` (``None`` where it does).

    With one predictor and an intercept the maximum-likelihood fit exists exactly when both
    outcomes occur and overlap (Albert and Anderson 1984): some patient without LM has a
    logit P(LM) above some patient with LM, and vice versa for the reversed slope. Otherwise
    the outcomes are *perfectly separated* (a threshold of P(LM) splits them, the likelihood
    grows without end as the slope does) or *quasi-separated* (the same, with ties at the
    threshold). Patients with weight 0 (not drawn in a bootstrap resample) do not count.

    >>> p = np.array([0.1, 0.2, 0.3, 0.6])
    >>> slope_obstacles(p, np.array([0, 0, 1, 1])), slope_obstacles(p, np.array([0, 1, 0, 1]))
    (['outcomes perfectly separated'], [None])
    >>> slope_obstacles(np.array([0.1, 0.3, 0.3, 0.6]), np.array([0, 0, 1, 1]))
    ['outcomes quasi-separated']
    """
    lp = _design(p)[0]
    w = np.ones((1, p.size)) if w is None else w
    y1 = y.astype(bool)
    reasons: list[str | None] = []
    chunk = max(1, 2_000_000 // max(1, p.size))  # rows at a time: a few (rows, patients) arrays
    for start in range(0, w.shape[0], chunk):
        present = w[start : start + chunk] > 0
        pos, neg = present & y1, present & ~y1
        top0 = np.where(neg, lp, -np.inf).max(axis=1)
        low1 = np.where(pos, lp, np.inf).min(axis=1)
        top1 = np.where(pos, lp, -np.inf).max(axis=1)
        low0 = np.where(neg, lp, np.inf).min(axis=1)
        spread = np.where(present, lp, -np.inf).max(axis=1) > np.where(present, lp, np.inf).min(axis=1)
        for has1, has0, varies, a, b, c, d in zip(pos.any(axis=1), neg.any(axis=1), spread, top0, low1, top1, low0):
            if not (has1 and has0):
                reasons.append(ONE_OUTCOME)
            elif not varies:
                reasons.append(SAME)
            elif a < b or c < d:
                reasons.append(SEPARATED)
            elif a <= b or c <= d:
                reasons.append(QUASI)
            else:
                reasons.append(None)
    return reasons


def _design(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lp = logit(p)`` and the columns ``1, lp, lp^2`` whose weighted sums Newton's method needs."""
    lp = np.log(np.clip(p, EPS, 1 - EPS)) - np.log(np.clip(1 - p, EPS, 1 - EPS))
    return lp, np.stack([np.ones_like(lp), lp, lp * lp], axis=1)


def _newton(w: np.ndarray, y: np.ndarray, lp: np.ndarray, powers: np.ndarray, slope: bool,
            start: np.ndarray | float | None = None, iterations: int = 50) -> np.ndarray:
    """``(a, b)`` of ``a + lp`` (``slope=False``, ``b`` stays 1) or of ``a + b lp``, per row of
    ``w`` (shape ``(rows, 2)``; NaN where there is no fit).

    Damped Newton: a step that lowers the log-likelihood is halved until it does not (far from
    the optimum, with P(LM) near 0 and 1, full steps oscillate). It starts from ``start``:
    ``a`` (with ``b = 1``) or ``(a, b)``; by default ``(0, 1)``, and for the slope the
    intercept's fit. A row not converged after ``iterations`` steps has no fit (outcomes
    separated, or nearly, by P(LM): the slope grows without end).
    """
    rows = w.shape[0]
    theta = np.zeros((rows, 2))
    theta[:, 1] = 1.0
    if slope and start is None:
        start = _newton(w, y, lp, powers, slope=False)[:, 0]
    if start is not None:
        given = np.nan_to_num(np.asarray(start, dtype=float))
        if given.shape[-1:] == (2,):
            theta[:] = given
        else:
            theta[:, 0] = given
    wy = w @ (y[:, None] * powers[:, :2])  # (rows, 2): sums of w y and w y lp
    active = np.arange(rows)
    done = np.zeros(rows, dtype=bool)

    def loglik(t: np.ndarray, wa: np.ndarray) -> np.ndarray:
        eta = t[:, :1] + t[:, 1:] * lp
        return (wa * (y * eta - np.logaddexp(0.0, eta))).sum(axis=1)

    current = loglik(theta, w)
    for _ in range(iterations):
        if not active.size:
            break
        t, wa = theta[active], w[active]
        m = _expit(t[:, :1] + t[:, 1:] * lp)
        g = wy[active] - (wa * m) @ powers[:, :2]
        h = (wa * (m * (1.0 - m))) @ powers
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if slope:
                det = h[:, 0] * h[:, 2] - h[:, 1] ** 2
                step = np.stack([h[:, 2] * g[:, 0] - h[:, 1] * g[:, 1], h[:, 0] * g[:, 1] - h[:, 1] * g[:, 0]], axis=1)
                step = step / det[:, None]
            else:
                step = np.stack([g[:, 0] / h[:, 0], np.zeros(active.size)], axis=1)
        finite = np.isfinite(step).all(axis=1)
        step = np.where(finite[:, None], step, 0.0)
        before = current[active]
        after = loglik(t + step, wa)
        worse = after < before - 1e-12 * np.abs(before)
        for _ in range(20):
            if not worse.any():
                break
            step[worse] /= 2.0
            after[worse] = loglik(t[worse] + step[worse], wa[worse])
            worse = after < before - 1e-12 * np.abs(before)
        step[worse] = 0.0  # no step improves: as far as it goes
        after[worse] = before[worse]
        theta[active] = t + step
        current[active] = after
        small = np.abs(step).max(axis=1) < 1e-9 * (1.0 + np.abs(t).max(axis=1))
        done[active[small & finite]] = True
        active = active[~small & finite]
    # converged means the score is zero, not that the steps stopped (a separated cohort stalls
    # wherever rounding takes it, differently on every BLAS kernel)
    m = _expit(theta[:, :1] + theta[:, 1:] * lp)
    score = wy - (w * m) @ powers[:, :2]
    score[:, 1] *= slope
    stationary = np.abs(score).max(axis=1) <= 1e-7 * np.maximum(w.sum(axis=1), 1.0)
    outcomes = ((w @ y) > 0) & ((w @ (1.0 - y)) > 0)
    return np.where((done & stationary & outcomes)[:, None], theta, np.nan)


def _expit(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * x))


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

    def result(stages: list[Stage], bootstrap: int) -> Validation:
        return Validation(
            patients=cohort.patients,
            known=int(known.sum()),
            lm=int(y.sum()),
            bootstrap=bootstrap,
            seed=seed,
            stages=tuple(stages),
            yields=tuple(_yields(network, cohort)),
        )

    try:
        stages = _stages(network, cohort, plan, y, states, taps, resamples, bins, progress)
    except KeyboardInterrupt:
        if resamples is None:
            raise
        raise BootstrapStopped(result(_stages(network, cohort, plan, y, states, taps, None, bins, None), 0)) from None
    return result(stages, bootstrap)


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
) -> list[Stage]:
    target = network.target
    tap_of = {n.id: n.tap for n in network.spec.nodes if n.tap}
    stages = []
    for name, k in plan:
        keep = np.ones(len(cohort.columns), dtype=bool) if k is None else np.array([tap_of.get(c, 0) <= k for c in cohort.columns], dtype=bool)
        rows = np.ones(y.size, dtype=bool) if not k else taps >= k
        joint = network.engine.joint_rows((target,), [c for c, kept in zip(cohort.columns, keep) if kept], states[rows][:, keep])
        z = joint.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):  # P(findings) zero: refused below
            p = joint[:, -1] / z
        blocks = None if resamples is None else (w[:, rows] for w in resamples)
        stages.append(_stage(name, k, p, y[rows], blocks, bins, progress))
    return stages


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
        design = _design(p)
        fitted = _newton(np.ones((1, p.size)), y, *design, slope=True)[0] if np.isfinite(slope) else None
        parts: dict[str, list[np.ndarray]] = {}
        for w in _chunks(blocks, progress):
            found = {"brier": brier(p, y, w), "auc": auc(p, y, w)}
            # each resample starts from the cohort's own fit: a few Newton steps; one that
            # needs more than 20 has no fit, and neither has a separated one
            blocked = np.array([r is not None for r in slope_obstacles(p, y, w)])
            if np.isfinite(intercept):
                found_intercept = _newton(w, y, *design, slope=False, start=float(intercept), iterations=20)[:, 0]
                found["intercept"] = np.where(blocked, np.nan, found_intercept)
            if fitted is not None:
                found_slope = _newton(w, y, *design, slope=True, start=fitted, iterations=20)[:, 1]
                found["slope"] = np.where(blocked, np.nan, found_slope)
            for key, values in found.items():
                parts.setdefault(key, []).append(np.atleast_1d(values))
        boot = {key: np.concatenate(values) for key, values in parts.items()}
    estimates = {key: _estimate(value, boot.get(key), reasons[key]) for key, value in point.items()}
    return Stage(name, taps, int(y.size), int(y.sum()), bins=_bins(p, y, bins), **estimates)


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
    """Observed cumulative cytology yield among patients with LM (module docstring)."""
    spec = network.spec
    calibration = network.tables.calibration
    positive_state = len(spec.tap_states) - 1
    lm = cohort.diagnosis == 1
    found = np.zeros(cohort.patients, dtype=bool)
    done = np.ones(cohort.patients, dtype=bool)
    result = []
    for k, tap in enumerate(spec.taps, start=1):
        if tap not in cohort.columns:
            break
        column = cohort.states[:, cohort.columns.index(tap)]
        done &= column >= 0
        found |= column == positive_state
        had = lm & done
        n, x = int(had.sum()), int((had & found).sum())
        if calibration is None:
            break
        low, high = wilson(x, n) if n else (None, None)
        result.append(TapYield(k, n, x, x / n if n else None, low, high, float(calibration.cumulative(k))))
    return result


def wilson(events: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion.

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    p = events / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))
