"""The network commands: show, draw, nodes, copy, list, check, export, audit."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from lmbayes import networks
from lmbayes._text import printable
from lmbayes.cli import _format, _format_network
from lmbayes.cli._words import EPILOG
from lmbayes.cli._options import (
    report_problems,
    UserInputError,
    json_option,
    network_option,
    network_options,
    reported,
)

if TYPE_CHECKING:
    from lmbayes.network import Network


@click.group(epilog=EPILOG)
def network() -> None:
    """Inspect network files."""


@network.command("show", epilog=EPILOG)
@network_options
@json_option
def show(net: Network, as_json: bool) -> None:
    """Nodes, states, parameters with sources and ranges, and the cytology calibration."""
    click.echo(_format_network.show_json(net) if as_json else _format_network.show_text(net))


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
    click.echo(_format_network.nodes_text(net))


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

        def write(temporary: Path) -> None:
            temporary.write_text(text, encoding="utf-8")

        write_atomically(target(output, "network file", (".yaml", ".yml")), write)
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

    PATH is a network file, or the name of a shipped network (`lmbayes network list`) when no
    file of that name exists. Exits 0 when the file is clean, 1 when it has problems.
    """
    from lmbayes._loader import check_spec

    shipped = networks.available()
    if path in shipped and not Path(path).exists():
        path = str(shipped[path])
    problems = check_spec(path)
    report_problems(path, problems, as_json)


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
    if Path(output).resolve() == Path(net.spec.path).resolve():
        raise UserInputError(f"'{printable(output)}' is the network file read; name a new file for the export")
    with reported():
        write_model(net.tables, fmt, output)
    click.echo(f"wrote {printable(output)} ({fmt})")


@network.command("audit", epilog=EPILOG)
@network_option
@click.option("--n", "patients", type=click.IntRange(100, 1_000_000), default=20_000, show_default=True,
              help="Patients drawn from the network (half with LM, weighted back to its prior).")
@click.option("--seed", type=click.IntRange(0), default=1, show_default=True,
              help="Seed of the random draw (same seed, same table).")
@click.option("--population", type=click.Choice(["suspected", "all"]), default="suspected", show_default=True,
              help="Keep the patients with at least one sign (as the published models' patients), or all.")
@json_option
def audit(network_path: Path, patients: int, seed: int, population: str, as_json: bool) -> None:
    """Draw a cohort from the network and set its AUC of P(LM) at each stage of the workup
    beside the published models' (Gao 2022, Rilinger 2026); flag every stage where the network
    is more (or less) certain than the published data. See docs/audit.md.
    """
    from lmbayes.audit import audit as run_audit
    from lmbayes.cli._audit import audit_json, audit_text
    from lmbayes.network import load_network

    with reported():
        result = run_audit(load_network(network_path), patients=patients, seed=seed, population=population)
    click.echo(_format.dumps(audit_json(result)) if as_json else audit_text(result))


# One line each in the group's --help (click would cut the docstrings' first sentences).
for _command, _short in {
    show: "Nodes, parameters with sources and ranges, calibration.",
    list_networks: "The shipped networks, one line each.",
    nodes: "The nodes a finding can name, with their states.",
    copy_network: "Copy a shipped network file to edit it.",
    check: "Check a network file: every problem, with its line.",
    export: "Write the network for another tool (BIF, XMLBIF, NET, UAI, XDSL).",
    draw: "Draw the network: DOT text or a picture.",
    audit: "AUC at each workup stage beside the published models.",
}.items():
    _command.short_help = _short
