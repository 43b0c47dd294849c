"""The notebook-facing API: load a network, give findings, get posteriors and the tap table.

>>> from lmbayes import load_network
>>> net = load_network("breast")
>>> post = net.posterior({"cranial_nerve_palsy": "present", "limb_weakness": "present"})
>>> f"{post.p_target:.3f}"
'0.279'
>>> findings = net.observe({"cranial_nerve_palsy": "present"}, csf="negative")
>>> table = net.taps(findings)
>>> [step.tap for step in table.steps]
[2, 3, 4, 5, 6]
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from lmbayes import networks
from lmbayes._cache import cached
from lmbayes._text import printable
from lmbayes.engine import Engine
from lmbayes.errors import (
    FindingError,
    NotApplicableError,
    InputError,
    NetworkFileError,
    NoTargetError,
    did_you_mean,
)
from lmbayes.findings import Findings, resolve_findings
from lmbayes.kinds import explaining, kind_of
from lmbayes.spec import NetworkSpec, Node
from lmbayes.tables import MIN_PRETEST, Tables, build_tables
from lmbayes.case import Case
from lmbayes.taps import TapTable, negative_lr, tap_table
from lmbayes.technique import Technique

if TYPE_CHECKING:
    from pgmpy.models import DiscreteBayesianNetwork

__all__ = ["Case", "Findings", "Network", "Posterior", "load_network"]

Evidence = Mapping[str, str]


@dataclass(frozen=True)
class Posterior:
    """Posterior and prior distributions of the summary nodes given ``findings``."""

    target: str
    findings: Mapping[str, str]
    posterior: Mapping[str, Mapping[str, float]]
    prior: Mapping[str, Mapping[str, float]]
    p_findings: float

    @property
    def p_target(self) -> float:
        """P(target present | findings): the target's last state."""
        return list(self.posterior[self.target].values())[-1]

    def _repr_html_(self) -> str:
        from lmbayes._html import posterior_html

        return posterior_html(self)


