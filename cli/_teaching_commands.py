"""The teaching commands: replay, explain, dependence, and the case files."""

from __future__ import annotations

import sys
import textwrap
from typing import TYPE_CHECKING

import click

from lmbayes._text import printable
from lmbayes.cli import _format, _format_teaching
from lmbayes.cli._words import EPILOG
from lmbayes.cli._options import (
    report_problems,
    json_option,
    query_options,
    reported,
    wrote,
)
from lmbayes.findings import Findings

if TYPE_CHECKING:
    from lmbayes.network import Network


def _case_names() -> str:
    from lmbayes.networks.cases import available  # the case module loads YAML and numpy

    return ", ".join(available())


@click.command(
    epilog=EPILOG,
    help=f"""Replay a case step by step: P(LM), the likelihood ratio of each step, the competing
    causes, the EANO-ESMO level of certainty, why the step matters, and the teaching note.

    With --step the case unfolds one step at a time, for a class: each step shows the new
    finding and asks "P(LM) now?"; type a guess in % (or press Enter), and the answer follows.
    At the end the guesses are scored against the network and against the naive chain of
    independent taps (the Fagan nomogram's answer). q quits. When standard input is not a
    terminal, --step shows the whole ladder. --guesses adds a class's guesses (CSV: one row
    per student, one column per step) with their spread per step.

    CASE is a shipped case ({_case_names()}) or the path of a case file (see `lmbayes case
    check`).
    """,
)
@click.argument("case_name", metavar="CASE")
@click.option("--step", is_flag=True, help="One step at a time: show the finding, ask for a guess, then the answer.")
@click.option(
    "--guesses",
    "guesses_path",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    metavar="FILE.csv",
    help="A class's guesses of P(LM) in %: one row per student, one column per step.",
)
@json_option
@click.option(
    "--plot",
    "plot_path",
    type=click.Path(writable=True),
    default=None,
    metavar="PATH",
    help="Also draw the ladder to PATH (PNG, SVG or PDF); with --step, one picture per step "
    "(PNG, for slides) into the folder PATH. Needs matplotlib.",
)
def replay(case_name: str, step: bool, guesses_path: str | None, as_json: bool, plot_path: str | None) -> None:
    from lmbayes.cases import load_case
    from lmbayes.cli import _teach
    from lmbayes.guesses import read_class_guesses
    from lmbayes.replay import lesson, scorecard

    with reported():
        case, net = load_case(case_name)
        taught = lesson(net, case)
        group = None if guesses_path is None else read_class_guesses(guesses_path, len(case.steps))
        if plot_path is not None and step:
            from lmbayes.slides import slides

            pictures = slides(taught, plot_path)
            click.echo(f"wrote {len(pictures)} pictures to {printable(plot_path)}: {pictures[0].name} ... {pictures[-1].name}", err=True)
        elif plot_path is not None:
            from lmbayes.plots import ladder

            wrote(ladder(taught.rows, taught.prior, plot_path, f"{case.title} ({case.name})"))
    cols = _teach.columns()
    typed: tuple[float | None, ...] = ()
    if step and _teach.interactive():
        so_far: list[float | None] = []
        try:
            stepped = _teach.run_steps(taught, group, cols, read=lambda: sys.stdin.readline(), err=as_json, guesses=so_far)
        except KeyboardInterrupt:  # Ctrl-C: with --json, the steps answered so far, then the usual end
            if as_json:
                click.echo(_teach.lesson_json(net, taught, scorecard(taught, so_far, group), stopped_at=len(so_far) + 1))
            raise
        if stepped is None:  # q or the end of input: with --json, the steps answered so far
            if as_json:
                click.echo(_teach.lesson_json(net, taught, scorecard(taught, so_far, group), stopped_at=len(so_far) + 1))
            return
        typed = stepped
    elif step:
        click.echo("Standard input is not a terminal: the whole ladder, without stepping.", err=True)
    card = scorecard(taught, typed, group)
    if as_json:
        click.echo(_teach.lesson_json(net, taught, card))
    else:
        click.echo(_teach.lesson_text(net, taught, card, cols))


@click.command(epilog=EPILOG)
@query_options
def explain(net: Network, findings: Findings, as_json: bool) -> None:
    """Each finding's contribution to P(LM): given all the others, and averaged over orders.

    In context: the likelihood ratio a finding applies when it comes last. Order-free: its
    Shapley value, the average over every order in which the findings could have arrived
    (exact), in decibans (10 log10 of the odds multiplier). The order-free values add up to the
    whole change from the prior.
    """
    from lmbayes.explain import conflict, explain as run_explain
    from lmbayes.review import review

    with reported():
        items = run_explain(net, findings)
        post = net.posterior(findings)
        conf = conflict(net, findings)
        rv = review(net, findings, post.p_target)
    if as_json:
        click.echo(_format_teaching.explain_json(net, post, items, conf, rv))
    else:
        click.echo(_format_teaching.explain_text(net, post, items, conf, rv))


@click.command(epilog=EPILOG)
@query_options
def dependence(net: Network, findings: Findings, as_json: bool) -> None:
    """Why repeated negative taps are worth less than a nomogram says.

    For 1, 2, ... further negative taps: P(LM) in the network and with the same taps treated
    as independent tests (exactly the network's single-tap result probabilities), the
    likelihood ratio each negative tap applies, and the cumulative yield of both among
    patients with LM.
    """
    from lmbayes.explain import dependence as run_dependence

    with reported():
        result = run_dependence(net, findings)
    if as_json:
        click.echo(_format_teaching.dependence_json(net, findings, result))
    else:
        click.echo(_format_teaching.dependence_text(net, findings, result))



@click.group(epilog=EPILOG)
def case() -> None:
    """List and check case files for `lmbayes replay`."""


@case.command("list", epilog=EPILOG)
@json_option
def list_cases(as_json: bool) -> None:
    """The shipped cases, one line each: name and title."""
    from lmbayes.cases import available_cases, load_case

    with reported():
        titles = {name: load_case(name)[0].title for name in available_cases()}
    if as_json:
        click.echo(_format.dumps({"cases": [{"name": n, "title": t} for n, t in titles.items()]}))
    else:
        width = max(map(len, titles))
        for name, title in titles.items():
            click.echo(textwrap.fill(f"{name:<{width}}  {title}", _format.width(), subsequent_indent=" " * (width + 2)))


@case.command("check", epilog=EPILOG)
@click.argument("path", type=click.Path(dir_okay=False))
@json_option
def check_case_file(path: str, as_json: bool) -> None:
    """Check a case file against its network and report every problem at once (file, line,
    step, field).

    Exits 0 when the file is clean, 1 when it has problems.
    """
    from lmbayes.cases import check_case

    problems = check_case(path)
    report_problems(path, problems, as_json)


# One line each in the group's --help (click would cut the docstrings' first sentences).
for _command, _short in {
    list_cases: "The shipped cases, one line each.",
    check_case_file: "Check a case file: every problem, with its line.",
}.items():
    _command.short_help = _short
