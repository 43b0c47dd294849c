"""Shared click options and the translation of library errors into one-line CLI errors."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from lmbayes import networks
from lmbayes._text import printable
from lmbayes.errors import (
    FindingError,
    InputError,
    LmbayesError,
    NoTargetError,
    TooFewTapsError,
    UnknownNodeError,
)
from lmbayes.spec import MAX_TAPS
from lmbayes.technique import Technique, parse_next_tap

from lmbayes.findings import split_csf

if TYPE_CHECKING:
    from lmbayes.network import Network
    from lmbayes.simulate import Strategy


class UserInputError(click.ClickException):
    """A one-line error about what the user typed: exit code 2."""

    exit_code = 2


@contextmanager
def reported() -> Iterator[None]:
    """Turn library errors into one-line click errors: input problems exit 2, others 1.

    The library names no command-line option; where an option is the fix, this adds it.
    """
    try:
        yield
    except TooFewTapsError as exc:
        hint = f" (use --max-taps {exc.needed})" if exc.needed <= MAX_TAPS else ""
        raise UserInputError(f"{exc}{hint}") from None
    except NoTargetError as exc:
        ctx = click.get_current_context(silent=True)
        command = f"`{ctx.command_path}`: " if ctx is not None else ""
        raise UserInputError(
            f"{command}{exc} (see 'Writing your own network' in the README); "
            "`lmbayes posterior` works on it as it is"
        ) from None
    except UnknownNodeError as exc:
        raise UserInputError(str(exc)) from None
    except InputError as exc:
        raise UserInputError(str(exc)) from None
    except LmbayesError as exc:
        raise click.ClickException(str(exc)) from None
    except MemoryError:  # numpy's _ArrayMemoryError too
        raise click.ClickException(out_of_memory()) from None


def out_of_memory() -> str:
    """The one line for a MemoryError: what the command could ask for less of."""
    ctx = click.get_current_context(silent=True)
    params = ctx.params if ctx is not None else {}
    if params.get("uncertainty"):
        draws = params.get("draws", 0)
        return f"not enough memory for {draws:,} parameter draws; ask for fewer (e.g. --draws {max(10, draws // 10)})"
    if "patients" in params:
        patients = params["patients"]
        return f"not enough memory for {patients:,} patients; simulate fewer (e.g. --patients {max(1, patients // 10)})"
    return "not enough memory for this command; close other programs or ask for less"


def wrote(path: Path) -> None:
    """Say on stderr which file was written (stdout stays the result, JSON included)."""
    click.echo(f"wrote {printable(str(path))}", err=True)


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``"node=state"``; a :class:`FindingError` if it is not of that form.

    >>> parse_assignment(" mri = normal ")
    ('mri', 'normal')
    """
    node, sep, state = text.partition("=")
    node, state = node.strip(), state.strip()
    if not sep or not node or not state:
        raise FindingError(f"malformed finding '{text}': expected NODE=STATE, e.g. -e mri=normal")
    return node, state


