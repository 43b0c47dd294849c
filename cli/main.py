"""The ``lmbayes`` command: parse options, call one library function, format the result."""

from __future__ import annotations

from collections.abc import Sequence

import click

from lmbayes.cli import _format
from lmbayes.cli._options import json_option, network_options, query_options, reported
from lmbayes.network import Network

HELP = f"""Probability of leptomeningeal metastasis (LM) from signs, MRI and serial CSF taps.

{_format.DISCLAIMER} Every number comes from the network file, with its source
or flagged as a judgement: see `lmbayes network show`.

\b
Examples:
  lmbayes taps -e systemic_status=active_recurrence -e mri=normal --csf neg,neg
  lmbayes posterior -e cranial_nerve_palsy=present -e limb_weakness=present
  lmbayes network show
"""


@click.group(help=HELP, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="lmbayes")
def cli() -> None:
    pass


EPILOG = f"{_format.DISCLAIMER} Sources of every number: `lmbayes network show`."


@cli.command(epilog=EPILOG)
@query_options
def posterior(net: Network, evidence: dict[str, str], csf: Sequence[str], as_json: bool) -> None:
    """P(LM) and the competing causes given the findings, with their priors."""
    with reported():
        post = net.posterior(evidence, csf=csf)
    click.echo(_format.posterior_json(net, post) if as_json else _format.posterior_text(net, post))


@cli.command(epilog=EPILOG)
@query_options
def taps(net: Network, evidence: dict[str, str], csf: Sequence[str], as_json: bool) -> None:
    """How each further lumbar puncture would move P(LM).

    For each further tap: P(it is positive), P(LM) if it is positive, P(LM) if it and every
    tap before it are negative, the change and the likelihood ratio that negative tap applies,
    and P(LM) if taps were independent tests (the Fagan-nomogram view, which overstates what
    repeated negatives rule out).
    """
    with reported():
        findings = net.findings(evidence, csf)
        table = net.taps(evidence, csf=csf)
    click.echo(_format.taps_json(net, findings, table) if as_json else _format.taps_text(net, findings, table))


@cli.group(epilog=EPILOG)
def network() -> None:
    """Inspect network files."""


@network.command("show", epilog=EPILOG)
@network_options
@json_option
def show(net: Network, as_json: bool) -> None:
    """Nodes, states, parameters with sources and ranges, and the cytology calibration."""
    click.echo(_format.show_json(net) if as_json else _format.show_text(net))
