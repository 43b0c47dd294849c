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
within taps 1-3 by the life table (:func:`lmbayes.measures.life_table`): in the usual work-up
nobody is tapped again after a positive cytology, and the share among those who had three taps
would leave out the patients found early. The life table's expected counts are those of an
equally informative complete sample (``F (1 - F) / Var F`` patients); stopping after a positive
depends only on recorded results (missing at random), so the likelihood over the taps done
ignores it.

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

from lmbayes.calibration import CalibrationError, reachable
from lmbayes.cohort import Cohort
from lmbayes.engine import ROWS, Engine
from lmbayes.errors import LmbayesError
from lmbayes.kinds import parameter_path
from lmbayes.measures import life_table
from lmbayes.network import Network
from lmbayes.parameters import Quantity
from lmbayes.spec import NetworkSpec, Parameter
from lmbayes.tables import burden_misfits, point_context, sign_floors
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
    #: numbers whose cohort estimate the model cannot represent, moved to the nearest value it
    #: can: ``(path, estimate, written, why)``
    projected: tuple[tuple[str, float, float, str], ...] = ()


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
        #: per cumulative cytology figure: who is at risk at each tap, and positive there
        self.life: dict[int, tuple[np.ndarray, np.ndarray]] = {}
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
                # the life table over the first `within` taps (taps stop after a positive)
                found = np.zeros(n, dtype=bool)
                risk, event = np.zeros((n, q.within)), np.zeros((n, q.within))
                for j, r in enumerate(recorded[: q.within]):
                    risk[:, j] = (r >= 0) & ~found
                    event[:, j] = risk[:, j] * np.isin(r, q.event)
                    found |= np.isin(r, q.event)
                self.life[i] = (risk, event)
                self.recorded[:, i] = risk[:, 0]
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
        life = {i: np.zeros((2, risk.shape[1])) for i, (risk, _) in self.life.items()}
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
            for i, (risk, event) in self.life.items():
                life[i] += np.stack([weights[:, i] @ risk[rows], weights[:, i] @ event[rows]])
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = sums[:, 1] / sums[:, 3]
            hidden = np.zeros(k, dtype=bool)
            hidden[self.hidden] = True
            mean = np.where(hidden, sums[:, 0] / sums[:, 1], mean)
            spread = mean * (1.0 - mean)
            information = np.where(spread > 1e-12, (sums[:, 2] / sums[:, 3] - mean * mean) / spread, 1.0)
        information = np.clip(np.nan_to_num(information, nan=1.0), 0.0, 1.0)
        for i, (at_risk, events) in life.items():
            # the life-table share with its Greenwood variance, as the counts of an equally
            # informative complete sample: n = F (1 - F) / Var F (all of tap 1 when Var F = 0)
            f, variance = (float(x[-1]) for x in life_table(at_risk, events))
            total = f * (1.0 - f) / variance if 0 < variance < np.inf else float(at_risk[0])
            sums[i, :2] = f * total, total
        return np.column_stack([sums[:, 0], sums[:, 1], information])


