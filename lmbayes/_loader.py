"""Read a network file (YAML) into a checked :class:`~lmbayes.spec.NetworkSpec`.

Every error is a :class:`~lmbayes.errors.NetworkFileError` naming the file, the node and the
field, e.g. ``breast.yaml: node 'headache', field 'leak.value': 1.3 is outside [0, 1]``.
"""

from __future__ import annotations

import dataclasses
import graphlib
import hashlib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lmbayes.calibration import CalibrationError, calibrate
from lmbayes.errors import NetworkFileError, did_you_mean
from lmbayes._fields import ID, Where, number, parameter, prose, require, states, text, whole
from lmbayes._text import printable, read_file, shown
from lmbayes._yaml import Lines, read
from lmbayes.kinds import FILE_KINDS, KINDS
from lmbayes.networks import FOREIGN, IMPORTED, imported_format
from lmbayes.tables import MIN_PRETEST, burden_misfits, burden_solutions, point_context, sign_floors, solved_sensitivities
from lmbayes.spec import (
    MAX_TAPS,
    BURDEN,
    BURDEN_STATES,
    NetworkSpec,
    Node,
    Parameter,
    Setting,
    parents_first,
    tap_nodes,
)
from lmbayes.technique import PARAMETERS as TECHNIQUE_PARAMETERS

__all__ = ["check_spec", "load_spec"]

_TOP_LEVEL = ("name", "version", "title", "population", "target", "nodes", "cytology", "settings", "not_applicable", "sources")
_CYTOLOGY_PARAMS = (
    "one_tap",
    "three_taps",
    "false_positive",
    "equivocal_with_cells",
    "equivocal_without_cells",
)


class _Lines:
    """Line numbers of a network file's fields, by node and field (see :class:`lmbayes._yaml.Lines`)."""

    def __init__(self, text: str) -> None:
        self._lines = Lines(text)

    def find(self, node: str | None, field: str) -> int | None:
        if node is None:
            path = field.split(".")
        elif node == "cytology":
            path = ["cytology", *field.split(".")]
        elif node.startswith("settings."):
            path = ["settings", node.split(".", 1)[1], *field.split(".")]
        else:
            path = ["nodes", node, *field.split(".")]
        return self._lines.find(path)


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
    if path.suffix.lower() in FOREIGN or imported_format(path):
        readable = ", ".join(s.lstrip(".").upper() for s in IMPORTED)
        return None, [NetworkFileError(
            f"{name}: not a lmbayes network file (YAML); files of other tools ({readable}) are "
            "read as networks for posterior queries"
        )]
    try:
        text = read_file(path).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except FileNotFoundError:
        return None, [NetworkFileError(f"{path}: no such network file")]
    except (OSError, UnicodeDecodeError) as exc:
        return None, [NetworkFileError(f"{path}: cannot read the network file ({exc})")]
    problems: list[NetworkFileError] = []
    try:
        data = read(text, name, "network file", problems)
    except NetworkFileError as exc:
        return None, [exc]
    where = Where(name, lines=_Lines(text), problems=problems)
    spec = None
    with where.collect():
        spec = _parse(data, where, str(path), hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])
    return (spec if not problems else None), problems


