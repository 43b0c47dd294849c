"""A network audited against the literature: is it more certain than the data it came from?

The first question an external validation asks of a prediction model. A cohort of ``n``
patients is drawn from the network itself (ancestral sampling,
:func:`lmbayes.simulate.forward_sample`); for each *stage* of a workup, P(LM) is computed for
every patient from the findings a published model used (:meth:`lmbayes.engine.Engine.joint_rows`, once
per distinct pattern of findings), and its area under the ROC curve
(:func:`lmbayes.validate.auc`, ties one half) is set beside the published figure.

A network whose AUC at a stage lies above the published range claims to discriminate better
than any real series has shown; one below it, worse. Either is flagged. The stages and their
published figures (Gao 2022, Rilinger 2026) are in :data:`STAGES`; where the source gives a
confidence interval the band is that interval, where it gives a point only the band is a
judgement stated in :attr:`Stage.basis`.

**Drawn half with LM.** The AUC depends on the findings' distributions with and without LM,
not on how common LM is; so that both are measured to the same precision, the patients are
drawn from the network with its prior of LM tilted to one half
(:func:`lmbayes.tables.with_pretest`, keeping the odds ratios of its parents) and each is
weighted back by ``P(lm | parents) / P_tilted(lm | parents)``, the one table that differs
(importance sampling: the weighted cohort is the network's own, exactly in expectation).
P(LM) is always computed with the network's own tables.

**Suspected patients.** The published models were fitted in patients suspected of LM (Gao
2022) or sent for a lumbar puncture (Rilinger 2026); the network's population also holds
patients with none of its signs, whom nobody would tap. By default the audit keeps the drawn
patients with at least one of the network's signs (``population="suspected"``);
``population="all"`` keeps everyone. The comparison is of like with nearly like, and says so.

>>> from lmbayes import load_network
>>> a = audit(load_network(), patients=2000, seed=1)
>>> [s.name for s in a.stages][:3]
['clinical', 'mri', 'cytology']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lmbayes.engine import Engine
from lmbayes.errors import InputError
from lmbayes.network import Network
from lmbayes.spec import NetworkSpec
from lmbayes.tables import Tables, with_pretest
from lmbayes.validate import auc

__all__ = ["Audit", "Published", "Stage", "StageResult", "STAGES", "audit", "stage_columns"]

#: Patients drawn by default: the AUC's sampling error is then about 0.005 or less.
PATIENTS = 20_000
#: The default seed: the audit is deterministic for a given seed.
SEED = 1


@dataclass(frozen=True)
class Published:
    """A published AUC with its interval (where given), the source, and (where given) one
    operating point, ``specificity`` at ``sensitivity``."""

    auc: float | None
    low: float | None
    high: float | None
    source: str
    sensitivity: float | None = None
    specificity: float | None = None


@dataclass(frozen=True)
class Stage:
    """A point of the workup: which findings, the published figure, and the band the network's
    AUC should lie in (``None`` ends: no bound)."""

    name: str
    label: str
    published: Published
    low: float | None
    high: float | None
    #: where the band comes from
    basis: str


#: The stages of issue 24's table, in workup order.
STAGES: tuple[Stage, ...] = (
    Stage(
        "clinical", "clinical signs and history",
        Published(0.812, 0.751, 0.874, "Gao 2022 model A"),
        0.751, 0.874, "the published 95% interval",
    ),
    Stage(
        "mri", "first MRI alone",
        Published(0.743, None, None, "Gao 2022"),
        0.65, 0.80, "judgement: about the point figure (no interval published); MRI pooled 59.4%/97.6% gives 0.785 (Nakasu 2023)",
    ),
    Stage(
        "cytology", "first LP cytology alone",
        Published(0.800, None, None, "Gao 2022"),
        0.75, 0.85, "judgement: the point figure +-0.05 (no interval published)",
    ),
    Stage(
        "routine", "clinical + routine CSF, no cytology",
        Published(0.86, None, None, "Rilinger 2026 (random forest)", sensitivity=0.89, specificity=0.71),
        0.80, 0.92, "judgement: the point figure -0.06/+0.06 (hold-out AUC, no interval published)",
    ),
    Stage(
        "first_lp", "clinical + first LP (cytology, routine CSF)",
        Published(0.901, 0.852, 0.949, "Gao 2022 model B"),
        0.852, 0.949, "the published 95% interval",
    ),
    Stage(
        "all_tap1", "clinical + MRI + every tap-1 analysis",
        Published(None, None, None, "none published"),
        None, None, "no published model uses all of them",
    ),
)


@dataclass(frozen=True)
class StageResult:
    """The network's AUC at one stage beside the published figure."""

    name: str
    label: str
    columns: tuple[str, ...]
    auc: float | None
    published: Published
    low: float | None
    high: float | None
    basis: str
    #: the network's specificity at the published sensitivity (where one is published)
    specificity: float | None = None

    @property
    def verdict(self) -> str:
        """``"within"``, ``"above"`` (more certain than the data), ``"below"``, or ``"n/a"``
        (no band, or no finding of the stage in this network)."""
        if self.auc is None or (self.low is None and self.high is None):
            return "n/a"
        if self.high is not None and self.auc > self.high:
            return "above"
        if self.low is not None and self.auc < self.low:
            return "below"
        return "within"


