"""What a result assumes about what was not entered.

Two assumptions change how P(LM) reads, and a result says them in one line each:

- **an unknown context** (the systemic disease status): the network averages over its states,
  weighted by their probability given the findings, rather than taking the patient's own;
- **no clinical sign entered**: P(LM) starts from the population's prior, which mixes patients
  with and without each sign (unless the pre-test probability was given, or the setting's
  population already includes the signs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lmbayes.findings import Findings
    from lmbayes.network import Network

__all__ = ["Assumed", "UnknownContext", "assumed"]


@dataclass(frozen=True)
class UnknownContext:
    """An observable context node not entered, and the probability of its states now."""

    node: str
    label: str
    now: Mapping[str, float]


@dataclass(frozen=True)
class Assumed:
    """The assumptions of a result (module docstring): the context nodes not entered, and
    whether P(LM) starts from the population prior with no sign entered (``prior``, else None)."""

    unknown: tuple[UnknownContext, ...]
    population_prior: float | None

    def __bool__(self) -> bool:
        return bool(self.unknown) or self.population_prior is not None


def assumed(net: Network, findings: Findings) -> Assumed:
    """What ``findings`` leave to the network: the observable context nodes not entered, and,
    with no sign entered and the prior from the network file or from a setting whose population
    does not include the signs, P(LM) before any finding."""
    spec = net.spec
    if net.imported:
        return Assumed((), None)
    contexts = [n for n in spec.of_kind("context") if n.observable and n.id not in findings]
    unknown: tuple[UnknownContext, ...] = ()
    if contexts:
        now = net.posterior(findings, nodes=[n.id for n in contexts]).posterior
        unknown = tuple(UnknownContext(n.id, n.label, dict(now[n.id])) for n in contexts)
    signs = [n.id for n in spec.of_kind("sign")]
    no_sign = bool(signs) and not any(s in findings for s in signs)
    from_population = net.setting is None and net.pretest is None or (
        net.setting is not None and not spec.settings[net.setting].includes_signs
    )
    prior = net.posterior(nodes=[net.target]).p_target if no_sign and from_population else None
    return Assumed(unknown, prior)