def fit(network: Network, cohort: Cohort, *, source: str = "cohort") -> Fit:
    """The network's numbers updated by ``cohort`` (module docstring); ``source`` is the key
    under which the cohort is cited in the new file's sources."""
    network.require_target()
    spec, pretest = network.spec, network.pretest
    wanted, kept = quantities(spec)
    if pretest is not None:  # the population's P(LM) is stated: the prior of LM is not re-estimated
        held = tuple(q for q in wanted if q.path.startswith(f"{spec.target}.prior"))
        stated = f"the setting '{network.setting}'" if network.setting else f"--pretest {pretest:g}"
        reason = f"P(LM) before any finding is held at {100 * pretest:g}% ({stated}), not re-estimated"
        kept = (*kept, *((q.path, reason) for q in held))
        wanted = tuple(q for q in wanted if q not in held)
    priors = {q.path: beta_parameters(spec.parameters[q.path]) for q in wanted}
    kept = (*kept, *((q.path, "a fixed number (no range)") for q in wanted if priors[q.path] is None))
    wanted = tuple(q for q in wanted if priors[q.path] is not None)
    prior = np.array([priors[q.path] for q in wanted])
    diagnosed = cohort.with_diagnosis(network.target)
    diagnosed.check_possible(network.engine)
    step = _Counts(network.tables, diagnosed, wanted)  # the network's tables: with the pre-test probability

    def em(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One EM step: the posterior means given the expected counts under ``values``, each
        scaled by the share of information the findings hold about its condition."""
        counts = step(_tables(_three_taps_reachable(_with_values(spec, wanted, values))[0], pretest))
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
    # checked as the file will hold them: every number to four significant digits
    final, projected = _reachable(_as_written(_causes_above_their_leaks(final), informed))
    final, burden = _burden_reachable(final)
    projected = (*projected, *burden)
    kept = (*kept, *((path, "the file's figure does not fit the tumour-burden model with the fitted numbers; moved to the nearest that does")
                     for path, *_ in burden if path not in informed))
    updates = [replace(u, after=final.parameters[u.path]) for u in updates]
    _tables(final, pretest)
    ranked = tuple(sorted(updates, key=lambda u: -abs(u.shift)))
    return Fit(final, ranked, kept, iteration, converged, cohort.patients, source, projected)


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


Projection = tuple[tuple[str, float, float, str], ...]


def _moved(p: Parameter, value: float) -> Parameter:
    return replace(p, value=value, low=min(p.low, value), high=max(p.high, value))


def _as_written(spec: NetworkSpec, paths: set[str]) -> NetworkSpec:
    """The numbers at ``paths`` as the fitted file writes them (four significant digits), so
    that every check sees what will be loaded."""
    params = dict(spec.parameters)
    for path in paths:
        p = params[path]
        value = float(f"{p.value:.4g}")
        params[path] = replace(p, value=value, low=min(float(f"{p.low:.4g}"), value), high=max(float(f"{p.high:.4g}"), value))
    return replace(spec, parameters=params)


def _three_taps_reachable(spec: NetworkSpec) -> tuple[NetworkSpec, Projection]:
    """The three-tap figure moved into what a tumour-burden model reaches with the one-tap
    figure and the false-positive rate (sampling noise can put a cohort's estimate outside)."""
    params = spec.parameters
    three, one, fp = (params.get(f"cytology.{k}") for k in ("three_taps", "one_tap", "false_positive"))
    if three is None or one is None:
        return spec, ()
    bounds = reachable(one.value, fp.value if fp is not None else 0.0)
    low, high = float(np.asarray(bounds[0])), float(np.asarray(bounds[1]))
    # kept 0.1% inside the bounds: the written file rounds every number to 4 significant digits
    value = min(max(three.value, low + 1e-3 * (high - low)), high - 1e-3 * (high - low))
    if value == three.value:
        return spec, ()
    why = f"with a one-tap figure of {one.value:.3f} a tumour-burden model reaches {low:.3f} to {high:.3f}"
    return (replace(spec, parameters={**params, "cytology.three_taps": _moved(three, value)}),
            (("cytology.three_taps", three.value, value, why),))


def _reachable(spec: NetworkSpec) -> tuple[NetworkSpec, Projection]:
    """Every fitted number the model can represent: the three-tap figure, and each sign's
    frequency among patients with LM at least what its leak and other causes alone give."""
    spec, moved = _three_taps_reachable(spec)
    found = list(moved)
    for _ in range(5):  # a moved sign changes no other sign's floor, but stay safe
        below = {n: v for n, v in sign_floors(spec).items() if v[0] < v[1] - 1e-12}
        if not below:
            break
        params = dict(spec.parameters)
        for node_id, (m, floor, _) in below.items():
            kind = spec.node(node_id).kind if node_id in spec.node_ids else ""
            path = f"{node_id}.sensitivity" if kind == "test" else f"{node_id}.given.{spec.target}"
            value = min(float(f"{floor * 1.002:.4g}"), 1.0)  # above the floor once the file is rounded
            params[path] = _moved(params[path], value)
            found.append((path, m, value, f"its leak and other causes alone give {floor:.3f} among patients with {spec.target}"))
        spec = replace(spec, parameters=params)
    return spec, tuple(found)


def _burden_reachable(spec: NetworkSpec) -> tuple[NetworkSpec, Projection]:
    """Each CSF tumour-cell or tumour-DNA figure that the tumour-burden model cannot reach with
    the other fitted numbers (a detection above 1, a false-positive rate outside [0, 1]) moved
    to the nearest value it can: a grid, then bisection towards the fitted value, rounded as
    the file writes it."""
    found = []
    for node, field in burden_misfits(spec):
        path = f"{node}.{field}"
        ctx = point_context(spec)  # the causes and the burden: none depends on this figure

        def fits(value: float) -> bool:
            trial = replace(spec, parameters={**spec.parameters, path: replace(spec.parameters[path], value=value)})
            values = replace(ctx, spec=trial, value=lambda p: np.asarray(trial.parameters[p].value))
            return (node, field) not in burden_misfits(trial, values)

        estimate = spec.parameters[path].value
        grid = [v for v in np.linspace(0.005, 0.995, 199) if fits(float(v))]
        if not grid:
            continue  # nothing reaches it: the loader names it
        near = float(min(grid, key=lambda v: abs(v - estimate)))
        bad = estimate
        for _ in range(30):
            middle = (near + bad) / 2
            near, bad = (middle, bad) if fits(middle) else (near, middle)
        value = float(f"{near:.4g}")
        step = 10 ** (np.floor(np.log10(abs(value))) - 3) * np.sign(near - estimate)
        while not fits(value):  # rounding stepped outside: one digit inward
            value = float(f"{value + step:.4g}")
        spec = replace(spec, parameters={**spec.parameters, path: _moved(spec.parameters[path], value)})
        bound = "at most" if value < estimate else "at least"
        found.append((path, estimate, value, f"with the other fitted numbers the tumour-burden model reaches {bound} {value:.4g}"))
    return spec, tuple(found)


def _tables(spec: NetworkSpec, pretest: float | None = None) -> Tables:
    try:
        return Network(spec, pretest=pretest).tables
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
