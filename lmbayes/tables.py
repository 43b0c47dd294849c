"""Turn a :class:`~lmbayes.spec.NetworkSpec` into conditional probability tables.

Both engines, the numpy one (:mod:`lmbayes.engine`) and pgmpy (:mod:`lmbayes._pgmpy`), read
these same tables. Each table is an array whose axes are the node's parents, in order, then
the node itself; the last axis sums to one. Each node's kind builds its table (the forms are
in :mod:`lmbayes.kinds`).

**Draws.** Given arrays of parameter values (one entry per draw), every table gains a leading
axis over the draws and the engine contracts all draws at once (see :mod:`lmbayes.uncertainty`).

**Techniques.** A tap done a stated way changes only that tap's table:
:meth:`Tables.with_techniques` rebuilds those tables and shares every other one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from lmbayes.calibration import Calibration, CalibrationError, calibrate, reachable, solve
from lmbayes.errors import FindingError, InputError, did_you_mean
from lmbayes.engine import Engine
from lmbayes.kinds import BurdenTest, Sign, TableContext, Test, _RivalTest, explaining, kind_of, noisy_or
from lmbayes.spec import NetworkSpec, Node
from lmbayes.technique import Technique

__all__ = ["MIN_PRETEST", "Tables", "build_tables", "noisy_or", "scale_to_marginal", "sign_floors", "with_pretest"]

#: The smallest pre-test probability computed with: below it the products of probabilities
#: leave double precision (5e-324 is the smallest positive float) and P(LM) would read 0.
MIN_PRETEST = 1e-300


@dataclass(frozen=True)
class Tables:
    """Probability tables over named discrete variables, in topological order.

    With ``batch = D > 0`` every table has a leading axis of length ``D``: one network per draw.
    """

    variables: tuple[str, ...]
    states: Mapping[str, tuple[str, ...]]
    parents: Mapping[str, tuple[str, ...]]
    cpts: Mapping[str, np.ndarray]
    calibration: Calibration | None = None
    batch: int = 0
    #: what built the tables (None for an imported network): technique variants reuse it
    context: TableContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("states", "parents"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        # C order, however the tables were made (built, read by pgmpy, loaded from the cache):
        # the contraction then sums in the same order and gives the same last digit
        object.__setattr__(self, "cpts", MappingProxyType({v: np.ascontiguousarray(t) for v, t in self.cpts.items()}))

    def with_cpts(self, cpts: Mapping[str, np.ndarray]) -> Tables:
        """The same tables with some replaced."""
        return dataclasses.replace(self, cpts={**self.cpts, **cpts})

    def with_techniques(self, techniques: Mapping[str, Technique]) -> Tables:
        """The tables with the given taps done the given way; only those taps' tables change.

        Techniques already in these tables stay unless ``techniques`` names the same tap.
        """
        if not techniques:
            return self
        if self.context is None:
            raise InputError("this network does not model tap technique; give the results without one")
        ctx = dataclasses.replace(self.context, techniques=MappingProxyType({**self.context.techniques, **techniques}))
        spec = ctx.spec
        changed = {tap: kind_of(spec.node(tap)).table(spec.node(tap), ctx) for tap in techniques}
        return dataclasses.replace(self, cpts={**self.cpts, **changed}, context=ctx)

    def state_index(self, node: str, state: str) -> int:
        """The index of ``state`` in ``node``; a :class:`FindingError` naming the valid ones."""
        if node not in self.states:
            raise FindingError(f"unknown node '{node}'{did_you_mean(node, self.variables)}")
        states = self.states[node]
        if state not in states:
            raise FindingError(
                f"unknown state '{state}' for '{node}'{did_you_mean(state, states)}; "
                f"valid states: {', '.join(states)}"
            )
        return states.index(state)


def scale_to_marginal(rows: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Scale every row's odds by one factor ``c`` so that the marginal equals ``target``.

    With rows ``p_s = P(X = present | parent = s)`` and parent probabilities ``w_s`` (last
    axis; any leading axes are draws), solve

    .. math:: \\sum_s w_s \\frac{c\\, o_s}{1 + c\\, o_s} = \\text{target}, \\quad o_s = \\frac{p_s}{1 - p_s}

    by bisection on ``log c`` (the left side increases with ``c``). The odds ratios between
    parent states are kept: a user's pre-test probability replaces the population's baseline,
    not the effect of systemic disease.

    >>> p = scale_to_marginal(np.array([0.01, 0.1]), np.array([0.5, 0.5]), 0.2)
    >>> round(float(0.5 * p[0] + 0.5 * p[1]), 12)
    0.2
    """
    logit = np.log(np.clip(rows, 1e-300, None)) - np.log(np.clip(1.0 - rows, 1e-300, None))
    lo = np.full(rows.shape[:-1], -800.0)
    hi = np.full(rows.shape[:-1], 800.0)
    for _ in range(200):
        mid = (lo + hi) / 2.0
        with np.errstate(over="ignore"):  # exp overflows to inf far below the target: 0 there, its limit
            below = (weights / (1.0 + np.exp(-(logit + mid[..., None])))).sum(axis=-1) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return _sigmoid(logit + ((lo + hi) / 2.0)[..., None])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-x))`` without overflow: where ``exp(-x)`` would overflow (x below about
    -709) the value is ``exp(x)``, its limit, down to the smallest float and then 0.

    >>> [float(v) for v in _sigmoid(np.array([0.0, -800.0, 800.0]))]
    [0.5, 0.0, 1.0]
    >>> float(_sigmoid(np.array([-744.0]))[0]) > 0
    True
    """
    with np.errstate(over="ignore"):
        e = np.exp(-x)
    return np.where(np.isinf(e), np.exp(np.minimum(x, 0.0)), 1.0 / (1.0 + e))


def build_tables(
    spec: NetworkSpec,
    techniques: Mapping[str, Technique] | None = None,
    values: Mapping[str, np.ndarray] | None = None,
    pretest: float | None = None,
) -> Tables:
    """Build the probability tables of ``spec``.

    ``techniques`` gives the technique of some taps by node id (see :mod:`lmbayes.technique`);
    the others are taps done the usual way. ``values`` replaces parameters by path with arrays
    of draws, all of one length ``D``: the tables then carry a leading axis of length ``D``.
    ``pretest``, if given, replaces the target's prior probability before any finding, keeping
    the odds ratios of its parent (:func:`scale_to_marginal`).

    The causes and context nodes are built first (with the pre-test probability applied), so
    that a sign whose frequency among patients with the target is given can be solved against
    the causes as they are among those patients (:class:`lmbayes.kinds.Sign`).
    """
    values = dict(values or {})
    batch = len(next(iter(values.values()))) if values else 0
    shape = (batch,) if batch else ()

    v = _Values(spec, values, shape)
    ctx = TableContext(spec, v, _calibration(spec, v, batch), MappingProxyType(dict(techniques or {})))
    first, ctx = _causes_first(spec, ctx, pretest, batch)
    cpts = {**first.cpts, **{n.id: kind_of(n).table(n, ctx) for n in spec.nodes if n.id not in first.cpts}}
    return Tables(
        variables=spec.node_ids,
        states={n.id: n.states for n in spec.nodes},
        parents={n.id: n.parents for n in spec.nodes},
        cpts={n: cpts[n] for n in spec.node_ids},
        calibration=ctx.calibration,
        batch=batch,
        context=ctx,
    )


@dataclass(frozen=True)
class _Values:
    """A parameter's value by its path: the given array, else the file's value for every draw
    (a class rather than a closure, so that built tables can be kept)."""

    spec: NetworkSpec
    values: dict[str, np.ndarray]
    shape: tuple[int, ...]

    def __call__(self, path: str) -> np.ndarray:
        if path in self.values:
            return np.asarray(self.values[path], dtype=float)
        return np.full(self.shape, self.spec.parameters[path].value)


def _causes_first(spec: NetworkSpec, ctx: TableContext, pretest: float | None, batch: int) -> tuple[Tables, TableContext]:
    """The tables of the causes and context nodes, and the context that can query them."""
    causes = explaining(spec)
    early = tuple(n for n in causes if not kind_of(n).second_pass)
    first = Tables(
        variables=tuple(n.id for n in early),
        states={n.id: n.states for n in early},
        parents={n.id: n.parents for n in early},
        cpts={n.id: kind_of(n).table(n, ctx) for n in early},
        batch=batch,
    )
    if pretest is not None and spec.target:
        first = with_pretest(first, spec.target, pretest)
    first = _scaled_to_given(spec, ctx, first)
    ctx = dataclasses.replace(ctx, causes_joint=Engine(first).joint)
    late = tuple(n for n in causes if kind_of(n).second_pass)
    if late:  # hidden states solved against the other causes among patients with the target
        cpts = {**first.cpts, **{n.id: kind_of(n).table(n, ctx) for n in late}}
        first = Tables(
            variables=tuple(n.id for n in causes),
            states={n.id: n.states for n in causes},
            parents={n.id: n.parents for n in causes},
            cpts={n.id: cpts[n.id] for n in causes},
            batch=batch,
        )
        ctx = dataclasses.replace(ctx, causes_joint=Engine(first).joint)
    return first, ctx


def _scaled_to_given(spec: NetworkSpec, ctx: TableContext, tables: Tables) -> Tables:
    """Causes whose share among patients with the target is given: their rows scaled so that
    it holds (see :class:`lmbayes.kinds._Prior`). The parent must not depend on the cause."""
    target = spec.target
    for node in explaining(spec):
        path = f"{node.id}.given.{target}"
        if path not in spec.parameters or not node.parents or kind_of(node).second_pass:
            continue
        present = len(spec.node(target).states) - 1
        weights = Engine(tables).joint(node.parents, {target: present})
        weights = weights / weights.sum(axis=-1, keepdims=True)
        cpt = tables.cpts[node.id]
        scaled = scale_to_marginal(cpt[..., 1], weights, ctx.value(path))  # type: ignore[arg-type]  # an array of draws too
        tables = tables.with_cpts({node.id: np.stack([1.0 - scaled, scaled], axis=-1)})
    return tables


def point_context(spec: NetworkSpec) -> TableContext:
    """The causes' tables at the file's values, ready to query: what :func:`sign_floors` and
    :func:`solved_sensitivities` need (the taps' calibration is not: a placeholder stands in)."""
    def v(path: str) -> np.ndarray:
        return np.asarray(spec.parameters[path].value)

    ctx = TableContext(spec, v, calibrate(0.5, 0.85), MappingProxyType({}))
    return _causes_first(spec, ctx, None, 0)[1]


def sign_floors(spec: NetworkSpec, ctx: TableContext | None = None) -> dict[str, tuple[float, float, float]]:
    """For each sign with a given frequency ``m`` among patients with the target:
    ``(m, floor, solved "alone" frequency)`` at the file's values (see :class:`lmbayes.kinds.Sign`).

    >>> from lmbayes import load_network
    >>> m, floor, alone = sign_floors(load_network().spec)["limb_weakness"]
    >>> m, round(floor, 4) < m, round(alone, 4) < m
    (0.53, True, True)
    """
    ctx = ctx or point_context(spec)
    found = {}
    for node in spec.nodes:
        solver = noisy_or_solver(node)
        result = solver.floor_and_solution(node, ctx) if solver is not None else None
        if solver is not None and result is not None:
            target = solver.solved_target(node, spec) or ""
            found[node.id] = (float(solver.frequency(node, ctx, target)), float(result[0]), float(result[1]))
    return found


def noisy_or_solver(node: Node) -> Sign | None:
    """What solves the target's own frequency of a noisy-OR node (a sign, a hidden reaction, a
    test with rival causes), or None."""
    kind = kind_of(node)
    if isinstance(kind, Sign):
        return kind
    if node.kind == "test" and len(node.parents) > 1:
        return _RivalTest()
    return None


def solved_sensitivities(spec: NetworkSpec, ctx: TableContext | None = None) -> dict[str, float]:
    """The sensitivity of each test whose file gives its frequency among patients with LM
    instead (see :class:`lmbayes.kinds.Test`), at the file's values, unclipped."""
    ctx = ctx or point_context(spec)
    found = {}
    for node in (*spec.nodes, *spec.tap_analyses):
        if node.kind in ("test", "tap_test") and f"{node.template or node.id}.given.{spec.target}" in spec.parameters:
            if node.template:  # generated per tap: the template answers for all
                continue
            found[node.id] = float(Test().sensitivity(node, ctx))
    return found


def burden_solutions(spec: NetworkSpec, ctx: TableContext | None = None) -> dict[str, tuple[float, float, float]]:
    """For each test of the tumour burden, ``(false-positive rate, detection at a low burden,
    detection at a high burden)`` solved at the file's values, unclipped (see
    :class:`lmbayes.kinds.BurdenTest`).

    >>> from lmbayes import load_network
    >>> d0, low, high = burden_solutions(load_network().spec)["ctc"]
    >>> 0 < d0 < low < high < 1
    True
    """
    ctx = ctx or point_context(spec)
    figures = (spec.parameters[f"cytology.{k}"].value for k in ("one_tap", "three_taps", "false_positive"))
    ctx = dataclasses.replace(ctx, calibration=calibrate(*figures))
    return {
        node.id: tuple(float(x) for x in BurdenTest().solve(node, ctx))  # type: ignore[misc]
        for node in spec.tap_analyses
        if node.kind == "burden_test"
    }


def burden_misfits(spec: NetworkSpec, ctx: TableContext | None = None) -> list[tuple[str, str]]:
    """``(node, field)`` of each burden test whose published figure the model cannot reach:
    ``specificity`` where the false-positive rate solves outside [0, 1], ``sensitivity`` where
    the detection at a high burden does."""
    found = []
    for node, (d0, _, dh) in burden_solutions(spec, ctx).items():
        if not 0.0 <= d0 <= 1.0:
            found.append((node, "specificity"))
        elif not 0.0 <= dh <= 1.0:
            found.append((node, "sensitivity"))
    return found


def with_pretest(tables: Tables, target: str, pretest: float) -> Tables:
    """The tables with the target's prior scaled so that P(target) = ``pretest`` before any
    finding, keeping the odds ratios of its parent (see :func:`scale_to_marginal`)."""
    cpt = tables.cpts[target]
    parents = tables.parents[target]
    lead = 1 if tables.batch else 0
    if parents:
        weights = Engine(tables).joint(parents)
        weights = weights.reshape(weights.shape[:lead] + (-1,))
        rows = cpt[..., 1].reshape(cpt.shape[:lead] + (-1,))
        present = scale_to_marginal(rows, weights, pretest).reshape(cpt.shape[:-1])
    else:
        present = np.full(cpt.shape[:-1], pretest)
    return tables.with_cpts({target: np.stack([1.0 - present, present], axis=-1)})


def _calibration(spec: NetworkSpec, v: Callable[[str], np.ndarray], batch: int) -> Calibration:
    s1, s3, f = (v(f"cytology.{k}") for k in ("one_tap", "three_taps", "false_positive"))
    if not batch:
        return calibrate(float(s1), float(s3), float(f))
    low, high = np.asarray(reachable(s1, f)[0]), np.asarray(reachable(s1, f)[1])
    if np.any((s3 <= low) | (s3 > high + 1e-15) | (s1 <= f)):
        raise CalibrationError("some draws of the cytology figures cannot be reproduced by a tumour-burden model")
    pi, p = solve(s1, s3, f)
    return Calibration(one_tap=s1, three_taps=s3, false_positive=f, shedding_share=pi, per_tap=p)  # type: ignore[arg-type]


