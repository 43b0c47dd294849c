"""Simulate a cohort of virtual patients through a workup strategy.

"Patients like this one": the hidden state of each patient (LM, shedding, and whatever else
the strategy's tests depend on) is drawn exactly from its posterior given the findings, by
:meth:`lmbayes.engine.Engine.joint`; the results of the strategy's tests (MRI, further taps)
are then drawn from their tables given that state. The tests are leaves of the network, so
this is exact sampling from ``P(hidden, results | findings)``.

Every patient gets one uniform number per potential test, shared by all strategies (common
random numbers): comparing strategies on the same cohort, differences are the strategies',
not the dice's.

A strategy (``parse_strategy``): ``[mri+]Ntaps[+standard][+all]``: MRI first or not, up to N
further taps, done the usual way or to the handling standard, stopping at the first positive
tap unless ``all``.

All arrays are vectorised over patients; the posterior of each distinct pattern of results
is computed once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from lmbayes.errors import InputError, TooFewTapsError
from lmbayes.findings import Findings
from lmbayes.network import Case, Network
from lmbayes.spec import MAX_TAPS, tap_id
from lmbayes.tables import Tables
from lmbayes.technique import STANDARD, Technique

__all__ = ["CohortResult", "Strategy", "forward_sample", "parse_strategy", "simulate"]

MRI = "mri"
#: Patients per chunk; a progress callback is told after each.
CHUNK = 200_000


@dataclass(frozen=True)
class Strategy:
    """MRI first or not, up to ``taps`` further taps done a given way, stop at first positive."""

    taps: int
    mri: bool = False
    technique: Technique | None = None
    stop_at_positive: bool = True
    #: analyses sent from every tap beside cytology (groups or ids, checked by the network)
    analyses: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        """The strategy in the syntax :func:`parse_strategy` reads.

        >>> parse_strategy("mri+3taps+standard").name
        'mri+3taps+standard'
        """
        parts = (["mri"] if self.mri else []) + [f"{self.taps}tap{'s' if self.taps != 1 else ''}"]
        parts += (["standard"] if self.technique == STANDARD else []) + list(self.analyses)
        parts += [] if self.stop_at_positive else ["all"]
        return "+".join(parts)


def parse_strategy(text: str) -> Strategy:
    """Read ``[mri+]Ntaps[+standard|+usual][+ANALYSIS...][+all]``; an analysis is a name the
    network knows (``routine``, ``ctc``, ``ctdna``), checked when the strategy is simulated.

    >>> parse_strategy("3taps")
    Strategy(taps=3, mri=False, technique=None, stop_at_positive=True, analyses=())
    >>> parse_strategy("2taps+ctc").analyses
    ('ctc',)
    """
    taps, mri, technique, stop = None, False, None, True
    analyses: list[str] = []
    for token in text.lower().replace(" ", "").split("+"):
        match = re.fullmatch(r"(\d+)taps?", token, flags=re.ASCII)
        if match:
            taps = int(match[1])
        elif token == "mri":
            mri = True
        elif token == "standard":
            technique = STANDARD
        elif token == "usual":
            technique = None
        elif token == "all":
            stop = False
        elif re.fullmatch(r"[a-z][a-z0-9_]*", token):
            analyses.append(token)
        else:
            raise InputError(
                f"cannot read '{token}' in the strategy '{text}': expected e.g. 3taps, mri+3taps, "
                "2taps+standard or 4taps+all"
            )
    if taps is None or not 0 <= taps <= MAX_TAPS:
        raise InputError(f"the strategy '{text}' needs a number of taps from 0 to {MAX_TAPS}, e.g. 3taps")
    return Strategy(taps, mri, technique, stop, tuple(dict.fromkeys(analyses)))


@dataclass(frozen=True)
class CalibrationBin:
    low: float
    high: float
    patients: int
    predicted: float
    observed: float


@dataclass(frozen=True)
class CohortResult:
    """Counts over the simulated cohort for one strategy (see ``per_1000``)."""

    strategy: Strategy
    patients: int
    lm: int
    found_at: tuple[int, ...]
    missed: int
    false_positive: int
    taps_done: int
    mri_typical_lm: int
    mri_typical_no_lm: int
    calibration: tuple[CalibrationBin, ...]

    def per_1000(self, count: float) -> float:
        return 1000.0 * count / self.patients


def _draw_child(cpt: np.ndarray, parent_states: Sequence[np.ndarray], u: np.ndarray) -> np.ndarray:
    """Inverse-CDF draw of a node's state for each patient, given the parents' states.

    The cumulative table is formed once; each patient then needs one gather per threshold:
    ``state = sum_k [u > F_k(parents)]``. States are int8, uniforms float32 (ample for
    sampling, and half the memory traffic).
    """
    cumulative = np.cumsum(cpt, axis=-1)[..., :-1].astype(u.dtype)
    flat = cumulative.reshape(-1, cumulative.shape[-1])
    row: np.ndarray | int = 0
    for axis, states in enumerate(parent_states):
        row = row * cpt.shape[axis] + states.astype(np.intp)
    if flat.shape[1] == 1:
        return (u > flat[row, 0]).view(np.int8)
    state = np.zeros(u.size, dtype=np.int8)
    for k in range(flat.shape[1]):
        state += u > flat[row, k]
    return state


def forward_sample(
    network: Network, n: int, rng: np.random.Generator | int | None = None, tables: Tables | None = None
) -> dict[str, np.ndarray]:
    """Ancestral sampling of every node, unconditioned, as state indices (vectorised); from
    ``tables`` instead of the network's own where given (the same nodes, some tables changed)."""
    rng = np.random.default_rng(rng)
    t = network.tables if tables is None else tables
    samples: dict[str, np.ndarray] = {}
    for v in t.variables:
        samples[v] = _draw_child(t.cpts[v], [samples[p] for p in t.parents[v]], rng.random(n, dtype=np.float32))
    return samples


