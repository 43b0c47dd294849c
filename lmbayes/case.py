"""A case: checked findings with the engine whose tables fit their tap techniques; P(LM) of
the case, its floor under ever more negative taps, and the check that the findings can occur."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from lmbayes.engine import Engine
from lmbayes.errors import ImpossibleEvidenceError
from lmbayes.findings import Findings
from lmbayes.spec import NetworkSpec
from lmbayes.technique import Technique

__all__ = ["Case"]


@dataclass(frozen=True)
class Case:
    """Checked findings with the engine whose tables fit them (and the techniques of taps not
    yet done, for planning)."""

    spec: NetworkSpec
    engine: Engine
    findings: Findings

    @property
    def evidence(self) -> dict[str, int]:
        """The findings as state indices."""
        return {n: self.engine.tables.state_index(n, s) for n, s in self.findings.states.items()}

    @property
    def taps_done(self) -> int:
        return self.findings.taps_done

    @property
    def techniques(self) -> Mapping[str, Technique]:
        """Every tap technique the engine's tables carry, done taps and planned ones."""
        ctx = self.engine.tables.context
        return ctx.techniques if ctx is not None else MappingProxyType({})

    def p_target(self, evidence: Mapping[str, int]) -> float:
        """P(target present | evidence)."""
        dists, _ = self.engine.posteriors(evidence, [self.spec.target])
        return float(dists[self.spec.target][-1])

    def floor(self, analyses: Sequence[str] = ()) -> float:
        """P(LM) after infinitely many further all-negative taps (see :mod:`lmbayes.taps`).

        A tap's readings (cytology and ``analyses``) depend on hidden parents ``h`` (shedding,
        the CSF state, LM itself); all of them negative has probability ``q(h)`` per tap. After
        ``k`` such taps the weight of ``h`` is ``P(h | E) q(h)^k``, so only the configurations
        with the largest ``q`` remain:

        .. math:: \\text{floor} = \\frac{P(LM, h \\in H^* \\mid E)}{P(h \\in H^* \\mid E)},
                  \\quad H^* = \\arg\\max_h q(h) .

        With cytology alone that is the patients who shed no cells, with LM or without.
        When the findings leave no such patient, taps cannot move P(LM): the floor is P(LM) now.
        """
        spec, tables = self.spec, self.engine.tables
        readings = spec.tap_readings(spec.n_taps, analyses)
        parents = tuple(dict.fromkeys(p for r in readings for p in spec.node(r).parents))
        nodes = tuple(dict.fromkeys((spec.target, *parents)))
        joint = self.engine.joint(nodes, self.evidence)
        q = np.ones(joint.shape)
        for r in readings:
            axes = [nodes.index(p) for p in spec.node(r).parents]
            table = tables.cpts[r][..., 0]
            shape = [1] * len(nodes)
            for a, n in zip(axes, table.shape):
                shape[a] = n
            q = q * table.reshape(shape)
        possible = joint > 0
        if not possible.any():
            return self.p_target(self.evidence)
        best = q >= q[possible].max() * (1 - 1e-12)
        mass = np.where(best & possible, joint, 0.0)
        if mass.sum() <= 0:
            return self.p_target(self.evidence)
        return float(mass[1].sum() / mass.sum())

    def check_possible(self) -> float:
        """P(findings); an :class:`ImpossibleEvidenceError` naming a minimal conflict if zero
        (:meth:`lmbayes.evidence.Evidence.conflict`)."""
        z = float(self.engine.probability(self.evidence))
        if z > 0.0:
            return z
        conflict = self.findings.evidence(self.spec).conflict(self.engine)
        names = " and ".join(f"{n}={self.findings.states[n]}" for n in conflict)
        raise ImpossibleEvidenceError(
            f"impossible findings: {names} cannot occur together under the network "
            "(probability 0); remove or correct one of them",
            conflict,
        )
