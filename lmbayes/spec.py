"""The validated network specification: nodes, clinical parameters and their sources.

A :class:`NetworkSpec` is what a network file says, checked, in immutable value objects.
Parameters are clinical quantities (a prior, a sensitivity, how often a sign occurs with a
cause), addressed by dotted paths such as ``headache.causes.lm`` or ``cytology.one_tap``;
:mod:`lmbayes.tables` turns them into probability tables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from lmbayes.errors import InputError, NotApplicableError, UnknownNodeError, UnknownParameterError, did_you_mean

__all__ = ["BURDEN", "BURDEN_STATES", "MAX_TAPS", "Node", "NetworkSpec", "Parameter", "Setting", "parents_first", "tap_id"]

#: The most CSF taps a network can model.
MAX_TAPS = 10
#: The latent tumour burden in the CSF (none, low, high), generated: the parent of every tap.
BURDEN = "burden"
BURDEN_STATES = ("none", "low", "high")


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
    """A node: id, kind, label, states and parents (kinds: :mod:`lmbayes.kinds`).

    ``tap`` is the tap a generated per-tap node belongs to (0 for the others); ``template``
    the file node a per-tap analysis was generated from; ``part_of`` the test whose reading
    this is (another reading of the same MRI, say), empty for a test of its own.
    """

    id: str
    kind: str
    label: str
    description: str
    states: tuple[str, ...]
    parents: tuple[str, ...] = ()
    observable: bool = False
    tap: int = 0
    template: str = ""
    part_of: str = ""
    #: the analyses a tap can be sent for together (routine CSF: cells, protein, lactate)
    group: str = ""
    #: a tap's analysis that most hospitals run (False: a specialised assay, left out of the
    #: planner's default panel; ``plan --with`` adds it)
    available: bool = True

    @property
    def event(self) -> str:
        """The test this node is a reading of: ``tap_3`` for every analysis of the third tap,
        ``part_of`` or the node's own id otherwise."""
        return f"tap_{self.tap}" if self.tap else (self.part_of or self.id)


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
    tap_analyses: tuple[Node, ...] = ()
    #: the file's ``version`` and the first 12 hex digits of its SHA-256: together they name
    #: exactly which numbers produced a result
    version: str = ""
    digest: str = ""
    #: analyses the network refuses, with the reason (EpCAM-based CTC in melanoma)
    not_applicable: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        object.__setattr__(self, "settings", MappingProxyType(dict(self.settings)))
        object.__setattr__(self, "sources", MappingProxyType(dict(self.sources)))
        object.__setattr__(self, "not_applicable", MappingProxyType(dict(self.not_applicable)))

    @property
    def node_ids(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes)

    def node(self, node_id: str) -> Node:
        """The node called ``node_id``; a :class:`FindingError` with a suggestion otherwise."""
        for n in self.nodes:
            if n.id == node_id:
                return n
        analysis = node_id.rsplit("_", 1)[0] if node_id.rsplit("_", 1)[-1].isdigit() else node_id
        if analysis in self.not_applicable:
            raise NotApplicableError(f"'{node_id}': {analysis} does not apply in the network '{self.name}': {self.not_applicable[analysis]}")
        taps = f" (a tap's analyses: NAME_k, e.g. {self.tap_analyses[0].id}_1)" if self.tap_analyses else ""
        hint = did_you_mean(node_id, self.node_ids)
        if node_id in {a.id for a in self.tap_analyses} or node_id == "csf":
            hint = f" (did you mean '{node_id}_1'?)"
        raise UnknownNodeError(
            f"unknown node '{node_id}'{hint}; "
            f"`lmbayes network nodes` lists them{taps}"
        )

    def of_kind(self, *kinds: str) -> tuple[Node, ...]:
        """The nodes of the given kinds, in order."""
        return tuple(n for n in self.nodes if n.kind in kinds)

    def tap_readings(self, k: int, analyses: Sequence[str] = ()) -> tuple[str, ...]:
        """Tap ``k``'s cytology and the nodes of the named per-tap analyses on that tap."""
        return (tap_id(k), *(f"{a}_{k}" for a in analyses))

    def tap_nodes_of(self, k: int) -> tuple[str, ...]:
        """Every node observed on tap ``k``: its cytology first, then the other analyses."""
        return tuple(n.id for n in self.nodes if n.tap == k)

    @property
    def taps(self) -> tuple[str, ...]:
        """Tap node ids in order: ``csf_1 .. csf_N``."""
        return tuple(tap_id(k) for k in range(1, self.n_taps + 1))

    @property
    def causes(self) -> tuple[str, ...]:
        """The competing causes of the signs (kind ``cause``)."""
        return tuple(n.id for n in self.of_kind("cause"))

    @property
    def observable(self) -> tuple[str, ...]:
        return tuple(n.id for n in self.nodes if n.observable)

    def with_parameter(self, path: str, value: float) -> NetworkSpec:
        """A copy with one parameter's value replaced (its range and sources kept)."""
        if path not in self.parameters:
            raise UnknownParameterError(
                f"unknown parameter '{path}'{did_you_mean(path, self.parameters)}; "
                f"this network's parameters: {', '.join(self.parameters)}"
            )
        params = dict(self.parameters)
        params[path] = dataclasses.replace(params[path], value=value)
        return dataclasses.replace(self, parameters=params)

    def with_taps(self, n_taps: int) -> NetworkSpec:
        """A copy modelling ``n_taps`` CSF taps (1 to :data:`MAX_TAPS`)."""
        if not 1 <= n_taps <= MAX_TAPS:
            raise InputError(f"the number of taps must be 1 to {MAX_TAPS}, not {n_taps}")
        kept = tuple(n for n in self.nodes if not n.tap)
        generated = tap_nodes(n_taps, self.tap_states, self.tap_label, self.tap_analyses)
        return dataclasses.replace(self, nodes=kept + generated, n_taps=n_taps)


