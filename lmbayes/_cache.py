"""Built networks kept between runs, keyed by the content of their file.

Reading a network file costs more than the query it serves: YAML parsing, checking, solving
the tap calibration and building the tables (about 40 ms for ``breast.yaml``), or pgmpy's BIF
parser (seconds). :func:`cached` keeps the built value in the user's cache folder under a key
made of

* the file's content (BLAKE2b; the file is read on every call, so an edited file, even one
  whose size and time stamp are unchanged, gets a new key: a stale network is never served),
* its resolved path (outputs name the file),
* the options that change the result (taps, setting, pre-test), and
* lmbayes's own code (the size and time of every module file), so that a cached
  value never outlives the code that built it.

One value is kept per file path and options: writing a new one (after an edit, or an upgrade
of lmbayes) removes the one it replaces, so the folder does not grow with every edit.

A cache folder that cannot be created, read or written (a read-only home, a full disk) is
not an error: the value is built as without a cache. ``LMBAYES_CACHE_DIR`` chooses the folder;
``LMBAYES_CACHE_DIR=""`` turns the cache off. The values are pickles written by lmbayes into a
folder of the user's own, and read only from there.
"""

from __future__ import annotations

import copyreg
import functools
import os
import pickle
import sys
from collections.abc import Callable, Hashable
from pathlib import Path
from types import MappingProxyType
from typing import TypeVar

try:  # hashlib would load OpenSSL first (about 3 ms at every start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

__all__ = ["cache_dir", "cached"]

T = TypeVar("T")

#: Changed when the layout of cached values changes in a way the code signature cannot see.
FORMAT = 1


def _mapping_proxy(d: dict) -> MappingProxyType:
    return MappingProxyType(d)


copyreg.pickle(MappingProxyType, lambda m: (_mapping_proxy, (dict(m),)))


def cache_dir() -> Path | None:
    """The folder of built networks, or None when turned off (``LMBAYES_CACHE_DIR=""``) or
    when there is no home folder to put it in.

    ``LMBAYES_CACHE_DIR`` if set; else the platform's user cache folder: ``$XDG_CACHE_HOME``
    or ``~/.cache`` on Linux, ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows
    (what platformdirs computes, without its 4 ms of imports at every start-up).
    """
    chosen = os.environ.get("LMBAYES_CACHE_DIR")
    if chosen is not None:
        return Path(chosen) if chosen else None
    try:
        if sys.platform == "win32":
            base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        elif sys.platform == "darwin":
            base = str(Path.home() / "Library" / "Caches")
        else:
            base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    except (RuntimeError, KeyError, OSError):  # no home folder (no HOME, no passwd entry)
        return None
    return Path(base) / "lmbayes"


@functools.cache
def _code_signature() -> bytes:
    """The name, size and modification time of each of lmbayes's modules (a new release or
    an edited module writes new files), and the Python version (pickles of numpy arrays)."""
    here = Path(__file__).parent
    stats = {e.name: e.stat() for e in os.scandir(here) if e.name.endswith(".py")}
    entries = sorted((name, st.st_size, st.st_mtime_ns) for name, st in stats.items())
    return repr((FORMAT, sys.version_info[:2], entries)).encode()


def _digest(*parts: bytes, size: int = 20) -> str:
    h = blake2b(digest_size=size)
    for part in parts:
        h.update(len(part).to_bytes(8, "little"))
        h.update(part)
    return h.hexdigest()


def file_name(path: Path, data: bytes, options: Hashable, kind: str = "network") -> str:
    """``KIND-SLOT-KEY.pickle``: the slot names the file and the options (one value is kept
    per slot), the key everything the value depends on (the module docstring)."""
    where = (str(path.resolve()).encode(), repr(options).encode())
    return f"{kind}-{_digest(*where, size=8)}-{_digest(_code_signature(), *where, data)}.pickle"


def cached(path: Path, options: Hashable, build: Callable[[], T], *, kind: str = "network") -> T:
    """``build()``, or the value it returned for the same file content, path and options.

    ``path`` must exist (its content is part of the key); errors of ``build`` are raised and
    nothing is kept.
    """
    folder = cache_dir()
    try:
        data = path.read_bytes()
    except OSError:
        return build()  # build reports the missing or unreadable file in its own words
    if folder is None:
        return build()
    file = folder / file_name(path, data, options, kind)
    try:
        with open(file, "rb") as f:
            return pickle.load(f)
    except Exception:  # none yet, or damaged: built (again) and written below
        pass
    value = build()
    try:
        unchanged = path.read_bytes() == data
    except OSError:
        unchanged = False
    if unchanged:  # a file edited while it was being built is not kept under its old content
        _store(file, value)
    return value


def _store(file: Path, value: object) -> None:
    """Write ``value`` to ``file`` atomically, or not at all (read-only, full, ...)."""
    import tempfile

    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=".building-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, file)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        return  # no cache this time: the value was built and is returned all the same
    slot = file.name.rsplit("-", 1)[0]
    for old in file.parent.glob(f"{slot}-*.pickle"):  # the same file before an edit, or older code
        if old != file:
            try:
                old.unlink(missing_ok=True)
            except OSError:  # another user's, say: left where it is
                pass
