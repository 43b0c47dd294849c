"""The cohort commands: validate the network against patients, fit its numbers to them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lmbayes._text import printable
from lmbayes.cli import _format_cohort
from lmbayes.cli._options import UserInputError, csv_option, json_option, network_options, plot_option, reported, wrote, yes_option
from lmbayes.cli._words import EPILOG

if TYPE_CHECKING:
    from lmbayes.network import Network

#: The time of one patient in one resample at one stage (measured: 4,500 resamples of 1,000
#: patients over 8 stages in 60 s on a shared 2-core machine), for the estimate.
SECONDS_PER_CELL = 1.7e-6


@click.command(epilog=EPILOG)
@network_options
@json_option
@csv_option
@click.argument("cohort", metavar="COHORT.csv")
@click.option("--bins", type=click.IntRange(2, 100), default=10, show_default=True, help="Groups of patients by P(LM) in the calibration table.")
@click.option("--bootstrap", type=click.IntRange(0, 100_000), default=200, show_default=True, metavar="N",
              help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the resamples, 0 or more (same seed, same output).")
@yes_option
@plot_option
def validate(
    net: Network, as_json: bool, as_csv: bool, cohort: str, bins: int, bootstrap: int, seed: int, confirmed: bool,
    plot_path: str | None,
) -> None:
    """Check the network's P(LM) against a cohort of patients with known diagnoses.

    COHORT.csv has one row per patient and one column per finding (node ids, as in `lmbayes
    network nodes`; empty where not done) and the diagnosis in the column lm (present, absent,
    or empty where unknown); a shipped name (breast_cohort) works too. For each patient with a
    known diagnosis, P(LM) from all their other findings; then calibration (slope, intercept,
    a table by groups of P(LM)), discrimination (AUC) and the Brier score, each with a
    bootstrap 95% interval, with all findings, before the first tap and after each tap; and the
    cytology yield per number of taps among patients with LM, beside the network's.

    A long bootstrap shows its progress and the time left on a terminal; one expected to take
    more than a minute asks first (or needs --yes when not on a terminal). Ctrl-C during the
    bootstrap prints the results without intervals, then stops.
    """
    import sys

    from lmbayes.cli._options import progress_bar
    from lmbayes.cohort import read_cohort
    from lmbayes.validate import BootstrapStopped, bootstrap_steps
    from lmbayes.validate import validate as run_validate

    with reported():
        patients = read_cohort(net, cohort)
        patients.require_diagnoses(net.target)
        total = bootstrap * bootstrap_steps(net, patients)
    _confirm_bootstrap(bootstrap, int(patients.known.sum()), total, confirmed)
    try:
        with reported(), progress_bar(total, bool(total) and sys.stderr.isatty(), " resamples") as advance:
            result = run_validate(net, patients, bins=bins, bootstrap=bootstrap, rng=seed, progress=advance)
    except BootstrapStopped as stopped:
        if as_csv:
            click.echo(_format_cohort.validate_csv(stopped.partial))
        else:
            render = _format_cohort.validate_json if as_json else _format_cohort.validate_text
            click.echo(render(net, printable(cohort), stopped.partial))
        click.echo("Interrupted during the bootstrap: the results above have no intervals.", err=True)
        sys.exit(130)
    if plot_path:
        from lmbayes.plots import calibration_curve

        with reported():
            wrote(calibration_curve(result, plot_path, f"{net.label}: {printable(cohort)}"))
    if as_csv:
        click.echo(_format_cohort.validate_csv(result))
        return
    render = _format_cohort.validate_json if as_json else _format_cohort.validate_text
    click.echo(render(net, printable(cohort), result))


def _confirm_bootstrap(bootstrap: int, patients: int, total: int, confirmed: bool) -> None:
    """Ask before a bootstrap expected to take over a minute (refuse it without --yes when no
    one can answer)."""
    from lmbayes.cli._options import confirm_cost, fewer

    minutes = total * patients * SECONDS_PER_CELL / 60
    cost = (
        f"--bootstrap {bootstrap:,} on {patients:,} patients takes about {minutes:,.0f} minutes "
        f"(at {SECONDS_PER_CELL * 1e6:g} microseconds per patient, resample and stage)"
    )
    confirm_cost(cost, minutes, f"--bootstrap {fewer(bootstrap, minutes):,}", confirmed)


@click.command(epilog=EPILOG)
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
    LM when the diagnosis is empty, the competing causes, the tumour burden), by expectation-
    maximisation. NEW.yaml has every updated number's new value, 95% range and counts, the
    cohort among its sources; the report lists what moved most, in prior standard deviations.
    With --pretest P or --setting NAME, P(LM) before any finding is held at the cohort's stated
    population value and the prior of LM is not re-estimated (use NEW.yaml with the same
    option). Nothing is written when the fit fails.
    """
    from lmbayes.cohort import read_cohort
    from lmbayes.fit import fit as run_fit
    from lmbayes.fitted_file import source_key, write_fitted

    with reported():
        patients = read_cohort(net, cohort)
        patients.require_diagnoses(net.target)
        if Path(out).resolve() == Path(net.spec.path).resolve():
            raise UserInputError(f"--out '{printable(out)}' is the network file read; name a new file for the fitted network")
        result = run_fit(net, patients, source=source_key(cohort, taken=net.spec.sources))
        write_fitted(net, result, out, f"{result.patients:,} patients of the cohort file {printable(Path(cohort).name)}, fitted with lmbayes fit")
    render = _format_cohort.fit_json if as_json else _format_cohort.fit_text
    click.echo(render(net, printable(cohort), printable(out), result, top))
