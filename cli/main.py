"""The ``lmbayes`` command: parse options, call one library function, format the result."""

from __future__ import annotations

import sys
from pathlib import Path
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from lmbayes import networks
from lmbayes._text import printable
from lmbayes.cli import _format
from lmbayes.cli._interrupt import interrupted
from lmbayes.cli._options import (
    NextTapType,
    StrategyType,
    UserInputError,
    csv_option,
    json_option,
    network_options,
    out_of_memory,
    plot_option,
    progress_bar,
    query_options,
    reported,
    uncertainty_options,
    wrote,
)

from lmbayes.findings import Findings
from lmbayes.plan import DEFAULT_THRESHOLDS

if TYPE_CHECKING:  # the modules of other commands load inside them: a query pays for its own
    from lmbayes.network import Network
    from lmbayes.simulate import Strategy
    from lmbayes.technique import Technique
    from lmbayes.uncertainty import Draws



HELP = f"""Probability of leptomeningeal metastasis (LM) from signs, MRI and serial CSF taps.

{_format.DISCLAIMER} Every number comes from the network file, with its source
or flagged as a judgement: see `lmbayes network show`.

\b
Examples:
  lmbayes taps -e systemic_status=active_recurrence -e mri=normal --csf neg,neg
  lmbayes posterior -e cranial_nerve_palsy=present -e limb_weakness=present
  lmbayes network show
"""


