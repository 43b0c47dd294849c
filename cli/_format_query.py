"""Text, JSON and CSV of the queries: posterior, taps, plan and sensitivity."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from lmbayes.cli._format import (
    Column,
    _all_taps_done,
    _cut,
    _draws_json,
    _draws_line,
    _fill,
    _interval,
    _median_interval,
    _plain,
    _points,
    _ratio,
    _style,
    bar,
    dumps,
    header,
    network_json,
    review_lines,
    table_csv,
    table_lines,
    technique_token,
    width,
)
from lmbayes.findings import Findings
from lmbayes.menu import panel_words
from lmbayes.taps import percent
from lmbayes.technique import STANDARD, Technique, way
from lmbayes.thresholds import DEFAULT_TEST_HARM, DEFAULT_THRESHOLDS, DERIVED

if TYPE_CHECKING:
    from lmbayes.network import Network, Posterior
    from lmbayes.plan import Outcome, Plan, TestOption
    from lmbayes.sensitivity import Swing
    from lmbayes.taps import TapTable
    from lmbayes.explain import Conflict
    from lmbayes.review import Review
    from lmbayes.uncertainty import Draws, Interval, PlanIntervals, TapIntervals


def posterior_text(
    net: Network,
    post: Posterior,
    intervals: Mapping[str, Interval] | None = None,
    draws: Draws | None = None,
    seed: int = 0,
    conf: Conflict | None = None,
    rv: Review | None = None,
) -> str:
    lines = header(net, post.findings) + [""]
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
    if rv is not None:
        lines += ["", *review_lines(rv)]
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
    rv: Review | None = None,
) -> str:
    data: dict[str, Any] = {**network_json(net), **_plain(post)}
    if conf is not None:
        data["conflict"] = conf
    if rv is not None:
        data["review"] = rv
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
    rv: Review | None = None,
) -> str:
    lines = header(net, findings)
    done = f"{table.taps_done} tap{'s' if table.taps_done != 1 else ''} done"
    lines.append(f"P(LM): {percent(table.prior)} before any finding, {percent(table.current)} now ({done}).")
    lines += review_lines(rv)
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
    lines += table_lines(TAP_COLUMNS, table.steps)
    lines.append("")
    if not table.steps and table.taps_done >= table.n_taps:
        lines.append(_all_taps_done(table.n_taps))
        return "\n".join(lines)
    lines.append(textwrap.fill(table.summary(), width()))
    lines.append(
        textwrap.fill(
            "Fagan: the odds multiplied by the published single-tap LR(-) of "
            f"{table.single_tap_lr:.2f} per negative tap, as a Fagan nomogram chains it (taps as independent tests).",
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
    rv: Review | None = None,
) -> str:
    data: dict[str, Any] = {**network_json(net), "findings": findings, **_plain(table), "summary": table.summary()}
    if rv is not None:
        data["review"] = rv
    if intervals and draws:
        data["uncertainty"] = {**_draws_json(draws, seed), **_plain(intervals)}
    return dumps(data)


#: The tap table's columns (text and CSV); a row is a :class:`~lmbayes.taps.TapStep`.
TAP_COLUMNS = (
    Column("tap", "tap", 3, lambda s: s.tap),
    Column("p_positive", "P(tap +)", 10, lambda s: s.p_positive, percent),
    Column("p_lm_if_positive", "P(LM) if +", 10, lambda s: s.p_lm_if_positive, percent),
    Column("p_lm_if_negative", "P(LM) if -", 10, lambda s: s.p_lm_if_negative, percent),
    Column("change", "change", 10, lambda s: s.change, lambda c: _points(c)),
    Column("likelihood_ratio", "LR(-)", 10, lambda s: s.likelihood_ratio, _ratio),
    Column("p_lm_if_negative_fagan", "Fagan", 10, lambda s: s.p_lm_if_negative_fagan, percent),
)


def plan_text(
    net: Network,
    findings: Findings,
    plan: Plan,
    intervals: PlanIntervals | None = None,
    draws: Draws | None = None,
    seed: int = 0,
    rv: Review | None = None,
) -> str:
    t = plan.thresholds
    lines = header(net, findings)
    lines.append(_fill(
        f"P(LM) now {percent(plan.current)}. Thresholds: rule out below {percent(t.rule_out)}, "
        f"treat above {percent(t.treat)} ({t.source})."
    ))
    harm = "a judgement; --test-harm" if plan.test_harm == DEFAULT_TEST_HARM and t.source == DEFAULT_THRESHOLDS.source else "--test-harm"
    lines.append(_fill(
        f"A test's harm: {plan.test_harm:g} x the benefit of treating LM ({harm}); "
        f"treating without LM harms {plan.harm_ratio:.3g} x that benefit (from the treatment threshold)."
        if not t.source.startswith(DERIVED) else
        f"A test's harm: {plan.test_harm:g} x the benefit of treating LM; treating without LM: {plan.harm_ratio:.3g} x."
    ))
    if plan.left_out:
        lines.append(_fill(f"Left out: {', '.join(plan.left_out)} (--without)."))
    lines += review_lines(rv)
    if intervals:
        lines.append(f"P(LM) now over the draws: median and 95% interval {_median_interval(intervals.current)}.")
    straddling: list[tuple[TestOption, Outcome, Interval, float]] = []
    name_width = width() - 33
    lines += ["", f"{'test':<{name_width}} {'info':>9} {'E|change|':>10}  changes?"]
    for n, option in enumerate(plan.tests):
        name = option.label
        if option.technique:  # an LP: its technique on the row, its panel below
            name = f"LP, tap {net.spec.node(option.test).tap}, {_short_way(option.technique)}"
        lines.append(
            f"{_cut(name, name_width):<{name_width}} {option.information_bits:>5.3f} bit "
            f"{100 * option.expected_change:>6.1f} pts  {'yes' if option.changes_management else 'no'}"
        )
        if option.technique:
            lines.append(_fill(f"    panel: {panel_words(net.spec, option.analyses)}", "      "))
        for k, o in enumerate(option.outcomes):
            # a label only where the result moves management to another zone
            mark = {"rule_out": "  (rule out)", "treat": "  (treat)"}.get(o.zone, "") if o.zone != plan.zone else ""
            if mark and o.zone == "rule_out" and not option.tests_target:  # a test of a rival cause
                mark = "  (another cause)" if o.another_cause else "  (below rule-out)"
            if o.zone == "test" and plan.zone != "test":
                mark = "  (back to testing)"
            interval = f"  [{_interval(intervals.outcomes[n][k])}]" if intervals else ""
            if intervals and intervals.straddles[n][k]:
                mark += "?"
                straddling.append((option, o, intervals.outcomes[n][k], t.rule_out if o.zone == "rule_out" else t.treat))
            mark = _style(mark, {"rule_out": "green", "treat": "red"}.get(o.zone, "yellow")) if mark else mark
            row = (option, o)
            lines.append(f"    {_RESULT.cell(row)} {_PROBABILITY.cell(row)}  ->  P(LM) {_P_LM.cell(row)}{interval}{mark}")
    lines += ["", textwrap.fill("Advice: " + plan.advice, width())]
    lines += [textwrap.fill(note, width()) for note in plan.notes]
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
    findings: Findings | None = None, rv: Review | None = None,
) -> str:
    data: dict[str, Any] = {**network_json(net), **({"findings": findings} if findings is not None else {}), **_plain(plan)}
    if rv is not None:
        data["review"] = rv
    if intervals and draws:
        data["uncertainty"] = {
            **_draws_json(draws, seed),
            "current": intervals.current,
            "tests": [
                {
                    "test": o.test,
                    "technique": o.technique,
                    "outcomes": [{"state": x.state, "p_lm": i, "straddles": s} for x, i, s in zip(o.outcomes, ints, straddles)],
                }
                for o, ints, straddles in zip(plan.tests, intervals.outcomes, intervals.straddles)
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
            f"{'':<4}{mark} {_LOW.cell(sw)} {_HIGH.cell(sw)}  {_P_LM_LOW.cell(sw)} {_P_LM_HIGH.cell(sw)}  "
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


def taps_csv(table: TapTable) -> str:
    return table_csv(TAP_COLUMNS, table.steps)


#: The plan's columns in CSV, one row per result of a test: ``(option, outcome, interval,
#: straddles)``, the last two None without --uncertainty.
PLAN_COLUMNS = (
    Column("test", "test", 0, lambda r: r[0].test),
    Column("label", "test", 0, lambda r: r[0].label),
    Column("technique", "technique", 0, lambda r: "" if r[0].technique is None else technique_token(r[0].technique)),
    Column("analyses", "analyses", 0, lambda r: "+".join(r[0].analyses)),
    Column("information_bits", "info", 9, lambda r: r[0].information_bits),
    Column("expected_change", "E|change|", 10, lambda r: r[0].expected_change),
    Column("value", "value", 0, lambda r: r[0].value),
    Column("result", "result", 24, lambda r: r[1].state, left=True),
    Column("probability", "probability", 7, lambda r: r[1].probability, percent),
    Column("p_lm", "P(LM)", 6, lambda r: r[1].p_lm, percent),
    Column("zone", "zone", 0, lambda r: r[1].zone),
    Column("another_cause", "another cause", 0, lambda r: r[1].another_cause),
)
_RESULT, _PROBABILITY, _P_LM = PLAN_COLUMNS[7:10]


#: and with --uncertainty: P(LM)'s median and 95% interval after the result, and whether
#: that interval straddles the threshold the result crosses
PLAN_INTERVAL_COLUMNS = (
    Column("p_lm_median", "median", 6, lambda r: r[2].median, percent),
    Column("p_lm_low", "low", 6, lambda r: r[2].low, percent),
    Column("p_lm_high", "high", 6, lambda r: r[2].high, percent),
    Column("straddles", "?", 1, lambda r: r[3]),
)


def plan_csv(plan: Plan, intervals: PlanIntervals | None = None) -> str:
    rows = [
        (o, x, intervals.outcomes[n][k] if intervals else None, intervals.straddles[n][k] if intervals else None)
        for n, o in enumerate(plan.tests)
        for k, x in enumerate(o.outcomes)
    ]
    return table_csv(PLAN_COLUMNS + (PLAN_INTERVAL_COLUMNS if intervals else ()), rows)


def _g3(x: float) -> str:
    return f"{x:.3g}"


#: The sensitivity table's columns (CSV; text shows low to p_lm_high under each path).
SWING_COLUMNS = (
    Column("path", "parameter", 0, lambda s: s.path, left=True),
    Column("value", "value", 6, lambda s: s.value, _g3),
    Column("low", "low", 6, lambda s: s.low, _g3),
    Column("high", "high", 6, lambda s: s.high, _g3),
    Column("p_lm_low", "P(LM) low", 9, lambda s: s.p_lm_low, percent),
    Column("p_lm_high", "high", 7, lambda s: s.p_lm_high, percent),
    Column("swing", "swing", 6, lambda s: s.swing, percent),
    Column("judgement", "J", 1, lambda s: s.judgement),
    Column("limited", "*", 1, lambda s: s.limited),
    Column("flip", "crosses", 8, lambda s: s.flip),
)
_LOW, _HIGH, _P_LM_LOW, _P_LM_HIGH = SWING_COLUMNS[2:6]


def sensitivity_csv(swings: Sequence[Swing]) -> str:
    return table_csv(SWING_COLUMNS, swings)
