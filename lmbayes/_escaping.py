"""The output boundary: whatever a command writes reaches the terminal as text, never as control.

Names, labels and notes are escaped when a file is read (:func:`lmbayes._text.printable`); this
is the second line, at the last moment, for everything else a command prints (a file name from
the command line, a cohort's header, a value no one thought of). :class:`EscapingStream` wraps
standard output and standard error for the length of a command: every control character but the
line break and the tab, the bidirectional overrides, the line and paragraph separators and lone
surrogates are written as ``\\uXXXX`` (a valid escape inside a JSON string too). The colours
lmbayes itself adds (SGR sequences such as ``ESC[33m``) pass on a terminal that shows colour;
an SGR sequence in a file's text was already escaped when the file was read.

CSV cells a spreadsheet would run as formulas are neutralised where the CSV is written
(:func:`lmbayes._text.spreadsheet_cell`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["EscapingStream", "escaped", "escaping", "unescaped"]

_UNSAFE = "\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ud800-\udfff"
_ANY = re.compile(f"[{_UNSAFE}]")
_WITH_COLOUR = re.compile(f"(\x1b\\[[0-9;]{{0,16}}m)|[{_UNSAFE}]")


def _escape(c: str) -> str:
    return f"\\u{ord(c):04x}"


def escaped(text: str, colour: bool = False) -> str:
    """``text`` with its control characters escaped; with ``colour``, SGR sequences kept.

    >>> escaped("a\\x1b[2Jb\\r\\u202e\\n\\tc")
    'a\\\\u001b[2Jb\\\\u000d\\\\u202e\\n\\tc'
    >>> escaped("\\x1b[33mwarn\\x1b[0m", colour=True) == "\\x1b[33mwarn\\x1b[0m"
    True
    """
    if colour:
        return _WITH_COLOUR.sub(lambda m: m.group(0) if m.group(1) else _escape(m.group(0)), text)
    return _ANY.sub(lambda m: _escape(m.group(0)), text)


class EscapingStream:
    """A text stream that escapes what is written to it (see the module docstring); everything
    else (``isatty``, ``encoding``, ``flush``) is the wrapped stream's."""

    def __init__(self, stream: TextIO, colour: bool) -> None:
        self.unescaped = stream
        self._colour = colour

    def write(self, text: Any) -> int:
        if isinstance(text, (bytes, bytearray)):  # click writes bytes (shell completion) as text here
            if not text:  # click's probe for a binary stream: answer as a text stream does
                raise TypeError("write() argument must be str, not bytes")
            text = bytes(text).decode(getattr(self.unescaped, "encoding", None) or "utf-8", errors="replace")
        if isinstance(text, str):
            text = escaped(text, self._colour)
        return self.unescaped.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        if name == "buffer":  # no way around the escaping (click writes bytes to a buffer it finds)
            raise AttributeError(name)
        return getattr(self.unescaped, name)


def unescaped(stream: Any) -> Any:
    """The stream under an :class:`EscapingStream` (for a progress bar's own control
    characters), or ``stream`` itself."""
    return getattr(stream, "unescaped", stream) if isinstance(stream, EscapingStream) else stream


@contextmanager
def escaping() -> Iterator[None]:
    """Standard output and standard error escaped while inside (the colours lmbayes adds kept
    where it adds them: a terminal, ``NO_COLOR`` unset)."""
    import os

    out, err = sys.stdout, sys.stderr
    if isinstance(out, EscapingStream) or out is None or err is None:
        yield
        return
    colour = not os.environ.get("NO_COLOR")
    sys.stdout = EscapingStream(out, colour and _isatty(out))
    sys.stderr = EscapingStream(err, colour and _isatty(err))
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False