class Network:
    """A network ready for queries: its spec, its probability tables and the numpy engine.

    ``pretest`` replaces the prior probability of the target before any finding;
    ``setting`` picks a documented population from the network file (see
    :func:`lmbayes.tables.with_pretest`).
    """

    def __init__(
        self,
        spec: NetworkSpec,
        *,
        pretest: float | None = None,
        setting: str | None = None,
        tables: Tables | None = None,
    ) -> None:
        if pretest is not None and setting is not None:
            raise InputError("give either a setting or a pre-test probability, not both")
        if setting is not None and setting not in spec.settings:
            names = ", ".join(spec.settings) or "none"
            raise InputError(f"unknown setting '{setting}'{did_you_mean(setting, spec.settings)}; this network's settings: {names}")
        if pretest is not None and not 0.0 < pretest < 1.0:
            raise InputError(f"a pre-test probability must lie strictly between 0 and 1, not {pretest:g}")
        if pretest is not None and pretest < MIN_PRETEST:
            raise InputError(
                f"a pre-test probability of {pretest!r} is below {MIN_PRETEST:g}, the smallest lmbayes computes "
                "with (double precision); give a larger one"
            )
        if tables is not None and tables.context is None and (pretest is not None or setting is not None):
            raise NoTargetError("a pre-test probability or setting needs a lmbayes network file with a target")
        self.spec = spec
        self.setting = setting
        self.pretest = spec.settings[setting].p_lm.value if setting else pretest
        self.tables: Tables = tables if tables is not None else self._tables()
        self.engine = Engine(self.tables)
        self._engines: dict[tuple[tuple[str, Technique], ...], Engine] = {(): self.engine}
        self._priors: dict[str, np.ndarray] = {}
        self._draws: tuple[object, Tables] | None = None

    def _found_at(self, path: Path) -> None:
        """Name the file as this load did (a kept build remembers how its first load did)."""
        named = _imported_names(path) if self.imported else {"path": str(path)}
        self.spec = dataclasses.replace(self.spec, **named)

    def _tables(self, values: Mapping[str, np.ndarray] | None = None) -> Tables:
        return build_tables(self.spec, values=values, pretest=self.pretest)

    def __repr__(self) -> str:
        return f"<Network {self.spec.name!r}: {len(self.spec.nodes)} nodes, {self.spec.n_taps} taps>"

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def target(self) -> str:
        return self.spec.target

    @property
    def shipped(self) -> bool:
        """True for a network file that ships with lmbayes (not a copy, edited or not)."""
        shipped = networks.available().get(self.spec.name)
        return shipped is not None and Path(self.spec.path).resolve() == shipped.resolve()

    @property
    def label(self) -> str:
        """How outputs name the network: a shipped network by name, any other by its path."""
        return self.spec.name if self.shipped else printable(self.spec.path)

    @property
    def identity(self) -> str:
        """The network, its version and the start of its file's SHA-256, e.g.
        ``breast 2.0 [030de5df5ad0]``: enough to reproduce a printed result."""
        version = f" {self.spec.version}" if self.spec.version else ""
        digest = f" [{self.spec.digest}]" if self.spec.digest else ""
        return f"{self.label}{version}{digest}"

    @property
    def imported(self) -> bool:
        """True for a network read from another tool's file: no target, no taps."""
        return not self.spec.target

    def require_target(self) -> None:
        """A :class:`NoTargetError` if the network does not say which node is LM."""
        if self.imported:
            raise NoTargetError(
                f"this needs to know which node is LM and which are the CSF taps, and "
                f"'{Path(self.spec.path).name}' does not say: write the network as a lmbayes "
                "network file (YAML) with `target:` and a `cytology:` block"
            )

    @property
    def summary_nodes(self) -> tuple[str, ...]:
        """The target first, then the other causes and context nodes (every node if imported)."""
        if self.imported:
            return self.spec.node_ids
        others = [n.id for n in explaining(self.spec) if n.id != self.target and kind_of(n).shown]
        return (self.target, *others)

    def share_without_signs(self) -> float | None:
        """The share of the file's population with none of the listed signs (None without signs)."""
        signs = [n.id for n in self.spec.of_kind("sign")]
        if not signs:
            return None
        return float(self.engine.probability({s: 0 for s in signs}))

    def with_taps(self, n_taps: int) -> Network:
        """The same network modelling ``n_taps`` CSF taps (1 to :data:`~lmbayes.spec.MAX_TAPS`)."""
        self.require_target()
        return Network(self.spec.with_taps(n_taps), pretest=None if self.setting else self.pretest, setting=self.setting)

    def observe(self, evidence: Evidence | None = None, csf: str | Sequence[str] = ()) -> Findings:
        """Check findings once and return them as a :class:`~lmbayes.findings.Findings` value.

        ``evidence`` maps node to state; ``csf`` lists cytology results in tap order, as a list
        or a comma-separated string, each optionally with its technique
        (``"negative@5ml+45min"``, see :mod:`lmbayes.technique`). Unknown nodes or states, taps
        out of order and impossible findings raise.
        """
        findings = resolve_findings(self.spec, evidence, csf)
        if self.setting and self.spec.settings[self.setting].includes_signs:
            signs = [n for n in findings.states if self.spec.node(n).kind == "sign"]
            if signs:
                raise FindingError(
                    f"the setting '{self.setting}' already includes the clinical signs; drop "
                    f"{', '.join(signs)} or choose another setting"
                )
        self.case(findings).check_possible()
        return findings

    def _observed(self, findings: Findings | Evidence | None, csf: str | Sequence[str]) -> Findings:
        """``findings`` if already checked, else the checked value of the raw pair."""
        if isinstance(findings, Findings):
            if csf:
                raise FindingError("give CSF results inside the findings value, not beside it")
            return findings
        return self.observe(findings, csf)

    def engine_for(self, techniques: Mapping[str, Technique] | None = None) -> Engine:
        """The engine whose tap tables have the given techniques (built once, then kept)."""
        key = tuple(sorted((techniques or {}).items(), key=lambda item: item[0]))
        if key not in self._engines:
            self._engines[key] = Engine(self.tables.with_techniques(dict(key)))
        return self._engines[key]

    def case(self, findings: Findings, techniques: Mapping[str, Technique] | None = None) -> Case:
        """The findings with the engine that fits their tap techniques.

        ``techniques`` adds techniques of taps not yet done (for planning), by tap node id.
        """
        return Case(self.spec, self.engine_for({**findings.techniques, **(techniques or {})}), findings)

    def draw_tables(self, values: Mapping[str, np.ndarray]) -> Tables:
        """The tables over draws of the parameters (built once per set of draws, then kept)."""
        if self._draws is None or self._draws[0] is not values:
            self._draws = (values, self._tables(values))
        return self._draws[1]

    def tables_over(self, values: Mapping[str, np.ndarray]) -> Tables:
        """The tables with parameters replaced by arrays of values (a leading axis), not kept."""
        return self._tables(values)

    def prior(self, nodes: Sequence[str]) -> dict[str, np.ndarray]:
        """P(node) before any finding, computed once per node."""
        missing = [n for n in nodes if n not in self._priors]
        if missing:
            self._priors.update(self.engine.posteriors({}, missing)[0])
        return {n: self._priors[n] for n in nodes}

    def posterior(
        self,
        findings: Findings | Evidence | None = None,
        *,
        csf: str | Sequence[str] = (),
        nodes: Sequence[str] | None = None,
    ) -> Posterior:
        """P(node | findings) and P(node) for the target and the competing causes.

        ``findings`` is a value from :meth:`observe`, or ``{node: state}`` with ``csf``.
        """
        case = self.case(self._observed(findings, csf))
        nodes = tuple(nodes) if nodes is not None else self.summary_nodes
        for node in nodes:
            self.spec.node(node)
        post, z = case.engine.posteriors(case.evidence, nodes)
        prior = self.prior(nodes)

        def named(dists: Mapping[str, Any]) -> Mapping[str, Mapping[str, float]]:
            return MappingProxyType({
                n: MappingProxyType(dict(zip(self.tables.states[n], map(float, dists[n]))))
                for n in nodes
            })

        return Posterior(self.target, case.findings, named(post), named(prior), float(z))

    def analyses(self, names: str | Sequence[str] = ()) -> tuple[str, ...]:
        """The per-tap analyses that ``names`` stand for, in the file's order: a group
        (``routine``: cells, protein, lactate, glucose, pressure) or an analysis's own id (``ctc``).

        >>> from lmbayes import load_network
        >>> load_network().analyses("routine,ctc")
        ('cells', 'protein', 'lactate', 'glucose', 'pressure', 'ctc')
        """
        if isinstance(names, str):
            names = [n.strip() for n in names.split(",") if n.strip()]
        known = {a.id: a for a in self.spec.tap_analyses}
        groups = {a.group for a in known.values() if a.group}
        chosen: list[str] = []
        for name in names:
            if name in self.spec.not_applicable:
                raise NotApplicableError(f"{name} does not apply in the network '{self.name}': {self.spec.not_applicable[name]}")
            found = [a.id for a in known.values() if a.id == name or a.group == name]
            if not found:
                valid = sorted({*known, *groups}) or ["none"]
                raise InputError(f"unknown analysis '{name}'{did_you_mean(name, valid)}; this network's analyses of a tap: {', '.join(valid)}")
            chosen += found
        return tuple(a for a in known if a in chosen)

    def single_tap_lr(self, analyses: Sequence[str] = ()) -> float:
        """The likelihood ratio of one all-negative tap done the usual way before any finding:
        the fixed ratio a nomogram chains tap after tap (1 where it is undefined)."""
        joint = self.engine.joint((self.target, *self.spec.tap_readings(1, analyses)))
        return negative_lr(joint.reshape(2, -1), 0) or 1.0

    def taps(
        self,
        findings: Findings | Evidence | None = None,
        *,
        csf: str | Sequence[str] = (),
        next_technique: Technique | None = None,
        analyses: str | Sequence[str] = (),
    ) -> TapTable:
        """The tap table: P(LM) after each further tap (see :func:`lmbayes.taps.tap_table`).

        ``next_technique``, if given, is the technique of every further tap. ``analyses`` (see
        :meth:`analyses`) are sent from every further tap beside cytology: a tap is then
        negative when every reading is negative, positive when any is positive (its last state).
        """
        self.require_target()
        return tap_table(self, self._observed(findings, csf), next_technique, self.analyses(analyses))

    def to_pgmpy(self) -> DiscreteBayesianNetwork:
        """The reference pgmpy model built from the same tables (imports pgmpy: seconds)."""
        from lmbayes._pgmpy import to_pgmpy

        return to_pgmpy(self.tables)


