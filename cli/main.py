"""The ``lmbayes`` command: parse options, call one library function, format the result.

The commands live in modules of their own and load only when called (click's lazily loaded
subcommands): `lmbayes taps` builds one command, and `lmbayes --help` none, only the one-line
summaries below (a test holds them to the commands' own).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from lmbayes._text import printable
from lmbayes.cli._interrupt import interrupted
from lmbayes.cli._words import DISCLAIMER

HELP = f"""Probability of leptomeningeal metastasis (LM) from signs, MRI and serial CSF taps.

{DISCLAIMER} Every number comes from the network file, with its source
or flagged as a judgement: see `lmbayes network show`.

\b
Examples:
  lmbayes taps -e systemic_status=active_recurrence -e mri=normal --csf neg,neg
  lmbayes posterior -e cranial_nerve_palsy=present -e limb_weakness=present
  lmbayes network show
"""

_QUERY, _TEACH, _NETWORK = "lmbayes.cli._query_commands", "lmbayes.cli._teaching_commands", "lmbayes.cli._network_commands"
_COHORT = "lmbayes.cli._cohort_commands"

#: Each command: the module that defines it, and its line in `lmbayes --help`.
COMMANDS: dict[str, tuple[str, str]] = {
    "posterior": (_QUERY, "P(LM) and the competing causes now, with their priors."),
    "taps": (_QUERY, "How each further lumbar puncture would move P(LM)."),
    "plan": (_QUERY, "Which test next, how many more taps, when to stop."),
    "sensitivity": (_QUERY, "How far each uncertain number moves P(LM) (tornado)."),
    "simulate": (_QUERY, "Patients like this one through workup strategies, per 1,000."),
    "replay": (_TEACH, "Replay a case step by step; --step asks the class first."),
    "explain": (_TEACH, "Each finding's share of P(LM), in context and order-free."),
    "dependence": (_TEACH, "Why repeated negative taps are worth less than a nomogram says."),
    "validate": (_COHORT, "Check P(LM) against a cohort: calibration, AUC, Brier."),
    "fit": (_COHORT, "Update the network's numbers from a cohort (new network file)."),
    "network": (_NETWORK, "Show, list, check, export and draw networks."),
    "case": (_TEACH, "List and check case files for replay."),
}


class OneLineErrors(click.Group):
    """click, but every error is one line (control characters escaped): a usage error says
    where help is (exit 2); running out of memory says what to ask for less of (exit 1);
    Ctrl-C ends with exit code 130 and no traceback. Commands load when called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        command = getattr(importlib.import_module(COMMANDS[name][0]), name)
        command.short_help = COMMANDS[name][1]
        return command

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """click's, with the closest commands named when the typed one is unknown (click finds
        them in ``self.commands``, which a lazy group leaves empty)."""
        name = args[0] if args else ""
        if args and name not in COMMANDS and not name.startswith("-") and not ctx.resilient_parsing:
            import difflib

            close = difflib.get_close_matches(name, COMMANDS)
            hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from :data:`COMMANDS`, without loading any command."""
        with formatter.section("Commands"):
            formatter.write_dl([(name, COMMANDS[name][1]) for name in self.list_commands(ctx)])

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """click's, inside :func:`~lmbayes._escaping.escaping` (every output escaped)."""
        from lmbayes._escaping import escaping

        with escaping():
            return self._main(*args, standalone_mode=standalone_mode, **kwargs)

    def _main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        run: Any = super().main  # click's overloads do not admit a forwarded *args
        if not standalone_mode:
            return run(*args, standalone_mode=False, **kwargs)
        try:
            run(*args, standalone_mode=False, **kwargs)
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
        except ValueError as exc:  # os functions refuse a path with NUL (not typable in a shell)
            if "null byte" not in str(exc) and "null character" not in str(exc):
                raise
            click.echo("Error: a file name holds a NUL character (\\x00); give the name without it", err=True)
            sys.exit(2)
        except OSError as exc:
            import errno

            if exc.errno not in (errno.EPIPE, errno.EIO, errno.ENXIO, errno.EBADF):
                raise
            _output_closed()
        except MemoryError:
            from lmbayes.cli._options import out_of_memory

            click.echo(f"Error: {out_of_memory()}", err=True)
            sys.exit(1)
        sys.exit(0)


def _output_closed() -> None:
    """The terminal or the pipe closed (the reader went away): one line if stderr is still
    there, no traceback, exit 1; later writes go nowhere (no second error while ending)."""
    import os

    try:
        sys.stderr.write("Error: the output was closed before the command finished\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    from lmbayes._escaping import unescaped

    if unescaped(sys.stdout) is sys.__stdout__:  # the process's own (not a test's capture)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())  # Python's flush at exit writes nowhere
        except (OSError, ValueError, AttributeError):
            pass
    sys.exit(1)


@click.group(
    cls=OneLineErrors,
    help=HELP,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="lmbayes")
def cli() -> None:
    pass


def __getattr__(name: str) -> Any:
    """``from lmbayes.cli.main import taps`` still gives the command (its module loads)."""
    if name in COMMANDS:
        return getattr(importlib.import_module(COMMANDS[name][0]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