class OneLineErrors(click.Group):
    """click, but every error is one line (control characters escaped): a usage error says
    where help is (exit 2); running out of memory says what to ask for less of (exit 1);
    Ctrl-C ends with exit code 130 and no traceback."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            super().main(*args, standalone_mode=False, **kwargs)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # `lmbayes` alone: the help, as click shows it
                exc.show()
                sys.exit(exc.exit_code)
            where = f" (see `{exc.ctx.command_path} --help`)" if exc.ctx is not None else ""
            if "unexpected extra argument" in exc.format_message():
                where = " (several results go in one word: --csf neg,neg, without spaces, or quoted)" + where
            click.echo(f"Error: {printable(exc.format_message())}{where}", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Error: {printable(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except (click.Abort, KeyboardInterrupt):  # click turns Ctrl-C into Abort, after a line break
            interrupted()
        except MemoryError:
            click.echo(f"Error: {out_of_memory()}", err=True)
            sys.exit(1)
        sys.exit(0)


@click.group(
    cls=OneLineErrors,
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="lmbayes")
def cli() -> None:
    pass


EPILOG = f"{_format.DISCLAIMER} Sources of every number: `lmbayes network show`."


next_tap_option = click.option(
    "--next-tap",
    type=NextTapType,
    default=None,
    help="Technique of the next taps: volume=12,delay=15, standard or usual (default: usual).",
)


@cli.command(epilog=EPILOG)
@query_options
@uncertainty_options
def posterior(net: Network, findings: Findings, as_json: bool, draws: Draws | None, seed: int) -> None:
    """P(LM) and the competing causes given the findings, with their priors."""
    from lmbayes.teaching import conflict
    from lmbayes.uncertainty import posterior_intervals

    with reported():
        post = net.posterior(findings)
        conf = conflict(net, findings)
        intervals = None if draws is None else posterior_intervals(net, findings, draws=draws)
    if as_json:
        click.echo(_format.posterior_json(net, post, intervals, draws, seed, conf))
    else:
        click.echo(_format.posterior_text(net, post, intervals, draws, seed, conf))


@cli.command(epilog=EPILOG)
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
    from lmbayes.uncertainty import tap_intervals

    with reported():
        table = net.taps(findings, next_technique=next_tap, analyses=analyses)
        if analyses and draws is not None:
            raise UserInputError("--uncertainty does not yet combine with --with; drop one of them")
        intervals = None
        if draws is not None:
            intervals = tap_intervals(net, findings, draws=draws, next_technique=next_tap)
        if plot_path is not None:
            from lmbayes.plots import tap_curve

            wrote(tap_curve(table, plot_path, f"P(LM) after further negative taps ({net.name} network)"))
    if as_csv:
        click.echo(_format.taps_csv(table))
    elif as_json:
        click.echo(_format.taps_json(net, findings, table, intervals, draws, seed))
    else:
        click.echo(_format.taps_text(net, findings, table, intervals, draws, seed))


PROBABILITY = click.FloatRange(0.0, 1.0, min_open=True, max_open=True)


@cli.command(epilog=EPILOG)
@query_options
@csv_option
@click.option("--rule-out-below", type=PROBABILITY, default=None, metavar="P", help=f"Set LM aside below this P(LM) [default: {DEFAULT_THRESHOLDS.rule_out:.2f}].")
@click.option("--treat-above", type=PROBABILITY, default=None, metavar="P", help=f"Treat above this P(LM) [default: {DEFAULT_THRESHOLDS.treat:.2f}].")
@click.option("--benefit", type=click.FloatRange(0.0, min_open=True), default=None, help="Net benefit of treating a patient with LM (derives the thresholds).")
@click.option("--harm", type=click.FloatRange(0.0, min_open=True), default=None, help="Net harm of treating a patient without LM (same units).")
@click.option("--test-harm", type=click.FloatRange(0.0), default=0.0, show_default=True, help="Harm of a lumbar puncture itself (same units).")
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
    test_harm: float,
    next_tap: Technique | None,
    draws: Draws | None,
    seed: int,
) -> None:
    """Which test next, how many more taps, and when to stop.

    Ranks every test not yet done (MRI, antibody panel, the next tap done the usual way and to
    the handling standard) by the information it carries about LM, shows P(LM) after each
    result, and says whether any result crosses the thresholds. Thresholds come from
    --rule-out-below and --treat-above, or from --benefit and --harm by the threshold approach.
    """
    from lmbayes.plan import Thresholds, plan_workup
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
        result = plan_workup(
            net, findings, thresholds=thresholds, next_technique=next_tap,
            benefit_harm=None if benefit is None or harm is None else (benefit, harm, test_harm),
        )
        intervals = None if draws is None else plan_intervals(net, findings, result, draws)
    if as_csv:
        click.echo(_format.plan_csv(result))
    elif as_json:
        click.echo(_format.plan_json(net, result, intervals, draws, seed, findings))
    else:
        click.echo(_format.plan_text(net, findings, result, intervals, draws, seed))


@cli.command(epilog=EPILOG)
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
        click.echo(_format.sensitivity_csv(swings))
    elif as_json:
        click.echo(_format.sensitivity_json(net, current, swings, threshold))
    else:
        click.echo(_format.sensitivity_text(net, findings, current, swings, threshold))


@cli.command(epilog=EPILOG)
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
@click.option("--missing", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.2, show_default=True, metavar="SHARE",
              help="With --cohort: share of findings not recorded (each further tap not done with this share).")
@click.option("--unknown", type=click.FloatRange(0.0, 1.0, max_open=True), default=0.0, show_default=True, metavar="SHARE",
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
        _write_cohort(net, findings, cohort, out, missing, unknown, seed, as_text=not (as_json or as_csv))
        return
    strategies = tuple(dict.fromkeys((strategy, *compare)))
    show = not as_json and sys.stderr.isatty()
    with reported(), progress_bar(patients * 1, show) as advance:
        results = run_simulation(
            net, findings, strategies=strategies, patients=patients, rng=seed, progress=advance
        )
    if as_csv:
        click.echo(_format.simulate_csv(results))
    elif as_json:
        click.echo(_format.simulate_json(net, results, seed))
    else:
        click.echo(_format.simulate_text(net, findings, results, seed))


def _write_cohort(
    net: Network, findings: Findings, patients: int | None, out: str | None, missing: float, unknown: float, seed: int,
    as_text: bool = True,
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
        drawn = draw_cohort(net, patients, missing=missing, unknown=unknown, rng=seed)
        write_cohort(net, drawn, out)
    click.echo(_format.cohort_written(net, drawn, out, missing, seed))


@cli.command(epilog=EPILOG)
@network_options
@json_option
@click.argument("cohort", metavar="COHORT.csv")
@click.option("--bins", type=click.IntRange(2, 100), default=10, show_default=True, help="Groups of patients by P(LM) in the calibration table.")
@click.option("--bootstrap", type=click.IntRange(0, 100_000), default=200, show_default=True, metavar="N",
              help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the resamples, 0 or more (same seed, same output).")
@plot_option
def validate(net: Network, as_json: bool, cohort: str, bins: int, bootstrap: int, seed: int, plot_path: str | None) -> None:
    """Check the network's P(LM) against a cohort of patients with known diagnoses.

    COHORT.csv has one row per patient and one column per finding (node ids, as in `lmbayes
    network nodes`; empty where not done) and the diagnosis in the column lm (present, absent,
    or empty where unknown); a shipped name (breast_cohort) works too. For each patient with a
    known diagnosis, P(LM) from all their other findings; then calibration (slope, intercept,
    a table by groups of P(LM)), discrimination (AUC) and the Brier score, each with a
    bootstrap 95% interval, with all findings, before the first tap and after each tap; and the
    cytology yield per number of taps among patients with LM, beside the network's.
    """
    from lmbayes.cohort import read_cohort
    from lmbayes.validate import validate as run_validate

    with reported():
        patients = read_cohort(net, cohort)
        result = run_validate(net, patients, bins=bins, bootstrap=bootstrap, rng=seed)
    if plot_path:
        from lmbayes.plots import calibration_curve

        with reported():
            wrote(calibration_curve(result, plot_path, f"{net.label}: {printable(cohort)}"))
    render = _format.validate_json if as_json else _format.validate_text
    click.echo(render(net, printable(cohort), result))


@cli.command(epilog=EPILOG)
@network_options
@json_option
@click.argument("cohort", metavar="COHORT.csv")
@click.option("--out", type=click.Path(dir_okay=False, writable=True), required=True, metavar="NEW.yaml",
              help="The network file to write, with the fitted numbers.")
@click.option("--top", type=click.IntRange(1), default=10, show_default=True, help="Show the N numbers that moved most.")
def fit(net: Network, as_json: bool, cohort: str, out: str, top: int) -> None:
    """Update the network's numbers from a cohort, and write them as a new network file.

    Each number's value and range (or counts) in the network file is its prior; the cohort's
    counts of the same quantity update it (expected counts where the condition is hidden:
    LM when the diagnosis is empty, the competing causes, shedding), by expectation-
    maximisation. NEW.yaml has every updated number's new value, 95% range and counts, the
    cohort among its sources; the report lists what moved most, in prior standard deviations.
    Nothing is written when the fit fails.
    """
    from lmbayes.cohort import read_cohort
    from lmbayes.fit import fit as run_fit
    from lmbayes.fitted_file import source_key, write_fitted

    with reported():
        patients = read_cohort(net, cohort)
        patients.require_diagnoses(net.target)
        result = run_fit(net, patients, source=source_key(cohort))
        write_fitted(net, result, out, f"{result.patients:,} patients of the cohort file {printable(Path(cohort).name)}, fitted with lmbayes fit")
    render = _format.fit_json if as_json else _format.fit_text
    click.echo(render(net, printable(cohort), printable(out), result, top))


@cli.command(epilog=EPILOG)
@click.argument("case_name", metavar="CASE")
@json_option
@plot_option
def replay(case_name: str, as_json: bool, plot_path: str | None) -> None:
    """Replay a case step by step: P(LM), the likelihood ratio of each step, the competing
    causes and the EANO-ESMO level of certainty.

    CASE is a shipped case (seed_case, explained_away, typical_mri_negative_taps,
    normal_csf_settles) or the path of a case file.
    """
    from lmbayes.cases import load_case
    from lmbayes.teaching import level_gap, replay as run_replay

    with reported():
        case, net = load_case(case_name)
        rows, conf = run_replay(net, case)
        gap = level_gap(net, case.findings[-1], rows[-1].eano_esmo, rows[-1].p_lm_after)
        prior = net.posterior(Findings()).p_target
        if plot_path is not None:
            from lmbayes.plots import ladder

            wrote(ladder(rows, prior, plot_path, f"{case.title} ({case.name})"))
    render = _format.replay_json if as_json else _format.replay_text
    click.echo(render(net, case, prior, rows, conf, gap))


@cli.command(epilog=EPILOG)
@query_options
def explain(net: Network, findings: Findings, as_json: bool) -> None:
    """Each finding's contribution to P(LM): given all the others, and averaged over orders.

    In context: the likelihood ratio a finding applies when it comes last. Order-free: its
    Shapley value, the average over every order in which the findings could have arrived
    (exact), in decibans (10 log10 of the odds multiplier). The order-free values add up to the
    whole change from the prior.
    """
    from lmbayes.teaching import conflict, explain as run_explain

    with reported():
        items = run_explain(net, findings)
        post = net.posterior(findings)
        conf = conflict(net, findings)
    if as_json:
        click.echo(_format.explain_json(net, post, items, conf))
    else:
        click.echo(_format.explain_text(net, post, items, conf))


@cli.command(epilog=EPILOG)
@query_options
def dependence(net: Network, findings: Findings, as_json: bool) -> None:
    """Why repeated negative taps are worth less than a nomogram says.

    For 1, 2, ... further negative taps: P(LM) in the network and with the same taps treated
    as independent tests (exactly the network's single-tap result probabilities), the
    likelihood ratio each negative tap applies, and the cumulative yield of both among
    patients with LM.
    """
    from lmbayes.teaching import dependence as run_dependence

    with reported():
        result = run_dependence(net, findings)
    if as_json:
        click.echo(_format.dependence_json(net, findings, result))
    else:
        click.echo(_format.dependence_text(net, findings, result))


@cli.group(epilog=EPILOG)
def network() -> None:
    """Inspect network files."""


@network.command("show", epilog=EPILOG)
@network_options
@json_option
def show(net: Network, as_json: bool) -> None:
    """Nodes, states, parameters with sources and ranges, and the cytology calibration."""
    click.echo(_format.show_json(net) if as_json else _format.show_text(net))


@network.command("draw", epilog=EPILOG)
@network_options
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
def draw(net: Network, output: str) -> None:
    """Write the network graph to OUTPUT: DOT text (.dot or .gv), or a picture (.png, .svg,
    .pdf; needs matplotlib). Causes are drawn above signs, tests and taps."""
    from lmbayes.plots import draw_network

    with reported():
        written = draw_network(net.spec, output)
    click.echo(f"wrote {printable(str(written))}")


@network.command("nodes", epilog=EPILOG)
@network_options
def nodes(net: Network) -> None:
    """The nodes a finding can name, one line each with their states (compact)."""
    click.echo(_format.nodes_text(net))


@network.command("copy", epilog=EPILOG)
@click.argument("name", metavar="NAME")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
def copy_network(name: str, output: str) -> None:
    """Copy a shipped network file to OUTPUT, to edit it (then check it with `lmbayes network check`)."""
    from lmbayes._output import target, write_atomically

    shipped = networks.available()
    with reported():
        path = networks.resolve(name)
        if path not in shipped.values():
            raise UserInputError(f"'{printable(name)}' is not a shipped network; shipped networks: {', '.join(shipped)}")
        if Path(output).exists():
            raise UserInputError(f"'{printable(output)}' exists; copy to a new file")
        text = path.read_text(encoding="utf-8")
        write_atomically(target(output, "network file", (".yaml", ".yml")), lambda tmp: tmp.write_text(text, encoding="utf-8"))
    click.echo(f"wrote {printable(output)} (a copy of {path.stem}; edit it, then: lmbayes network check {printable(output)})")


@network.command("list", epilog=EPILOG)
@json_option
def list_networks(as_json: bool) -> None:
    """The shipped networks, one line each."""
    titles = networks.describe()
    if as_json:
        click.echo(_format.dumps({"networks": [{"name": n, "title": t} for n, t in titles.items()]}))
    else:
        width = max(map(len, titles))
        for name, title in titles.items():
            click.echo(f"{name:<{width}}  {title}")


@network.command("check", epilog=EPILOG)
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def check(path: str, as_json: bool) -> None:
    """Check a network file and report every problem at once (file, line, node, field).

    Exits 0 when the file is clean, 1 when it has problems.
    """
    from lmbayes._loader import check_spec

    problems = check_spec(path)
    if as_json:
        click.echo(_format.dumps({"file": path, "ok": not problems, "problems": problems}))
    elif problems:
        click.echo("\n".join(map(printable, problems)))
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {printable(path)}", err=True)
    else:
        click.echo(f"{printable(path)}: no problems")
    if problems:
        sys.exit(1)


@network.command("export", epilog=EPILOG)
@network_options
@click.option("--format", "fmt", type=click.Choice(list(networks.WRITERS), case_sensitive=False), default=None,
              help="bif (pgmpy, pyAgrum, bnlearn), xmlbif, net (Hugin), uai, xdsl (GeNIe) [default: from the suffix].")
@click.argument("output", type=click.Path(dir_okay=False, writable=True))
def export(net: Network, fmt: str | None, output: str) -> None:
    """Write the network for another tool, with pgmpy's writers (node and state names kept).

    The format comes from --format or the file's suffix (.bif, .xmlbif, .net, .uai, .xdsl, any
    case). The probability tables are written as they are: the tap calibration and any --setting
    or --pretest are already in them.
    """
    from lmbayes._pgmpy import write_model

    if fmt is None:
        suffix = Path(output).suffix.lower().lstrip(".")
        if suffix not in networks.WRITERS:
            raise UserInputError(
                f"cannot tell the format of '{printable(output)}' from its suffix: use .{', .'.join(networks.WRITERS)} "
                "or give --format"
            )
        fmt = suffix
    fmt = fmt.lower()
    with reported():
        write_model(net.tables, fmt, output)
    click.echo(f"wrote {printable(output)} ({fmt})")


# One line each in `lmbayes --help` (click would cut the docstrings' first sentences).
for _command, _short in {
    posterior: "P(LM) and the competing causes now, with their priors.",
    taps: "How each further lumbar puncture would move P(LM).",
    plan: "Which test next, how many more taps, when to stop.",
    sensitivity: "How far each uncertain number moves P(LM) (tornado).",
    simulate: "Patients like this one through workup strategies, per 1,000.",
    replay: "Replay a case step by step, with EANO-ESMO levels.",
    explain: "Each finding's share of P(LM), in context and order-free.",
    dependence: "Why repeated negative taps are worth less than a nomogram says.",
    network: "Show, list, check, export and draw networks.",
    show: "Nodes, parameters with sources and ranges, calibration.",
    list_networks: "The shipped networks, one line each.",
    nodes: "The nodes a finding can name, with their states.",
    copy_network: "Copy a shipped network file to edit it.",
    check: "Check a network file: every problem, with its line.",
    export: "Write the network for another tool (BIF, XMLBIF, NET, UAI, XDSL).",
    draw: "Draw the network: DOT text or a picture.",
}.items():
    _command.short_help = _short
