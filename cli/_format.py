"""Text and JSON rendering of library results. No inference happens here."""

from __future__ import annotations

import dataclasses
import os
import sys
from lmbayes.cli import _fit as textwrap  # wrap and fill that never cut a word
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import click

from lmbayes.findings import Findings
from lmbayes.spec import MAX_TAPS
from lmbayes.taps import percent
from lmbayes.technique import STANDARD, Technique, way

if TYPE_CHECKING:  # command-specific modules load only with their command
    from lmbayes.network import Network, Posterior
    from lmbayes.plan import Outcome, Plan, TestOption
    from lmbayes.sensitivity import Swing
    from lmbayes.simulate import CohortResult
    from lmbayes.spec import Parameter
    from lmbayes.taps import TapTable
    from lmbayes.teaching import Attribution, Conflict, Dependence
    from lmbayes.uncertainty import Draws, Interval, PlanIntervals, TapIntervals
    from lmbayes.cohort import Cohort
    from lmbayes.validate import Estimate, Validation
    from lmbayes.fit import Fit

from lmbayes.cli._assumed import assumed_lines
from lmbayes.cli._words import DISCLAIMER
#: Text fits this many columns, or the terminal's width where it is wider.
MIN_WIDTH = 80
#: A terminal narrower than MIN_WIDTH gets text fitted to its width, down to this.
NARROWEST = 40


def width() -> int:
    """The width text is fitted to: the terminal's (at least :data:`NARROWEST`); 80 when not a
    terminal."""
    if sys.stdout.isatty():
        # what shutil.get_terminal_size does, without loading bz2 and lzma at every start-up
        columns = os.environ.get("COLUMNS", "")
        if columns.isdigit() and int(columns) > 0:
            return max(NARROWEST, int(columns))
        try:
            return max(NARROWEST, os.get_terminal_size(sys.stdout.fileno()).columns)
        except (OSError, ValueError):
            return MIN_WIDTH
    return MIN_WIDTH