class FiniteRange(click.FloatRange):
    """A float range that also refuses nan and infinity (click's range lets nan through: every
    comparison with it is false)."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if number != number or number in (float("inf"), float("-inf")):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


class ParsedType(click.ParamType):
    """An option value read by a library parser; its errors become click usage errors (exit 2)."""

    def __init__(self, name: str, parse: Callable[[str], Any], kind: type | None = None) -> None:
        self.name, self.parse, self.kind = name, parse, kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if self.kind is not None and isinstance(value, self.kind):
            return value
        try:
            return self.parse(value)
        except InputError as exc:
            self.fail(str(exc), param, ctx)


def _parse_strategy(text: str) -> Strategy:
    from lmbayes.simulate import parse_strategy  # loaded only by the simulate command

    return parse_strategy(text)


class _FindingType(ParsedType):
    """``NODE=STATE``, checked for form here and against the network later; the shell completes
    node names and states from the network named on the command line (or the default)."""

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        try:
            from lmbayes.network import load_network  # numpy and the engine: not for --help

            net = load_network(ctx.params.get("network_path") or networks.DEFAULT)
        except LmbayesError:
            return []
        words = [f"{n.id}={s}" for n in net.spec.nodes if n.observable for s in n.states]
        return [CompletionItem(w) for w in words if w.startswith(incomplete)]


FindingType = _FindingType("NODE=STATE", parse_assignment, tuple)
#: ``volume=12,delay=15,site=cisternal,away=yes`` or ``standard``.
NextTapType = ParsedType("FIELD=VALUE,...", parse_next_tap, Technique)
#: A workup strategy: ``[mri+]Ntaps[+standard][+all]``.
StrategyType = ParsedType("STRATEGY", _parse_strategy)


class NetworkType(click.ParamType):
    """A shipped network name or the path of a network file."""

    name = "NAME|PATH"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        names = [CompletionItem(n) for n in networks.available() if n.startswith(incomplete)]
        return names + [CompletionItem(incomplete, type="file")]

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Path:
        try:
            path = networks.resolve(value)
        except LmbayesError as exc:
            self.fail(str(exc), param, ctx)
        if not path.is_file():
            self.fail(f"no network file at '{value}'; shipped networks: {', '.join(networks.available())}", param, ctx)
        return path


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON with stable keys instead of text.")
csv_option = click.option("--csv", "as_csv", is_flag=True, help="Print the table as CSV (for a spreadsheet) instead of text.")

network_option = click.option(
    "--network",
    "network_path",
    type=NetworkType(),
    default=networks.DEFAULT,
    show_default=True,
    help="Shipped network name or path of a network file.",
)


def network_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add --network, --max-taps, --setting and --pretest; pass the loaded ``net``."""

    @network_option
    @click.option(
        "--max-taps",
        type=click.IntRange(1, MAX_TAPS),
        default=None,
        help=f"Number of CSF taps the network models (default from the file; at most {MAX_TAPS}).",
    )
    @click.option(
        "--setting",
        default=None,
        metavar="NAME",
        help="A documented population for the pre-test probability (see `lmbayes network show`).",
    )
    @click.option(
        "--pretest",
        type=FiniteRange(0.0, 1.0, min_open=True, max_open=True),
        default=None,
        metavar="P",
        help="Your own pre-test probability of LM, before any finding (0 < P < 1).",
    )
    @functools.wraps(f)
    def wrapper(network_path: Path, max_taps: int | None, setting: str | None, pretest: float | None, **kwargs: Any) -> Any:
        with reported():
            from lmbayes.network import load_network

            net = load_network(network_path, taps=max_taps, setting=setting, pretest=pretest)
        return f(net=net, **kwargs)

    return wrapper


