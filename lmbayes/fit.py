"""Learn a network's numbers from a cohort: a Bayesian update of each published quantity.

Every number of a network file is a clinical quantity, a probability ``theta = P(event |
condition)``: a sign's frequency among patients with LM (``given``), with one cause alone
(``causes``) or with none (``leak``), a test's sensitivity and specificity, a prior, the
cytology figures. Its value and range (or counts) become a prior ``Beta(a, b)``
(:func:`lmbayes.uncertainty.beta_parameters`); the cohort adds its counts of the event among
patients in the condition.

Where the condition is hidden (LM when the diagnosis is unknown, the competing causes, the CSF
state, shedding) the counts are *expected* counts, expectation-maximisation over the network's
own tables (:meth:`lmbayes.engine.Engine.family_rows` gives every patient's posterior over
the hidden nodes of each condition):

.. math:: e = \\sum_b P(\\text{condition} \\mid x_b)\\,[\\text{event in } x_b], \\qquad
          n = \\sum_b P(\\text{condition} \\mid x_b)\\,[\\text{node recorded in } x_b]

(for a hidden node, ``e = sum_b P(condition, event | x_b)`` over every patient). The M-step
sets ``theta = (a + e) / (a + b + n)``, the posterior mean; the network is rebuilt from the
new numbers (the shedding calibration solved again from the new one- and three-tap figures,
the signs' "alone" frequencies solved again from their new ``given``) and the E-step repeated
until no number moves by more than ``1e-6``.

Expected counts are not observed counts: where the findings say little about the condition
(a competing cause with no test of its own), counting them in full would claim information the
cohort does not hold and leave intervals far too narrow. Each quantity's counts are scaled by
the share of the hidden indicator's variance the findings resolve (``information`` in
:class:`_Counts`: 1 where the condition is observed, 0 where nothing bears on it), so that
such numbers stay near their priors with their priors' spread. The cytology figures are counted as published:
``one_tap`` the share of patients with LM positive at tap 1, ``three_taps`` the share positive
within taps 1-3 among those who had three.

Each updated number gets the posterior ``Beta(a + e, b + n - e)``: its mean as value, its 2.5%
and 97.5% quantiles as range, and counts ``[a + e - 1/2, a + b + n - 1]`` (rounded) so that
the uncertainty analysis draws it from that posterior. A condition on one cause *alone* uses
only the patients in whom no other modelled cause is present: a consistent estimate, not the
full likelihood of the noisy-OR. The scaling by ``information`` is a heuristic (an effective
sample size), and the taps of one patient count as if independent; a hidden cause with one
test of its own or none is weakly identified, and EM can settle away from its true numbers.
``bench/cohort.py`` measures how often the ranges hold the true numbers.

pgmpy's ``ExpectationMaximization`` is not used: it drops every row with a missing finding
(pgmpy 1.1 calls ``data.dropna()``; a cohort has missing findings in most rows), fits
unconstrained tables (no noisy-OR, no solved calibration, no Beta priors) and enumerates the
hidden states row by row. The tests hold one EM step here to one step of pgmpy's estimator
from the same tables, on complete rows with the causes, the CSF state and shedding hidden.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from lmbayes.calibration import CalibrationError
from lmbayes.cohort import Cohort
from lmbayes.engine import ROWS, Engine
from lmbayes.errors import LmbayesError
from lmbayes.kinds import parameter_path
from lmbayes.network import Network
from lmbayes.parameters import Quantity
from lmbayes.spec import NetworkSpec, Parameter
from lmbayes.tables import burden_misfits
from lmbayes.uncertainty import beta_parameters

if TYPE_CHECKING:
    from lmbayes.tables import Tables

__all__ = ["Fit", "FitError", "Quantity", "Update", "fit", "quantities"]

#: EM stops when no number moves by more than this, or after MAX_ITERATIONS.
TOLERANCE = 1e-6
MAX_ITERATIONS = 200


class FitError(LmbayesError):
    """The cohort's numbers cannot be turned into a network (the cytology figures, say)."""


@dataclass(frozen=True)
class Update:
    """One number before and after the cohort, with the cohort's (expected) counts."""

    path: str
    before: Parameter
    after: Parameter
    #: the cohort's counts as they entered: expected counts times ``information``
    events: float
    total: float
    #: the share of the hidden condition's variance the findings resolve (1: observed)
    information: float = 1.0
    json_extra: ClassVar[tuple[str, ...]] = ("shift",)

    @property
    def shift(self) -> float:
        """How far the value moved, in standard deviations of its prior."""
        a, b = beta_parameters(self.before) or (1.0, 1.0)
        sd = np.sqrt(a * b / ((a + b) ** 2 * (a + b + 1)))
        return float((self.after.value - self.before.value) / sd)