def load_network(
    name_or_path: str | Path | None = None,
    *,
    taps: int | None = None,
    setting: str | None = None,
    pretest: float | None = None,
) -> Network:
    """Load a shipped network by name (``"breast"``, the default), a network file by path, or
    a BIF or XMLBIF file from another tool (read with pgmpy, which takes seconds to import).

    The built network is kept in the user's cache folder, keyed by the file's content
    (:mod:`lmbayes._cache`): the next load of the same file skips parsing and building.
    """
    path = networks.resolve(networks.DEFAULT if name_or_path is None else name_or_path)
    from lmbayes import _stored

    def kept(arrays: Any) -> Network:
        spec, setting_kept, pretest_kept, tables = _stored.decode(arrays)
        return Network(spec, setting=setting_kept, pretest=pretest_kept, tables=tables)

    network = cached(
        path, (taps, setting, pretest), lambda: _build_network(path, taps, setting, pretest),
        encode=_stored.encode, decode=kept,
    )
    if network.spec.path != str(path):  # the same file, kept when it was named another way
        network._found_at(path)
    return network


def _imported_names(path: Path) -> dict[str, Any]:
    """How an imported network is named: by its file."""
    return {"name": printable(path.stem), "title": f"imported from {printable(path.name)}", "path": str(path)}


def _build_network(path: Path, taps: int | None, setting: str | None, pretest: float | None) -> Network:
    fmt = networks.imported_format(path)
    if fmt is not None:
        from lmbayes._bif import read_tables  # which says when there is no such file

        tables = read_tables(path, fmt)
        spec = NetworkSpec(
            **_imported_names(path),
            population="",
            target="",
            nodes=tuple(
                Node(v, "generic", v, "", tables.states[v], tables.parents[v], observable=True) for v in tables.variables
            ),
            parameters={},
            settings={},
            sources={},
            n_taps=0,
            tap_states=(),
            tap_label="",
        )
        network = Network(spec, tables=tables, pretest=pretest, setting=setting)
        if taps is not None:
            network.require_target()
        return network
    from lmbayes._loader import load_spec  # YAML and the checks: only when the cache has not the file

    spec = load_spec(path)
    if taps is not None:
        spec = spec.with_taps(taps)
    return Network(spec, pretest=pretest, setting=setting)