def findings_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add -e NODE=STATE (repeatable) and --csf RESULTS; check them once against ``net`` and
    pass the :class:`~lmbayes.findings.Findings` value as ``findings``."""

    @click.option(
        "-e",
        "--evidence",
        "evidence",
        type=FindingType,
        multiple=True,
        help="A finding, e.g. -e mri=normal (repeatable; `lmbayes network show` lists nodes).",
    )
    @click.option(
        "--csf",
        default="",
        metavar="RESULTS",
        help=(
            "CSF cytology results in tap order, e.g. --csf negative,negative (neg, pos, equiv and the report's "
            "words accepted: atypical or suspicious = equivocal, malignant = positive); add a tap's technique "
            "after @, e.g. negative@5ml+45min."
        ),
    )
    @functools.wraps(f)
    def wrapper(net: Network, evidence: tuple[tuple[str, str], ...], csf: str, **kwargs: Any) -> Any:
        seen: dict[str, str] = {}
        for node, state in evidence:
            if node in seen:
                raise UserInputError(f"'{node}' is given twice (-e {node}={seen[node]} and -e {node}={state}); give it once")
            seen[node] = state
        results = split_csf(csf)
        if any(not r for r in results):
            raise UserInputError(f"empty result in --csf '{csf}': expected e.g. negative,negative")
        if results and net.spec.n_taps == 0:
            raise UserInputError(f"the network '{net.name}' declares no CSF taps; give results of its nodes with -e NODE=STATE")
        with reported():
            findings = net.observe(seen, results)
        return f(net=net, findings=findings, **kwargs)

    return wrapper


def query_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """The options of every query command: network, findings and --json; passes ``net`` and
    ``findings``, each made once."""
    return network_options(findings_options(json_option(f)))


#: A run expected to take longer than this many minutes is confirmed first (or needs --yes).
LONG_MINUTES = 1.0
#: The time of one parameter draw (measured: 10^6 draws of `taps --uncertainty` in 260 s and
#: 2 x 10^5 of `plan --uncertainty` in 59 s on a shared 2-core machine), for the estimate.
SECONDS_PER_DRAW = 3e-4


def confirm_cost(cost: str, minutes: float, fewer: str, confirmed: bool) -> None:
    """Ask before a run expected to take over :data:`LONG_MINUTES` (``cost`` says what and
    how long); without a terminal to answer, refuse it unless ``confirmed`` (--yes). ``fewer``
    is the option that asks for less, e.g. ``--draws 200,000``."""
    if confirmed or minutes <= LONG_MINUTES:
        return
    if not sys.stdin.isatty():
        raise UserInputError(f"{cost}; add --yes to run it, or ask for fewer (e.g. {fewer})")
    if not click.confirm(f"{cost}. Run it?", default=False, err=True):
        raise click.ClickException(f"not run; ask for fewer (e.g. {fewer}) or answer y")


def fewer(count: int, minutes: float) -> int:
    """A count that takes about :data:`LONG_MINUTES`, to two significant digits."""
    if minutes <= 0:
        return count
    return max(10, int(float(f"{count * LONG_MINUTES / minutes:.2g}")))


yes_option = click.option("--yes", "-y", "confirmed", is_flag=True,
                          help=f"Run what is expected to take over {LONG_MINUTES:g} minute without asking.")


def uncertainty_options(f: Callable[..., Any]) -> Callable[..., Any]:
    """Add --uncertainty, --draws, --seed and --yes; pass ``draws`` (``None`` without
    --uncertainty). Draws expected to take over a minute are confirmed first."""

    @click.option("--uncertainty", is_flag=True, help="Add the median and 95% interval of each P(LM) over parameter draws.")
    @click.option("--draws", type=click.IntRange(10, 1_000_000), default=2000, show_default=True, help="Number of parameter draws.")
    @click.option("--seed", type=click.IntRange(0), default=1, show_default=True, help="Seed of the draws, 0 or more (same seed, same output).")
    @yes_option
    @functools.wraps(f)
    def wrapper(uncertainty: bool, draws: int, seed: int, confirmed: bool, net: Any, **kwargs: Any) -> Any:
        sample = None
        if uncertainty:
            minutes = draws * SECONDS_PER_DRAW / 60
            confirm_cost(f"--draws {draws:,} takes about {minutes:,.0f} minutes (at {SECONDS_PER_DRAW * 1e3:g} ms a draw)",
                         minutes, f"--draws {fewer(draws, minutes):,}", confirmed)
            from lmbayes.uncertainty import draw_parameters

            with reported():
                net.require_target()
                sample = draw_parameters(net.spec, draws, seed)
        return f(net=net, draws=sample, seed=seed, **kwargs)

    return wrapper


def plot_option(f: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--plot",
        "plot_path",
        type=click.Path(dir_okay=False, writable=True),
        default=None,
        metavar="FILE.png",
        help="Also draw the picture to FILE (PNG, SVG or PDF; needs matplotlib).",
    )(f)


@contextmanager
def progress_bar(total: int, show: bool, unit: str = " patients") -> Iterator[Callable[[int], None] | None]:
    """A tqdm progress bar on stderr when ``show`` (its rate and the time left as it goes);
    yields its update function (or None)."""
    if not show:
        yield None
        return
    from tqdm import tqdm

    from lmbayes._escaping import unescaped

    with tqdm(total=total, unit=unit, unit_scale=True, leave=False, file=unescaped(sys.stderr)) as bar:
        yield bar.update


def report_problems(path: str, problems: list[str], as_json: bool) -> None:
    """What a file check found, every problem on its line (or JSON); exit 1 if any."""
    from lmbayes.cli import _format

    if as_json:
        click.echo(_format.dumps({"file": path, "ok": not problems, "problems": problems}))
    elif problems:
        click.echo("\n".join(map(printable, problems)))
        click.echo(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {printable(path)}", err=True)
    else:
        click.echo(f"{printable(path)}: no problems")
    if problems:
        sys.exit(1)
