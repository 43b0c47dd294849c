"""Text from files made safe to show: control characters escaped, long values cut.

A YAML double-quoted string can hold any character (``"\\a"`` is a bell, ``"\\r"`` a carriage
return that rewrites the terminal line, ``"\\u202e"`` reverses the text after it). Names,
labels and titles are read through :func:`printable`, so that every output (the terminal, JSON,
DOT, pictures) shows such a character as its escape instead of obeying it.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

__all__ = ["NotReadable", "decimal", "printable", "read_file", "shown", "spreadsheet_cell"]

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Bidirectional overrides and isolates: not controls (Cf), but they reorder what follows.
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str, keep: str = "") -> str:
    """``text`` with every control character but those in ``keep`` written as its escape.

    >>> printable("LM\\a after\\rbreast"), printable("two\\nlines", keep="\\n")
    ('LM\\\\x07 after\\\\rbreast', 'two\\nlines')
    >>> printable("\\u202eevil")
    '\\\\u202eevil'
    """
    if text.isprintable():
        return text
    return "".join(
        c if c in keep or not (unicodedata.category(c) == "Cc" or c in _BIDI) else _escape(c)
        for c in text
    )


def _escape(c: str) -> str:
    if c in _NAMED:
        return _NAMED[c]
    return f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"


def shown(value: object, limit: int = 40) -> str:
    """A value as an error message quotes it: its repr (text quoted, escaped), cut to ``limit``.

    >>> shown("abc"), shown(2.5), shown("x" * 100)
    ("'abc'", '2.5', "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...")
    """
    text = printable(repr(value) if isinstance(value, str) else str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."


_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", flags=re.ASCII)
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def decimal(text: str) -> float | None:
    """``text`` as a number if it is written as people write one: ASCII digits with at most
    one decimal point, perhaps a sign; else None. Python's ``float`` would also read ``1_0`` (as 10), digits
    of other scripts, ``1e3``, ``inf`` and ``nan``.

    >>> decimal("12.5"), decimal(" 30 "), decimal("1_0"), decimal("\u0661\u0660"), decimal("1e3"), decimal("nan")
    (12.5, 30.0, None, None, None, None)
    """
    text = text.strip()
    return float(text) if _DECIMAL.fullmatch(text) else None
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as written: text beginning with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return gets a leading apostrophe (OWASP's advice against CSV
    injection); numbers, negative ones included, stay numbers.

    >>> [spreadsheet_cell(v) for v in ("=1+1", "-0.25", -0.25, "@SUM(A1)", "lm", None)]
    ["'=1+1", '-0.25', -0.25, "'@SUM(A1)", 'lm', None]
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


#: The largest network, case or guesses file read (the shipped networks are about 30 kB).
TEXT_LIMIT = 16 << 20


class NotReadable(OSError):
    """A file that is not read: not a regular file (a device, a pipe), or too large."""

    def __str__(self) -> str:
        return str(self.strerror)


def read_file(path: str | Path, limit: int = TEXT_LIMIT) -> bytes:
    """The bytes of the regular file at ``path``, at most ``limit`` of them; a
    :class:`NotReadable` (an ``OSError``) for a device, a pipe or a larger file, which would
    never end or fill the memory (``/dev/zero``), and the usual ``OSError`` otherwise."""
    import errno
    import os
    import stat

    st = os.stat(path)
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, "a folder, not a file", str(path))
    if not stat.S_ISREG(st.st_mode):
        raise NotReadable(errno.EINVAL, "not a regular file (a device or a pipe)")
    if st.st_size > limit:
        raise NotReadable(errno.EFBIG, f"{st.st_size / 2**20:,.0f} MiB, more than the {limit / 2**20:,.0f} MiB read")
    parts, size = [], 0
    with open(path, "rb") as f:  # a megabyte at a time: read(limit) would reserve all of it
        while chunk := f.read(1 << 20):
            parts.append(chunk)
            size += len(chunk)
            if size > limit:  # grown since its size was read
                raise NotReadable(errno.EFBIG, f"more than the {limit / 2**20:,.0f} MiB read")
    return b"".join(parts)
