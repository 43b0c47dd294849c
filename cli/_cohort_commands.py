"""The cohort commands: validate the network against patients, fit its numbers to them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lmbayes._text import printable
from lmbayes.cli import _format
from lmbayes.cli._fit import echo_text
from lmbayes.cli._options import csv_option, json_option, network_options, plot_option, reported, structure_options, wrote
from lmbayes.cli._complete import CohortType
from lmbayes.cli._refuse import given, no_effect, one_format
from lmbayes.cli._words import EPILOG

if TYPE_CHECKING:
    from lmbayes.network import Network


@click.command(epilog=EPILOG)
@network_options
@json_option
@csv_option
@click.argument("cohort", type=CohortType, metavar="COHORT.csv")
@click.option("--bins", type=click.IntRange(2, 100), default=10, show_default=True, help="Groups of patients by P(LM) in the calibration table.")
@click.option("--bootstrap", type=click.IntRange(0, 100_000), default=200, show_default=True, metavar="N",
              help="Bootstrap resamples for the 95% intervals (0: none).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the resamples, 0 or more (same seed, same output).")
@plot_option
def validate(net: Network, as_json: bool, as_csv: bool, cohort: str, bins: int, bootstrap: int, seed: int, plot_path: str | None) -> None:
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

    one_format(as_json, as_csv)
    if bootstrap == 0 and given("seed"):
        raise no_effect("--seed", "with --bootstrap 0 (no resamples, nothing random)")
    with reported():
        patients = read_cohort(net, cohort)
        result = run_validate(net, patients, bins=bins, bootstrap=bootstrap, rng=seed)
    if plot_path:
        from lmbayes.plots import calibration_curve

        with reported():
            wrote(calibration_curve(result, plot_path, f"{net.label}: {printable(cohort)}"))
    if as_csv:
        click.echo(_format.validate_csv(result))
        return
    if as_json:
        click.echo(_format.validate_json(net, printable(cohort), result))
    else:
        echo_text(_format.validate_text(net, printable(cohort), result), _format.width())


@click.command(epilog=EPILOG)
@structure_options("fit learns the prior of LM from the cohort")
@json_option
@click.argument("cohort", type=CohortType, metavar="COHORT.csv")
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

    if as_json and given("top"):
        raise no_effect("--top", "with --json, which lists every number", "drop --top")
    from lmbayes.fitted_file import source_key, write_fitted

    with reported():
        patients = read_cohort(net, cohort)
        patients.require_diagnoses(net.target)
        result = run_fit(net, patients, source=source_key(cohort))
        write_fitted(net, result, out, f"{result.patients:,} patients of the cohort file {printable(Path(cohort).name)}, fitted with lmbayes fit")
    if as_json:
        click.echo(_format.fit_json(net, printable(cohort), printable(out), result, top))
    else:
        echo_text(_format.fit_text(net, printable(cohort), printable(out), result, top), _format.width())