@dataclass(frozen=True)
class Fit:
    spec: NetworkSpec
    updates: tuple[Update, ...]
    #: numbers the cohort cannot inform, with the reason
    kept: tuple[tuple[str, str], ...]
    iterations: int
    converged: bool
    patients: int
    source: str


def quantities(spec: NetworkSpec) -> tuple[tuple[Quantity, ...], tuple[tuple[str, str], ...]]:
    """The quantity each parameter of ``spec`` is, and the parameters no cohort informs, with
    the reason (each kind's forms say which: :mod:`lmbayes.parameters`)."""
    found: list[Quantity] = []
    kept: list[tuple[str, str]] = []
    for path in spec.parameters:
        counted = parameter_path(spec, path).quantity()
        if isinstance(counted, str):
            kept.append((path, counted))
        else:
            found.append(counted)
    return tuple(found), tuple(kept)


def core_nodes(tables: Tables) -> tuple[str, ...]:
    """The nodes that are some node's parent (LM, the causes, the context, the hidden CSF state
    and shedding), in topological order: a quantity of one of them is counted over every
    patient, from the posterior of its family."""
    parents = {p for v in tables.variables for p in tables.parents[v]}
    return tuple(v for v in tables.variables if v in parents)


class _Counts:
    """The E-step, prepared once for a cohort: ``(events, total, information)`` of each quantity.

    Each quantity needs every patient's posterior over a few nodes: its condition's, and for a
    core node its own (a family of the network). :meth:`lmbayes.engine.Engine.family_rows`
    gives all of them from one batched contraction (or one forward and backward pass); each
    quantity's condition (and, for a core node, its event) is a mask over its set, applied as
    a matrix product. What each patient's record adds to each quantity (events, recorded
    nodes) does not change between iterations and is counted here once.
    """

    def __init__(self, tables: Tables, cohort: Cohort, wanted: Sequence[Quantity]) -> None:
        self.cohort = cohort
        core = core_nodes(tables)
        column = {c: j for j, c in enumerate(cohort.columns)}
        n = cohort.patients
        self.sets: list[tuple[str, ...]] = []
        #: per quantity: its set's position, its condition mask and event mask over the set
        self.masks: list[tuple[int, np.ndarray, np.ndarray]] = []
        hidden = []
        self.recorded = np.zeros((n, len(wanted)))
        self.hits = np.zeros((n, len(wanted)))
        for i, q in enumerate(wanted):
            is_hidden = q.nodes[0] in core  # the event is hidden too: every patient counts
            nodes = tuple(dict.fromkeys((*(node for node, _ in q.condition), *((q.nodes[0],) if is_hidden else ()))))
            if nodes not in self.sets:
                self.sets.append(nodes)
            shape = tuple(len(tables.states[v]) for v in nodes)
            grids = np.indices(shape).reshape(len(nodes), -1)
            m = np.ones(grids.shape[1], dtype=bool)
            for node, state in q.condition:
                m &= grids[nodes.index(node)] == state
            event = m & np.isin(grids[nodes.index(q.nodes[0])], q.event) if is_hidden else np.zeros_like(m)
            self.masks.append((self.sets.index(nodes), m.astype(float), event.astype(float)))
            if is_hidden:
                hidden.append(i)
                continue
            recorded = [cohort.states[:, column[v]] for v in q.nodes if v in column]
            if q.within:
                if len(recorded) < q.within:
                    continue
                done = np.all([r >= 0 for r in recorded], axis=0)
                self.recorded[:, i] = done
                self.hits[:, i] = done & np.any([np.isin(r, q.event) for r in recorded], axis=0)
                continue
            for r in recorded:
                self.recorded[:, i] += r >= 0
                self.hits[:, i] += np.isin(r, q.event)
        self.recorded[:, hidden] = 1.0
        self.hidden = np.array(hidden, dtype=int)
        self.engine = Engine(tables)

    def __call__(self, tables: Tables) -> np.ndarray:
        """``(events, total, information)`` of each quantity under ``tables``: shape
        ``(quantities, 3)``.

        ``information`` is the share of the variance of the hidden indicator that the findings
        resolve: with ``w_b`` the probability that patient ``b`` is in the condition (for a
        hidden node: that the event happened, given the condition) and ``t`` its mean,
        ``(mean w_b^2 - t^2) / (t (1 - t))``: 1 where the condition is observed (or absent),
        0 where the findings say nothing about it. The fit scales the counts by it.
        """
        cohort = self.cohort
        k = len(self.masks)
        self.engine = engine = self.engine.with_tables(tables)
        sums = np.zeros((k, 4))  # events, total, sum of w^2 (or joint^2 / w), patients counted
        for start in range(0, cohort.patients, ROWS):
            rows = slice(start, start + ROWS)
            z, joints = engine.family_rows(cohort.columns, cohort.states[rows], self.sets)
            if not (z > 0).all():  # a row the network (as fitted so far) cannot produce: named, not a warning
                raise cohort.impossible_row(start + int(np.argmin(z > 0)))
            post = [j.reshape(len(j), -1) / z[:, None] for j in joints]
            weights = np.column_stack([post[s] @ m for s, m, _ in self.masks]) if k else np.zeros((len(z), 0))
            recorded = self.recorded[rows]
            chunk = np.stack([
                (weights * self.hits[rows]).sum(axis=0),
                (weights * recorded).sum(axis=0),
                (weights * weights * recorded).sum(axis=0),
                recorded.sum(axis=0),
            ], axis=1)
            if self.hidden.size:  # the event is hidden too: its probability q = joint / w
                joint = np.column_stack([post[self.masks[i][0]] @ self.masks[i][2] for i in self.hidden])
                w = weights[:, self.hidden]
                with np.errstate(divide="ignore", invalid="ignore"):
                    squares = np.where(w > 0, joint * joint / w, 0.0).sum(axis=0)
                chunk[self.hidden] = np.stack([joint.sum(axis=0), w.sum(axis=0), squares, w.sum(axis=0)], axis=1)
            sums += chunk
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sums[:, 1] / sums[:, 3]
            hidden = np.zeros(k, dtype=bool)
            hidden[self.hidden] = True
            mean = np.where(hidden, sums[:, 0] / sums[:, 1], mean)
            spread = mean * (1.0 - mean)
            information = np.where(spread > 1e-12, (sums[:, 2] / sums[:, 3] - mean * mean) / spread, 1.0)
        information = np.clip(np.nan_to_num(information, nan=1.0), 0.0, 1.0)
        return np.column_stack([sums[:, 0], sums[:, 1], information])


