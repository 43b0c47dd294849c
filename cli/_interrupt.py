"""Ctrl-C: how the command ends when interrupted (imports nothing heavy, so that it works while
numpy and click are still loading)."""

from __future__ import annotations

import sys

__all__ = ["interrupted"]


def interrupted(newline: bool = False) -> None:
    """End after Ctrl-C: one line on stderr (after a line break that closes the terminal's
    ``^C``, unless one was written), exit code 130 (128 + SIGINT), no traceback.

    It changes no signal handler: the application also runs inside other programs (a test's
    CliRunner, a notebook), which keep their own Ctrl-C.
    """
    try:
        sys.stderr.write("\nInterrupted.\n" if newline else "Interrupted.\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    sys.exit(130)
