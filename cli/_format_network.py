"""Text and JSON of the network commands: show and nodes."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from lmbayes.cli._format import dumps, width
from lmbayes.cli._words import DISCLAIMER
from lmbayes.taps import percent

if TYPE_CHECKING:
    from lmbayes.network import Network
    from lmbayes.spec import Parameter


def _param_text(path: str, p: Parameter, extra: str = "") -> list[str]:
    """A parameter on one line (path, value, range, sources), its note wrapped below."""
    flag = " JUDGEMENT" if p.judgement else ""
    lines = [f"  {path}  {p.value:.3g} [{p.low:.3g}, {p.high:.3g}]  {', '.join(p.sources) or '-'}{flag}"]
    lines = textwrap.wrap(lines[0], width(), subsequent_indent="      ")
    for text in (extra, p.note):
        if text:
            lines += textwrap.wrap(text, width(), initial_indent="      ", subsequent_indent="      ")
    return lines


def show_text(net: Network) -> str:
    spec, cal = net.spec, net.tables.calibration
    lines = [f"{net.identity}: {spec.title}"]
    lines += textwrap.wrap(f"Population: {spec.population}", width(), subsequent_indent="  ")
    share = net.share_without_signs()
    if share is not None:
        lines.append(f"Share of this population with none of the listed signs: {percent(share)}.")
    lines += [DISCLAIMER, "", "Nodes:"]
    for n in spec.nodes:
        if n.tap > 1:  # per-tap nodes: once, as a range
            continue
        nid = f"{n.id[:-2]}_1 .. {n.id[:-2]}_{spec.n_taps}" if n.tap else n.id
        obs = "observable" if n.observable else "hidden"
        parents = f" <- {', '.join(n.parents)}" if n.parents else ""
        lines += textwrap.wrap(
            f"  {nid:<24} {n.kind:<8} {obs:<10} [{', '.join(n.states)}]{parents}", width(), subsequent_indent=" " * 27
        )
        lines += textwrap.wrap(f"{n.label}: {n.description}", width(), initial_indent=" " * 27, subsequent_indent=" " * 27)
    lines += ["", "Parameters (value, range, sources; the note below):"]
    for path, p in spec.parameters.items():
        lines += _param_text(path, p)
    if cal is not None:
        lines += [
            "",
            "Cytology calibration (solved from the figures above; lmbayes/calibration.py):",
            f"  published: {cal.one_tap:.3f} after one tap, {cal.three_taps:.3f} after three",
            f"  solved: per-tap detection at a high tumour burden {cal.per_tap:.4f},",
            f"          share of LM with a high burden {cal.shedding_share:.4f}",
            f"  implied: {cal.two_taps:.4f} after two taps; plateau {cal.plateau:.4f}",
        ]
    if spec.settings:
        lines += ["", "Settings (--setting NAME):"]
        for s in spec.settings.values():
            lines += _param_text(s.name, s.p_lm, s.description)
    lines += ["", "Sources:"]
    for k, v in spec.sources.items():
        lines += textwrap.wrap(f"{k}: {v}", width(), initial_indent="  ", subsequent_indent="      ")
    return "\n".join(lines)


def nodes_text(net: Network) -> str:
    """One line a node a finding can name: its id and states (per-tap nodes once, as a range)."""
    spec = net.spec
    lines = [f"{net.identity}: nodes a finding can name (-e NODE=STATE)"]
    for n in spec.nodes:
        if not n.observable or n.tap > 1:
            continue
        nid = f"{n.id[:-2]}_1..{spec.n_taps}" if n.tap else n.id
        lines += textwrap.wrap(f"{nid:<24} {' | '.join(n.states)}", width(), subsequent_indent=" " * 25)
    hidden = [n.id for n in spec.nodes if not n.observable]
    if hidden:
        lines += textwrap.wrap(f"hidden (findings only in teaching): {', '.join(hidden)}", width(), subsequent_indent="  ")
    return "\n".join(lines)


def _param_json(p: Parameter) -> dict[str, Any]:
    return {"value": p.value, "range": [p.low, p.high], "sources": list(p.sources), "judgement": p.judgement, "note": p.note}


def show_json(net: Network) -> str:
    spec = net.spec
    return dumps({
        "name": spec.name,
        "version": spec.version,
        "digest": spec.digest,
        "path": net.label,
        "no_sign_share": net.share_without_signs(),
        "title": spec.title,
        "population": spec.population,
        "target": spec.target,
        "nodes": spec.nodes,
        "parameters": {path: _param_json(p) for path, p in spec.parameters.items()},
        "calibration": net.tables.calibration,
        "settings": {s.name: {"description": s.description, "includes_signs": s.includes_signs, **_param_json(s.p_lm)} for s in spec.settings.values()},
        "sources": spec.sources,
    })