def fit(network: Network, cohort: Cohort, *, source: str = "cohort") -> Fit:
    """The network's numbers updated by ``cohort`` (module docstring); ``source`` is the key
    under which the cohort is cited in the new file's sources."""
    network.require_target()
    if network.pretest is not None:
        raise FitError("fit learns the prior of LM from the cohort: give no pre-test probability or setting")
    spec = network.spec
    wanted, kept = quantities(spec)
    priors = {q.path: beta_parameters(spec.parameters[q.path]) for q in wanted}
    kept = (*kept, *((q.path, "a fixed number (no range)") for q in wanted if priors[q.path] is None))
    wanted = tuple(q for q in wanted if priors[q.path] is not None)
    prior = np.array([priors[q.path] for q in wanted])
    diagnosed = cohort.with_diagnosis(network.target)
    diagnosed.check_possible(network.engine)
    step = _Counts(network.tables, diagnosed, wanted)

    def em(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One EM step: the posterior means given the expected counts under ``values``, each
        scaled by the share of information the findings hold about its condition."""
        counts = step(_tables(_with_values(spec, wanted, values)))
        counts[:, :2] *= counts[:, 2:]
        return (prior[:, 0] + counts[:, 0]) / (prior.sum(axis=1) + counts[:, 1]), counts

    values = np.array([spec.parameters[q.path].value for q in wanted])
    converged, iteration, counts = False, 0, np.zeros((len(wanted), 3))
    while iteration < MAX_ITERATIONS and not converged:
        jump, plain = _squarem(em, values)
        iteration += 3
        try:
            new, counts = em(jump)
            values = jump
        except FitError:  # the extrapolated numbers make no network: the plain EM steps
            new, counts = em(plain)
            values = plain
        converged = float(np.abs(new - values).max(initial=0.0)) < TOLERANCE
        values = new
    updates = _updates(spec, wanted, prior, counts, source)
    informed = {u.path for u in updates}
    kept = (*kept, *((q.path, "no patient in the cohort informs it") for q in wanted if q.path not in informed))
    final = replace(spec, parameters={**spec.parameters, **{u.path: u.after for u in updates}})
    final = _causes_above_their_leaks(final)
    updates = [replace(u, after=final.parameters[u.path]) for u in updates]
    unreachable = {f"{node}.{field}" for node, field in burden_misfits(final)}
    if unreachable:  # the burden model cannot give these tests the fitted figures: keep the file's
        updates = [u for u in updates if u.path not in unreachable]
        kept = (*kept, *((p, "the fitted figure does not fit the tumour-burden model with the other fitted numbers") for p in sorted(unreachable)))
        final = replace(spec, parameters={**spec.parameters, **{u.path: u.after for u in updates}})
    _tables(final)
    ranked = tuple(sorted(updates, key=lambda u: -abs(u.shift)))
    return Fit(final, ranked, kept, iteration, converged, cohort.patients, source)


def _squarem(em: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One SQUAREM extrapolation (Varadhan and Roland 2008, scheme S3): two EM steps
    ``t1 = F(t0)``, ``t2 = F(t1)``, then ``t0 - 2 a r + a^2 v`` with ``r = t1 - t0``,
    ``v = t2 - t1 - r`` and ``a = -|r| / |v|`` (at most -1), kept inside (0, 1).
    Returns the extrapolated values and ``t2`` (the fallback)."""
    t1, _ = em(values)
    t2, _ = em(t1)
    r, v = t1 - values, t2 - 2.0 * t1 + values
    norm_v = float(np.sqrt((v * v).sum()))
    if norm_v == 0.0:
        return t2, t2
    alpha = min(-float(np.sqrt((r * r).sum())) / norm_v, -1.0)
    return np.clip(values - 2.0 * alpha * r + alpha * alpha * v, 1e-9, 1.0 - 1e-9), t2


def _causes_above_their_leaks(spec: NetworkSpec) -> NetworkSpec:
    """A noisy-OR cause cannot make a sign rarer than its leak (the loader refuses it): a
    fitted cause below its node's fitted leak is held at the leak, as the tables hold it."""
    params = dict(spec.parameters)
    for path, p in spec.parameters.items():
        node, _, rest = path.partition(".")
        leak = params.get(f"{node}.leak")
        if rest.startswith("causes.") and leak is not None and p.value < leak.value:
            params[path] = replace(p, value=leak.value, low=min(p.low, leak.value), high=max(p.high, leak.value))
    return replace(spec, parameters=params)


def _tables(spec: NetworkSpec) -> Tables:
    try:
        return Network(spec).tables
    except CalibrationError as exc:
        raise FitError(f"the cohort's cytology figures cannot be reproduced by a tumour-burden model: {exc}") from None


def _with_values(spec: NetworkSpec, wanted: Sequence[Quantity], values: np.ndarray) -> NetworkSpec:
    params = dict(spec.parameters)
    for q, v in zip(wanted, values):
        params[q.path] = replace(params[q.path], value=float(v))
    return replace(spec, parameters=params)


def _updates(spec: NetworkSpec, wanted: Sequence[Quantity], prior: np.ndarray, counts: np.ndarray, source: str) -> list[Update]:
    """Each number with data: the posterior Beta's mean, 95% interval and counts."""
    from scipy.stats import beta as beta_distribution  # pgmpy's dependency; only fit needs it

    updates = []
    a1s, b1s = prior[:, 0] + counts[:, 0], prior[:, 1] + counts[:, 1] - counts[:, 0]
    with np.errstate(divide="ignore", invalid="ignore"):  # the quantities without data are skipped
        quantiles = beta_distribution.ppf([[0.025], [0.975]], a1s, b1s)  # all at once: one call
    for q, (a, b), (e, n, information), low, high in zip(wanted, prior, counts, *quantiles):
        if n <= 0:
            continue
        a1, b1 = a + e, b + n - e
        mean = a1 / (a1 + b1)
        low, high = float(low), float(high)
        before = spec.parameters[q.path]
        events, total = max(round(a1 - 0.5), 0), max(round(a1 + b1 - 1.0), 1)
        events = min(events, total)
        after = replace(
            before,
            value=float(mean),
            low=min(low, mean),
            high=max(high, mean),
            sources=tuple(dict.fromkeys((*before.sources, source))),
            counts=(events, total) if abs(events / total - mean) <= 0.01 else None,
        )
        updates.append(Update(q.path, before, after, float(e), float(n), float(information)))
    return updates