def simulate(
    network: Network,
    findings: Findings,
    *,
    strategies: Sequence[Strategy],
    patients: int,
    rng: np.random.Generator | int | None = None,
    progress: Callable[[int], None] | None = None,
    bins: int = 10,
) -> tuple[CohortResult, ...]:
    """Simulate ``patients`` patients like this one through each strategy (same cohort)."""
    if patients < 1:
        raise InputError(f"the number of patients must be at least 1, not {patients}")
    network.require_target()
    rng = np.random.default_rng(rng)
    needed = max((s.taps for s in strategies), default=0)
    net = network
    done_taps = findings.taps_done
    if done_taps + needed > net.spec.n_taps:
        more = "" if done_taps + needed <= MAX_TAPS else f"; lmbayes models at most {MAX_TAPS}"
        raise TooFewTapsError(
            f"{done_taps} taps done and {needed} more need {done_taps + needed} taps, but the network "
            f"models {net.spec.n_taps}{more}",
            needed=done_taps + needed,
        )
    taps = [tap_id(done_taps + k) for k in range(1, needed + 1)]
    readings: dict[Strategy, list[tuple[str, ...]]] = {}
    for s in strategies:
        try:
            chosen = net.analyses(s.analyses)
        except InputError as exc:
            raise InputError(f"in the strategy '{s.name}': {exc}") from None
        readings[s] = [net.spec.tap_readings(done_taps + k, chosen) for k in range(1, s.taps + 1)]
    if any(s.mri for s in strategies) and MRI not in net.spec.node_ids:
        raise InputError(f"the network '{net.name}' has no node 'mri' for an MRI-first strategy")
    mri_done = MRI in findings
    techniques = {s.technique for s in strategies}
    cases = {tech: net.case(findings, dict.fromkeys(taps, tech) if tech else None) for tech in techniques}
    base = next(iter(cases.values()))
    target = net.target

    # the hidden parents of the strategy's tests, drawn from their joint posterior
    tests = ([MRI] if any(s.mri for s in strategies) and not mri_done else [])
    tests += list(dict.fromkeys(r for s in strategies for tap in readings[s] for r in tap))
    needed_states = tuple(dict.fromkeys([target, *(p for t in tests for p in net.spec.node(t).parents)]))
    hidden = tuple(h for h in needed_states if h not in base.findings)
    joint = base.engine.joint(hidden, base.evidence)
    probabilities = (joint / joint.sum()).reshape(-1)
    # what the findings give (LM itself, or the latent shedding state) is the same for everyone
    observed = {h: net.spec.node(h).states.index(base.findings.states[h]) for h in needed_states if h in base.findings}

    acc = {s: _Accumulator(needed, bins) for s in strategies}
    done = 0
    while done < patients:
        size = min(CHUNK, patients - done)
        flat = rng.choice(probabilities.size, size=size, p=probabilities)
        states = dict(zip(hidden, np.unravel_index(flat, joint.shape))) if hidden else {}
        for node, state in observed.items():
            states[node] = np.full(size, state, dtype=np.int8)
        u = {t: rng.random(size, dtype=np.float32) for t in tests}
        for s in strategies:
            case = cases[s.technique]
            results = {
                t: _draw_child(case.engine.tables.cpts[t], [states[p] for p in net.spec.node(t).parents], u[t])
                for t in tests
            }
            acc[s].add(net, case, s, states[target], results, readings[s])
        done += size
        if progress:
            progress(size)
    return tuple(acc[s].result(s, patients) for s in strategies)


