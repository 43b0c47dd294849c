"""Explain findings: what each finding did to P(LM), where findings conflict, the EANO-ESMO
level, and why repeated taps are dependent (:mod:`lmbayes.replay` replays a case step by step).

**Likelihood ratio of a step.** With findings ``E`` before a step and ``f`` the step's findings,
``LR = odds(P(LM | E, f)) / odds(P(LM | E))``, the factor the step applied to the odds given
everything before it. In decibans: ``10 log10 LR``.

**Attribution of a finding** ``i`` among findings ``F`` (``v(S) = 10 log10 odds P(LM | S)``):

* in context: ``v(F) - v(F without i)``;
* order-free, the Shapley value over all orders in which the findings could arrive,

  .. math:: \\phi_i = \\sum_{S \\subseteq F \\setminus \\{i\\}}
            \\frac{|S|!\\,(n - |S| - 1)!}{n!} \\left[ v(S \\cup \\{i\\}) - v(S) \\right],

  exact: all ``2^n`` subsets are evaluated in one batched contraction
  (:meth:`lmbayes.engine.Engine.subset_joint`). The values add up to ``v(F) - v(empty)``.

**Conflict** (the data-conflict measure of Hugin): ``conf(F) = ln(prod_i P(f_i) / P(F))``. A
positive value means the findings are jointly less likely than if each came alone: they pull
in different directions. The pair with the largest pairwise conflict is named.

**EANO-ESMO level of certainty** (Le Rhun et al. 2017, the levels for patients without a
leptomeningeal biopsy): *confirmed* with a positive CSF cytology; *probable* with typical
clinical signs and a typical MRI; *possible* with one of the two; *lack of evidence* otherwise.
Typical clinical signs here are any sign that LM can cause in the network; a typical MRI is the
target-test's second state. An equivocal cytology is treated as not positive: how the
guideline's table treats equivocal cytology was not checked against the paper.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar
from itertools import combinations

import numpy as np

from lmbayes.errors import InputError
from lmbayes.findings import Findings
from lmbayes.network import Network
from lmbayes.taps import apply_likelihood_ratio, negative_lr, tap_joints

__all__ = [
    "Attribution",
    "Conflict",
    "conflict",
    "dependence",
    "eano_level",
    "explain",
    "level_gap",
]

#: Exact Shapley values evaluate 2^n subsets at once.
MAX_SHAPLEY = 16
#: Conflict worth an alert: the findings jointly e (2.7) times less likely than apart. Hugin
#: flags any conf > 0, which a pair of unrelated findings reaches by chance; the threshold is a
#: judgement.
CONFLICT_ALERT = 1.0
#: Where the guideline says "confirmed" but P(LM) is below this, the output says why.
CONFIRMED_BELOW = 0.90


def decibans(lr: float) -> float:
    return 10.0 * math.log10(lr) if lr > 0 else float("-inf")


def _odds(p: float) -> float:
    return p / (1.0 - p) if p < 1.0 else float("inf")


def eano_level(network: Network, findings: Findings) -> str:
    """``confirmed``, ``probable``, ``possible`` or ``lack of evidence`` (module docstring)."""
    spec, states = network.spec, findings.states
    positive = spec.tap_states[-1]
    if any(states.get(t) == positive for t in spec.taps):
        return "confirmed"
    signs = any(states.get(n.id) == n.states[-1] for n in spec.of_kind("sign") if spec.target in n.parents)
    mri = any(states.get(n.id) == n.states[-1] for n in spec.of_kind("test") if n.parents[:1] == (spec.target,))
    return "probable" if signs and mri else "possible" if signs or mri else "lack of evidence"


@dataclass(frozen=True)
class Conflict:
    """Hugin's conflict measure and the pair of findings that pulls apart most."""

    value: float
    pair: tuple[str, str] | None
    pair_value: float

    json_extra: ClassVar[tuple[str, ...]] = ("alert",)

    @property
    def alert(self) -> bool:
        """Above :data:`CONFLICT_ALERT`: the findings are jointly much less likely than apart."""
        return self.value > CONFLICT_ALERT

    def sentence(self) -> str:
        if self.value <= 0:
            return f"No conflict: the findings fit together (conf = {self.value:.2f} <= 0)."
        if not self.alert:
            return (
                f"No conflict worth an alert: conf = {self.value:.2f}, below the alert threshold of "
                f"{CONFLICT_ALERT:g} (findings {math.exp(CONFLICT_ALERT):.1f} times less likely together than apart)."
            )
        pair = f"; {self.pair[0]} and {self.pair[1]} pull apart most (pairwise conf = {self.pair_value:.2f})" if self.pair else ""
        return (
            f"Conflict: the findings are {math.exp(self.value):.1f} times less likely together than each "
            f"alone (conf = {self.value:.2f} > {CONFLICT_ALERT:g}){pair}."
        )