def _parse(data: Any, where: Where, path: str, digest: str = "") -> NetworkSpec | None:
    """The spec, or None when problems were collected in ``where``."""
    if not isinstance(data, dict):
        raise NetworkFileError(f"{where.file}: expected a mapping of fields (name, nodes, ...)")
    require(data, ("name", "title", "population", "target", "nodes", "cytology", "sources"), where)
    unknown = set(data) - {*_TOP_LEVEL}
    if unknown:
        field = printable(str(sorted(map(str, unknown))[0]))
        raise where.error(field, f"unknown field; a network file has {', '.join(_TOP_LEVEL)}")
    not_applicable = data.get("not_applicable") or {}
    if not isinstance(not_applicable, dict) or not all(isinstance(v, str) and v.strip() for v in not_applicable.values()):
        raise where.error("not_applicable", "expected a mapping of analysis id to the reason it does not apply")
    version = data.get("version", "")
    if isinstance(version, (int, float)) and not isinstance(version, bool):
        version = str(number(version, where, "version", 0, 1e9))
    elif not isinstance(version, str):
        raise where.error("version", "expected a version such as \"2.0\"")
    sources = data["sources"]
    if not isinstance(sources, dict) or not sources:
        raise where.error("sources", "expected a mapping of source key to full citation")
    citations = {printable(str(k)): prose(v, where, f"sources.{k}", lines=True) for k, v in sources.items()}
    source_keys = frozenset(citations)

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
    target = str(data["target"])
    valid_target = target in nodes and nodes[target].kind == "target"
    for node_id, node in list(nodes.items()):
        if node.parents == ("",):  # a feature: a child of the target (none until the target is valid)
            nodes[node_id] = dataclasses.replace(node, parents=(target,) if valid_target else ())
    _check_references(nodes, parameters, where, broken)
    _check_generated_names(nodes, where)

    with where.collect():
        if target in broken:
            pass
        elif target not in nodes or nodes[target].kind != "target":
            raise where.error("target", f"'{target}' is not a node of kind 'target'")
        elif len(nodes[target].states) != 2:
            raise where.at(target).error("states", "the target needs two states (absent, present)")

    tap_states: tuple[str, ...]
    n_taps, tap_states, tap_label = 1, ("negative", "positive"), "CSF cytology"
    with where.collect():
        n_taps, tap_states, tap_label = _cytology(data["cytology"], where.at("cytology"), source_keys, parameters)
    burden = Node(
        id=BURDEN,
        kind="latent",
        label="Tumour burden in the CSF",
        description=(
            "Latent, per patient: none, low (tumour cells or DNA below cytology's reach) or high "
            "(cytology can find the cells); shared by every tap."
        ),
        states=BURDEN_STATES,
        parents=(target,),
    )
    analyses = tuple(n for n in nodes.values() if KINDS[n.kind].per_tap)
    ordered: tuple[Node, ...] = ()
    with where.collect():
        ordered = _topological({i: n for i, n in nodes.items() if not KINDS[n.kind].per_tap}, where)
    settings = _settings(data.get("settings") or {}, where, source_keys)
    with where.collect():
        for node in nodes.values():
            given = [p for p in parameters if p.startswith(f"{node.id}.given.")]
            if given and node.parents[:1] == (BURDEN,):
                raise where.at(node.id).error("given", (
                    f"a test of the latent '{BURDEN}' node takes its sensitivity, not a frequency among patients "
                    f"with {target} (given); write sensitivity: {{value: ...}}"
                ))
            if given and node.kind != "sign":
                if given[0].rsplit(".", 1)[1] != target:
                    raise where.at(node.id).error("given", f"only the target '{target}' can have a given frequency")
                continue
            if given and given[0].rsplit(".", 1)[1] != target:
                raise where.at(node.id).error("given", f"only the target '{target}' can have a given frequency")
            if given and target in node.parents[1:]:
                raise where.at(node.id).error(f"causes.{target}", f"give '{target}' once, under given (its frequency among patients with it)")
    if where.problems:
        return None
    spec = NetworkSpec(
        name=text(data, "name", where),
        title=text(data, "title", where),
        population=text(data, "population", where, keep="\n\t"),
        path=path,
        target=target,
        nodes=ordered + (burden,) + tap_nodes(n_taps, tap_states, tap_label, analyses),
        parameters=parameters,
        settings=settings,
        sources=citations,
        n_taps=n_taps,
        tap_states=tap_states,
        tap_label=tap_label,
        tap_analyses=analyses,
        version=printable(version),
        digest=digest,
        not_applicable={printable(str(k)): printable(v.strip(), "\n\t") for k, v in not_applicable.items()},
    )
    ctx = point_context(spec)  # the causes' tables once, for both checks
    for node_id, sensitivity in solved_sensitivities(spec, ctx).items():
        if not 0.0 <= sensitivity <= 1.0:
            with where.collect():
                raise where.at(node_id).error(
                    f"given.{target}.value",
                    f"gives a sensitivity of {sensitivity:.3f} for '{spec.node(node_id).parents[0] if node_id in spec.node_ids else node_id}', "
                    "outside [0, 1]: the frequency among patients with LM, the state's share among them and the "
                    "specificity do not fit together",
                )
    solutions = burden_solutions(spec, ctx)
    for node_id, field in burden_misfits(spec, ctx):
        d0, _, dh = solutions[node_id]
        value, what = (d0, "false-positive rate") if field == "specificity" else (dh, "detection at a high burden")
        with where.collect():
            raise where.at(node_id).error(
                f"{field}.value",
                f"gives a {what} of {value:.3f}, outside [0, 1]: the published sensitivity and "
                "specificity, low_burden, the causes and the burden among patients with LM do not fit together",
            )
    for node_id, (m, floor, _) in sign_floors(spec, ctx).items():
        if m < floor - 1e-12:
            with where.collect():
                raise where.at(node_id).error(
                    "sensitivity.value" if spec.node(node_id).kind == "test" else f"given.{target}.value",
                    f"{m:g} cannot be reached: the leak and the other causes alone give {floor:.3f} among "
                    f"patients with {target}; lower the leak or the other causes, or drop {target} from this sign",
                )
    return None if where.problems else spec


