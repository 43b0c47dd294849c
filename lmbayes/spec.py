"""The validated network specification: nodes, clinical parameters and their sources.

A :class:`NetworkSpec` is what a network file says, checked, in immutable value objects.
Parameters are clinical quantities (a prior, a sensitivity, how often a sign occurs with a
cause), addressed by dotted paths such as ``headache.causes.lm`` or ``cytology.one_tap``;
:mod:`lmbayes.tables` turns them into probability tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from lmbayes.errors import FindingError, did_you_mean

__all__ = ["MAX_TAPS", "Node", "NetworkSpec", "Parameter", "Setting", "tap_id"]

#: The most CSF taps a network can model.
MAX_TAPS = 10
#: Node kinds written in a network file.
FILE_KINDS = ("context", "target", "cause", "sign", "test")
#: Node kinds with a noisy-OR or prior table that explain the signs.
CAUSE_KINDS = ("context", "target", "cause")
SHEDDING = "shedding"


def tap_id(k: int) -> str:
    """The node id of the ``k``-th CSF tap (1-based).

    >>> tap_id(3)
    'csf_3'
    """
    return f"csf_{k}"


@dataclass(frozen=True)
class Parameter:
    """One clinical number with its plausible range and where it comes from."""

    value: float
    low: float
    high: float
    sources: tuple[str, ...] = ()
    judgement: bool = False
    note: str = ""
    counts: tuple[int, int] | None = None

    @property
    def provenance(self) -> str:
        """``"kaplan1990"``, ``"judgement"`` or ``"seed; judgement"``."""
        parts = list(self.sources) + (["judgement"] if self.judgement else [])
        return "; ".join(parts)


@dataclass(frozen=True)
class Node:
    """A node: id, kind, label, states and parents. Kinds: context, target, cause, sign,
    test (from the file), latent and tap (generated for serial cytology)."""

    id: str
    kind: str
    label: str
    description: str
    states: tuple[str, ...]
    parents: tuple[str, ...] = ()
    observable: bool = False


@dataclass(frozen=True)
class Setting:
    """A documented population with its pre-test probability of the target."""

    name: str
    description: str
    p_lm: Parameter
    includes_signs: bool = False


@dataclass(frozen=True)
class NetworkSpec:
    """A checked network file. Build it with :func:`lmbayes.load_spec`."""

    name: str
    title: str
    population: str
    path: str
    target: str
    nodes: tuple[Node, ...]
    parameters: Mapping[str, Parameter]
    settings: Mapping[str, Setting]
    sources: Mapping[str, str]
    n_taps: int
    tap_states: tuple[str, ...]
    tap_label: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def node(self, node_id: str) -> Node:
        """The node called ``node_id``; a :class:`FindingError` with a suggestion otherwise."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise FindingError(
            f"unknown node '{node_id}'{did_you_mean(node_id, self.node_ids)}; "
            f"valid nodes: {', '.join(self.node_ids)} (see `lmbayes network show`)"
        )

    @property
    def taps(self) -> tuple[str, ...]:
        """Tap node ids in order: ``csf_1 .. csf_N``."""
        return tuple(tap_id(k) for k in range(1, self.n_taps + 1))

    @property
    def causes(self) -> tuple[str, ...]:
        """The competing causes of the signs (kind ``cause``)."""
        return tuple(n.id for n in self.nodes if n.kind == "cause")

    @property
    def observable(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes if n.observable)

    def with_parameter(self, path: str, value: float) -> NetworkSpec:
        """A copy with one parameter's value replaced (its range and sources kept)."""
        if path not in self.parameters:
            raise KeyError(path)
        params = dict(self.parameters)
        params[path] = dataclasses.replace(params[path], value=value)
        return dataclasses.replace(self, parameters=params)

    def with_taps(self, n_taps: int) -> NetworkSpec:
        """A copy modelling ``n_taps`` CSF taps (1 to :data:`MAX_TAPS`)."""
        if not 1 <= n_taps <= MAX_TAPS:
            raise FindingError(f"the number of taps must be 1 to {MAX_TAPS}, not {n_taps}")
        kept = tuple(n for n in self.nodes if n.kind != "tap")
        return dataclasses.replace(
            self, nodes=kept + tap_nodes(n_taps, self.tap_states, self.tap_label), n_taps=n_taps
        )


def tap_nodes(n_taps: int, states: tuple[str, ...], label: str) -> tuple[Node, ...]:
    """The generated tap nodes, each a child of the latent shedding node."""
    return tuple(
        Node(
            id=tap_id(k),
            kind="tap",
            label=f"{label}, tap {k}",
            description=f"Result of the {_ordinal(k)} CSF cytology.",
            states=states,
            parents=(SHEDDING,),
            observable=True,
        )
        for k in range(1, n_taps + 1)
    )


def _ordinal(k: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(k, f"{k}th")