@dataclass(frozen=True)
class Audit:
    network: str
    #: patients drawn
    patients: int
    #: patients kept (the population): those with a sign, or all
    kept: int
    #: patients kept with LM
    lm: int
    #: P(LM) in the kept population (weighted back to the network's prior)
    prevalence: float
    seed: int
    population: str
    stages: tuple[StageResult, ...]

    def stage(self, name: str) -> StageResult:
        return next(s for s in self.stages if s.name == name)


def _clinical(spec: NetworkSpec) -> tuple[str, ...]:
    """The signs, the observed context (staging, exposure) and the known features."""
    return tuple(n.id for n in spec.nodes if n.observable and not n.tap and n.kind in ("sign", "context"))


def _routine(spec: NetworkSpec) -> tuple[str, ...]:
    return tuple(n.id for n in spec.nodes if n.tap == 1 and n.group == "routine")


_COLUMNS: dict[str, Callable[[NetworkSpec], tuple[str, ...]]] = {
    "clinical": _clinical,
    "mri": lambda spec: tuple(n.id for n in spec.nodes if n.id == "mri"),
    "cytology": lambda spec: tuple(n.id for n in spec.nodes if n.tap == 1 and n.kind == "tap"),
    "routine": lambda spec: _clinical(spec) + _routine(spec),
    "first_lp": lambda spec: _clinical(spec) + tuple(n.id for n in spec.nodes if n.tap == 1 and n.kind == "tap") + _routine(spec),
    "all_tap1": lambda spec: tuple(n.id for n in spec.nodes if n.observable and n.tap in (0, 1)),
}


def stage_columns(spec: NetworkSpec, stage: str) -> tuple[str, ...]:
    """The findings a stage uses in ``spec`` (empty where the network has none of them).

    >>> from lmbayes import load_network
    >>> stage_columns(load_network().spec, "cytology")
    ('csf_1',)
    """
    return _COLUMNS[stage](spec)


def specificity_at(p: np.ndarray, y: np.ndarray, sensitivity: float, w: np.ndarray | None = None) -> float:
    """The (weighted) specificity at the highest threshold whose sensitivity reaches
    ``sensitivity`` (patients at the threshold count as positive).

    >>> specificity_at(np.array([0.1, 0.2, 0.3, 0.9]), np.array([0, 0, 1, 1]), 0.5)
    1.0
    >>> specificity_at(np.array([0.1, 0.2, 0.3, 0.9]), np.array([0, 0, 1, 1]), 0.6)
    1.0
    >>> specificity_at(np.array([0.1, 0.35, 0.3, 0.9]), np.array([0, 0, 1, 1]), 1.0)
    0.5
    """
    w = np.ones(p.size) if w is None else w
    lm = y == 1
    order = np.argsort(-p[lm], kind="stable")
    values, weights = p[lm][order], w[lm][order]
    reached = np.cumsum(weights) >= sensitivity * weights.sum() - 1e-12
    threshold = values[int(np.argmax(reached))]
    return float(w[~lm][p[~lm] < threshold].sum() / w[~lm].sum())


#: Who the audit keeps of the patients drawn (see the module doc).
POPULATIONS = ("suspected", "all")


def audit(network: Network, *, patients: int = PATIENTS, seed: int = SEED, population: str = "suspected") -> Audit:
    """Draw ``patients`` patients from ``network`` and compute each stage's AUC (module doc)."""
    from lmbayes.simulate import forward_sample

    if patients < 100:
        raise InputError(f"the audit needs at least 100 patients, not {patients}")
    if population not in POPULATIONS:
        raise InputError(f"unknown population '{population}'; expected one of {', '.join(POPULATIONS)}")
    network.require_target()
    spec, tables, target = network.spec, network.tables, network.target
    tilted = with_pretest(tables, target, 0.5)
    sample = forward_sample(network, patients, seed, tables=tilted)
    y = sample[target].astype(int)
    row = tuple(sample[p].astype(np.intp) for p in tables.parents[target])
    cell: tuple[np.ndarray, ...] = (*row, y)
    w = tables.cpts[target][cell] / tilted.cpts[target][cell]
    if population == "suspected":
        signs = [n.id for n in spec.of_kind("sign") if n.observable]
        keep = np.any([sample[s] == len(spec.node(s).states) - 1 for s in signs], axis=0) if signs else np.ones(y.size, dtype=bool)
        sample = {k: v[keep] for k, v in sample.items()}
        y, w = y[keep], w[keep]
    results = []
    for stage in STAGES:
        columns = stage_columns(spec, stage.name)
        value = specificity = None
        if columns and 0 < y.sum() < y.size:
            p = _p_lm(tables, target, columns, np.column_stack([sample[c] for c in columns]))
            value = float(auc(p, y, w[None, :]))
            if stage.published.sensitivity is not None:
                specificity = specificity_at(p, y, stage.published.sensitivity, w)
        results.append(StageResult(
            stage.name, stage.label, columns, value, stage.published, stage.low, stage.high, stage.basis, specificity,
        ))
    prevalence = float((w * y).sum() / w.sum())
    return Audit(network.name, patients, int(y.size), int(y.sum()), prevalence, seed, population, tuple(results))


def _p_lm(tables: Tables, target: str, columns: tuple[str, ...], states: np.ndarray) -> np.ndarray:
    """P(target) for every row, computed once per distinct row."""
    unique, inverse = np.unique(states.astype(np.int8), axis=0, return_inverse=True)
    joint = Engine(tables).joint_rows((target,), columns, unique)
    p = joint[:, -1] / joint.sum(axis=1)
    return p[inverse.reshape(-1)]