def _node(
    node_id: str, raw: Any, where: Where, source_keys: frozenset[str], params: dict[str, Parameter]
) -> Node:
    if not ID.match(node_id) or node_id == BURDEN or re.fullmatch(r"csf_\d+", node_id):
        raise where.error("id", f"expected a snake_case id (not '{BURDEN}' or 'csf_N', which are generated)")
    if not isinstance(raw, dict):
        raise where.error("node", "expected a mapping with kind, label, states, ...")
    require(raw, ("kind", "label", "description", "states"), where)
    kind_name = raw["kind"]
    if kind_name not in FILE_KINDS:
        raise where.error("kind", f"'{kind_name}' is not one of {', '.join(FILE_KINDS)}")
    kind = KINDS[kind_name]
    node_states = states(raw["states"], where)
    if len(node_states) != 2 and not (kind.many_states and len(node_states) >= 2):
        expected = "two or more states" if kind.many_states else "two states"
        raise where.error("states", f"expected {expected}, got {len(node_states)}")
    observable = raw.get("observable", kind.observable)
    if not isinstance(observable, bool):
        raise where.error("observable", "expected true or false")
    unknown = set(raw) - {"kind", "label", "description", "states", "observable"} - kind.fields
    if unknown:
        raise where.error(sorted(unknown)[0], f"unknown field for a node of kind '{kind_name}'")
    available = raw.get("available", True)
    if not isinstance(available, bool):
        raise where.error("available", "expected true or false")
    parents = kind.read(node_id, raw, where, source_keys, params)
    return Node(
        id=node_id,
        kind=kind_name,
        label=prose(raw["label"], where, "label"),
        description=prose(raw["description"], where, "description", lines=True),
        states=node_states,
        parents=parents,
        observable=observable,
        part_of=str(raw.get("part_of", "")),
        group=str(raw.get("group", "")),
        available=available,
    )


