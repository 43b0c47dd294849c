"""The query commands: posterior, taps, plan, sensitivity, simulate."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from lmbayes.cli import _format_cohort, _format_query
from lmbayes.cli._words import EPILOG
from lmbayes.cli._options import (
    FiniteRange,
    NextTapType,
    StrategyType,
    UserInputError,
    csv_option,
    plot_option,
    progress_bar,
    query_options,
    reported,
    uncertainty_options,
    wrote,
)
from lmbayes.findings import Findings
from lmbayes.thresholds import DEFAULT_TEST_HARM, DEFAULT_THRESHOLDS

if TYPE_CHECKING:
    from lmbayes.network import Network
    from lmbayes.simulate import Strategy
    from lmbayes.technique import Technique
    from lmbayes.uncertainty import Draws


next_tap_option = click.option(
    "--next-tap",
    type=NextTapType,
    default=None,
    help="Technique of the next taps: volume=12,delay=15, standard or usual (default: usual).",
)



@click.command(epilog=EPILOG)
@query_options
@uncertainty_options
def posterior(net: Network, findings: Findings, as_json: bool, draws: Draws | None, seed: int) -> None:
    """P(LM) and the competing causes given the findings, with their priors."""
    from lmbayes.explain import conflict
    from lmbayes.review import review

    with reported():
        post = net.posterior(findings)
        conf = conflict(net, findings)
        rv = None if net.imported else review(net, findings, post.p_target)
        intervals = None
        if draws is not None:
            from lmbayes.uncertainty import posterior_intervals

            intervals = posterior_intervals(net, findings, draws=draws)
    if as_json:
        click.echo(_format_query.posterior_json(net, post, intervals, draws, seed, conf, rv))
    else:
        click.echo(_format_query.posterior_text(net, post, intervals, draws, seed, conf, rv))


@click.command(epilog=EPILOG)
@query_options
@csv_option
@next_tap_option
@click.option(
    "--with",
    "analyses",
    default="",
    metavar="ANALYSES",
    help="Analyses sent from every further tap beside cytology, e.g. --with ctc or --with routine,ctdna "
    "(`lmbayes network show` lists them).",
)
@uncertainty_options
@plot_option
def taps(
    net: Network,
    findings: Findings,
    as_json: bool,
    as_csv: bool,
    next_tap: Technique | None,
    analyses: str,
    draws: Draws | None,
    seed: int,
    plot_path: str | None,
) -> None:
    """How each further lumbar puncture would move P(LM).

    For each further tap: P(it is positive), P(LM) if it is positive, P(LM) if it and every
    tap before it are negative, the change and the likelihood ratio that negative tap applies,
    and P(LM) if taps were independent tests (the Fagan-nomogram view, which overstates what
    repeated negatives rule out). With --with, every further tap also sends the named analyses
    (routine CSF, CTC, tumour DNA): negative then means all negative, positive any positive.
    """
    from lmbayes.review import review

    with reported():
        table = net.taps(findings, next_technique=next_tap, analyses=analyses)
        rv = review(net, findings, table.current)
        intervals = None
        if draws is not None:
            from lmbayes.uncertainty import tap_intervals

            intervals = tap_intervals(net, findings, draws=draws, next_technique=next_tap, analyses=analyses)
        if plot_path is not None:
            from lmbayes.plots import tap_curve

            wrote(tap_curve(table, plot_path, f"P(LM) after further negative taps ({net.name} network)"))
    if as_csv:
        click.echo(_format_query.taps_csv(table))
    elif as_json:
        click.echo(_format_query.taps_json(net, findings, table, intervals, draws, seed, rv))
    else:
        click.echo(_format_query.taps_text(net, findings, table, intervals, draws, seed, rv))


PROBABILITY = FiniteRange(0.0, 1.0, min_open=True, max_open=True)


@click.command(epilog=EPILOG)
@query_options
@csv_option
@click.option("--rule-out-below", type=PROBABILITY, default=None, metavar="P", help=f"Set LM aside below this P(LM) [default: {DEFAULT_THRESHOLDS.rule_out:.2f}].")
@click.option("--treat-above", type=PROBABILITY, default=None, metavar="P", help=f"Treat above this P(LM) [default: {DEFAULT_THRESHOLDS.treat:.2f}].")
@click.option("--benefit", type=FiniteRange(0.0, min_open=True), default=None, help="Net benefit of treating a patient with LM (derives the thresholds).")
@click.option("--harm", type=FiniteRange(0.0, min_open=True), default=None, help="Net harm of treating a patient without LM (same units).")
@click.option(
    "--test-harm", type=FiniteRange(0.0), default=None, metavar="R",
    help=f"Harm of a test itself (an LP, an MRI), in units of the benefit of treating LM [default: "
    f"{DEFAULT_TEST_HARM:g}, a judgement]; with --benefit, in its units. No test is advised whose expected gain is smaller.",
)
@click.option(
    "--with", "with_", default="", metavar="ASSAYS",
    help="Specialised assays the hospital runs on each tap beside cytology and routine CSF, e.g. --with ctc,ctdna.",
)
@click.option(
    "--without", default="", metavar="TESTS",
    help="Tests to leave out everywhere, e.g. --without lp (contraindicated: raised intracranial pressure or mass "
    "effect, coagulopathy, low platelets, or the patient declines), --without mri, --without pressure.",
)
@click.option(
    "--next-tap",
    type=NextTapType,
    default=None,
    help="Technique of the next taps: volume=12,delay=15, standard or usual (default: usual); "
    "the plan also shows a tap to the handling standard, or this technique when given.",
)
@uncertainty_options
def plan(
    net: Network,
    findings: Findings,
    as_json: bool,
    as_csv: bool,
    rule_out_below: float | None,
    treat_above: float | None,
    benefit: float | None,
    harm: float | None,
    test_harm: float | None,
    with_: str,
    without: str,
    next_tap: Technique | None,
    draws: Draws | None,
    seed: int,
) -> None:
    """Which test next, how many more taps, and when to stop.

    Ranks every test not yet done (MRI, antibody panel, an LP done the usual way and to the
    handling standard, with the panel the hospital runs on its sample) by the information it
    carries about LM, shows P(LM) after each result, and says whether any result crosses the
    thresholds and is worth the test's harm. With no MRI known the MRI comes first. Thresholds
    come from --rule-out-below and --treat-above, or from --benefit and --harm by the threshold
    approach.
    """
    from lmbayes.menu import hospital_menu
    from lmbayes.plan import Thresholds, plan_workup
    from lmbayes.review import review
    from lmbayes.uncertainty import plan_intervals

    with reported():
        net.require_target()
    if (benefit is None) != (harm is None):
        raise UserInputError("give --benefit and --harm together")
    if benefit is not None and (rule_out_below is not None or treat_above is not None):
        raise UserInputError("give thresholds either directly or through --benefit and --harm, not both")
    with reported():
        thresholds = None if benefit is not None else Thresholds(
            rule_out=DEFAULT_THRESHOLDS.rule_out if rule_out_below is None else rule_out_below,
            treat=DEFAULT_THRESHOLDS.treat if treat_above is None else treat_above,
            source=DEFAULT_THRESHOLDS.source if rule_out_below is None and treat_above is None else "given",
        )
        menu = hospital_menu(net.spec, with_, without)
        harm_of_test = (DEFAULT_TEST_HARM * benefit if benefit is not None else DEFAULT_TEST_HARM) if test_harm is None else test_harm
        result = plan_workup(
            net, findings, thresholds=thresholds, next_technique=next_tap, menu=menu, test_harm=harm_of_test,
            benefit_harm=None if benefit is None or harm is None else (benefit, harm, harm_of_test),
        )
        intervals = None if draws is None else plan_intervals(net, findings, result, draws)
        rv = review(net, findings, result.current, treat=result.thresholds.treat, discordant=result.discordant)
    if as_csv:
        click.echo(_format_query.plan_csv(result, intervals))
    elif as_json:
        click.echo(_format_query.plan_json(net, result, intervals, draws, seed, findings, rv))
    else:
        click.echo(_format_query.plan_text(net, findings, result, intervals, draws, seed, rv))


@click.command(epilog=EPILOG)
@query_options
@csv_option
@click.option("--threshold", type=PROBABILITY, default=None, metavar="P", help="Also find where each parameter would move P(LM) across P.")
@click.option("--top", type=click.IntRange(1), default=None, help="Show only the N largest swings.")
@plot_option
def sensitivity(
    net: Network,
    findings: Findings,
    as_json: bool,
    as_csv: bool,
    threshold: float | None,
    top: int | None,
    plot_path: str | None,
) -> None:
    """One-way sensitivity of P(LM) to every parameter with a range (a tornado).

    Each parameter is set to the low and the high end of its range, the others kept at their
    values; parameters are sorted by how far P(LM) swings. Judgement parameters (no published
    figure) are marked. With --threshold, the value at which P(LM) would cross it is shown where
    it lies inside the range.
    """
    from lmbayes.sensitivity import one_way

    with reported():
        current = net.posterior(findings).p_target
        swings = one_way(net, findings, threshold=threshold)[:top]
        if plot_path is not None:
            from lmbayes.plots import tornado

            from lmbayes.sensitivity import parameter_words

            words = {s.path: parameter_words(net.spec, s.path) for s in swings}
            wrote(tornado(swings, current, plot_path, f"P(LM) = {100 * current:.1f}% with these findings: one-way sensitivity", words=words))
    if as_csv:
        click.echo(_format_query.sensitivity_csv(swings))
    elif as_json:
        click.echo(_format_query.sensitivity_json(net, current, swings, threshold))
    else:
        click.echo(_format_query.sensitivity_text(net, findings, current, swings, threshold))


@click.command(epilog=EPILOG)
@query_options
@csv_option
@click.option("--patients", type=click.IntRange(1, 100_000_000), default=100_000, show_default=True, help="Virtual patients to simulate.")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed, 0 or more (same seed, same numbers).")
@click.option(
    "--strategy",
    type=StrategyType,
    default="3taps",
    show_default=True,
    help="[mri+]Ntaps[+standard][+ANALYSIS][+all]: MRI first, N more taps, to the handling standard, with "
    "analyses beside cytology (routine, ctc, ctdna), all N even after a positive.",
)
@click.option("--compare", type=StrategyType, multiple=True, help="Another strategy to run on the same cohort (repeatable).")
@click.option("--cohort", type=click.IntRange(1, 1_000_000), default=None, metavar="N",
              help="Instead: write N patients drawn from the whole network as a cohort file (with --out).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), default=None, metavar="FILE.csv",
              help="The cohort file to write (with --cohort).")
@click.option("--missing", type=FiniteRange(0.0, 1.0, max_open=True), default=0.2, show_default=True, metavar="SHARE",
              help="With --cohort: share of findings not recorded (each further tap not done with this share).")
@click.option("--stop-after-positive", is_flag=True,
              help="With --cohort: no tap after the first positive cytology, as in the usual work-up.")
@click.option("--unknown", type=FiniteRange(0.0, 1.0, max_open=True), default=0.0, show_default=True, metavar="SHARE",
              help="With --cohort: share of patients whose diagnosis is left empty.")
def simulate(
    net: Network,
    findings: Findings,
    as_json: bool,
    as_csv: bool,
    patients: int,
    seed: int,
    strategy: Strategy,
    compare: tuple[Strategy, ...],
    cohort: int | None,
    out: str | None,
    missing: float,
    stop_after_positive: bool,
    unknown: float,
) -> None:
    """Simulate patients like this one through workup strategies, in natural frequencies.

    Draws virtual patients from the network given the findings, runs each strategy on the same
    cohort, and reports per 1,000 patients: LM present, found at each tap, missed, false
    positives, taps per patient, and how well the model's own P(LM) is calibrated.

    With --cohort N --out FILE.csv it writes a synthetic cohort instead: N patients drawn from
    the network, one row each, to try `lmbayes validate` and `lmbayes fit` without patient data.
    """
    from lmbayes.simulate import simulate as run_simulation

    with reported():
        net.require_target()
    if cohort is not None or out is not None:
        _write_cohort(net, findings, cohort, out, missing, unknown, seed, as_text=not (as_json or as_csv),
                      stop_after_positive=stop_after_positive)
        return
    context = click.get_current_context()
    given = [f"--{name.replace('_', '-')}" for name in ("missing", "unknown", "stop_after_positive")
             if context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT]
    if given:
        raise UserInputError(
            f"{', '.join(given)} shape{'s' if len(given) == 1 else ''} a synthetic cohort: give --cohort N --out FILE.csv "
            "too (a strategy stops after a positive tap unless it ends in +all)"
        )
    strategies = tuple(dict.fromkeys((strategy, *compare)))
    show = not as_json and sys.stderr.isatty()
    with reported(), progress_bar(patients * 1, show) as advance:
        results = run_simulation(
            net, findings, strategies=strategies, patients=patients, rng=seed, progress=advance
        )
    if as_csv:
        click.echo(_format_cohort.simulate_csv(results))
    elif as_json:
        click.echo(_format_cohort.simulate_json(net, results, seed))
    else:
        click.echo(_format_cohort.simulate_text(net, findings, results, seed))


def _write_cohort(
    net: Network, findings: Findings, patients: int | None, out: str | None, missing: float, unknown: float, seed: int,
    as_text: bool = True, stop_after_positive: bool = False,
) -> None:
    """``simulate --cohort N --out FILE``: draw the cohort and write it."""
    from lmbayes.cohort import draw_cohort, write_cohort

    if patients is None or out is None:
        raise UserInputError("a synthetic cohort needs both --cohort N and --out FILE.csv")
    if as_text is False:
        raise UserInputError("--cohort writes a file and says so in one line: drop --json and --csv")
    if findings:
        raise UserInputError("--cohort draws patients from the whole network: give no findings (-e, --csf)")
    with reported():
        drawn = draw_cohort(net, patients, missing=missing, unknown=unknown, rng=seed, stop_after_positive=stop_after_positive)
        write_cohort(net, drawn, out)
    click.echo(_format_cohort.cohort_written(net, drawn, out, missing, seed, stop_after_positive))
