"""Read a network file (YAML) into a checked :class:`~lmbayes.spec.NetworkSpec`.

Every error is a :class:`~lmbayes.errors.NetworkFileError` naming the file, the node and the
field, e.g. ``breast.yaml: node 'headache', field 'leak.value': 1.3 is outside [0, 1]``.
"""

from __future__ import annotations

import graphlib
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from lmbayes.calibration import CalibrationError, calibrate
from lmbayes.errors import NetworkFileError, did_you_mean
from lmbayes.spec import (
    CAUSE_KINDS,
    FILE_KINDS,
    MAX_TAPS,
    SHEDDING,
    NetworkSpec,
    Node,
    Parameter,
    Setting,
    tap_nodes,
)
from lmbayes.technique import PARAMETERS as TECHNIQUE_PARAMETERS

__all__ = ["check_spec", "load_spec"]

# libyaml's parser when PyYAML was built with it: about 60 ms faster per command here.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_PARAM_FIELDS = {"value", "range", "sources", "judgement", "note", "counts"}
_CYTOLOGY_PARAMS = (
    "one_tap",
    "three_taps",
    "false_positive",
    "equivocal_with_cells",
    "equivocal_without_cells",
)


class _Lines:
    """Line numbers of the file's YAML nodes, composed only when an error needs one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._root: yaml.Node | None = None
        self._failed = False

    def find(self, node: str | None, field: str) -> int | None:
        if self._root is None and not self._failed:
            try:
                self._root = yaml.compose(self.text, Loader=_SafeLoader)
            except yaml.YAMLError:
                self._failed = True
        if node is None:
            path = field.split(".")
        elif node == "cytology":
            path = ["cytology", *field.split(".")]
        elif node.startswith("settings."):
            path = ["settings", node.split(".", 1)[1], *field.split(".")]
        else:
            path = ["nodes", node, *field.split(".")]
        current, line = self._root, None
        for key in path:
            if not isinstance(current, yaml.MappingNode):
                break
            match = next((v for k, v in current.value if getattr(k, "value", None) == key), None)
            if match is None:
                break
            current, line = match, match.start_mark.line + 1
        return line


class _Where:
    """Builds error messages that name the file, the line, the node and the field, and collects
    them so that a check can report every problem at once."""

    def __init__(self, file: str, node: str | None = None, lines: _Lines | None = None,
                 problems: list[NetworkFileError] | None = None) -> None:
        self.file, self.node, self.lines = file, node, lines
        self.problems = problems if problems is not None else []

    def at(self, node: str) -> _Where:
        return _Where(self.file, node, self.lines, self.problems)

    def error(self, field: str, problem: str) -> NetworkFileError:
        line = self.lines.find(self.node, field) if self.lines else None
        at_line = f", line {line}" if line else ""
        where = f"node '{self.node}', " if self.node else ""
        return NetworkFileError(f"{self.file}{at_line}: {where}field '{field}': {problem}")

    @contextmanager
    def collect(self) -> Iterator[None]:
        """Record a problem raised inside and carry on with the rest of the file."""
        try:
            yield
        except NetworkFileError as exc:
            self.problems.append(exc)


def _strict_loader(text: str, file: str, problems: list[NetworkFileError]) -> Any:
    """Parse YAML, recording duplicate keys (PyYAML would keep the last one silently)."""

    class Strict(_SafeLoader):  # type: ignore[misc, valid-type]
        pass

    def mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                problems.append(NetworkFileError(f"{file}, line {line}: duplicate key '{key}' (first at line {seen[key]}); give each id once"))
            else:
                seen[key] = line
        return loader.construct_mapping(node, deep=deep)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    loader = Strict(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


def load_spec(path: str | Path) -> NetworkSpec:
    """Read and check the network file at ``path``; the first problem raises."""
    spec, problems = _load(Path(path))
    if problems:
        raise problems[0]
    assert spec is not None
    return spec


def check_spec(path: str | Path) -> list[str]:
    """Every problem of the network file at ``path``, one line each (empty when clean)."""
    _, problems = _load(Path(path))
    return [str(p) for p in problems]


def _load(path: Path) -> tuple[NetworkSpec | None, list[NetworkFileError]]:
    name = path.name
    if path.suffix.lower() in (".bif", ".xmlbif", ".xml", ".net", ".uai", ".xdsl"):
        return None, [NetworkFileError(
            f"{name}: not a lmbayes network file (YAML); files of other tools are read by "
            "`lmbayes posterior --network FILE` (BIF or XMLBIF)"
        )]
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None, [NetworkFileError(f"{path}: no such network file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [NetworkFileError(f"{path}: cannot read the network file ({exc})")]
    problems: list[NetworkFileError] = []
    try:
        data = _strict_loader(text, name, problems)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        return None, [NetworkFileError(f"{name}{line}: not valid YAML ({problem})")]
    where = _Where(name, lines=_Lines(text), problems=problems)
    spec = None
    with where.collect():
        spec = _parse(data, where, str(path))
    return (spec if not problems else None), problems


def _parse(data: Any, where: _Where, path: str) -> NetworkSpec | None:
    """The spec, or None when problems were collected in ``where``."""
    if not isinstance(data, dict):
        raise NetworkFileError(f"{where.file}: expected a mapping of fields (name, nodes, ...)")
    _require(data, ("name", "title", "population", "target", "nodes", "cytology", "sources"), where)
    sources = data["sources"]
    if not isinstance(sources, dict) or not sources:
        raise where.error("sources", "expected a mapping of source key to full citation")
    source_keys = frozenset(str(k) for k in sources)

    raw_nodes = data["nodes"]
    if not isinstance(raw_nodes, dict) or not raw_nodes:
        raise where.error("nodes", "expected a mapping of node id to node")
    parameters: dict[str, Parameter] = {}
    nodes: dict[str, Node] = {}
    broken: set[str] = set()
    for node_id, raw in raw_nodes.items():
        node_id = str(node_id)
        try:  # a node that cannot be read is left out; its parameters' problems are collected
            nodes[node_id] = _node(node_id, raw, where.at(node_id), source_keys, parameters)
        except NetworkFileError as exc:
            where.problems.append(exc)
            broken.add(node_id)
    _check_references(nodes, parameters, where, broken)

    target = str(data["target"])
    with where.collect():
        if target in broken:
            pass
        elif target not in nodes or nodes[target].kind != "target":
            raise where.error("target", f"'{target}' is not a node of kind 'target'")
        elif len(nodes[target].states) != 2:
            raise where.at(target).error("states", "the target needs two states (absent, present)")

    n_taps, tap_states, tap_label = 1, ("negative", "positive"), "CSF cytology"
    with where.collect():
        n_taps, tap_states, tap_label = _cytology(data["cytology"], where.at("cytology"), source_keys, parameters)
    shedding = Node(
        id=SHEDDING,
        kind="latent",
        label="Tumour cells shed into the sampled CSF",
        description="Latent: whether this patient's CSF carries detectable tumour cells on a tap.",
        states=("no", "yes"),
        parents=(target,),
    )
    ordered: tuple[Node, ...] = ()
    with where.collect():
        ordered = _topological(nodes, where)
    settings = _settings(data.get("settings") or {}, where, source_keys)
    if where.problems:
        return None
    return NetworkSpec(
        name=_text(data, "name", where),
        title=_text(data, "title", where),
        population=_text(data, "population", where),
        path=path,
        target=target,
        nodes=ordered + (shedding,) + tap_nodes(n_taps, tap_states, tap_label),
        parameters=parameters,
        settings=settings,
        sources={str(k): str(v) for k, v in sources.items()},
        n_taps=n_taps,
        tap_states=tap_states,
        tap_label=tap_label,
    )


def _require(data: Mapping[str, Any], fields: tuple[str, ...], where: _Where) -> None:
    for field in fields:
        if field not in data:
            raise where.error(field, "missing")


def _text(data: Mapping[str, Any], field: str, where: _Where) -> str:
    value = data.get(field)
    if not isinstance(value, str) or not value.strip():
        raise where.error(field, "expected a non-empty text")
    return value.strip()


def _node(
    node_id: str, raw: Any, where: _Where, source_keys: frozenset[str], params: dict[str, Parameter]
) -> Node:
    if not _ID.match(node_id) or node_id == SHEDDING or re.match(r"^csf_\d+$", node_id):
        raise where.error("id", "expected a snake_case id (not 'shedding' or 'csf_N', which are generated)")
    if not isinstance(raw, dict):
        raise where.error("node", "expected a mapping with kind, label, states, ...")
    _require(raw, ("kind", "label", "description", "states"), where)
    kind = raw["kind"]
    if kind not in FILE_KINDS:
        raise where.error("kind", f"'{kind}' is not one of {', '.join(FILE_KINDS)}")
    states = _states(raw["states"], where)
    if len(states) != 2:
        raise where.error("states", f"expected two states, got {len(states)}")
    observable = raw.get("observable", kind in ("sign", "test"))
    if not isinstance(observable, bool):
        raise where.error("observable", "expected true or false")
    allowed = {"kind", "label", "description", "states", "observable"}
    parents: tuple[str, ...] = ()
    if kind in CAUSE_KINDS:
        allowed |= {"prior", "prior_given"}
        if ("prior" in raw) == ("prior_given" in raw):
            raise where.error("prior", "give exactly one of 'prior' or 'prior_given'")
        if "prior" in raw:
            with where.collect():
                params[f"{node_id}.prior"] = _parameter(raw["prior"], where, "prior", source_keys)
        else:
            given = raw["prior_given"]
            if not isinstance(given, dict) or set(given) != {"parent", "values"}:
                raise where.error("prior_given", "expected 'parent' and 'values'")
            if not isinstance(given["values"], dict) or not given["values"]:
                raise where.error("prior_given.values", "expected a mapping of parent state to parameter")
            parents = (str(given["parent"]),)
            for state, value in given["values"].items():
                path = f"prior_given.values.{state}"
                with where.collect():
                    params[f"{node_id}.prior.{state}"] = _parameter(value, where, path, source_keys)
    elif kind == "sign":
        allowed |= {"leak", "causes"}
        _require(raw, ("leak", "causes"), where)
        leak = None
        with where.collect():
            leak = params[f"{node_id}.leak"] = _parameter(raw["leak"], where, "leak", source_keys)
        causes = raw["causes"]
        if not isinstance(causes, dict) or not causes:
            raise where.error("causes", "expected a mapping of cause id to frequency")
        parents = tuple(str(c) for c in causes)
        for cause, value in causes.items():
            with where.collect():
                p = _parameter(value, where, f"causes.{cause}", source_keys)
                if leak is not None and p.value < leak.value:
                    raise where.error(
                        f"causes.{cause}.value",
                        f"{p.value:g} is below the leak ({leak.value:g}): a noisy-OR cause cannot "
                        "make a sign rarer; lower the leak or drop the cause",
                    )
                params[f"{node_id}.causes.{cause}"] = p
    else:  # test
        allowed |= {"target", "sensitivity", "specificity"}
        _require(raw, ("target", "sensitivity", "specificity"), where)
        parents = (str(raw["target"]),)
        for field in ("sensitivity", "specificity"):
            with where.collect():
                params[f"{node_id}.{field}"] = _parameter(raw[field], where, field, source_keys)
    unknown = set(raw) - allowed
    if unknown:
        raise where.error(sorted(unknown)[0], f"unknown field for a node of kind '{kind}'")
    return Node(
        id=node_id,
        kind=kind,
        label=str(raw["label"]),
        description=str(raw["description"]),
        states=states,
        parents=parents,
        observable=observable,
    )


def _states(raw: Any, where: _Where) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(s, str) and _ID.match(s) for s in raw):
        raise where.error("states", "expected a list of snake_case state names")
    if len(set(raw)) != len(raw):
        raise where.error("states", "duplicate state names")
    return tuple(raw)


def _number(raw: Any, where: _Where, field: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float)):
        raise where.error(field, f"expected a number, got {raw!r}")
    value = float(raw)
    if not 0.0 <= value <= 1.0:
        raise where.error(field, f"{value:g} is outside [0, 1]")
    return value


def _parameter(raw: Any, where: _Where, field: str, source_keys: frozenset[str]) -> Parameter:
    if not isinstance(raw, dict):
        raise where.error(field, "expected {value: ..., range: [low, high], sources: [...]}")
    unknown = set(raw) - _PARAM_FIELDS
    if unknown:
        raise where.error(f"{field}.{sorted(unknown)[0]}", f"unknown field; expected {', '.join(sorted(_PARAM_FIELDS))}")
    if "value" not in raw:
        raise where.error(f"{field}.value", "missing")
    value = _number(raw["value"], where, f"{field}.value")
    rng = raw.get("range")
    if not isinstance(rng, list) or len(rng) != 2:
        raise where.error(f"{field}.range", "expected [low, high]")
    low = _number(rng[0], where, f"{field}.range")
    high = _number(rng[1], where, f"{field}.range")
    if not low <= value <= high:
        raise where.error(f"{field}.range", f"the value {value:g} is outside its range [{low:g}, {high:g}]")
    sources = raw.get("sources", [])
    if not isinstance(sources, list):
        raise where.error(f"{field}.sources", "expected a list of source keys")
    for key in sources:
        if str(key) not in source_keys:
            raise where.error(f"{field}.sources", f"unknown source key '{key}'; add it to 'sources'")
    judgement = raw.get("judgement", False)
    if not isinstance(judgement, bool):
        raise where.error(f"{field}.judgement", "expected true or false")
    if not sources and not judgement:
        raise where.error(field, "cite a source key or flag it 'judgement: true'")
    counts = raw.get("counts")
    if counts is not None:
        if (
            not isinstance(counts, list)
            or len(counts) != 2
            or not all(isinstance(c, int) and not isinstance(c, bool) for c in counts)
            or not 0 <= counts[0] <= counts[1]
            or counts[1] < 1
        ):
            raise where.error(f"{field}.counts", "expected [events, total], whole numbers with 0 <= events <= total")
        if abs(counts[0] / counts[1] - value) > 0.01:
            raise where.error(
                f"{field}.counts",
                f"{counts[0]}/{counts[1]} = {counts[0] / counts[1]:.3f} does not match the value {value:g}",
            )
        counts = (counts[0], counts[1])
    return Parameter(
        value=value,
        low=low,
        high=high,
        sources=tuple(str(s) for s in sources),
        judgement=judgement,
        note=str(raw.get("note", "")),
        counts=counts,
    )


def _check_references(
    nodes: Mapping[str, Node], params: Mapping[str, Parameter], where: _Where, broken: set[str]
) -> None:
    for node in nodes.values():
        w = where.at(node.id)
        field = {"sign": "causes", "test": "target"}.get(node.kind, "prior_given.parent")
        with w.collect():
            for parent in node.parents:
                if parent in broken:
                    continue
                if parent not in nodes:
                    raise w.error(field, f"unknown node '{parent}'{did_you_mean(parent, nodes)}")
                if nodes[parent].kind not in CAUSE_KINDS:
                    raise w.error(field, f"'{parent}' is a {nodes[parent].kind}, not a cause")
            if node.kind in CAUSE_KINDS and node.parents and node.parents[0] in nodes:
                parent = nodes[node.parents[0]]
                given = {p.rsplit(".", 1)[1] for p in params if p.startswith(f"{node.id}.prior.")}
                if given != set(parent.states):
                    raise w.error(
                        "prior_given.values",
                        f"expected one value for each state of '{parent.id}': {', '.join(parent.states)}",
                    )


def _topological(nodes: Mapping[str, Node], where: _Where) -> tuple[Node, ...]:
    """Parents before children; otherwise the order of the file."""
    try:
        graphlib.TopologicalSorter({n.id: tuple(p for p in n.parents if p in nodes) for n in nodes.values()}).prepare()
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise where.at(exc.args[1][0]).error("parents", f"the network has a cycle: {cycle}") from None
    order: dict[str, None] = {}

    def visit(node_id: str) -> None:
        if node_id not in order:
            for parent in nodes[node_id].parents:
                if parent in nodes:
                    visit(parent)
            order[node_id] = None

    for node_id in nodes:
        visit(node_id)
    return tuple(nodes[i] for i in order)


def _cytology(
    raw: Any, where: _Where, source_keys: frozenset[str], params: dict[str, Parameter]
) -> tuple[int, tuple[str, ...], str]:
    if not isinstance(raw, dict):
        raise where.error("cytology", "expected a mapping with taps, states and the calibration figures")
    n_taps = raw.get("taps")
    if isinstance(n_taps, bool) or not isinstance(n_taps, int) or not 1 <= n_taps <= MAX_TAPS:
        raise where.error("taps", f"expected a whole number from 1 to {MAX_TAPS}")
    states = _states(raw.get("states"), where)
    if states[0] != "negative" or states[-1] != "positive" or not set(states) <= {"negative", "equivocal", "positive"}:
        raise where.error("states", "expected [negative, positive] or [negative, equivocal, positive]")
    needed = [p for p in _CYTOLOGY_PARAMS if "equivocal" in states or not p.startswith("equivocal")]
    for field in needed:
        with where.collect():
            if field not in raw:
                raise where.error(field, "missing")
            params[f"cytology.{field}"] = _parameter(raw[field], where, field, source_keys)
    if any(f"cytology.{k}" not in params for k in ("one_tap", "three_taps", "false_positive")):
        return n_taps, states, str(raw.get("label", "CSF cytology"))
    if "technique" in raw:
        technique = raw["technique"]
        if not isinstance(technique, dict):
            raise where.error("technique", f"expected a mapping with {', '.join(TECHNIQUE_PARAMETERS)}")
        for field in TECHNIQUE_PARAMETERS:
            with where.collect():
                if field not in technique:
                    raise where.error(f"technique.{field}", "missing")
                params[f"cytology.technique.{field}"] = _parameter(technique[field], where, f"technique.{field}", source_keys)
        extra = set(technique) - set(TECHNIQUE_PARAMETERS)
        if extra:
            raise where.error(f"technique.{sorted(extra)[0]}", "unknown field")
        if "cytology.technique.usual_shortfall" in params and params["cytology.technique.usual_shortfall"].high >= 1.0:
            raise where.error("technique.usual_shortfall", "must stay below 1")
    unknown = set(raw) - {"taps", "states", "label", "technique", *_CYTOLOGY_PARAMS}
    if unknown:
        raise where.error(sorted(unknown)[0], "unknown field")
    try:
        cal = calibrate(
            params["cytology.one_tap"].value,
            params["cytology.three_taps"].value,
            params["cytology.false_positive"].value,
        )
    except CalibrationError as exc:
        raise where.error("three_taps", str(exc)) from None
    if "equivocal" in states and {"cytology.equivocal_with_cells", "cytology.equivocal_without_cells"} <= set(params):
        if cal.per_tap + params["cytology.equivocal_with_cells"].value > 1.0:
            raise where.error("equivocal_with_cells", "per-tap detection plus equivocal exceeds 1")
        if params["cytology.false_positive"].value + params["cytology.equivocal_without_cells"].value > 1.0:
            raise where.error("equivocal_without_cells", "false positive plus equivocal exceeds 1")
    return n_taps, states, str(raw.get("label", "CSF cytology"))


def _settings(raw: Any, where: _Where, source_keys: frozenset[str]) -> dict[str, Setting]:
    if not isinstance(raw, dict):
        raise where.error("settings", "expected a mapping of setting name to {description, p_lm}")
    settings = {}
    for name, body in raw.items():
        w = where.at(f"settings.{name}")
        with w.collect():
            if not isinstance(body, dict) or "description" not in body or "p_lm" not in body:
                raise w.error("p_lm", "expected description and p_lm")
            p = _parameter(body["p_lm"], w, "p_lm", source_keys)
            if not 0.0 < p.value < 1.0:
                raise w.error("p_lm.value", "a pre-test probability must lie strictly between 0 and 1")
            settings[str(name)] = Setting(
                name=str(name),
                description=str(body["description"]),
                p_lm=p,
                includes_signs=bool(body.get("includes_signs", False)),
            )
    return settings