def _check_references(
    nodes: Mapping[str, Node], params: Mapping[str, Parameter], where: Where, broken: set[str]
) -> None:
    for node in nodes.values():
        w = where.at(node.id)
        kind = KINDS[node.kind]
        field = kind.parent_field
        with w.collect():
            for parent in node.parents:
                if parent in broken or (kind.per_tap and parent == BURDEN):
                    continue
                if parent not in nodes:
                    raise w.error(field, f"unknown node '{parent}'{did_you_mean(parent, nodes)}")
                if not KINDS[nodes[parent].kind].explains:
                    raise w.error(field, f"'{parent}' is a {nodes[parent].kind}, not a cause")
            if node.part_of:
                other = nodes.get(node.part_of)
                if other is None or other.kind != node.kind or other.part_of:
                    raise w.error("part_of", f"'{node.part_of}' is not another {node.kind} of this network")
            if "prior_given" in kind.fields and node.parents and node.parents[0] in nodes and f"{node.id}.prior" not in params:
                given_by = nodes[node.parents[0]]
                given = {p.rsplit(".", 1)[1] for p in params if p.startswith(f"{node.id}.prior.")}
                if given != set(given_by.states):
                    raise w.error(
                        "prior_given.values",
                        f"expected one value for each state of '{given_by.id}': {', '.join(given_by.states)}",
                    )


def _check_generated_names(nodes: Mapping[str, Node], where: Where) -> None:
    """Every node whose name is also one lmbayes generates: each tap's cytology ``csf_K``, its
    test ``tap_K``, and each per-tap analysis's ``{id}_K`` for K up to :data:`MAX_TAPS` (any
    number of taps may be asked for). A collision would silently merge two nodes."""
    analyses = [n for n in nodes.values() if KINDS[n.kind].per_tap]
    generated: dict[str, str] = {}  # name -> what generates it
    for k in range(1, MAX_TAPS + 1):
        generated[f"csf_{k}"] = f"the cytology of tap {k}"
        generated[f"tap_{k}"] = f"tap {k} itself"
    for a in analyses:
        names = [f"{a.id}_{k}" for k in range(1, MAX_TAPS + 1)]
        taken = [n for n in names if n in generated]
        with where.collect():
            if taken:
                more = f" (and {len(taken) - 1} more, to {taken[-1]})" if len(taken) > 1 else ""
                raise where.at(a.id).error("id", (
                    f"generates '{taken[0]}'{more}, the name lmbayes gives {generated[taken[0]]}; rename the analysis"
                ))
        for k, name in enumerate(names, 1):
            generated.setdefault(name, f"the '{a.id}' analysis of tap {k}")
    for node in nodes.values():
        with where.collect():
            if node.id == "id":
                raise where.at(node.id).error("id", "'id' names the patient column of a cohort file; rename the node")
            if re.fullmatch(r"tap_\d+", node.id):
                raise where.at(node.id).error("id", "'tap_N' names a tap, which lmbayes generates; rename the node")
            if node.id in generated:
                raise where.at(node.id).error("id", (
                    f"'{node.id}' is also the name lmbayes generates for {generated[node.id]}; rename the node"
                ))
    ids = {a.id for a in analyses}
    for a in analyses:
        with where.collect():
            if a.group and (not ID.match(a.group) or a.group in generated):
                raise where.at(a.id).error("group", f"expected a snake_case group name that names no node, got {shown(a.group)}")
            if a.group in ids and a.group != a.id:
                raise where.at(a.id).error("group", f"'{a.group}' is another analysis; a group has a name of its own")


def _topological(nodes: Mapping[str, Node], where: Where) -> tuple[Node, ...]:
    """Parents before children; otherwise the order of the file."""
    try:
        order = parents_first(list(nodes), {n.id: n.parents for n in nodes.values()})
    except graphlib.CycleError as exc:
        cycle = " -> ".join(exc.args[1])
        raise where.at(exc.args[1][0]).error("parents", f"the network has a cycle: {cycle}") from None
    return tuple(nodes[i] for i in order)


