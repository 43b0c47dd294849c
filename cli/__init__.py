"""The ``lmbayes`` command-line application (installed as ``lmbayes.cli``).

:func:`main` is the installed ``lmbayes`` command and ``python -m lmbayes``. It imports the
application itself, so that a Ctrl-C while numpy and click load ends as quietly as one later.
"""

from __future__ import annotations

from lmbayes.cli._interrupt import interrupted


def main() -> None:
    """Run the ``lmbayes`` command; Ctrl-C at any moment ends it with exit code 130."""
    import signal

    try:
        from lmbayes.cli.main import cli

        # from here on Ctrl-C is a KeyboardInterrupt again, which the commands handle
        # (lmbayes/__init__.py ended the process directly while the modules loaded)
        signal.signal(signal.SIGINT, signal.default_int_handler)

        cli(prog_name="lmbayes")
    except KeyboardInterrupt:  # while the modules load, or a second Ctrl-C while ending
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # this process is ending: a third changes nothing
        interrupted(newline=True)
