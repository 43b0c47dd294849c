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
from lmbayes.taps import apply_likelihood_ratio, negative_lr, percent, tap_joints

__all__ = [
    "Attribution",
    "Conflict",
    "conflict",
    "dependence",
    "eano_level",
    "explain",
    "finding_groups",
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
#: and where it says "probable" but P(LM) is below this.
PROBABLE_BELOW = 0.50


def decibans(lr: float) -> float:
    return 10.0 * math.log10(lr) if lr > 0 else float("-inf")


def odds(p: float) -> float:
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
                f"No conflict worth an alert: the findings are {math.exp(self.value):.2f} times less likely together "
                f"than apart (conf = {self.value:.2f}), below the alert threshold (conf {CONFLICT_ALERT:g}: "
                f"{math.exp(CONFLICT_ALERT):.1f} times)."
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
    """A finding's (or a group's) contribution; ``members``, a group's findings."""

    finding: str
    in_context_lr: float
    shapley_db: float
    members: tuple[str, ...] = ()

    json_extra: ClassVar[tuple[str, ...]] = ("shapley_odds_ratio",)

    @property
    def shapley_odds_ratio(self) -> float:
        return 10 ** (self.shapley_db / 10)

    def sentence(self) -> str:
        direction = "raises" if self.shapley_db > 0 else "lowers"
        if self.members:
            direction = "raise" if self.shapley_db > 0 else "lower"
        what = f"{self.finding} ({', '.join(self.members)})" if self.members else self.finding
        return (
            f"{what} {direction} the odds of LM: x{self.shapley_odds_ratio:.2f} averaged over orders "
            f"({self.shapley_db:+.1f} dB), x{self.in_context_lr:.2f} when it comes last."
        )


def explain(network: Network, findings: Findings) -> tuple[Attribution, ...]:
    """Each finding's contribution to P(LM), in context and order-free; largest first.

    Beyond :data:`MAX_SHAPLEY` findings (a complete work-up), the findings are attributed in
    groups, still exactly: each tap's analyses together, the signs together, each other test
    (the MRI's readings together) and each context finding alone (:func:`finding_groups`).
    """
    network.require_target()
    case = network.case(findings)
    target = network.target
    if target in case.findings:
        raise InputError(f"'{target}' itself is a finding: there is nothing to explain")
    ev = case.evidence
    names = [f"{node}={state}" for node, state in findings.states.items()]
    if not ev:
        return ()
    groups: list[tuple[str, tuple[int, ...]]] = [(name, (i,)) for i, name in enumerate(names)]
    if len(ev) > MAX_SHAPLEY:
        groups = finding_groups(network, findings)
        if len(groups) > MAX_SHAPLEY:
            raise InputError(
                f"{len(ev)} findings in {len(groups)} groups (taps, signs, tests): exact attribution handles "
                f"at most {MAX_SHAPLEY}; explain fewer findings"
            )
    n = len(groups)
    membership = np.zeros((n, len(ev)), dtype=bool)
    for g, (_, members) in enumerate(groups):
        membership[g, list(members)] = True
    subsets = np.arange(2**n)
    chosen = ((subsets[:, None] >> np.arange(n)) & 1).astype(bool)
    joint = case.engine.subset_joint((target,), ev, (chosen.astype(np.int64) @ membership.astype(np.int64)) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = 10 * (np.log10(joint[:, 1]) - np.log10(joint[:, 0]))
    if not np.all(np.isfinite(v)):
        certain = [groups[i][0] for i in range(n) if not np.isfinite(v[1 << i])] or [g[0] for g in groups]
        raise InputError(
            f"{', '.join(certain)} makes LM certain or impossible, so odds and attributions are "
            "undefined; explain the other findings without it"
        )
    full = 2**n - 1
    weights = np.array([math.factorial(s) * math.factorial(n - s - 1) / math.factorial(n) for s in range(n)])
    size = chosen.sum(axis=1)
    result = []
    for i, (name, members) in enumerate(groups):
        without = subsets[(subsets >> i) & 1 == 0]
        phi = float((weights[size[without]] * (v[without | (1 << i)] - v[without])).sum())
        in_context = 10 ** ((v[full] - v[full & ~(1 << i)]) / 10)
        shown = tuple(names[m] for m in members) if len(members) > 1 else ()
        result.append(Attribution(name, float(in_context), phi, shown))
    return tuple(sorted(result, key=lambda a: -abs(a.shapley_db)))


def finding_groups(network: Network, findings: Findings) -> list[tuple[str, tuple[int, ...]]]:
    """The findings in groups for attribution: ``tap k`` (all of a tap's analyses), ``signs``,
    each other test by its event (``mri``: its three readings), each context finding alone;
    in the order of the findings. A group of one keeps its finding's name.

    >>> from lmbayes import load_network
    >>> net = load_network()
    >>> f = net.observe({"headache": "present", "mri": "normal", "seizures": "absent", "cells_1": "normal"}, "neg")
    >>> finding_groups(net, f)
    [('signs', (0, 2)), ('mri=normal', (1,)), ('tap 1', (3, 4))]
    """
    spec = network.spec
    keys: dict[str, list[int]] = {}
    for i, node in enumerate(findings.states):
        n = spec.node(node)
        key = f"tap {n.tap}" if n.tap else "signs" if n.kind == "sign" else n.event
        keys.setdefault(key, []).append(i)
    names = list(findings.states.items())
    return [
        (key if len(members) > 1 else f"{names[members[0]][0]}={names[members[0]][1]}", tuple(members))
        for key, members in keys.items()
    ]


@dataclass(frozen=True)
class DependenceRow:
    """After ``taps`` further negative taps: P(LM) in the network, in the chain of the network's
    next-tap likelihood ratio (``chained``: the same taps as independent tests) and in the
    Fagan chain of the published single-tap figure (``fagan``),
    and the cumulative yield (a positive tap among patients with LM) of both."""

    taps: int
    network: float
    chained: float
    fagan: float
    likelihood_ratio: float | None
    yield_network: float
    yield_chained: float


@dataclass(frozen=True)
class Dependence:
    """The rows, the next tap's negative likelihood ratio that the chained model multiplies
    (``chained_lr``), and the first tap's before any finding, which a Fagan nomogram
    would chain whatever was done before (``fagan_lr``; the two differ once taps are done)."""

    chained_lr: float | None
    fagan_lr: float | None
    rows: tuple[DependenceRow, ...]


def dependence(network: Network, findings: Findings) -> Dependence:
    """Further taps in the network beside the same taps treated as independent tests.

    The chained model uses exactly the network's probabilities of the next tap's results
    (with and without LM, given the findings), so the only difference is the dependence between
    taps: ``P(k negatives | LM) = P(1 negative | LM)^k`` and likewise without LM. The network's
    patients with LM who shed few cells do so on every tap, so by Jensen's inequality
    ``P(k negatives | LM) >= P(1 negative | LM)^k``: for ``k >= 2`` the network's P(LM) is never
    below the chained one, and its cumulative yield never above (50, 73.7, 85% against 50,
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
    chained_lr = float(neg_lm / neg_no)
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
            chained=apply_likelihood_ratio(current, chained_lr, j),
            fagan=apply_likelihood_ratio(current, fagan_lr, j),
            likelihood_ratio=negative_lr(step.joint, negative),
            yield_network=float(1.0 - none_positive / p_lm_total),
            yield_chained=float(1.0 - (1.0 - pos_lm) ** j),
        ))
    return Dependence(chained_lr, fagan_lr, tuple(rows))


@dataclass(frozen=True)
class LevelGap:
    """The guideline's level and P(LM) point different ways; ``against`` are the findings that
    pull P(LM) the other way most (order-free, see :func:`explain`), ``limit`` the figure P(LM)
    is compared with (:data:`CONFIRMED_BELOW`, :data:`PROBABLE_BELOW` or the treatment
    threshold)."""

    level: str
    p_lm: float
    against: tuple[str, ...]
    limit: float = CONFIRMED_BELOW

    json_extra: ClassVar[tuple[str, ...]] = ("text",)

    @property
    def text(self) -> str:
        return self.sentence()

    def sentence(self) -> str:
        """The one line a reader sees.

        >>> LevelGap("probable", 0.003, ("csf_1=negative",), 0.5).sentence()[:60]
        'EANO-ESMO level: probable (typical signs and a typical MRI),'
        """
        p = percent(self.p_lm)
        if self.level in ("possible", "lack of evidence"):
            pulled = f"raised by {', '.join(self.against)}" if self.against else "raised by the findings together"
            return (
                f"EANO-ESMO level: {self.level}, yet P(LM) is {p}, above the treatment threshold "
                f"({100 * self.limit:.0f}%): {pulled} (order-free; see `lmbayes explain`)."
            )
        why = {"confirmed": "a positive cytology", "probable": "typical signs and a typical MRI"}[self.level]
        if self.against:
            held = f"held back by {', '.join(self.against)} (the findings that lower the odds most, order-free; see `lmbayes explain`)"
        elif self.level == "confirmed":
            held = "no finding lowers it, but the prior before any finding is low and a positive tap can be a false positive"
        else:
            held = "no finding lowers it, but the prior before any finding is low"
        return f"EANO-ESMO level: {self.level} ({why}), yet P(LM) is {p}, below {100 * self.limit:.0f}%: {held}."


def level_gap(
    network: Network, findings: Findings, level: str, p_lm: float, treat: float | None = None
) -> LevelGap | None:
    """Where the EANO-ESMO level and P(LM) disagree: "confirmed" below :data:`CONFIRMED_BELOW`,
    "probable" below :data:`PROBABLE_BELOW`, "possible" or "lack of evidence" above ``treat``
    (the treatment threshold; not checked when None). The findings that pull P(LM) away from
    the level come with it (largest first, at most three); None where they agree."""
    if network.target in findings:
        return None
    limits = {"confirmed": CONFIRMED_BELOW, "probable": PROBABLE_BELOW}
    if level in limits and p_lm < limits[level]:
        sign, limit = -1, limits[level]
    elif level not in limits and treat is not None and p_lm > treat:
        sign, limit = 1, treat
    else:
        return None
    try:
        items = explain(network, findings)
    except InputError:  # a finding makes LM certain: nothing to attribute
        items = ()
    against = tuple(a.finding for a in items if sign * a.shapley_db > 0)[:3]
    return LevelGap(level, p_lm, against, limit)
