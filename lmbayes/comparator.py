"""A comparator on the same cohort: what a Fagan nomogram applied finding by finding would say.

Each recorded finding's own likelihood ratio, ``P(f | LM) / P(f | no LM)`` from the network
with no other finding, is chained from the prior odds as if the findings were independent given
LM (the naive Bayes model a nomogram user works with; repeated taps each apply the single-tap
ratio, the "Fagan" of ``lmbayes taps``). The network and the chain then score the same patients;
the differences in AUC and Brier score carry paired bootstrap intervals (the same resamples
for both), and the net benefit difference is given at a few thresholds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from lmbayes.measures import auc, brier
from lmbayes.network import Network
from lmbayes.usefulness import decision_curve

__all__ = ["Comparison", "chained_lr", "compare"]

#: The thresholds at which the net benefit difference is given.
THRESHOLDS = (0.05, 0.1, 0.2)


@dataclass(frozen=True)
class Comparison:
    """The chain's AUC and Brier score, and the network's minus the chain's, with 95% paired
    bootstrap intervals (None without a bootstrap), and the net benefit difference."""

    name: str
    auc: float | None
    brier: float
    auc_difference: float | None
    auc_low: float | None
    auc_high: float | None
    brier_difference: float
    brier_low: float | None
    brier_high: float | None
    net_benefit_difference: tuple[tuple[float, float], ...]


def chained_lr(network: Network, columns: Sequence[str], states: np.ndarray) -> np.ndarray:
    """P(LM) of each row by chaining every recorded finding's own likelihood ratio from the
    network's prior (module docstring). A finding impossible with or without LM moves the log
    odds by at most 50.

    >>> from lmbayes import load_network
    >>> net = load_network()
    >>> p = chained_lr(net, ["csf_1", "csf_2"], np.array([[0, 0], [-1, -1]]))
    >>> lr = net.single_tap_lr()
    >>> prior = float(p[1]); odds = prior / (1 - prior) * lr * lr
    >>> bool(abs(p[0] - odds / (1 + odds)) < 1e-12)
    True
    """
    engine, target = network.engine, network.target
    prior = float(engine.joint((target,), {})[1])
    log_odds = np.full(states.shape[0], np.log(prior / (1 - prior)))
    for j, column in enumerate(columns):
        joint = engine.joint((target, column), {})
        with np.errstate(divide="ignore", invalid="ignore"):
            lr = np.log((joint[1] / joint[1].sum()) / (joint[0] / joint[0].sum()))
        lr = np.clip(np.nan_to_num(lr, nan=0.0), -50.0, 50.0)
        recorded = states[:, j] >= 0
        log_odds[recorded] += lr[states[recorded, j]]
    return 1.0 / (1.0 + np.exp(-log_odds))


def compare(
    network: Network, columns: Sequence[str], states: np.ndarray, p: np.ndarray, y: np.ndarray,
    resamples: Iterable[np.ndarray] | None = None,
) -> Comparison:
    """The network's P(LM) ``p`` against the chain on the same rows (module docstring)."""
    q = chained_lr(network, columns, states)
    two = len(set(y.tolist())) == 2
    auc_difference = float(auc(p, y) - auc(q, y)) if two else None
    brier_difference = float(brier(p, y) - brier(q, y))
    intervals: dict[str, tuple[float | None, float | None]] = {"auc": (None, None), "brier": (None, None)}
    if resamples is not None:
        draws: dict[str, list[np.ndarray]] = {"auc": [], "brier": []}
        for w in resamples:
            if two:
                draws["auc"].append(np.atleast_1d(auc(p, y, w) - auc(q, y, w)))
            draws["brier"].append(np.atleast_1d(brier(p, y, w) - brier(q, y, w)))
        for key, parts in draws.items():
            values = np.concatenate(parts) if parts else np.array([])
            values = values[np.isfinite(values)]
            if values.size >= 10:
                low, high = np.percentile(values, [2.5, 97.5])
                intervals[key] = (float(low), float(high))
    ours, theirs = decision_curve(p, y, THRESHOLDS), decision_curve(q, y, THRESHOLDS)
    return Comparison(
        "Fagan chain of each finding's own likelihood ratio",
        float(auc(q, y)) if two else None, float(brier(q, y)),
        auc_difference, *intervals["auc"], brier_difference, *intervals["brier"],
        tuple((a.threshold, a.network - b.network) for a, b in zip(ours, theirs)),
    )