def conflict(network: Network, findings: Findings) -> Conflict:
    """``conf = ln(prod P(f_i) / P(F))`` and the most conflicting pair (module docstring)."""
    case = network.case(findings)
    ev = case.evidence
    names = [f"{n}={s}" for n, s in findings.states.items()]
    n = len(ev)
    if n < 2:
        return Conflict(0.0, None, 0.0)
    masks = np.zeros((1 + n + n * (n - 1) // 2, n), dtype=bool)
    masks[0] = True
    for i in range(n):
        masks[1 + i, i] = True
    pairs = list(combinations(range(n), 2))
    for k, (i, j) in enumerate(pairs):
        masks[1 + n + k, [i, j]] = True
    p = case.engine.subset_joint((), ev, masks)
    single = np.log(p[1 : 1 + n])
    value = float(single.sum() - math.log(p[0]))
    pair_conf = [single[i] + single[j] - math.log(p[1 + n + k]) for k, (i, j) in enumerate(pairs)]
    best = int(np.argmax(pair_conf))
    worst = pairs[best]
    return Conflict(value, (names[worst[0]], names[worst[1]]) if pair_conf[best] > 0 else None, float(pair_conf[best]))


@dataclass(frozen=True)
class Attribution:
    finding: str
    in_context_lr: float
    shapley_db: float

    json_extra: ClassVar[tuple[str, ...]] = ("shapley_odds_ratio",)

    @property
    def shapley_odds_ratio(self) -> float:
        return 10 ** (self.shapley_db / 10)

    def sentence(self) -> str:
        direction = "raises" if self.shapley_db > 0 else "lowers"
        return (
            f"{self.finding} {direction} the odds of LM: x{self.shapley_odds_ratio:.2f} averaged over orders "
            f"({self.shapley_db:+.1f} dB), x{self.in_context_lr:.2f} when it comes last."
        )


def explain(network: Network, findings: Findings) -> tuple[Attribution, ...]:
    """Each finding's contribution to P(LM), in context and order-free; largest first."""
    network.require_target()
    case = network.case(findings)
    target = network.target
    if target in case.findings:
        raise InputError(f"'{target}' itself is a finding: there is nothing to explain")
    ev = case.evidence
    n = len(ev)
    if n == 0:
        return ()
    if n > MAX_SHAPLEY:
        raise InputError(f"{n} findings: exact attribution handles at most {MAX_SHAPLEY}")
    subsets = np.arange(2**n)
    masks = ((subsets[:, None] >> np.arange(n)) & 1).astype(bool)
    joint = case.engine.subset_joint((target,), ev, masks)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = 10 * (np.log10(joint[:, 1]) - np.log10(joint[:, 0]))
    if not np.all(np.isfinite(v)):
        names = [f"{node}={state}" for node, state in findings.states.items()]
        certain = [names[i] for i in range(n) if not np.isfinite(v[1 << i])] or names
        raise InputError(
            f"{', '.join(certain)} makes LM certain or impossible, so odds and attributions are "
            "undefined; explain the other findings without it"
        )
    full = 2**n - 1
    weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    size = masks.sum(axis=1)
    names = [f"{node}={state}" for node, state in findings.states.items()]
    result = []
    for i in range(n):
        without = subsets[(subsets >> i) & 1 == 0]
        phi = float((weights[size[without]] * (v[without | (1 << i)] - v[without])).sum())
        in_context = 10 ** ((v[full] - v[full & ~(1 << i)]) / 10)
        result.append(Attribution(names[i], float(in_context), phi))
    return tuple(sorted(result, key=lambda a: -abs(a.shapley_db)))


@dataclass(frozen=True)
class DependenceRow:
    """After ``taps`` further negative taps: P(LM) in the network and with independent taps,
    and the cumulative yield (a positive tap among patients with LM) of both."""

    taps: int
    network: float
    independent: float
    fagan: float
    likelihood_ratio: float | None
    yield_network: float
    yield_independent: float


@dataclass(frozen=True)
class Dependence:
    """The rows, the next tap's negative likelihood ratio that the independent model chains
    (``independent_lr``), and the first tap's before any finding, which a Fagan nomogram
    would chain whatever was done before (``fagan_lr``; the two differ once taps are done)."""

    independent_lr: float | None
    fagan_lr: float | None
    rows: tuple[DependenceRow, ...]


def dependence(network: Network, findings: Findings) -> Dependence:
    """Further taps in the network beside the same taps treated as independent tests.

    The independent model uses exactly the network's probabilities of the next tap's results
    (with and without LM, given the findings), so the only difference is the dependence between
    taps: ``P(k negatives | LM) = P(1 negative | LM)^k`` and likewise without LM. The network's
    patients with LM who shed few cells do so on every tap, so by Jensen's inequality
    ``P(k negatives | LM) >= P(1 negative | LM)^k``: for ``k >= 2`` the network's P(LM) is never
    below the independent one, and its cumulative yield never above (50, 73.7, 85% against 50,
    75, 87.5% for the published one- and three-tap figures).
    """
    network.require_target()
    spec, target = network.spec, network.target
    case = network.case(findings)
    engine, base = case.engine, case.evidence
    negative, positive = 0, len(spec.tap_states) - 1
    further = spec.taps[findings.taps_done :]
    fagan_lr = network.single_tap_lr()
    steps = list(tap_joints(engine, spec, base, findings.taps_done)) if target not in base else []
    first = steps[0].joint if steps else None
    if first is None or first[0].sum() == 0 or first[1].sum() == 0 or first[0, negative] == 0:
        return Dependence(None, fagan_lr, ())  # no further tap, or the findings fix P(LM)
    neg_lm, neg_no = first[1, negative] / first[1].sum(), first[0, negative] / first[0].sum()
    independent_lr = float(neg_lm / neg_no)
    pos_lm = first[1, positive] / first[1].sum()
    current = case.p_target(base)
    rows = []
    p_lm_total = engine.joint((target,), base)[1]
    for j, step in enumerate(steps, start=1):
        # P(no positive among the j taps | LM): sum over the non-positive states of each tap
        index: tuple[int | slice, ...] = (1, *[slice(0, positive)] * j)
        none_positive = engine.joint((target, *further[:j]), base)[index].sum()
        rows.append(DependenceRow(
            taps=j,
            network=float(step.p_lm_if_negative),
            independent=apply_likelihood_ratio(current, independent_lr, j),
            fagan=apply_likelihood_ratio(current, fagan_lr, j),
            likelihood_ratio=negative_lr(step.joint, negative),
            yield_network=float(1.0 - none_positive / p_lm_total),
            yield_independent=float(1.0 - (1.0 - pos_lm) ** j),
        ))
    return Dependence(independent_lr, fagan_lr, tuple(rows))


@dataclass(frozen=True)
class LevelGap:
    """The guideline's level and P(LM) point different ways; ``against`` are the findings that
    pull P(LM) the other way most (order-free, see :func:`explain`)."""

    level: str
    p_lm: float
    against: tuple[str, ...]


def level_gap(network: Network, findings: Findings, level: str, p_lm: float) -> LevelGap | None:
    """Where the EANO-ESMO level says "confirmed" and P(LM) is below :data:`CONFIRMED_BELOW`,
    the findings that hold P(LM) back (largest first, at most three); None where they agree."""
    if level != "confirmed" or p_lm >= CONFIRMED_BELOW or network.target in findings:
        return None
    against = tuple(a.finding for a in explain(network, findings) if a.shapley_db < 0)[:3]
    return LevelGap(level, p_lm, against)