class _Accumulator:
    """Sums counts over chunks for one strategy."""

    def __init__(self, taps: int, bins: int) -> None:
        self.lm = self.missed = self.false_positive = self.taps_done = 0
        self.mri_typical = [0, 0]
        self.found_at = [0] * taps
        self.bins = bins
        self.bin_n = np.zeros(bins, dtype=np.int64)
        self.bin_predicted = np.zeros(bins)
        self.bin_observed = np.zeros(bins)
        self._posterior_cache: dict[int, float] = {}

    def add(
        self, net: Network, case: Case, s: Strategy, lm: np.ndarray, results: dict[str, np.ndarray],
        taps: list[tuple[str, ...]],
    ) -> None:
        """One chunk: each tap's readings (cytology and the strategy's analyses); a tap is positive
        when any reading is in its last state."""
        size = lm.size
        has_lm = lm == 1
        self.lm += int(has_lm.sum())
        # which taps each patient gets: up to s.taps, stopping after the first positive
        done = np.ones(size, dtype=bool)
        any_positive = np.zeros(size, dtype=bool)
        codes = np.zeros(size, dtype=np.int64)  # the pattern of results, for the posterior
        columns: list[str] = []
        if s.mri and MRI in results:
            columns.append(MRI)
            codes = codes * 4 + results[MRI]
            self.mri_typical[0] += int((results[MRI][has_lm] == 1).sum())
            self.mri_typical[1] += int((results[MRI][~has_lm] == 1).sum())
        for k, tap in enumerate(taps[: s.taps]):
            positive = np.zeros(size, dtype=bool)
            for t in tap:
                r = results[t]
                positive |= r == len(net.spec.node(t).states) - 1
                codes = codes * 4 + np.where(done, r, 3)
                columns.append(t)
            self.taps_done += int(done.sum())
            first = done & positive & ~any_positive
            self.found_at[k] += int((first & has_lm).sum())
            any_positive |= done & positive
            if s.stop_at_positive:
                done = done & ~positive
        self.missed += int((has_lm & ~any_positive).sum())
        self.false_positive += int((~has_lm & any_positive).sum())
        unique, inverse = np.unique(codes, return_inverse=True)
        predicted = np.array([self._posterior(case, columns, int(c)) for c in unique])[inverse]
        which = np.minimum((predicted * self.bins).astype(int), self.bins - 1)
        self.bin_n += np.bincount(which, minlength=self.bins)
        self.bin_predicted += np.bincount(which, weights=predicted, minlength=self.bins)
        self.bin_observed += np.bincount(which, weights=has_lm.astype(float), minlength=self.bins)

    def _posterior(self, case: Case, columns: list[str], code: int) -> float:
        """P(LM | findings, the results that ``code`` packs in base 4; 3 = not done)."""
        if code not in self._posterior_cache:
            evidence, rest = dict(case.evidence), code
            for column in reversed(columns):
                rest, state = divmod(rest, 4)
                if state != 3:
                    evidence[column] = state
            self._posterior_cache[code] = case.p_target(evidence)
        return self._posterior_cache[code]

    def result(self, s: Strategy, patients: int) -> CohortResult:
        calibration = tuple(
            CalibrationBin(i / self.bins, (i + 1) / self.bins, int(n), p / n, o / n)
            for i, (n, p, o) in enumerate(zip(self.bin_n, self.bin_predicted, self.bin_observed))
            if n
        )
        return CohortResult(
            strategy=s,
            patients=patients,
            lm=self.lm,
            found_at=tuple(self.found_at[: s.taps]),
            missed=self.missed,
            false_positive=self.false_positive,
            taps_done=self.taps_done,
            mri_typical_lm=self.mri_typical[0],
            mri_typical_no_lm=self.mri_typical[1],
            calibration=calibration,
        )
