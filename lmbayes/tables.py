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
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from lmbayes.calibration import Calibration, calibrate
from lmbayes.errors import FindingError, InputError, did_you_mean
from lmbayes.spec import CAUSE_KINDS, NetworkSpec
from lmbayes.technique import PARAMETERS as TECHNIQUE_PARAMETERS
from lmbayes.technique import Technique

__all__ = ["Tables", "build_tables", "noisy_or", "scale_to_marginal"]


@dataclass(frozen=True)
class Tables:
    """Probability tables over named discrete variables, in topological order."""

    variables: tuple[str, ...]
    states: Mapping[str, tuple[str, ...]]
    parents: Mapping[str, tuple[str, ...]]
    cpts: Mapping[str, np.ndarray]
    calibration: Calibration | None = None

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


def noisy_or(leak: float, frequencies: Sequence[float]) -> np.ndarray:
    """The noisy-OR table of a binary sign with binary causes (formula in the module doc).

    >>> t = noisy_or(0.1, [0.5, 0.3])
    >>> [round(float(x), 4) for x in t[1, 0, :]]   # first cause alone: frequency 0.5
    [0.5, 0.5]
    >>> round(float(t[1, 1, 1]), 4)                # both: 1 - 0.9 * (0.5/0.9) * (0.7/0.9)
    0.6111
    """
    n = len(frequencies)
    table = np.empty((2,) * n + (2,))
    keep = [(1.0 - f) / (1.0 - leak) if leak < 1.0 else 1.0 for f in frequencies]
    for config in itertools.product((0, 1), repeat=n):
        absent = (1.0 - leak) * math.prod(k for k, x in zip(keep, config) if x)
        table[config] = (absent, 1.0 - absent)
    return table


def scale_to_marginal(rows: np.ndarray, weights: np.ndarray, target: float) -> np.ndarray:
    """Scale every row's odds by one factor ``c`` so that the marginal equals ``target``.

    With rows ``p_s = P(X = present | parent = s)`` and parent probabilities ``w_s``, solve

    .. math:: \\sum_s w_s \\frac{c\\, o_s}{1 + c\\, o_s} = \\text{target}, \\quad o_s = \\frac{p_s}{1 - p_s}

    by bisection on ``log c`` (the left side increases with ``c``). The odds ratios between
    parent states are kept: a user's pre-test probability replaces the population's baseline,
    not the effect of systemic disease.

    >>> p = scale_to_marginal(np.array([0.01, 0.1]), np.array([0.5, 0.5]), 0.2)
    >>> round(float(0.5 * p[0] + 0.5 * p[1]), 12)
    0.2
    """
    logit = np.log(np.clip(rows, 1e-300, None)) - np.log(np.clip(1.0 - rows, 1e-300, None))

    def marginal(log_c: float) -> float:
        return float(np.dot(weights, 1.0 / (1.0 + np.exp(-(logit + log_c)))))

    lo, hi = -800.0, 800.0
    for _ in range(200):
        mid = (lo + hi) / 2.0
        lo, hi = (mid, hi) if marginal(mid) < target else (lo, mid)
    return 1.0 / (1.0 + np.exp(-(logit + (lo + hi) / 2.0)))


def build_tables(
    spec: NetworkSpec,
    pretest: float | None = None,
    techniques: Mapping[str, Technique] | None = None,
) -> Tables:
    """Build the probability tables of ``spec``.

    ``pretest``, if given, replaces the target's prior probability before any finding, keeping
    the odds ratios of its parent (see :func:`scale_to_marginal`). ``techniques`` gives the
    technique of some taps by node id (see :mod:`lmbayes.technique`); the others are taps done
    the usual way.
    """
    par = spec.parameters
    cal_args = [par[f"cytology.{k}"].value for k in ("one_tap", "three_taps", "false_positive")]
    cal = calibrate(*cal_args)
    cpts: dict[str, np.ndarray] = {}
    for node in spec.nodes:
        if node.kind in CAUSE_KINDS:
            if node.parents:
                parent_states = spec.node(node.parents[0]).states
                p = np.array([par[f"{node.id}.prior.{s}"].value for s in parent_states])
            else:
                p = np.array(par[f"{node.id}.prior"].value)
            cpts[node.id] = np.stack([1.0 - p, p], axis=-1)
        elif node.kind == "sign":
            freqs = [par[f"{node.id}.causes.{c}"].value for c in node.parents]
            cpts[node.id] = noisy_or(par[f"{node.id}.leak"].value, freqs)
        elif node.kind == "test":
            sens, spec_ = par[f"{node.id}.sensitivity"].value, par[f"{node.id}.specificity"].value
            cpts[node.id] = np.array([[spec_, 1.0 - spec_], [1.0 - sens, sens]])
        elif node.kind == "latent":
            cpts[node.id] = np.array([[1.0, 0.0], [1.0 - cal.shedding_share, cal.shedding_share]])
        elif node.kind == "tap":
            technique = (techniques or {}).get(node.id)
            cpts[node.id] = _tap_cpt(spec, cal, technique)
    tables = Tables(
        variables=spec.node_ids,
        states={n.id: n.states for n in spec.nodes},
        parents={n.id: n.parents for n in spec.nodes},
        cpts=cpts,
        calibration=cal,
    )
    if pretest is None:
        return tables
    return _with_pretest(tables, spec.target, pretest)


def _tap_cpt(spec: NetworkSpec, cal: Calibration, technique: Technique | None) -> np.ndarray:
    """Rows: no shedding ``[1 - f - e0, e0, f]``, shedding ``[1 - p - e1, e1, p]``."""
    par = spec.parameters
    equivocal = "equivocal" in spec.tap_states
    e1 = par["cytology.equivocal_with_cells"].value if equivocal else 0.0
    e0 = par["cytology.equivocal_without_cells"].value if equivocal else 0.0
    p, f = cal.per_tap, cal.false_positive
    if technique is not None:
        try:
            effects = {k: par[f"cytology.technique.{k}"].value for k in TECHNIQUE_PARAMETERS}
        except KeyError:
            raise InputError(
                f"the network '{spec.name}' does not model tap technique (no cytology.technique "
                "in its file); give the results without @..."
            ) from None
        p = technique.detection(p, effects, ceiling=1.0 - e1)
    if equivocal:
        return np.array([[1.0 - f - e0, e0, f], [1.0 - p - e1, e1, p]])
    return np.array([[1.0 - f, f], [1.0 - p, p]])


def _with_pretest(tables: Tables, target: str, pretest: float) -> Tables:
    from lmbayes.engine import Engine

    cpt = tables.cpts[target]
    parents = tables.parents[target]
    if parents:
        weights = Engine(tables).joint(parents).reshape(-1)
        present = scale_to_marginal(cpt[..., 1].reshape(-1), weights, pretest).reshape(cpt.shape[:-1])
    else:
        present = np.array(pretest)
    cpts = dict(tables.cpts)
    cpts[target] = np.stack([1.0 - present, present], axis=-1)
    return Tables(tables.variables, tables.states, tables.parents, cpts, tables.calibration)

