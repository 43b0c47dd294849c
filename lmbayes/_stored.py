"""A built network as plain arrays and one JSON text, for the cache (:mod:`lmbayes._cache`).

Nothing here can run code: the JSON holds strings, numbers, lists and mappings, and each
field is read back by a decoder that knows its type (a wrong type raises, and the cache
builds the network again). A network from a lmbayes file keeps its checked spec (reading
and checking the YAML is the slow part) and rebuilds its tables; a network imported from
another tool's file keeps its tables (reading them needs pgmpy, which takes seconds).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from lmbayes.spec import NetworkSpec, Node, Parameter, Setting

if TYPE_CHECKING:
    from lmbayes.network import Network

__all__ = ["decode", "encode"]

META = "meta"


def encode(network: Network) -> dict[str, np.ndarray]:
    """The network as arrays: ``meta`` (UTF-8 JSON as bytes) and, for an imported network,
    one float array per table."""
    spec = network.spec
    meta: dict[str, Any] = {
        "spec": _plain(spec),
        "setting": network.setting,
        "pretest": None if network.setting else network.pretest,
    }
    arrays: dict[str, np.ndarray] = {}
    if network.imported:
        t = network.tables
        meta["tables"] = {"variables": list(t.variables), "states": {v: list(t.states[v]) for v in t.variables},
                          "parents": {v: list(t.parents[v]) for v in t.variables}}
        arrays = {f"cpt{i}": np.asarray(t.cpts[v], dtype=float) for i, v in enumerate(t.variables)}
    text = json.dumps(meta, ensure_ascii=True, allow_nan=True)
    return {META: np.frombuffer(text.encode("ascii"), dtype=np.uint8), **arrays}


def decode(arrays: Mapping[str, np.ndarray]) -> Network:
    """The network :func:`encode` wrote; a ``ValueError``, ``TypeError`` or ``KeyError`` for
    anything else."""
    from lmbayes.network import Network
    from lmbayes.tables import Tables

    raw = arrays[META]
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise TypeError("not a kept network")
    meta = _of(json.loads(raw.tobytes().decode("ascii")), dict)
    spec = _spec(_of(meta["spec"], dict))
    setting, pretest = _optional(meta["setting"], str), _optional(meta["pretest"], float)
    if "tables" not in meta:
        return Network(spec, setting=setting, pretest=pretest)
    t = _of(meta["tables"], dict)
    variables = _strings(t["variables"])
    if variables != spec.node_ids:
        raise ValueError("tables and spec disagree")
    cpts = {}
    for i, v in enumerate(variables):
        cpt = arrays[f"cpt{i}"]
        if cpt.dtype != np.float64:
            raise TypeError("a table is not of floats")
        cpts[v] = cpt
    tables = Tables(
        variables=variables,
        states={v: _strings(_of(t["states"], dict)[v]) for v in variables},
        parents={v: _strings(_of(t["parents"], dict)[v]) for v in variables},
        cpts=cpts,
    )
    return Network(spec, tables=tables)


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
        part_of=_of(d["part_of"], str), group=_of(d["group"], str),
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
    if set(d) != {f for f in NetworkSpec.__dataclass_fields__} or any(n.kind not in KINDS for n in spec.nodes):
        raise ValueError("not a kept network")
    return spec
