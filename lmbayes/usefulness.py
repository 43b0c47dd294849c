"""What a cohort says beyond discrimination: calibration in numbers, clinical usefulness at the
tool's own thresholds, and calibration by subgroup (the TRIPOD items of an external validation).

* **O/E**: observed over expected events, ``sum y / sum p``, with the usual interval
  ``O/E exp(+-1.96 / sqrt(O))`` (O treated as Poisson);
* **log loss** ``-mean(y ln p + (1 - y) ln(1 - p))`` and the **scaled Brier** score
  ``1 - Brier / (ybar (1 - ybar))`` (1 is perfect, 0 no better than the prevalence);
* **ICI, E50, E90** (Austin and Steyerberg, Stat Med 2019): the mean, median and 90th
  percentile of ``|p - p_c|``, where ``p_c`` is the observed rate at ``p`` by a locally weighted
  linear regression of ``y`` on ``p`` (tricube weights, the nearest 75% of patients), evaluated
  at 200 quantiles of ``p`` and interpolated (above 50,000 patients the curve is fitted on every
  m-th patient in order of ``p``);
* **missed and false alarms** at the management thresholds: patients with LM whose P(LM) is
  below the rule-out threshold, and patients without LM above the treatment threshold;
* **net benefit** at threshold ``t`` (Vickers and Elkin 2006): ``TP/n - FP/n t/(1 - t)`` for
  "act where P(LM) >= t", beside "act in everyone" (``prevalence - (1 - prevalence) t/(1 - t)``)
  and "act in no one" (0);
* **calibration by subgroup**: O/E, with its interval, among the patients in each state of a
  finding (systemic status, subtype, the MRI) and by the number of taps done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lmbayes.measures import EPS

__all__ = ["Calibration", "CurvePoint", "Subgroup", "calibration", "decision_curve", "lowess_curve", "observed_expected"]

#: The thresholds of the decision curve, 1% to 50%.
CURVE = (0.01, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5)
#: The smoothed calibration curve is fitted on at most this many patients (evenly spaced in
#: order of P(LM)); its cost is the grid's 200 points times the patients.
CURVE_ROWS = 50_000
#: Below this many patients with LM (or without) in a stage, its calibration is said to be
#: unreliable (Riley et al., BMJ 2021: about 100 events for external validation).
FEW_EVENTS = 100


@dataclass(frozen=True)
class Calibration:
    """One stage's calibration in numbers and its clinical usefulness at the thresholds."""

    observed_expected: float | None
    oe_low: float | None
    oe_high: float | None
    log_loss: float
    scaled_brier: float | None
    ici: float | None
    e50: float | None
    e90: float | None
    #: patients with LM below the rule-out threshold, and without LM above the treatment one
    missed: int
    false_alarms: int
    rule_out: float
    treat: float
    #: "fewer than 100 patients with LM" or without: the calibration figures are unreliable
    warning: str | None = None


def observed_expected(p: np.ndarray, y: np.ndarray) -> tuple[float | None, float | None, float | None]:
    """O/E with its 95% interval (None without expected events).

    >>> [round(x, 3) for x in observed_expected(np.array([0.2] * 100), np.array([1] * 25 + [0] * 75))]
    [1.25, 0.845, 1.85]
    """
    observed, expected = float(y.sum()), float(p.sum())
    if expected <= 0:
        return None, None, None
    ratio = observed / expected
    if observed == 0:
        return ratio, None, None
    half = 1.959964 / np.sqrt(observed)
    return ratio, float(ratio * np.exp(-half)), float(ratio * np.exp(half))