def _cytology(
    raw: Any, where: Where, source_keys: frozenset[str], params: dict[str, Parameter]
) -> tuple[int, tuple[str, ...], str]:
    if not isinstance(raw, dict):
        raise where.error("cytology", "expected a mapping with taps, states and the calibration figures")
    n_taps = whole(raw.get("taps"), 1, MAX_TAPS)
    if n_taps is None:
        raise where.error("taps", f"expected a whole number from 1 to {MAX_TAPS}, got {shown(raw.get('taps'))}")
    tap_states = states(raw.get("states"), where)
    if tap_states[0] != "negative" or tap_states[-1] != "positive" or not set(tap_states) <= {"negative", "equivocal", "positive"}:
        raise where.error("states", "expected [negative, positive] or [negative, equivocal, positive]")
    needed = [p for p in _CYTOLOGY_PARAMS if "equivocal" in tap_states or not p.startswith("equivocal")]
    for field in needed:
        with where.collect():
            if field not in raw:
                raise where.error(field, "missing")
            params[f"cytology.{field}"] = parameter(raw[field], where, field, source_keys)
    if "low_burden" in raw:  # optional: without it no LM patient has a low burden
        with where.collect():
            params["cytology.low_burden"] = parameter(raw["low_burden"], where, "low_burden", source_keys)
    if any(f"cytology.{k}" not in params for k in ("one_tap", "three_taps", "false_positive")):
        return n_taps, tap_states, prose(raw.get("label", "CSF cytology"), where, "label")
    if "technique" in raw:
        technique = raw["technique"]
        if not isinstance(technique, dict):
            raise where.error("technique", f"expected a mapping with {', '.join(TECHNIQUE_PARAMETERS)}")
        for field in TECHNIQUE_PARAMETERS:
            with where.collect():
                if field not in technique:
                    raise where.error(f"technique.{field}", "missing")
                params[f"cytology.technique.{field}"] = parameter(technique[field], where, f"technique.{field}", source_keys)
        extra = set(technique) - set(TECHNIQUE_PARAMETERS)
        if extra:
            raise where.error(f"technique.{sorted(extra)[0]}", "unknown field")
        if "cytology.technique.usual_shortfall" in params and params["cytology.technique.usual_shortfall"].high >= 1.0:
            raise where.error("technique.usual_shortfall", "must stay below 1")
    unknown = set(raw) - {"taps", "states", "label", "technique", "low_burden", *_CYTOLOGY_PARAMS}
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
    if "equivocal" in tap_states and {"cytology.equivocal_with_cells", "cytology.equivocal_without_cells"} <= set(params):
        if cal.per_tap + params["cytology.equivocal_with_cells"].value > 1.0:
            raise where.error("equivocal_with_cells", "per-tap detection plus equivocal exceeds 1")
        if params["cytology.false_positive"].value + params["cytology.equivocal_without_cells"].value > 1.0:
            raise where.error("equivocal_without_cells", "false positive plus equivocal exceeds 1")
    return n_taps, tap_states, prose(raw.get("label", "CSF cytology"), where, "label")


def _settings(raw: Any, where: Where, source_keys: frozenset[str]) -> dict[str, Setting]:
    if not isinstance(raw, dict):
        raise where.error("settings", "expected a mapping of setting name to {description, p_lm}")
    settings = {}
    for name, body in raw.items():
        w = where.at(f"settings.{name}")
        with w.collect():
            if not isinstance(body, dict) or "description" not in body or "p_lm" not in body:
                raise w.error("p_lm", "expected description and p_lm")
            p = parameter(body["p_lm"], w, "p_lm", source_keys)
            if not MIN_PRETEST <= p.value < 1.0:
                raise w.error("p_lm.value", f"a pre-test probability must lie from {MIN_PRETEST:g} to below 1")
            settings[printable(str(name))] = Setting(
                name=printable(str(name)),
                description=prose(body["description"], w, "description", lines=True),
                p_lm=p,
                includes_signs=bool(body.get("includes_signs", False)),
            )
    return settings
