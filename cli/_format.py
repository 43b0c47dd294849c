"""Text and JSON rendering of library results. No inference happens here."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Mapping, Sequence
from typing import Any

from lmbayes.network import Network, Posterior
from lmbayes.plan import Plan
from lmbayes.spec import Parameter
from lmbayes.taps import TapTable, percent

DISCLAIMER = "For planning and teaching; not a medical device."
WIDTH = 88
_BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(p: float, width: int = 20) -> str:
    """A horizontal bar of ``p`` in eighths of a character.

    >>> bar(0.5, 4)
    '██'
    >>> bar(0.3, 4)
    '█▎'
    """
    eighths = round(p * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_BLOCKS[part] if part else "")


def dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def _findings_line(findings: Mapping[str, str]) -> str:
    text = ", ".join(f"{n}={s}" for n, s in findings.items())
    return f"Findings: {text or 'none'}"


def header(net: Network, findings: Mapping[str, str]) -> list[str]:
    prior = f"pre-test setting '{net.setting}'" if net.setting else (
        f"pre-test P(LM) {percent(net.pretest)}" if net.pretest is not None else "prior from the network file"
    )
    return [
        f"Network: {net.name} ({net.spec.title}); {prior}.",
        DISCLAIMER,
        textwrap.fill(_findings_line(findings), WIDTH, subsequent_indent="  "),
    ]


def posterior_text(net: Network, post: Posterior) -> str:
    lines = header(net, post.findings) + [""]
    rows = []
    for node, dist in post.posterior.items():
        state = list(dist)[-1]
        rows.append((f"{net.spec.node(node).label} = {state}", post.prior[node][state], dist[state]))
    width = max(len(r[0]) for r in rows)
    lines.append(f"{'':{width}}  {'prior':>7}  {'now':>7}")
    for label, p0, p in rows:
        lines.append(f"{label:<{width}}  {percent(p0):>7}  {percent(p):>7}  {bar(p)}")
    lines += ["", "Sources and ranges of every number: `lmbayes network show`."]
    return "\n".join(lines)


def posterior_json(net: Network, post: Posterior) -> str:
    return dumps({
        "network": net.name,
        "target": net.target,
        "findings": dict(post.findings),
        "posterior": {n: dict(d) for n, d in post.posterior.items()},
        "prior": {n: dict(d) for n, d in post.prior.items()},
        "p_findings": post.p_findings,
    })


def taps_text(net: Network, findings: Mapping[str, str], table: TapTable) -> str:
    lines = header(net, findings)
    done = f"{table.taps_done} tap{'s' if table.taps_done != 1 else ''} done"
    lines.append(f"P(LM): {percent(table.prior)} before any finding, {percent(table.current)} now ({done}).")
    lines.append("")
    head = ("tap", "P(tap +)", "P(LM) if +", "P(LM) if -", "change", "LR(-)", "if independent")
    lines.append("  ".join(f"{h:>10}" if i else f"{h:>3}" for i, h in enumerate(head)))
    for s in table.steps:
        lr = f"{s.likelihood_ratio:.2f}" if s.likelihood_ratio is not None else "-"
        cells = (
            percent(s.p_positive),
            percent(s.p_lm_if_positive),
            percent(s.p_lm_if_negative),
            _points(s.change),
            lr,
            percent(s.p_lm_if_negative_independent),
        )
        lines.append(f"{s.tap:>3}  " + "  ".join(f"{c:>10}" for c in cells))
    lines.append("")
    lines.append(textwrap.fill(table.summary(), WIDTH))
    lines.append(
        textwrap.fill(
            "'if independent' multiplies the odds by the single-tap LR(-) of "
            f"{table.single_tap_lr:.2f} per negative tap, as a Fagan nomogram would.",
            WIDTH,
        )
    )
    return "\n".join(lines)


def taps_json(net: Network, findings: Mapping[str, str], table: TapTable) -> str:
    return dumps({
        "network": net.name,
        "findings": dict(findings),
        "prior": table.prior,
        "current": table.current,
        "taps_done": table.taps_done,
        "single_tap_lr": table.single_tap_lr,
        "floor": table.floor,
        "steps": [
            {
                "tap": s.tap,
                "p_positive": s.p_positive,
                "p_lm_if_positive": s.p_lm_if_positive,
                "p_lm_if_negative": s.p_lm_if_negative,
                "change": s.change,
                "likelihood_ratio": s.likelihood_ratio,
                "p_lm_if_negative_independent": s.p_lm_if_negative_independent,
            }
            for s in table.steps
        ],
        "summary": table.summary(),
    })


def _points(change: float) -> str:
    """A change in percentage points, with more digits when it is small.

    >>> _points(-0.0868), _points(-0.00031)
    ('-8.7 pts', '-0.03 pts')
    """
    digits = 1 if abs(change) >= 0.001 else 2
    return f"{100 * change:+.{digits}f} pts"


def _param_text(path: str, p: Parameter) -> str:
    flag = "  JUDGEMENT" if p.judgement else ""
    note = f"  ({p.note})" if p.note else ""
    return f"  {path:<46} {p.value:>6.3f}  [{p.low:.3f}, {p.high:.3f}]  {', '.join(p.sources) or '-'}{flag}{note}"


def show_text(net: Network) -> str:
    spec, cal = net.spec, net.tables.calibration
    lines = [f"{spec.name}: {spec.title}", f"Population: {spec.population}", DISCLAIMER, "", "Nodes:"]
    for n in spec.nodes:
        if n.kind == "tap" and n.id != "csf_1":
            continue
        nid = f"csf_1 .. csf_{spec.n_taps}" if n.kind == "tap" else n.id
        obs = "observable" if n.observable else "hidden"
        parents = f" <- {', '.join(n.parents)}" if n.parents else ""
        lines.append(f"  {nid:<24} {n.kind:<8} {obs:<10} [{', '.join(n.states)}]{parents}")
        lines.append(f"  {'':<24} {n.label}: {n.description}")
    lines += ["", "Parameters (value, range, sources):"]
    lines += [_param_text(path, p) for path, p in spec.parameters.items()]
    if cal is not None:
        lines += [
            "",
            "Cytology calibration (solved from the figures above; see lmbayes/calibration.py):",
            f"  published: {cal.one_tap:.3f} after one tap, {cal.three_taps:.3f} after three",
            f"  solved: per-tap detection among shedders {cal.per_tap:.4f}, share of LM that sheds {cal.shedding_share:.4f}",
            f"  implied: {cal.two_taps:.4f} after two taps; plateau {cal.plateau:.4f}",
        ]
    if spec.settings:
        lines += ["", "Settings (--setting NAME):"]
        for s in spec.settings.values():
            lines.append(_param_text(s.name, s.p_lm) + f"  {s.description}")
    lines += ["", "Sources:"]
    lines += [f"  {k}: {v}" for k, v in spec.sources.items()]
    return "\n".join(lines)


def _param_json(p: Parameter) -> dict[str, Any]:
    return {"value": p.value, "range": [p.low, p.high], "sources": list(p.sources), "judgement": p.judgement, "note": p.note}


def show_json(net: Network) -> str:
    spec, cal = net.spec, net.tables.calibration
    return dumps({
        "name": spec.name,
        "title": spec.title,
        "population": spec.population,
        "target": spec.target,
        "nodes": [
            {
                "id": n.id,
                "label": n.label,
                "kind": n.kind,
                "states": list(n.states),
                "parents": list(n.parents),
                "observable": n.observable,
                "description": n.description,
            }
            for n in spec.nodes
        ],
        "parameters": {path: _param_json(p) for path, p in spec.parameters.items()},
        "calibration": None if cal is None else {
            "one_tap": cal.one_tap,
            "three_taps": cal.three_taps,
            "false_positive": cal.false_positive,
            "per_tap": cal.per_tap,
            "shedding_share": cal.shedding_share,
            "two_taps": cal.two_taps,
            "plateau": cal.plateau,
        },
        "settings": {s.name: {"description": s.description, "includes_signs": s.includes_signs, **_param_json(s.p_lm)} for s in spec.settings.values()},
        "sources": dict(spec.sources),
    })


def plan_text(net: Network, csf: Sequence[str], evidence: Mapping[str, str], plan: Plan) -> str:
    findings = net.findings(evidence, csf)
    t = plan.thresholds
    lines = header(net, findings)
    lines.append(
        f"P(LM) now {percent(plan.current)}. Thresholds: rule out below {percent(t.rule_out)}, "
        f"treat above {percent(t.treat)} ({t.source})."
    )
    lines += ["", f"{'test':<52} {'info':>9} {'E|change|':>10}  changes management"]
    for option in plan.tests:
        name = option.label + (f", {_short_way(option.technique)}" if option.technique else "")
        lines.append(
            f"{name:<52} {option.information_bits:>5.3f} bit {100 * option.expected_change:>6.1f} pts  "
            f"{'yes' if option.changes_management else 'no'}"
        )
        for o in option.outcomes:
            mark = {"rule_out": "  (rule out)", "treat": "  (treat)"}.get(o.zone, "")
            lines.append(f"    {o.state:<20} {percent(o.probability):>7}  ->  P(LM) {percent(o.p_lm):>6}{mark}")
    lines += ["", textwrap.fill("Advice: " + plan.advice, WIDTH)]
    return "\n".join(lines)


def _short_way(technique: str) -> str:
    return {"the usual way": "usual"}.get(technique, "to the standard" if technique.startswith("to the") else technique)


def plan_json(net: Network, plan: Plan) -> str:
    return dumps({
        "network": net.name,
        "current": plan.current,
        "zone": plan.zone,
        "thresholds": {"rule_out": plan.thresholds.rule_out, "treat": plan.thresholds.treat, "source": plan.thresholds.source},
        "tests": [
            {
                "test": o.test,
                "label": o.label,
                "technique": o.technique,
                "outcomes": [{"state": x.state, "probability": x.probability, "p_lm": x.p_lm, "zone": x.zone} for x in o.outcomes],
                "expected_change": o.expected_change,
                "information_bits": o.information_bits,
                "changes_management": o.changes_management,
            }
            for o in plan.tests
        ],
        "taps_to_rule_out": [{"technique": c.technique, "taps": c.taps, "p_lm_after": c.p_lm_after} for c in plan.taps_to_rule_out],
        "floor": plan.floor,
        "advice": plan.advice,
    })