def parents_first(ids: Sequence[str], parents: Mapping[str, Sequence[str]]) -> list[str]:
    """``ids`` with every node after its parents, otherwise in the given order: each node comes
    right after those of its ancestors not yet placed. Parents outside ``ids`` are ignored.
    Raises :class:`graphlib.CycleError` (its second argument the cycle) when the links loop.

    >>> parents_first(["c", "a", "b"], {"c": ["b"], "a": [], "b": []})
    ['b', 'c', 'a']
    """
    import graphlib

    known = set(ids)
    inside = {i: tuple(p for p in parents[i] if p in known) for i in ids}
    graphlib.TopologicalSorter(inside).prepare()  # raises CycleError
    order: dict[str, None] = {}
    for start in ids:  # depth first without recursion: a chain of thousands of nodes is fine
        stack = [(start, iter(inside[start]))]
        while stack:
            node, waiting = stack[-1]
            for parent in waiting:
                if parent not in order:
                    stack.append((parent, iter(inside[parent])))
                    break
            else:
                stack.pop()
                order[node] = None
    return list(order)


def tap_nodes(
    n_taps: int, states: tuple[str, ...], label: str, analyses: tuple[Node, ...] = ()
) -> tuple[Node, ...]:
    """The generated per-tap nodes: each tap's cytology (a child of the latent burden node),
    then one node per analysis of the tap, named ``{analysis}_{k}``."""
    nodes = []
    for k in range(1, n_taps + 1):
        nodes.append(Node(
            id=tap_id(k),
            kind="tap",
            label=f"{label}, tap {k}",
            description=f"Result of the {_ordinal(k)} CSF cytology.",
            states=states,
            parents=(BURDEN,),
            observable=True,
            tap=k,
        ))
        nodes += [
            dataclasses.replace(a, id=f"{a.id}_{k}", label=f"{a.label}, tap {k}", tap=k, template=a.id)
            for a in analyses
        ]
    return tuple(nodes)


def _ordinal(k: int) -> str:
    return {1: "first", 2: "second", 3: "third"}.get(k, f"{k}th")
