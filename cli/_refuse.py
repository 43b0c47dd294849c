"""Options that would have no effect are refused, in one line, with exit code 2.

An option given on the command line is read as a wish: one that the rest of the line makes
pointless (``--strategy`` when ``--cohort`` writes a file, ``--draws`` without
``--uncertainty``, ``--csv`` beside ``--json``) is an error, not silence. An option that never
has an effect on a command is not offered by it at all.
"""

from __future__ import annotations

import click
from click.core import ParameterSource

from lmbayes.cli._options import UserInputError


def given(name: str) -> bool:
    """Whether the option with parameter name ``name`` was typed (not left at its default)."""
    ctx = click.get_current_context()
    return ctx.get_parameter_source(name) in (ParameterSource.COMMANDLINE, ParameterSource.ENVIRONMENT, ParameterSource.PROMPT)


def no_effect(option: str, reason: str, fix: str | None = None) -> UserInputError:
    """The one-line error for ``option`` having no effect: why, and what to do instead."""
    return UserInputError(f"{option} has no effect {reason}: {fix or 'drop ' + option}")


def one_format(as_json: bool, as_csv: bool) -> None:
    """``--csv`` and ``--json`` together: one output format only."""
    if as_json and as_csv:
        raise UserInputError("--csv and --json are two output formats: give one of them")
