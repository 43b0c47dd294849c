"""One-way sensitivity analysis and decision flips.

For every parameter with a range ``[low, high]``, P(LM | findings) is computed with that
parameter at ``low`` and at ``high`` and every other at its value; the parameters are sorted by
the swing ``|P(high) - P(low)|`` (a tornado). All ``2 K`` networks are evaluated at once as
draws of one batched network (:mod:`lmbayes.uncertainty`).

The cytology figures are limited to values some shedding model can reproduce with the other
two at their values (:func:`lmbayes.calibration.reachable`), and a sign's frequency among
patients with LM to values at or above what its leak and other causes already give them
(:func:`lmbayes.tables.sign_floors`); a limited end is reported.

A decision flip is the value of a parameter, inside its range, at which P(LM) crosses a
threshold: found on a grid over the range, then by bisection to 1e-10.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from lmbayes.calibration import reachable
from lmbayes.engine import Engine
from lmbayes.findings import Findings
from lmbayes.kinds import parameter_path
from lmbayes.network import Case, Network
from lmbayes.spec import NetworkSpec
from lmbayes.tables import sign_floors
from lmbayes.uncertainty import p_target

__all__ = ["Swing", "one_way", "parameter_words"]

_GRID = 41


@dataclass(frozen=True)
class Swing:
    """P(LM) with one parameter at each end of its (feasible) range."""

    path: str
    value: float
    low: float
    high: float
    p_lm_low: float
    p_lm_high: float
    judgement: bool
    limited: bool
    flip: float | None = None

    json_extra: ClassVar[tuple[str, ...]] = ("swing",)

    @property
    def swing(self) -> float:
        return abs(self.p_lm_high - self.p_lm_low)


def parameter_words(spec: NetworkSpec, path: str) -> str:
    """A parameter path in words, for pictures (its kind's form says how, :mod:`lmbayes.parameters`).

    >>> from lmbayes import load_network
    >>> spec = load_network().spec
    >>> parameter_words(spec, "bladder_bowel.given.lm")
    'Bladder or bowel dysfunction among patients with LM'
    >>> parameter_words(spec, "limb_weakness.causes.epidural_compression")
    'Limb weakness or sensory loss with epidural spinal cord or cauda equina compression alone'
    """
    return parameter_path(spec, path).words()


def feasible_range(
    spec: NetworkSpec, path: str, floors: Mapping[str, tuple[float, float, float]] | None = None
) -> tuple[float, float]:
    """The part of a parameter's range a shedding model can reproduce (others at their values).

    >>> from lmbayes import load_network
    >>> lo, hi = feasible_range(load_network().spec, "cytology.one_tap")
    >>> round(lo, 4), hi
    (0.4687, 0.59)
    """
    p = spec.parameters[path]
    value = {k: spec.parameters[f"cytology.{k}"].value for k in ("one_tap", "three_taps", "false_positive")}
    s1, s3, f = value["one_tap"], value["three_taps"], value["false_positive"]
    eps = 1e-9
    if path == "cytology.one_tap":  # need 1 - (1 - s1) g^2 < s3 <= 1 - (1 - s1)^3
        return max(p.low, 1 - (1 - s3) ** (1 / 3)), min(p.high, 1 - (1 - s3) / (1 - f) ** 2 - eps)
    if path == "cytology.three_taps":
        low, high = (float(np.asarray(x)) for x in reachable(s1, f))
        return max(p.low, low + eps), min(p.high, high)
    if path == "cytology.false_positive":  # need (1 - f)^2 > (1 - s3) / (1 - s1)
        return p.low, min(p.high, 1 - ((1 - s3) / (1 - s1)) ** 0.5 - eps)
    parsed = parameter_path(spec, path)
    node = parsed.node
    if node is not None and node.kind == "sign" and parsed.names.get("parent") == spec.target:
        # below the floor (the leak and the other causes among patients with LM) LM adds nothing
        floor = (floors if floors is not None else sign_floors(spec))[node.id][1]
        return max(p.low, min(floor, p.high)), p.high
    return p.low, p.high


def one_way(network: Network, findings: Findings, *, threshold: float | None = None) -> tuple[Swing, ...]:
    """Swings of P(LM) over every ranged parameter that moves it, largest first."""
    network.require_target()
    spec = network.spec
    case = network.case(findings)
    paths = [p for p, par in spec.parameters.items() if par.high > par.low]
    floors = sign_floors(spec)  # once for every sign's range
    ends = {p: feasible_range(spec, p, floors) for p in paths}
    base = {p: np.full(2 * len(paths), par.value) for p, par in spec.parameters.items()}
    for i, path in enumerate(paths):
        base[path][2 * i], base[path][2 * i + 1] = ends[path]
    engine = Engine(network.tables_over(base).with_techniques(dict(case.techniques)))
    p = p_target(engine, spec.target, case.evidence)
    swings = []
    for i, path in enumerate(paths):
        par = spec.parameters[path]
        lo, hi = ends[path]
        swings.append(
            Swing(path, par.value, lo, hi, float(p[2 * i]), float(p[2 * i + 1]), par.judgement,
                  limited=(lo, hi) != (par.low, par.high))
        )
    swings = [s for s in swings if s.swing > 1e-12]
    if threshold is not None:
        swings = _with_flips(network, case, swings, threshold)
    return tuple(sorted(swings, key=lambda s: -s.swing))


def _with_flips(network: Network, case: Case, swings: list[Swing], threshold: float) -> list[Swing]:
    """Add the value at which P(LM) crosses ``threshold``, where it does inside the range."""
    spec = network.spec

    def p_lm(settings: list[tuple[str, float]]) -> np.ndarray:
        """P(LM) for each (path, value), every other parameter at its value."""
        values = {q: np.full(len(settings), par.value) for q, par in spec.parameters.items()}
        for k, (path, value) in enumerate(settings):
            values[path][k] = value
        engine = Engine(network.tables_over(values).with_techniques(dict(case.techniques)))
        return p_target(engine, spec.target, case.evidence)

    grid = np.linspace(0.0, 1.0, _GRID)
    points = [[s.low + g * (s.high - s.low) for g in grid] for s in swings]
    above = p_lm([(s.path, x) for s, xs in zip(swings, points) for x in xs]).reshape(len(swings), _GRID) > threshold
    brackets = {}  # swing index -> [low end, high end, low end above?]
    for i in range(len(swings)):
        change = np.nonzero(above[i, 1:] != above[i, :-1])[0]
        if change.size:
            j = change[0]
            brackets[i] = [points[i][j], points[i][j + 1], above[i, j]]
    for _ in range(40):
        if not brackets:
            break
        mids = {i: (b[0] + b[1]) / 2 for i, b in brackets.items()}
        mid_above = p_lm([(swings[i].path, m) for i, m in mids.items()]) > threshold
        for (i, m), a in zip(mids.items(), mid_above):
            brackets[i][0 if a == brackets[i][2] else 1] = m
    return [
        Swing(**{**s.__dict__, "flip": (brackets[i][0] + brackets[i][1]) / 2 if i in brackets else None})
        for i, s in enumerate(swings)
    ]
