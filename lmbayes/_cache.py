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
``LMBAYES_CACHE_DIR=""`` turns the cache off.

**Nothing in the cache can run code.** A kept value is one ``.npz`` file: numpy arrays and
one JSON text, read with ``allow_pickle=False``, and turned back into a value by a decoder
that knows every field (:mod:`lmbayes._stored`). As git's ``safe.directory`` and pip do, a
folder that another user owns, or that its group or anyone may write to, is not used (a
one-line note says why), and neither is a kept file that is not the user's own regular file;
a file that cannot be read or decoded, whatever it holds, is built again.
"""

from __future__ import annotations

import functools
import logging
import os
import stat
import sys
from collections.abc import Callable, Hashable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    import numpy as np

try:  # hashlib would load OpenSSL first (about 3 ms at every start-up)
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - CPython always has it
    from hashlib import blake2b

__all__ = ["cache_dir", "cached"]

T = TypeVar("T")

#: Changed when the layout of cached values changes in a way the code signature cannot see.
FORMAT = 3
SUFFIX = ".npz"
_log = logging.getLogger(__name__)


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
    an edited module writes new files), and the Python version."""
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
    """``KIND-SLOT-KEY.npz``: the slot names the file and the options (one value is kept
    per slot), the key everything the value depends on (the module docstring)."""
    where = (str(path.resolve()).encode(), repr(options).encode())
    return f"{kind}-{_digest(*where, size=8)}-{_digest(_code_signature(), *where, data)}{SUFFIX}"


Arrays = Mapping[str, "np.ndarray"]


def cached(
    path: Path,
    options: Hashable,
    build: Callable[[], T],
    *,
    encode: Callable[[T], Arrays],
    decode: Callable[[Arrays], T],
    kind: str = "network",
) -> T:
    """``build()``, or the value it returned for the same file content, path and options.

    ``encode`` turns a value into named arrays (no object arrays), ``decode`` turns them back
    (any exception it raises is a cache miss). ``path`` must exist (its content is part of
    the key); errors of ``build`` are raised and nothing is kept.
    """
    from lmbayes._text import read_file

    folder = cache_dir()
    try:
        data = read_file(path, limit=1 << 30)  # not a device: /dev/zero would never end
    except OSError:
        return build()  # build reports the missing or unreadable file in its own words
    if folder is None:
        return build()
    file = folder / file_name(path, data, options, kind)
    kept = _load(file)
    if kept is not None:
        try:
            return decode(kept)
        except Exception:  # written by another version, damaged, or not ours: built again
            pass
    value = build()
    try:
        unchanged = read_file(path, limit=1 << 30) == data
    except OSError:
        unchanged = False
    if unchanged and _safe_folder(folder, create=True):  # a file edited while being built is not kept
        try:
            arrays = encode(value)
        except Exception:  # a value the codec cannot write: not kept
            return value
        _store(file, arrays)
    return value


def _user() -> int | None:
    """The effective user id (None where there is none: Windows)."""
    return os.geteuid() if hasattr(os, "geteuid") else None


def _unsafe(st: os.stat_result) -> str:
    """Why a file or folder with this status is not to be trusted ("" if it is): owned by
    another user, or writable by its group or by anyone."""
    user = _user()
    if user is None:
        return ""
    if st.st_uid != user:
        return f"it belongs to another user (uid {st.st_uid})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "other users may write to it"
    return ""


@functools.cache
def _refused(folder: str, reason: str) -> None:
    """Say once per folder why it is not used (a note, not an error: the value is built)."""
    _log.warning("lmbayes: not using the cache folder %s: %s (use a folder of your own, "
                 "or chmod go-w it)", folder, reason)


def _safe_folder(folder: Path, *, create: bool = False) -> bool:
    """True if ``folder`` is a folder of the user's own that no one else may write to;
    created (readable by the user alone) when ``create`` and missing."""
    try:
        if create and not folder.exists():
            folder.mkdir(parents=True, mode=0o700, exist_ok=True)
        st = os.stat(folder)
    except (OSError, ValueError):
        return False
    if not stat.S_ISDIR(st.st_mode):
        return False
    reason = _unsafe(st)
    if reason:
        from lmbayes._text import printable

        _refused(printable(str(folder)), reason)
        return False
    return True


def _load(file: Path) -> dict[str, np.ndarray] | None:
    """The arrays kept in ``file``, or None: missing, unreadable, not an ``.npz`` of plain
    arrays, or not safe (not the user's own regular file, or in a folder others may write)."""
    if not _safe_folder(file.parent):
        return None
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0))
    except (OSError, ValueError):
        return None
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or _unsafe(st):
                return None
            import numpy as np

            with np.load(f, allow_pickle=False) as npz:
                return {name: npz[name] for name in npz.files}
    except Exception:  # a damaged file, another format, an object array: built again
        return None


def _store(file: Path, arrays: Arrays) -> None:
    """Write ``arrays`` to ``file`` atomically (readable by the user alone), or not at all
    (read-only, full, ...)."""
    import tempfile

    import numpy as np

    if any(np.asarray(a).dtype.hasobject for a in arrays.values()):
        return  # an object array would be a pickle: never written
    try:
        fd, temp = tempfile.mkstemp(dir=file.parent, prefix=".building-", suffix=SUFFIX)
        try:
            with os.fdopen(fd, "wb") as f:
                np.savez(f, **arrays)  # type: ignore[arg-type]
            os.replace(temp, file)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except (OSError, ValueError, TypeError):
        return  # no cache this time: the value was built and is returned all the same
    slot = file.name.rsplit("-", 1)[0]
    for old in [*file.parent.glob(f"{slot}-*{SUFFIX}"), *file.parent.glob(f"{slot}-*.pickle")]:
        if old != file:  # the same file before an edit, older code, or an old pickle
            try:
                old.unlink(missing_ok=True)
            except OSError:  # another user's, say: left where it is
                pass
