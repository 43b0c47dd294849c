"""The audit's table and JSON (`lmbayes network audit`): one renderer per format."""

from __future__ import annotations

import dataclasses
import textwrap
from typing import Any

from lmbayes.audit import Audit, StageResult

#: The stage labels as the table prints them (30 columns at most).
SHORT = {
    "clinical": "clinical signs and history",
    "mri": "first MRI alone",
    "cytology": "first LP cytology alone",
    "routine": "clinical + routine CSF",
    "first_lp": "clinical + first LP",
    "all_tap1": "clinical + MRI + all of tap 1",
}


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def _published(s: StageResult) -> str:
    p = s.published
    if p.auc is None:
        return "-"
    interval = f" ({p.low:.3f}-{p.high:.3f})" if p.low is not None and p.high is not None else ""
    return f"{p.auc:.3f}{interval}"


def _band(s: StageResult) -> str:
    if s.low is None and s.high is None:
        return "-"
    return f"{_num(s.low)}-{_num(s.high)}" if s.low is not None and s.high is not None else _num(s.low or s.high)


def audit_text(result: Audit) -> str:
    """The audit as a table of 80 columns: each stage's AUC in the network, the published
    figure with its source below it, the band and the verdict."""
    lines = [
        f"Audit of the network '{result.network}' against published LM models",
        f"{result.patients:,} patients drawn (seed {result.seed}); "
        + (f"{result.kept:,} with a sign kept (suspected LM)," if result.population == "suspected" else "all kept,"),
        f"{result.lm:,} of them with LM, weighted back to the network's prior: P(LM) {100 * result.prevalence:.1f}%.",
        "AUC of P(LM) at each stage:",
        "",
        f"{'stage':<30}  {'AUC':>5}  {'published':<19}  {'band':<11}  verdict",
    ]
    for s in result.stages:
        lines.append(f"{SHORT.get(s.name, s.name):<30}  {_num(s.auc):>5}  {_published(s):<19}  {_band(s):<11}  {s.verdict}")
        lines.append(f"{'':<39}{s.published.source}")
        if s.published.sensitivity is not None and s.published.specificity is not None and s.specificity is not None:
            lines.append(
                f"{'':<39}spec {100 * s.published.specificity:.0f}% at sens {100 * s.published.sensitivity:.0f}%"
                f" (network {100 * s.specificity:.0f}%)"
            )
    above = [SHORT.get(s.name, s.name) for s in result.stages if s.verdict == "above"]
    below = [SHORT.get(s.name, s.name) for s in result.stages if s.verdict == "below"]
    lines.append("")
    lines.append("above: more certain than the published data. band: the published 95% interval,")
    lines.append("or a judgement about a point figure (docs/audit.md; --json gives each basis).")
    if above:
        lines += textwrap.wrap(f"More certain than published: {', '.join(above)}.", 80)
    if below:
        lines += textwrap.wrap(f"Less certain than published: {', '.join(below)}.", 80)
    if not above and not below:
        lines.append("Every stage with a published figure lies within its band.")
    return "\n".join(lines)


def audit_json(result: Audit) -> dict[str, Any]:
    """The audit's fields, each stage with its verdict."""
    data = dataclasses.asdict(result)
    for stage, s in zip(data["stages"], result.stages):
        stage["verdict"] = s.verdict
    return data