def lowess_curve(p: np.ndarray, y: np.ndarray, span: float = 0.75, points: int = 200) -> np.ndarray:
    """The observed rate at each ``p`` by a locally weighted linear regression (module
    docstring). A perfectly calibrated, linear relation is returned exactly:

    >>> p = np.linspace(0.01, 0.99, 500)
    >>> bool(np.allclose(lowess_curve(p, p), p))
    True
    """
    order = np.argsort(p, kind="stable")
    xs, ys = p[order], y[order].astype(float)
    if xs.size > CURVE_ROWS:  # the curve from every m-th patient in order of P(LM): no draw, same digits
        step = int(np.ceil(xs.size / CURVE_ROWS))
        xs, ys = xs[::step], ys[::step]
    n = xs.size
    k = max(2, int(np.ceil(span * n)))
    grid = np.unique(np.quantile(xs, np.linspace(0, 1, min(points, n))))
    fitted = np.empty(grid.size)
    for g, x0 in enumerate(grid):
        distance = np.abs(xs - x0)
        radius = np.partition(distance, k - 1)[k - 1]
        if radius <= 0:
            radius = distance.max() or 1.0
        w = np.clip(1.0 - (distance / (radius * (1 + 1e-12))) ** 3, 0.0, None) ** 3
        sw = w.sum()
        mx, my = (w @ xs) / sw, (w @ ys) / sw
        sxx = w @ ((xs - mx) ** 2)
        slope = (w @ ((xs - mx) * (ys - my))) / sxx if sxx > 1e-18 else 0.0
        fitted[g] = my + slope * (x0 - mx)
    return np.clip(np.interp(p, grid, fitted), 0.0, 1.0)


def calibration(p: np.ndarray, y: np.ndarray, rule_out: float, treat: float) -> Calibration:
    """The measures of the module docstring for one stage."""
    oe, low, high = observed_expected(p, y)
    q = np.clip(p, EPS, 1.0 - EPS)
    log_loss = float(-np.mean(y * np.log(q) + (1 - y) * np.log(1 - q)))
    prevalence = float(y.mean())
    brier = float(np.mean((p - y) ** 2))
    scaled = 1.0 - brier / (prevalence * (1 - prevalence)) if 0 < prevalence < 1 else None
    ici = e50 = e90 = None
    if 0 < prevalence < 1 and y.size >= 20:
        gap = np.abs(p - lowess_curve(p, y))
        ici, e50, e90 = float(gap.mean()), float(np.median(gap)), float(np.quantile(gap, 0.9))
    events, others = int(y.sum()), int(y.size - y.sum())
    warning = None
    if min(events, others) < FEW_EVENTS:
        which = "with LM" if events <= others else "without LM"
        warning = f"only {min(events, others):,} patients {which} (fewer than {FEW_EVENTS}): calibration figures unreliable"
    return Calibration(
        oe, low, high, log_loss, scaled, ici, e50, e90,
        missed=int(((p < rule_out) & (y == 1)).sum()), false_alarms=int(((p > treat) & (y == 0)).sum()),
        rule_out=rule_out, treat=treat, warning=warning,
    )


@dataclass(frozen=True)
class CurvePoint:
    """Net benefit at one threshold: acting on the network's P(LM), in everyone, in no one."""

    threshold: float
    network: float
    everyone: float
    no_one: float = 0.0


def decision_curve(p: np.ndarray, y: np.ndarray, thresholds: Sequence[float] = CURVE) -> tuple[CurvePoint, ...]:
    """Net benefit by threshold (module docstring).

    >>> p, y = np.array([0.9, 0.6, 0.2, 0.05]), np.array([1, 0, 1, 0])
    >>> point = decision_curve(p, y, [0.5])[0]
    >>> point.network, point.everyone
    (0.0, 0.0)
    """
    n, prevalence = y.size, float(y.mean())
    points = []
    for t in thresholds:
        odds = t / (1 - t)
        act = p >= t
        tp, fp = float((act & (y == 1)).sum()), float((act & (y == 0)).sum())
        points.append(CurvePoint(t, tp / n - fp / n * odds, prevalence - (1 - prevalence) * odds))
    return tuple(points)


@dataclass(frozen=True)
class Subgroup:
    """O/E among the patients with one state of a finding (or a number of taps)."""

    finding: str
    state: str
    patients: int
    lm: int
    expected: float
    observed_expected: float | None
    low: float | None
    high: float | None