def colour() -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (https://no-color.org)."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _style(text: str, fg: str) -> str:
    return click.style(text, fg=fg) if colour() else text


def _fill(text: str, indent: str = "") -> str:
    """TEXT wrapped to the terminal, never inside a word: a file name stays whole (and can be
    copied), even one longer than the line."""
    return textwrap.fill(text, width(), subsequent_indent=indent, break_on_hyphens=False, break_long_words=False)
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


def _plain(value: Any) -> Any:
    """The one JSON encoding of library values: a result dataclass becomes its fields (and the
    properties it lists in ``json_extra``), a technique the words of :func:`way`."""
    if isinstance(value, Technique):
        return way(value)
    if isinstance(value, Findings):
        return written(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        data.update((name, getattr(value, name)) for name in getattr(value, "json_extra", ()))
        return data
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def dumps(data: Any) -> str:
    import json  # only for --json

    return json.dumps(data, indent=2, ensure_ascii=False, default=_plain)


def technique_token(technique: Technique) -> str:
    """A technique as the command line writes it after a result (``5ml+45min+cisternal``).

    >>> technique_token(Technique(volume_ml=5, delay_min=45, site="cisternal", away=True))
    '5ml+45min+cisternal+away'
    """
    if technique.usual:
        return "usual"
    if technique == STANDARD:
        return "standard"
    parts = []
    if technique.volume_ml is not None:
        parts.append(f"{technique.volume_ml:g}ml")
    if technique.delay_min is not None:
        parts.append(f"{technique.delay_min:g}min")
    parts.append(technique.site)
    if technique.away:
        parts.append("away")
    return "+".join(parts)


def written(findings: Findings | Mapping[str, str]) -> dict[str, str]:
    """The findings as the command line takes them: a finished tap's technique after ``@``, so
    that an output carries everything needed to reproduce it."""
    techniques = findings.techniques if isinstance(findings, Findings) else {}
    return {n: f"{s}@{technique_token(techniques[n])}" if n in techniques else s for n, s in findings.items()}


def _findings_line(findings: Findings | Mapping[str, str]) -> str:
    text = ", ".join(f"{n}={s}" for n, s in written(findings).items())
    return f"Findings: {text or 'none'}"


def header(net: Network, findings: Findings | Mapping[str, str]) -> list[str]:
    if net.imported:
        return [f"Network: {net.label} ({net.spec.title}).", DISCLAIMER, textwrap.fill(_findings_line(findings), width(), subsequent_indent="  ")]
    prior = f"pre-test setting '{net.setting}'" if net.setting else (
        f"pre-test P(LM) {percent(net.pretest)}" if net.pretest is not None else "prior from the network file"
    )
    return [
        textwrap.fill(f"Network: {net.identity} ({net.spec.title}); {prior}.", width(), subsequent_indent="  "),
        DISCLAIMER,
        textwrap.fill(_findings_line(findings), width(), subsequent_indent="  "),
    ]


def _interval(i: Interval) -> str:
    return f"{percent(i.low)}-{percent(i.high)}"


def _median_interval(i: Interval) -> str:
    """The median and the 95% interval of a probability over the draws.

    >>> from lmbayes.uncertainty import Interval
    >>> _median_interval(Interval(0.12, 0.023, 0.509))
    '12.0% (2.3%-50.9%)'
    """
    return f"{percent(i.median)} ({_interval(i)})"


def network_json(net: Network) -> dict[str, Any]:
    """The keys that name the network in every JSON output."""
    return {"network": net.label, "network_version": net.spec.version, "network_digest": net.spec.digest}


def _draws_line(draws: Draws, seed: int) -> str:
    return _fill(
        f"Uncertainty: {draws.n:,} draws of every parameter (seed {seed}); "
        f"{100 * draws.acceptance:.0f}% of cytology draws reproducible by a shedding model."
    )


def _draws_json(draws: Draws, seed: int) -> dict[str, Any]:
    return {"draws": draws.n, "seed": seed, "acceptance": draws.acceptance}


def posterior_text(
    net: Network,
    post: Posterior,
    intervals: Mapping[str, Interval] | None = None,
    draws: Draws | None = None,
    seed: int = 0,
    conf: Conflict | None = None,
) -> str:
    lines = header(net, post.findings) + assumed_lines(net, post.findings, width()) + [""]
    rows = []
    for node, dist in post.posterior.items():
        if net.imported and node in post.findings:
            continue
        for state in list(dist) if net.imported else list(dist)[-1:]:
            label = net.spec.node(node).label
            label = label if state == "present" and not net.imported else f"{label} = {state}"
            rows.append((node, label, post.prior[node][state], dist[state]))
    extra = f"  {'median (95% interval)':>22}" if intervals else ""
    bar_width = 10
    room = width() - (2 + 7 + 2 + 7 + len(extra) + 2 + bar_width)
    label_width = min(max((len(r[1]) for r in rows), default=0), room)
    what = "" if net.imported else "P(present)"
    lines.append(f"{what:<{label_width}}  {'prior':>7}  {'now':>7}{extra}")
    for node, label, p0, p in rows:
        interval = f"  {_median_interval(intervals[node]):>22}" if intervals else ""
        lines.append(f"{_cut(label, label_width):<{label_width}}  {percent(p0):>7}  {percent(p):>7}{interval}  {bar(p, bar_width)}")
    if intervals and draws:
        lines += ["", _draws_line(draws, seed)]
    if conf is not None and conf.alert:
        lines += ["", _style(textwrap.fill(conf.sentence(), width()), "yellow")]
    lines += ["", "Sources and ranges of every number: `lmbayes network show`."]
    return "\n".join(lines)


def posterior_json(
    net: Network,
    post: Posterior,
    intervals: Mapping[str, Interval] | None = None,
    draws: Draws | None = None,
    seed: int = 0,
    conf: Conflict | None = None,
) -> str:
    data: dict[str, Any] = {**network_json(net), **_plain(post)}
    if conf is not None:
        data["conflict"] = conf
    if intervals and draws:
        data["uncertainty"] = {**_draws_json(draws, seed), "posterior": intervals}
    return dumps(data)


def taps_text(
    net: Network,
    findings: Findings,
    table: TapTable,
    intervals: TapIntervals | None = None,
    draws: Draws | None = None,
    seed: int = 0,
) -> str:
    lines = header(net, findings) + assumed_lines(net, findings, width())
    done = f"{table.taps_done} tap{'s' if table.taps_done != 1 else ''} done"
    lines.append(f"P(LM): {percent(table.prior)} before any finding, {percent(table.current)} now ({done}).")
    unused = [a.group or a.id for a in net.spec.tap_analyses]
    if table.steps and not table.analyses and unused:
        lines.append(textwrap.fill(
            f"Further taps: cytology only (--with adds {', '.join(dict.fromkeys(unused))}).", width()))
    if table.steps and table.analyses:
        lines.append(textwrap.fill(
            f"Each further tap: cytology with {', '.join(table.analyses)}; + = any reading positive, - = all "
            "negative, given that the further taps before it were all negative.", width()))
    elif table.steps:
        lines.append("Each row: that tap's result, the further taps before it all negative.")
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
    if not table.steps and table.taps_done >= table.n_taps:
        lines.append(_all_taps_done(table.n_taps))
        return "\n".join(lines)
    lines.append(textwrap.fill(table.summary(), width()))
    lines.append(
        textwrap.fill(
            "'if independent' multiplies the odds by the single-tap LR(-) of "
            f"{table.single_tap_lr:.2f} per negative tap, as a Fagan nomogram would.",
            width(),
        )
    )
    if intervals and draws:
        lines += ["", f"P(LM) now {percent(table.current)}; median and 95% interval {_median_interval(intervals.current)}."]
        lines.append(f"{'tap':>3}  {'P(LM) if +':>10}  {'median (95% int.)':>20}  {'P(LM) if -':>10}  {'median (95% int.)':>20}")
        for s, i in zip(table.steps, intervals.steps):
            lines.append(
                f"{s.tap:>3}  {percent(s.p_lm_if_positive):>10}  {_median_interval(i.p_lm_if_positive):>20}  "
                f"{percent(s.p_lm_if_negative):>10}  {_median_interval(i.p_lm_if_negative):>20}"
            )
        lines.append(_draws_line(draws, seed))
    return "\n".join(lines)


def taps_json(
    net: Network,
    findings: Findings,
    table: TapTable,
    intervals: TapIntervals | None = None,
    draws: Draws | None = None,
    seed: int = 0,
) -> str:
    data: dict[str, Any] = {**network_json(net), "findings": findings, **_plain(table), "summary": table.summary()}
    if intervals and draws:
        data["uncertainty"] = {**_draws_json(draws, seed), **_plain(intervals)}
    return dumps(data)


def _all_taps_done(n_taps: int) -> str:
    """The one sentence taps, plan and dependence print when every modelled tap is done."""
    return _fill(f"All {n_taps} modelled taps are done; model more with --max-taps (up to {MAX_TAPS}).")


def _points(change: float) -> str:
    """A change in percentage points, with more digits when it is small.

    >>> _points(-0.0868), _points(-0.00031), _points(-2e-6), _points(0.0)
    ('-8.7 pts', '-0.03 pts', '<0.01 pts', '0 pts')
    """
    if change == 0.0:
        return "0 pts"
    if abs(change) < 0.00005:  # would print as -0.00
        return "<0.01 pts"
    digits = 1 if abs(change) >= 0.001 else 2
    return f"{100 * change:+.{digits}f} pts"


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
            f"  solved: per-tap detection among shedders {cal.per_tap:.4f},",
            f"          share of LM that sheds {cal.shedding_share:.4f}",
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


def plan_text(
    net: Network,
    findings: Findings,
    plan: Plan,
    intervals: PlanIntervals | None = None,
    draws: Draws | None = None,
    seed: int = 0,
) -> str:
    t = plan.thresholds
    lines = header(net, findings) + assumed_lines(net, findings, width())
    lines.append(_fill(
        f"P(LM) now {percent(plan.current)}. Thresholds: rule out below {percent(t.rule_out)}, "
        f"treat above {percent(t.treat)} ({t.source})."
    ))
    if intervals:
        lines.append(f"P(LM) now over the draws: median and 95% interval {_median_interval(intervals.current)}.")
    straddling: list[tuple[TestOption, Outcome, Interval, float]] = []
    name_width = width() - 33
    lines += ["", f"{'test':<{name_width}} {'info':>9} {'E|change|':>10}  changes?"]
    for n, option in enumerate(plan.tests):
        name = _cut(option.label + (f", {_short_way(option.technique)}" if option.technique else ""), name_width)
        lines.append(
            f"{name:<{name_width}} {option.information_bits:>5.3f} bit {100 * option.expected_change:>6.1f} pts  "
            f"{'yes' if option.changes_management else 'no'}"
        )
        for k, o in enumerate(option.outcomes):
            mark = {"rule_out": "  (rule out)", "treat": "  (treat)"}.get(o.zone, "")
            if o.zone == "rule_out" and not option.tests_target:  # a test of a rival cause
                mark = "  (another cause)" if o.p_lm < plan.current else "  (below rule-out)"
            interval = f"  [{_interval(intervals.outcomes[n][k])}]" if intervals else ""
            if intervals and o.zone != "test" and o.probability > 0:
                i = intervals.outcomes[n][k]
                limit = t.rule_out if o.zone == "rule_out" else t.treat
                if i.low < limit < i.high:
                    mark += "?"
                    straddling.append((option, o, i, limit))
            mark = _style(mark, {"rule_out": "green", "treat": "red"}.get(o.zone, "yellow")) if mark else mark
            lines.append(f"    {o.state:<18} {percent(o.probability):>7}  ->  P(LM) {percent(o.p_lm):>6}{interval}{mark}")
    lines += ["", textwrap.fill("Advice: " + plan.advice, width())]
    if findings.taps_done >= net.spec.n_taps:
        lines.append(_all_taps_done(net.spec.n_taps))
    if straddling:
        option, o, i, limit = straddling[0]
        lines.append(_fill(
            f"?: the 95% interval of P(LM) after that result straddles its threshold, so with these numbers "
            f"it might not change management (e.g. {o.state.replace('_', ' ')} on {option.label}: "
            f"{_interval(i)} around {percent(limit)}); {len(straddling)} result{'s' if len(straddling) != 1 else ''} marked."
        ))
    if intervals and draws:
        lines.append(_draws_line(draws, seed))
    return "\n".join(lines)


def _short_way(technique: Technique) -> str:
    """A tap's technique in a table row.

    >>> _short_way(STANDARD), _short_way(Technique(volume_ml=5))
    ('to the standard', 'with 5 mL, lumbar')
    """
    if technique.usual:
        return "usual"
    return "to the standard" if technique == STANDARD else way(technique)


def plan_json(
    net: Network, plan: Plan, intervals: PlanIntervals | None = None, draws: Draws | None = None, seed: int = 0,
    findings: Findings | None = None,
) -> str:
    data: dict[str, Any] = {**network_json(net), **({"findings": findings} if findings is not None else {}), **_plain(plan)}
    if intervals and draws:
        data["uncertainty"] = {
            **_draws_json(draws, seed),
            "current": intervals.current,
            "tests": [
                {
                    "test": o.test,
                    "technique": o.technique,
                    "outcomes": [{"state": x.state, "p_lm": i} for x, i in zip(o.outcomes, ints)],
                }
                for o, ints in zip(plan.tests, intervals.outcomes)
            ],
        }
    return dumps(data)


def sensitivity_text(
    net: Network, findings: Findings, current: float, swings: Sequence[Swing], threshold: float | None
) -> str:
    lines = header(net, findings)
    lines.append(
        f"P(LM) now {percent(current)}. Each parameter at the low and high end of its range, the "
        "others at their values; J marks a judgement (no published figure), * a range limited to "
        "what the cytology calibration can reproduce or to a sign's frequency that its other causes do "
        "not already exceed."
    )
    lines[-1] = textwrap.fill(lines[-1], width())
    judged = [s for s in swings if s.judgement]
    if judged:
        top = judged[0]
        lines.append(
            textwrap.fill(
                f"Largest swing from a judgement: {top.path} moves P(LM) from {percent(top.p_lm_low)} to "
                f"{percent(top.p_lm_high)} over [{top.low:g}, {top.high:g}].",
                width(),
            )
        )
    lines.append("")
    lo = min([current, *(min(s.p_lm_low, s.p_lm_high) for s in swings)])
    hi = max([current, *(max(s.p_lm_low, s.p_lm_high) for s in swings)])
    flip = f" {'crosses':>8}" if threshold is not None else ""
    # a parameter's path on its own line where it is long; its numbers and bar below
    span_width = max(10, width() - (4 + 2 + 1 + 6 + 1 + 6 + 2 + 9 + 1 + 7 + 2) - len(flip))
    lines.append("parameter")
    lines.append(f"{'':<4}{'':2} {'low':>6} {'high':>6}  {'P(LM) low':>9} {'high':>7}  {'':<{span_width}}{flip}".rstrip())
    for sw in swings:
        mark = ("J" if sw.judgement else " ") + ("*" if sw.limited else " ")
        crossing = ""
        if threshold is not None:
            crossing = f" {sw.flip:>8.4g}" if sw.flip is not None else f" {'-':>8}"
        lines.append(sw.path)
        lines.append(
            f"{'':<4}{mark} {sw.low:>6.3g} {sw.high:>6.3g}  {percent(sw.p_lm_low):>9} {percent(sw.p_lm_high):>7}  "
            f"{_span(min(sw.p_lm_low, sw.p_lm_high), max(sw.p_lm_low, sw.p_lm_high), current, lo, hi, span_width)}{crossing}"
        )
    if threshold is not None:
        lines.append(_fill(f"crosses: the value at which the parameter moves P(LM) across {percent(threshold)} (-: not in its range)."))
    return "\n".join(lines)


def _span(a: float, b: float, current: float, lo: float, hi: float, width: int = 30) -> str:
    """A bar from ``a`` to ``b`` on a scale from ``lo`` to ``hi``, with ``|`` at ``current``.

    >>> _span(0.2, 0.4, 0.3, 0.0, 1.0, 10)
    '  █|█     '
    """
    scale = (hi - lo) or 1.0
    cells = [" "] * width
    start, end = (round((x - lo) / scale * (width - 1)) for x in (a, b))
    for i in range(start, end + 1):
        cells[i] = "█"
    cells[round((current - lo) / scale * (width - 1))] = "|"
    return "".join(cells)


def sensitivity_json(net: Network, current: float, swings: Sequence[Swing], threshold: float | None) -> str:
    return dumps({**network_json(net), "current": current, "threshold": threshold, "parameters": swings})


def _natural(results: Sequence[CohortResult]) -> list[tuple[str, list[str]]]:
    """Rows of the natural-frequency table: (label, one cell per strategy)."""
    most = max(r.strategy.taps for r in results)
    rows = [("have LM", [f"{r.per_1000(r.lm):.1f}" for r in results])]
    for k in range(most):
        rows.append((f"LM found at tap {k + 1}", [
            f"{r.per_1000(r.found_at[k]):.1f}" if k < len(r.found_at) else "" for r in results
        ]))
    rows += [
        ("LM missed", [f"{r.per_1000(r.missed):.1f}" for r in results]),
        ("false-positive tap (no LM)", [f"{r.per_1000(r.false_positive):.1f}" for r in results]),
        ("taps per patient", [f"{r.taps_done / r.patients:.2f}" for r in results]),
    ]
    if any(r.strategy.mri for r in results):
        rows.append(("typical MRI, with LM", [f"{r.per_1000(r.mri_typical_lm):.1f}" if r.strategy.mri else "" for r in results]))
        rows.append(("typical MRI, without LM", [f"{r.per_1000(r.mri_typical_no_lm):.1f}" if r.strategy.mri else "" for r in results]))
    return rows


def simulate_text(net: Network, findings: Findings, results: Sequence[CohortResult], seed: int) -> str:
    first = results[0]
    lines = header(net, findings)
    lines.append(f"Of 1,000 patients like this one ({first.patients:,} simulated, seed {seed}):")
    lines.append("")
    columns = [max(9, len(r.strategy.name) + 2) for r in results]
    label_width = 27
    lines.append(f"{'':<{label_width}}" + "".join(f"{r.strategy.name:>{w}}" for r, w in zip(results, columns)))
    for label, cells in _natural(results):
        lines.append(f"{label:<{label_width}}" + "".join(f"{c:>{w}}" for c, w in zip(cells, columns)))
    found = ", ".join(
        f"tap {k + 1} finds {first.per_1000(n):,.0f}" for k, n in enumerate(first.found_at)
    )
    story = (
        f"With {first.strategy.name}: of 1,000 patients like this one, {first.per_1000(first.lm):,.0f} have LM"
        + (f"; {found}" if found else "")
        + f"; {first.per_1000(first.missed):,.0f} with LM missed and {first.per_1000(first.false_positive):,.0f} "
        "without LM have a false-positive tap."
    )
    lines += ["", textwrap.fill(story, width())]
    if any(r.strategy.analyses for r in results):
        lines.append(textwrap.fill(
            "With analyses beside cytology, a tap counts as positive when any reading is: an abnormal "
            "routine CSF counts, although it is not a diagnosis (hence its false positives).", width()))
    lines += ["", f"Is P(LM) calibrated? ({first.strategy.name}; simulated from the model itself)"]
    lines.append(f"{'P(LM) given':<14}{'patients':>10}{'mean P(LM)':>12}{'with LM':>10}")
    for b in first.calibration:
        lines.append(f"{f'{100 * b.low:.0f}-{100 * b.high:.0f}%':<14}{b.patients:>10,}{percent(b.predicted):>12}{percent(b.observed):>10}")
    return "\n".join(lines)


def simulate_json(net: Network, results: Sequence[CohortResult], seed: int) -> str:
    return dumps({
        **network_json(net),
        "patients": results[0].patients,
        "seed": seed,
        "strategies": [
            {
                "strategy": r.strategy.name,
                "per_1000": {
                    "lm": r.per_1000(r.lm),
                    "found_at": [r.per_1000(n) for n in r.found_at],
                    "missed": r.per_1000(r.missed),
                    "false_positive": r.per_1000(r.false_positive),
                    "mri_typical_lm": r.per_1000(r.mri_typical_lm) if r.strategy.mri else None,
                    "mri_typical_no_lm": r.per_1000(r.mri_typical_no_lm) if r.strategy.mri else None,
                },
                "taps_per_patient": r.taps_done / r.patients,
                "calibration": r.calibration,
            }
            for r in results
        ],
    })


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def explain_text(net: Network, post: Posterior, items: Sequence[Attribution], conf: Conflict) -> str:
    lines = header(net, post.findings)
    prior = post.prior[net.target][list(post.prior[net.target])[-1]]
    if not items:
        return "\n".join(lines + ["No findings to explain: give some with -e NODE=STATE or --csf."])
    total = sum(a.shapley_db for a in items)
    lines.append(f"P(LM): {percent(prior)} before any finding, {percent(post.p_target)} now ({total:+.1f} dB in all).")
    lines.append("")
    finding_width = min(36, max(len(a.finding) for a in items))
    room = max(5, width() - (finding_width + 12 + 9 + 11 + 2))
    lines.append(f"{'finding':<{finding_width}} {'order-free':>11} {'x odds':>8} {'added last':>10}")
    for a in items:
        bar_text = _db_bar(a.shapley_db)[:room]
        lines.append(
            f"{_cut(a.finding, finding_width):<{finding_width}} {a.shapley_db:>8.1f} dB {a.shapley_odds_ratio:>8.2f} "
            f"{a.in_context_lr:>9.2f}x  {bar_text}".rstrip()
        )
    lines.append("")
    lines += [textwrap.fill(a.sentence(), width(), subsequent_indent="  ") for a in items]
    lines += ["", textwrap.fill(conf.sentence(), width())]
    lines.append(
        textwrap.fill(
            "Order-free: the Shapley value, the average over every order of arrival (exact); the values "
            "add up to the whole change. Added last: the likelihood ratio given all the other findings. "
            "1 dB (deciban) = 10 log10 of the odds multiplier.",
            width(),
        )
    )
    return "\n".join(lines)


def _db_bar(db: float, per_char: float = 1.0) -> str:
    """``+`` or ``-`` bars, one character per deciban (at most 20).

    >>> _db_bar(3.2), _db_bar(-2.0)
    ('+++', '--')
    """
    return ("+" if db > 0 else "-") * min(round(abs(db) / per_char), 20)


def explain_json(net: Network, post: Posterior, items: Sequence[Attribution], conf: Conflict) -> str:
    return dumps({
        **network_json(net),
        "findings": post.findings,
        "p_lm": post.p_target,
        "current": post.p_target,
        "attributions": items,
        "conflict": conf,
    })


def dependence_text(net: Network, findings: Findings, result: Dependence) -> str:
    lines = header(net, findings) + [""]
    rows = result.rows
    if not rows:
        if findings.taps_done < net.spec.n_taps:
            return "\n".join(lines + ["The findings fix P(LM): further taps cannot change it."])
        return "\n".join(lines + [_all_taps_done(net.spec.n_taps)])
    lines.append(f"{'more':>4}  {'P(LM) if all negative':^23}  {'LR':>7}  {'yield among LM':^23}".rstrip())
    lines.append(f"{'taps':>4}  {'network':>11} {'independent':>11}  {'applied':>7}  {'network':>11} {'independent':>11}")
    for r in rows:
        lr = f"{r.likelihood_ratio:.2f}" if r.likelihood_ratio is not None else "-"
        lines.append(
            f"{r.taps:>4}  {percent(r.network):>11} {percent(r.independent):>11}  {lr:>7}  "
            f"{percent(r.yield_network):>11} {percent(r.yield_independent):>11}"
        )
    lines.append("")
    lines.append(
        textwrap.fill(
            "Independent: the same taps, each with exactly the network's probabilities of a negative "
            "and a positive result, but independent of each other (as a Fagan nomogram chains them). "
            "Yield: the share of patients with LM in whom at least one of the taps is positive. In the "
            "network the patients with LM who shed few cells do so on every tap, so each further "
            "negative tap is weaker evidence (the LR applied drifts towards 1), the yield flattens "
            "and P(LM) levels off instead of falling to zero.",
            width(),
        )
    )
    return "\n".join(lines)


def dependence_json(net: Network, findings: Findings, result: Dependence) -> str:
    return dumps({**network_json(net), "findings": findings, **_plain(result)})


def _csv(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A table as CSV for a spreadsheet: probabilities as numbers (0 to 1), full precision."""
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().rstrip("\n")


def taps_csv(table: TapTable) -> str:
    return _csv(
        ("tap", "p_positive", "p_lm_if_positive", "p_lm_if_negative", "change", "likelihood_ratio", "p_lm_if_negative_independent"),
        [(s.tap, s.p_positive, s.p_lm_if_positive, s.p_lm_if_negative, s.change, s.likelihood_ratio, s.p_lm_if_negative_independent)
         for s in table.steps],
    )


def plan_csv(plan: Plan) -> str:
    rows = []
    for o in plan.tests:
        technique = "" if o.technique is None else way(o.technique)
        for x in o.outcomes:
            rows.append((o.test, o.label, technique, "+".join(o.analyses), o.information_bits, o.expected_change,
                         x.state, x.probability, x.p_lm, x.zone))
    head = ("test", "label", "technique", "analyses", "information_bits", "expected_change", "result", "probability", "p_lm", "zone")
    return _csv(head, rows)


def sensitivity_csv(swings: Sequence[Swing]) -> str:
    return _csv(
        ("path", "value", "low", "high", "p_lm_low", "p_lm_high", "swing", "judgement", "limited", "flip"),
        [(s.path, s.value, s.low, s.high, s.p_lm_low, s.p_lm_high, s.swing, s.judgement, s.limited, s.flip) for s in swings],
    )


def simulate_csv(results: Sequence[CohortResult]) -> str:
    head = ["row"] + [r.strategy.name for r in results]
    return _csv(head, [(label, *cells) for label, cells in _natural(results)])



def cohort_written(net: Network, cohort: Cohort, path: str, missing: float, seed: int) -> str:
    """The line after ``simulate --cohort``: what was written, from what."""
    lm = int((cohort.diagnosis == 1).sum())
    return _fill(
        f"wrote {path}: {cohort.patients:,} patients ({lm:,} with LM) drawn from {net.identity} "
        f"(seed {seed}), {100 * missing:g}% of findings not recorded. Check the network against "
        f"it: lmbayes validate {path}{_prior_option(net)}"
    )


def _prior_option(net: Network) -> str:
    """The option that gives ``net`` the same pre-test probability (empty for the file's own)."""
    if net.setting:
        return f" --setting {net.setting}"
    return f" --pretest {net.pretest:g}" if net.pretest is not None else ""


def _estimate(e: Estimate, digits: int) -> str:
    """``1.05 [0.97, 1.15]``, or ``n/a`` where the measure is undefined.

    >>> from lmbayes.validate import Estimate
    >>> _estimate(Estimate(1.0527, 0.9714, 1.1511), 2), _estimate(Estimate(None, None, None), 2)
    ('1.05 [0.97, 1.15]', 'n/a')
    """
    if e.value is None:
        return "n/a"
    if e.low is None or e.high is None:
        return f"{e.value:.{digits}f}"
    return f"{e.value:.{digits}f} [{e.low:.{digits}f}, {e.high:.{digits}f}]"


def _tiny(p: float) -> str:
    """A percentage, with everything below 0.001% written as such.

    >>> _tiny(1.5e-19), _tiny(0.2)
    ('<0.001%', '20.0%')
    """
    return "<0.001%" if p < 1e-5 else percent(p)


def validate_text(net: Network, cohort: str, result: Validation) -> str:
    lines = header(net, {})[:2]
    lines.append(_fill(
        f"Cohort: {cohort}: {result.patients:,} patients, {result.known:,} with a known diagnosis, "
        f"{result.lm:,} of them with LM."
    ))
    intervals = f"95% intervals from {result.bootstrap:,} bootstrap resamples (seed {result.seed})" if result.bootstrap else "no intervals (--bootstrap 0)"
    lines += [_fill(f"P(LM) of each from all their other findings; {intervals}."), ""]
    lines.append(f"{'Findings used':<20}{'patients':>10}{'LM':>8}  {'slope':<20}in the large")
    missing: dict[str, list[str]] = {}
    for st in result.stages:
        for e in (st.slope, st.intercept):
            if e.reason:
                missing.setdefault(e.reason, []).append(st.name)
        lines.append(f"{st.name:<20}{st.patients:>10,}{st.lm:>8,}  {_estimate(st.slope, 2):<20}{_estimate(st.intercept, 2)}")
    lines += ["", f"{'Findings used':<21}  {'AUC':<26}Brier"]
    for st in result.stages:
        lines.append(f"{st.name:<21}  {_estimate(st.auc, 3):<26}{_estimate(st.brier, 4):<26}".rstrip())
    lines += [""]
    lines += [_fill(f"n/a: {reason} ({', '.join(dict.fromkeys(names))}).", "  ") for reason, names in missing.items()]
    lines += [_fill(
        "Slope 1 and calibration-in-the-large 0 are right: a slope below 1 means P(LM) too "
        "extreme, above 1 too timid; calibration-in-the-large (the intercept with the slope fixed "
        "at 1) above 0 means P(LM) too low on average, below 0 too high. AUC: the chance that a "
        "patient with LM has the higher P(LM) than one without."
    )]
    first = result.stages[0]
    lines += ["", f"Calibration, {first.name}, {len(first.bins)} groups by P(LM):"]
    lines.append(f"{'P(LM) from':>12}{'to':>10}{'patients':>10}{'mean P(LM)':>12}{'with LM':>10}")
    for b in first.bins:
        lines.append(f"{_tiny(b.low):>12}{_tiny(b.high):>10}{b.patients:>10,}{_tiny(b.predicted):>12}{percent(b.observed):>10}")
    if result.yields:
        lines += ["", "Cytology positive within k taps, among patients with LM who had k taps:"]
        lines.append(f"{'taps':>4}{'patients':>10}{'positive':>10}  {'observed [95% CI]':<26}{'network':>8}")
        for y in result.yields:
            seen = (
                f"{percent(y.observed)} [{percent(y.low)}, {percent(y.high)}]"
                if y.observed is not None and y.low is not None and y.high is not None
                else "n/a"
            )
            lines.append(f"{y.taps:>4}{y.patients:>10,}{y.positive:>10,}  {seen:<26}{percent(y.network):>8}")
    return "\n".join(lines)


def validate_json(net: Network, cohort: str, result: Validation) -> str:
    return dumps({**network_json(net), "cohort": cohort, **_plain(result)})


def validate_csv(result: Validation) -> str:
    """One row per stage of the workup: each measure with its interval, and why it is missing."""
    measures = ("slope", "intercept", "auc", "brier")
    header = ["stage", "taps", "patients", "lm"]
    header += [f"{m}{part}" for m in measures for part in ("", "_low", "_high", "_missing")]
    rows = []
    for st in result.stages:
        row: list[object] = [st.name, "" if st.taps is None else st.taps, st.patients, st.lm]
        for m in measures:
            e = getattr(st, m)
            row += [_number(e.value), _number(e.low), _number(e.high), e.reason or ""]
        rows.append(row)
    return _csv(header, rows)


def _number(x: float | None) -> str:
    """Six significant digits: what a bootstrap and a Newton fit support on any machine."""
    return "" if x is None else f"{x:.6g}"


def fit_text(net: Network, cohort: str, out: str, result: Fit, top: int) -> str:
    from lmbayes.sensitivity import parameter_words

    lines = header(net, {})[:2]
    state = f"converged after {result.iterations} EM steps" if result.converged else f"stopped after {result.iterations} EM steps, not converged"
    lines.append(_fill(
        f"Fitted from {cohort}: {result.patients:,} patients; {len(result.updates)} numbers updated, "
        f"{len(result.kept)} kept; {state}."
    ))
    lines += ["", f"Moved most (top {min(top, len(result.updates))}):"]
    lines.append(f"{'number':<33}{'before':>8}{'after':>8}  {'95% range':<16}{'shift':>7}{'info':>6}")
    for u in result.updates[:top]:
        rng = f"{u.after.low:.3g}-{u.after.high:.3g}"
        lines.append(
            f"{_cut(u.path, 32):<33}{u.before.value:>8.3g}{u.after.value:>8.3g}  {rng:<16}{u.shift:>+7.1f}{u.information:>6.2f}"
        )
    lines += [_fill(
        "shift: in standard deviations of the prior; info: the share of what is hidden about "
        "the number's condition that the findings resolve (1 where it is recorded); the "
        "cohort's counts enter scaled by it."
    ), ""]
    for u in result.updates[: min(3, top)]:
        lines.append(_fill(f"{u.path}: {parameter_words(result.spec, u.path)}; cohort {u.events:,.1f} of {u.total:,.1f}.", "  "))
    if result.kept:
        reasons: dict[str, list[str]] = {}
        for path, reason in result.kept:
            reasons.setdefault(reason, []).append(path)
        lines += ["", "Kept as in the file:"]
        lines += [_fill(f"- {reason}: {', '.join(paths)}", "  ") for reason, paths in reasons.items()]
    lines += ["", _fill(f"wrote {out}; check it with: lmbayes network check {out}")]
    return "\n".join(lines)


def fit_json(net: Network, cohort: str, out: str, result: Fit, top: int) -> str:
    return dumps({
        **network_json(net),
        "cohort": cohort,
        "out": out,
        "patients": result.patients,
        "iterations": result.iterations,
        "converged": result.converged,
        "updates": [
            {"path": u.path, "before": u.before, "after": u.after, "events": u.events, "total": u.total,
             "information": u.information, "shift": u.shift}
            for u in result.updates
        ],
        "kept": [{"path": p, "reason": r} for p, r in result.kept],
    })
