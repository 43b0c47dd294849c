"""Measures of a clinical prediction model on patients with a known outcome, each with optional
weights (a bootstrap resample is a row of multinomial weights, so many resamples are computed at
once as rows of ``w``): the Brier score, the area under the ROC curve, the calibration slope and
calibration-in-the-large (Newton's method, with :func:`slope_obstacles` deciding first whether the
maximum-likelihood fit exists), and the Wilson interval of a proportion. :mod:`lmbayes.validate`
applies them to a cohort, stage by stage of the work-up.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "EPS", "NOT_CONVERGED", "ONE_OUTCOME", "QUASI", "SAME", "SEPARATED", "auc", "brier", "calibration_fit", "logit_design",
    "life_table", "newton", "slope_obstacles", "wilson",
]

#: P(LM) is clipped to [EPS, 1 - EPS] for its logit.
EPS = 1e-12

#: Why a calibration statistic does not exist, in one short phrase each.
ONE_OUTCOME = "only one outcome"
SAME = "every P(LM) the same"
SEPARATED = "outcomes perfectly separated"
QUASI = "outcomes quasi-separated"
NOT_CONVERGED = "fit did not converge"


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
    design = logit_design(p)
    intercept = newton(w, y, *design, slope=False)[..., 0]
    slope = newton(w, y, *design, slope=True, start=intercept)[..., 1]
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
    lp = logit_design(p)[0]
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


def logit_design(p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``lp = logit(p)`` and the columns ``1, lp, lp^2`` whose weighted sums Newton's method needs."""
    lp = np.log(np.clip(p, EPS, 1 - EPS)) - np.log(np.clip(1 - p, EPS, 1 - EPS))
    return lp, np.stack([np.ones_like(lp), lp, lp * lp], axis=1)


def newton(w: np.ndarray, y: np.ndarray, lp: np.ndarray, powers: np.ndarray, slope: bool,
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
        start = newton(w, y, lp, powers, slope=False)[:, 0]
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


def wilson(events: int, total: int, z: float = 1.959964) -> tuple[float, float]:
    """The Wilson score 95% interval of a proportion.

    >>> [round(x, 4) for x in wilson(8, 10)]
    [0.4902, 0.9433]
    """
    p = events / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * np.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return float(max(centre - half, 0.0)), float(min(centre + half, 1.0))


def life_table(at_risk: np.ndarray, events: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The cumulative incidence after each step by the life table (Kaplan-Meier) and
    Greenwood's variance of it, from the (possibly expected, weighted) numbers at risk and with
    the event at each step: ``F_k = 1 - prod_{j <= k} (1 - x_j / n_j)``,
    ``Var F_k = (1 - F_k)^2 sum_{j <= k} x_j / (n_j (n_j - x_j))``.

    Patients who leave while event-free (no further tap) are assumed to be like those who stay
    (missing at random); patients with the event leave the table. Without anyone leaving it is
    the plain share and the binomial variance:

    >>> f, v = life_table(np.array([10.0, 6.0]), np.array([4.0, 3.0]))
    >>> [round(float(x), 4) for x in f], round(float(v[-1]), 4), round(0.7 * 0.3 / 10, 4)
    ([0.4, 0.7], 0.021, 0.021)
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        hazard = np.where(at_risk > 0, events / at_risk, 0.0)
        terms = np.where((at_risk > 0) & (at_risk > events), events / (at_risk * (at_risk - events)), np.inf)
    terms = np.where(events > 0, terms, 0.0)
    survival = np.cumprod(1.0 - hazard)
    with np.errstate(invalid="ignore"):
        variance = survival * survival * np.cumsum(terms)
    return 1.0 - survival, np.nan_to_num(variance, nan=0.0, posinf=np.inf)
