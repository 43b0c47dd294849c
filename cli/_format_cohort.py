"""Text, JSON and CSV of the cohort commands: simulate (natural frequencies and a synthetic
cohort), validate and fit."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from lmbayes.cli._format import _csv, _cut, _fill, _plain, dumps, header, network_json, width
from lmbayes.taps import percent
from lmbayes.usefulness import FEW_EVENTS

if TYPE_CHECKING:
    from lmbayes.cohort import Cohort
    from lmbayes.findings import Findings
    from lmbayes.fit import Fit
    from lmbayes.network import Network
    from lmbayes.simulate import CohortResult
    from lmbayes.validate import Estimate, Validation


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


def simulate_csv(results: Sequence[CohortResult]) -> str:
    head = ["row"] + [r.strategy.name for r in results]
    return _csv(head, [(label, *cells) for label, cells in _natural(results)])


def cohort_written(net: Network, cohort: Cohort, path: str, missing: float, seed: int, stopped: bool = False) -> str:
    """The line after ``simulate --cohort``: what was written, from what."""
    lm = int((cohort.diagnosis == 1).sum())
    stop = "; no tap after a positive cytology" if stopped else ""
    return _fill(
        f"wrote {path}: {cohort.patients:,} patients ({lm:,} with LM) drawn from {net.identity} "
        f"(seed {seed}), {100 * missing:g}% of findings not recorded{stop}. Check the network against "
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
    lines += usefulness_lines(result)
    if result.missing:
        lines += ["", _fill(f"Not recorded: {_missing_words(net, result.missing)}. Every measure assumes that a finding is "
                            "missing at random: whether it was recorded depends only on what was recorded (a tap not done "
                            "after a positive one is), not on the missing value itself.")]
    if result.yields:
        lines += ["", _fill(
            "Cytology among patients with LM, by the life table: at tap k, among those at risk (tap k "
            "done, no positive before); within k taps, the cumulative yield. Right when taps stop after a "
            "positive; a patient who stops while negative is assumed to be like those who go on (missing "
            "at random)."
        )]
        lines.append(f"{'tap':>3}{'at risk':>9}{'pos.':>6}  {'at this tap [95% CI]':<21}{'network':>8}  {'within k [95% CI]':<21}{'network':>8}")
        for y in result.yields:
            lines.append(
                f"{y.taps:>3}{y.at_risk:>9,}{y.positive:>6,}  {_share(y.hazard, y.hazard_low, y.hazard_high):<21}"
                f"{percent(y.network_hazard):>8}  {_share(y.observed, y.low, y.high):<21}{percent(y.network):>8}"
            )
    return "\n".join(lines)


def usefulness_lines(result: Validation) -> list[str]:
    """Calibration in numbers, missed LM and false alarms per stage, the decision curve and the
    calibration by subgroup."""
    from lmbayes.validate import Estimate  # loaded with the validation it formats

    stages = [st for st in result.stages if st.usefulness is not None]
    if not stages:
        return []
    first = stages[0].usefulness
    assert first is not None
    lines = ["", f"{'Findings used':<21}{'O/E [95% CI]':<19}{'log loss':>9}{'scaled Brier':>13}{'ICI':>7}{'E90':>7}"]
    warnings = []
    for st in stages:
        u = st.usefulness
        assert u is not None
        lines.append(f"{st.name:<21}{_estimate(Estimate(u.observed_expected, u.oe_low, u.oe_high), 2):<19}{u.log_loss:>9.3f}"
                     + "".join(f"{_estimate(Estimate(x, None, None), 3):>{w}}" for x, w in ((u.scaled_brier, 13), (u.ici, 7), (u.e90, 7))))
        if u.warning:
            few = min(st.lm, st.patients - st.lm)
            warnings.append(f"{st.name} ({few:,} {'with' if st.lm <= st.patients - st.lm else 'without'} LM)")
    lines += [_fill("O/E: observed over expected patients with LM (1 is right). ICI, E90: the mean and 90th percentile "
                    "of the distance between P(LM) and the observed rate at that P(LM) (a smoothed calibration curve).")]
    lines += [_fill(f"Fewer than {FEW_EVENTS} patients with (or without) LM: {', '.join(warnings)}; their calibration "
                    "figures are unreliable.") for _ in warnings[:1]]
    lines += ["", _fill(f"At the thresholds (rule out below {percent(first.rule_out)}, treat above {percent(first.treat)}):"),
              f"{'Findings used':<21}{'LM below rule-out':>19}{'no LM above treat':>19}"]
    for st in stages:
        u = st.usefulness
        assert u is not None
        lines.append(f"{st.name:<21}{u.missed:>19,}{u.false_alarms:>19,}")
    if result.decision_curve:
        lines += ["", _fill("Net benefit with all findings (true positives per patient, less false positives weighted by "
                            "the threshold's odds), acting where P(LM) is at least the threshold:"),
                  f"{'threshold':>9}{'network':>10}{'everyone':>10}{'no one':>8}"]
        lines += [f"{percent(c.threshold):>9}{c.network:>10.4f}{c.everyone:>10.4f}{c.no_one:>8.1f}" for c in result.decision_curve]
    c = result.comparator
    if c is not None:
        auc_text = "n/a" if c.auc is None else f"{c.auc:.3f}"
        difference = "n/a" if c.auc_difference is None else f"{c.auc_difference:+.3f}{_pair(c.auc_low, c.auc_high, 3)}"
        gains = ", ".join(f"{percent(t)} {d:+.4f}" for t, d in c.net_benefit_difference)
        lines += ["", _fill(
            f"Comparator on the same patients, all findings: a {c.name}, chained from the prior as if the findings "
            f"were independent (a Fagan nomogram finding by finding): AUC {auc_text}, Brier {c.brier:.4f}. Network "
            f"minus comparator: AUC {difference}, Brier {c.brier_difference:+.4f}{_pair(c.brier_low, c.brier_high, 4)}; "
            f"net benefit at {gains}.")]
    if result.subgroups:
        lines += ["", "Calibration by subgroup, all findings:",
                  f"{'finding':<16}{'state':<19}{'patients':>9}{'LM':>6}{'expected':>9}  O/E [95% CI]"]
        for g in result.subgroups:
            lines.append(f"{_cut(g.finding, 16):<16}{_cut(g.state, 18):<19}{g.patients:>9,}{g.lm:>6,}{g.expected:>9.1f}  "
                         f"{_estimate(Estimate(g.observed_expected, g.low, g.high), 2)}")
    return lines


def _pair(low: float | None, high: float | None, digits: int) -> str:
    return "" if low is None or high is None else f" [{low:+.{digits}f}, {high:+.{digits}f}]"


def _missing_words(net: Network, missing: Mapping[str, float]) -> str:
    """The share of patients without each finding: the other findings one by one, each tap's
    cytology with the range over its other analyses."""
    spec = net.spec
    parts = [f"{c} {100 * s:.0f}%" for c, s in missing.items() if not spec.node(c).tap]
    for k, tap in enumerate(spec.taps, start=1):
        if tap not in missing:
            continue
        others = [s for c, s in missing.items() if spec.node(c).tap == k and c != tap]
        low, high = (f"{100 * x:.0f}" for x in (min(others, default=0), max(others, default=0)))
        extra = "" if not others else f" (its analyses {low}%)" if low == high else f" (its analyses {low}-{high}%)"
        parts.append(f"tap {k} {100 * missing[tap]:.0f}%{extra}")
    return ", ".join(parts)


def _share(value: float | None, low: float | None, high: float | None) -> str:
    """``51.1% [47.6, 54.6]``, or ``n/a``.

    >>> _share(0.511, 0.476, 0.546), _share(None, None, None)
    ('51.1% [47.6, 54.6]', 'n/a')
    """
    if value is None:
        return "n/a"
    if low is None or high is None:
        return percent(value)
    return f"{percent(value)} [{100 * low:.1f}, {100 * high:.1f}]"


def validate_json(net: Network, cohort: str, result: Validation) -> str:
    return dumps({**network_json(net), "cohort": cohort, **_plain(result)})


def validate_csv(result: Validation) -> str:
    """One row per stage of the workup: each measure with its interval, and why it is missing."""
    measures = ("slope", "intercept", "auc", "brier")
    header = ["stage", "taps", "patients", "lm"]
    header += [f"{m}{part}" for m in measures for part in ("", "_low", "_high", "_missing")]
    more = ("observed_expected", "oe_low", "oe_high", "log_loss", "scaled_brier", "ici", "e50", "e90", "missed", "false_alarms")
    header += list(more)
    rows = []
    for st in result.stages:
        row: list[object] = [st.name, "" if st.taps is None else st.taps, st.patients, st.lm]
        for m in measures:
            e = getattr(st, m)
            row += [_number(e.value), _number(e.low), _number(e.high), e.reason or ""]
        u = st.usefulness
        row += [("" if u is None else _number(getattr(u, m)) if m not in ("missed", "false_alarms") else getattr(u, m)) for m in more]
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
    for path, estimate, written, why in result.projected:
        lines += ["", _fill(
            f"Projected: the cohort's estimate of {path}, {estimate:.4g}, lies outside what the model can represent "
            f"({why}); written as {written:.4g}, the nearest value it can.")]
    if result.kept:
        reasons: dict[str, list[str]] = {}
        for path, reason in result.kept:
            reasons.setdefault(reason, []).append(path)
        lines += ["", "Kept as in the file:"]
        lines += [_fill(f"- {reason}: {', '.join(paths)}", "  ") for reason, paths in reasons.items()]
    held = f"; use it with{_prior_option(net)}, as for this cohort" if _prior_option(net) else ""
    lines += ["", _fill(f"wrote {out}; check it with: lmbayes network check {out}{held}")]
    return "\n".join(lines)


def fit_json(net: Network, cohort: str, out: str, result: Fit, top: int) -> str:
    return dumps({
        **network_json(net),
        "cohort": cohort,
        "out": out,
        "patients": result.patients,
        "iterations": result.iterations,
        "converged": result.converged,
        "updates": result.updates,
        "kept": [{"path": p, "reason": r} for p, r in result.kept],
    })
