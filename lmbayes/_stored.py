"""A built network as plain arrays and one JSON text, for the cache (:mod:`lmbayes._cache`).

Nothing here can run code: the JSON holds strings, numbers, lists and mappings, and each
field is read back by a decoder that knows its type (a wrong type raises, and the cache
builds the network again). A network keeps its checked spec (reading and checking the YAML
is the slow part) and its probability tables, all in one float array; for a lmbayes network
the solved calibration too, from which the tables' context (what technique variants and
draws are built from) is made again without building any table.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np

from lmbayes.calibration import Calibration
from lmbayes.spec import NetworkSpec, Node, Parameter, Setting
from lmbayes.tables import Tables

if TYPE_CHECKING:
    from lmbayes.network import Network

__all__ = ["decode", "encode"]

META = "meta"
CPTS = "cpts"


def encode(network: Network) -> dict[str, np.ndarray]:
    """The network as arrays: ``meta`` (ASCII JSON as bytes) and ``cpts``, every table's
    numbers one after the other (C order, the variables' order)."""
    t = network.tables
    if t.batch:
        raise ValueError("tables over draws are not kept")
    meta: dict[str, Any] = {
        "spec": _plain(network.spec),
        "setting": network.setting,
        "pretest": None if network.setting else network.pretest,
        "tables": {"variables": list(t.variables), "states": {v: list(t.states[v]) for v in t.variables},
                   "parents": {v: list(t.parents[v]) for v in t.variables}},
        "calibration": None if t.calibration is None else _plain(t.calibration),
        "context": t.context is not None,
    }
    text = json.dumps(meta, ensure_ascii=True, allow_nan=True)
    # every table in one array, in the order of the variables: one member of the .npz to read
    # (each member costs a zip entry and a header: 0.2-0.3 ms, 15-20 ms for 70 tables)
    cpts = np.concatenate([np.asarray(t.cpts[v], dtype=np.float64).ravel() for v in t.variables])
    return {META: np.frombuffer(text.encode("ascii"), dtype=np.uint8), CPTS: cpts}


def decode(arrays: Mapping[str, np.ndarray]) -> tuple[NetworkSpec, str | None, float | None, Tables]:
    """What :func:`encode` kept: the spec, the setting, the pre-test probability and the
    tables; a ``ValueError``, ``TypeError`` or ``KeyError`` for anything else."""
    raw = arrays[META]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise TypeError("not a kept network")
    meta = _of(json.loads(raw.tobytes().decode("ascii")), dict)
    spec = _spec(_of(meta["spec"], dict))
    setting, pretest = _optional(meta["setting"], str), _optional(meta["pretest"], float)
    t = _of(meta["tables"], dict)
    variables = _strings(t["variables"])
    if variables != spec.node_ids:
        raise ValueError("tables and spec disagree")
    states = {v: _strings(_of(t["states"], dict)[v]) for v in variables}
    parents = {v: _strings(_of(t["parents"], dict)[v]) for v in variables}
    flat = arrays[CPTS]
    shapes = [tuple(len(states[p]) for p in (*parents[v], v)) for v in variables]
    if flat.dtype != np.float64 or flat.shape != (sum(math.prod(shape) for shape in shapes),):
        raise TypeError("the tables are not floats, or not as many as the nodes' states make")
    cpts = {}
    start = 0
    for v, shape in zip(variables, shapes):
        size = math.prod(shape)
        cpts[v] = flat[start : start + size].reshape(shape)
        start += size
    calibration = None if meta["calibration"] is None else _calibration(meta["calibration"])
    context = None
    if _of(meta["context"], bool):
        if calibration is None:
            raise ValueError("a context needs its calibration")
        context = _context(spec, calibration, states, parents, cpts)
    tables = Tables(variables=variables, states=states, parents=parents, cpts=cpts, calibration=calibration, context=context)
    return spec, setting, pretest, tables


def _calibration(d: Any) -> Calibration:
    d = _of(d, dict)
    import dataclasses

    return Calibration(**{f.name: _of(d[f.name], float) for f in dataclasses.fields(Calibration)})


def _context(spec: NetworkSpec, calibration: Calibration, states: Mapping[str, tuple[str, ...]],
             parents: Mapping[str, tuple[str, ...]], cpts: Mapping[str, np.ndarray]) -> Any:
    """The context :func:`lmbayes.tables.build_tables` made, from the kept tables: the
    parameters at the file's values, and the joint of the causes (their tables are the
    first ones built, kept as they were)."""
    from lmbayes.engine import Engine
    from lmbayes.kinds import TableContext, explaining
    from lmbayes.tables import _Values

    causes = [n.id for n in explaining(spec)]
    first = Tables(variables=tuple(causes), states={c: states[c] for c in causes}, parents={c: parents[c] for c in causes},
                   cpts={c: cpts[c] for c in causes})
    return TableContext(spec, _Values(spec, {}, ()), calibration, MappingProxyType({}), causes_joint=Engine(first).joint)


def _plain(value: Any) -> Any:
    """Dataclasses, mappings and tuples as JSON values."""
    import dataclasses

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot keep a {type(value).__name__}")


def _of(value: Any, kind: type | tuple[type, ...]) -> Any:
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or (kind in (int, float) and isinstance(value, bool)):
        raise TypeError(f"expected {kind}, got {type(value).__name__}")
    return value


def _optional(value: Any, kind: type) -> Any:
    return None if value is None else _of(value, kind)


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(_of(v, str) for v in _of(value, list))


def _parameter(d: Any) -> Parameter:
    d = _of(d, dict)
    counts = None if d["counts"] is None else tuple(_of(c, int) for c in _of(d["counts"], list))
    if counts is not None and len(counts) != 2:
        raise ValueError("counts are two numbers")
    return Parameter(
        value=_of(d["value"], float), low=_of(d["low"], float), high=_of(d["high"], float),
        sources=_strings(d["sources"]), judgement=_of(d["judgement"], bool), note=_of(d["note"], str),
        counts=counts,
    )


def _node(d: Any) -> Node:
    d = _of(d, dict)
    return Node(
        id=_of(d["id"], str), kind=_of(d["kind"], str), label=_of(d["label"], str),
        description=_of(d["description"], str), states=_strings(d["states"]), parents=_strings(d["parents"]),
        observable=_of(d["observable"], bool), tap=_of(d["tap"], int), template=_of(d["template"], str),
        part_of=_of(d["part_of"], str), group=_of(d["group"], str), available=_of(d["available"], bool),
    )


def _setting(d: Any) -> Setting:
    d = _of(d, dict)
    return Setting(name=_of(d["name"], str), description=_of(d["description"], str), p_lm=_parameter(d["p_lm"]),
                   includes_signs=_of(d["includes_signs"], bool))


def _texts(d: Any) -> dict[str, str]:
    return {_of(k, str): _of(v, str) for k, v in _of(d, dict).items()}


def _spec(d: dict[str, Any]) -> NetworkSpec:
    from lmbayes.kinds import KINDS

    spec = NetworkSpec(
        name=_of(d["name"], str), title=_of(d["title"], str), population=_of(d["population"], str),
        path=_of(d["path"], str), target=_of(d["target"], str),
        nodes=tuple(map(_node, _of(d["nodes"], list))),
        parameters={_of(k, str): _parameter(v) for k, v in _of(d["parameters"], dict).items()},
        settings={_of(k, str): _setting(v) for k, v in _of(d["settings"], dict).items()},
        sources=_texts(d["sources"]), n_taps=_of(d["n_taps"], int), tap_states=_strings(d["tap_states"]),
        tap_label=_of(d["tap_label"], str), tap_analyses=tuple(map(_node, _of(d["tap_analyses"], list))),
        version=_of(d["version"], str), digest=_of(d["digest"], str), not_applicable=_texts(d["not_applicable"]),
    )
    import dataclasses

    if set(d) != {f.name for f in dataclasses.fields(NetworkSpec)} or any(n.kind not in KINDS for n in spec.nodes):
        raise ValueError("not a kept network")
    return spec
