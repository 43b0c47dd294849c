"""Turn a :class:`~lmbayes.spec.NetworkSpec` into conditional probability tables.

Both engines, the numpy one (:mod:`lmbayes.engine`) and pgmpy (:mod:`lmbayes._pgmpy`), read
these same tables. Each table is an array whose axes are the node's parents, in order, then
the node itself; the last axis sums to one.

Forms, for binary causes whose second state is the "present" one:

* **prior**: ``P(X = present) = prior``; with ``prior_given`` one row per parent state.
* **noisy-OR sign** with leak ``l`` and, for each cause ``i``, the frequency ``f_i`` of the sign
  when cause ``i`` alone is present. The activation of cause ``i`` is
  ``a_i = 1 - (1 - f_i) / (1 - l)``, so that

  .. math:: P(\\text{sign absent} \\mid x) = (1 - l) \\prod_i (1 - a_i)^{x_i},

  which gives back ``f_i`` when only cause ``i`` is present and ``l`` when none is. Two causes
  together make a sign more likely than either alone, and evidence for one cause lowers the
  probability of the others ("explaining away").
* **test**: rows ``[specificity, 1 - specificity]`` for target absent and
  ``[1 - sensitivity, sensitivity]`` for target present.
* **shedding** (latent): absent LM never sheds; LM sheds with probability ``pi``.
* **tap**: without shedding ``[1 - f - e0, e0, f]``, with shedding ``[1 - p - e1, e1, p]``
  (negative, equivocal, positive), ``p`` and ``pi`` solved by :mod:`lmbayes.calibration`.

**Draws.** Given arrays of parameter values (one entry per draw), every table gains a leading
axis over the draws and the engine contracts all draws at once (see :mod:`lmbayes.uncertainty`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import itertools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from lmbayes.calibration import Calibration, CalibrationError, calibrate, reachable, solve
from lmbayes.errors import FindingError, InputError, did_you_mean
from lmbayes.spec import CAUSE_KINDS, NetworkSpec
from lmbayes.technique import PARAMETERS as TECHNIQUE_PARAMETERS
from lmbayes.technique import Technique

__all__ = ["Tables", "build_tables", "noisy_or", "scale_to_marginal"]


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

    def __post_init__(self) -> None:
        for field in ("states", "parents", "cpts"):
            object.__setattr__(self, field, MappingProxyType(dict(getattr(self, field))))

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


def noisy_or(leak: ArrayLike, frequencies: Sequence[ArrayLike]) -> np.ndarray:
    """The noisy-OR table of a binary sign with binary causes (formula in the module doc).

    Arrays of values give a leading axis over draws.

    >>> t = noisy_or(0.1, [0.5, 0.3])
    >>> [round(float(x), 4) for x in t[1, 0, :]]   # first cause alone: frequency 0.5
    [0.5, 0.5]
    >>> round(float(t[1, 1, 1]), 4)                # both: 1 - 0.9 * (0.5/0.9) * (0.7/0.9)
    0.6111
    """
    leak = np.asarray(leak, dtype=float)
    freqs = [np.asarray(f, dtype=float) for f in frequencies]
    shape = np.broadcast_shapes(leak.shape, *(f.shape for f in freqs))
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = [np.where(leak < 1.0, (1.0 - f) / (1.0 - leak), 1.0) for f in freqs]
    table = np.empty(shape + (2,) * len(freqs) + (2,))
    for config in itertools.product((0, 1), repeat=len(freqs)):
        absent = (1.0 - leak) * math.prod((k for k, x in zip(keep, config) if x), start=np.ones(shape))
        table[(..., *config, 0)] = absent
        table[(..., *config, 1)] = 1.0 - absent
    return table


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
        below = (weights / (1.0 + np.exp(-(logit + mid[..., None])))).sum(axis=-1) < target
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return 1.0 / (1.0 + np.exp(-(logit + ((lo + hi) / 2.0)[..., None])))


def build_tables(
    spec: NetworkSpec,
    pretest: float | None = None,
    techniques: Mapping[str, Technique] | None = None,
    values: Mapping[str, np.ndarray] | None = None,
) -> Tables:
    """Build the probability tables of ``spec``.

    ``pretest``, if given, replaces the target's prior probability before any finding, keeping
    the odds ratios of its parent (see :func:`scale_to_marginal`). ``techniques`` gives the
    technique of some taps by node id (see :mod:`lmbayes.technique`); the others are taps done
    the usual way. ``values`` replaces parameters by path with arrays of draws, all of one
    length ``D``: the tables then carry a leading axis of length ``D``.
    """
    values = dict(values or {})
    batch = len(next(iter(values.values()))) if values else 0
    shape = (batch,) if batch else ()

    def v(path: str) -> np.ndarray:
        if path in values:
            return np.asarray(values[path], dtype=float)
        return np.full(shape, spec.parameters[path].value)

    cal = _calibration(spec, v, batch)
    cpts: dict[str, np.ndarray] = {}
    for node in spec.nodes:
        if node.kind in CAUSE_KINDS:
            if node.parents:
                parent_states = spec.node(node.parents[0]).states
                p = np.stack([v(f"{node.id}.prior.{s}") for s in parent_states], axis=-1)
            else:
                p = v(f"{node.id}.prior")
            cpts[node.id] = np.stack([1.0 - p, p], axis=-1)
        elif node.kind == "sign":
            freqs = [v(f"{node.id}.causes.{c}") for c in node.parents]
            cpts[node.id] = noisy_or(v(f"{node.id}.leak"), freqs)
        elif node.kind == "test":
            sens, spec_ = v(f"{node.id}.sensitivity"), v(f"{node.id}.specificity")
            cpts[node.id] = _rows([spec_, 1.0 - spec_], [1.0 - sens, sens])
        elif node.kind == "latent":
            pi = np.asarray(cal.shedding_share)
            cpts[node.id] = _rows([np.ones_like(pi), np.zeros_like(pi)], [1.0 - pi, pi])
        elif node.kind == "tap":
            technique = (techniques or {}).get(node.id)
            cpts[node.id] = _tap_cpt(spec, v, cal, technique)
    tables = Tables(
        variables=spec.node_ids,
        states={n.id: n.states for n in spec.nodes},
        parents={n.id: n.parents for n in spec.nodes},
        cpts=cpts,
        calibration=cal,
        batch=batch,
    )
    if pretest is None:
        return tables
    return _with_pretest(tables, spec.target, pretest)


def _rows(*rows: Sequence[ArrayLike]) -> np.ndarray:
    """Stack rows of (possibly batched) probabilities into a table (..., parent state, state)."""
    return np.stack([np.stack(np.broadcast_arrays(*row), axis=-1) for row in rows], axis=-2)


def _calibration(spec: NetworkSpec, v: Callable[[str], np.ndarray], batch: int) -> Calibration:
    s1, s3, f = (v(f"cytology.{k}") for k in ("one_tap", "three_taps", "false_positive"))
    if not batch:
        return calibrate(float(s1), float(s3), float(f))
    low, high = reachable(s1, f)
    if np.any((s3 <= low) | (s3 > high + 1e-15) | (s1 <= f)):
        raise CalibrationError("some draws of the cytology figures cannot be reproduced by a shedding model")
    pi, p = solve(s1, s3, f)
    return Calibration(one_tap=s1, three_taps=s3, false_positive=f, shedding_share=pi, per_tap=p)  # type: ignore[arg-type]


def _tap_cpt(
    spec: NetworkSpec, v: Callable[[str], np.ndarray], cal: Calibration, technique: Technique | None
) -> np.ndarray:
    """Rows: no shedding ``[1 - f - e0, e0, f]``, shedding ``[1 - p - e1, e1, p]``."""
    equivocal = "equivocal" in spec.tap_states
    p, f = np.asarray(cal.per_tap), np.asarray(cal.false_positive)
    e1 = v("cytology.equivocal_with_cells") if equivocal else np.zeros_like(p)
    e0 = v("cytology.equivocal_without_cells") if equivocal else np.zeros_like(p)
    if technique is not None:
        if not all(f"cytology.technique.{k}" in spec.parameters for k in TECHNIQUE_PARAMETERS):
            raise InputError(
                f"the network '{spec.name}' does not model tap technique (no cytology.technique "
                "in its file); give the results without @..."
            )
        effects = {k: v(f"cytology.technique.{k}") for k in TECHNIQUE_PARAMETERS}
        p = technique.detection(p, effects, ceiling=1.0 - e1)
    if equivocal:
        return _rows([1.0 - f - e0, e0, f], [1.0 - p - e1, e1, p])
    return _rows([1.0 - f, f], [1.0 - p, p])


def _with_pretest(tables: Tables, target: str, pretest: float) -> Tables:
    from lmbayes.engine import Engine

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
    cpts = dict(tables.cpts)
    cpts[target] = np.stack([1.0 - present, present], axis=-1)
    return Tables(tables.variables, tables.states, tables.parents, cpts, tables.calibration, tables.batch)
