"""Writing output files: to a checked target, atomically.

Every file lmbayes writes is checked first (:func:`target`): the name the user gave, never a
file lmbayes ships (its package, the shipped networks and cases, the documentation of a source
checkout), not even through a symbolic link.

Every file lmbayes writes (a picture, DOT text, a network for another tool) is written to a
temporary file in the target's folder and renamed over the target only once complete
(:func:`os.replace`, atomic on POSIX and Windows). A failure halfway (a full disk, an error
while drawing, Ctrl-C) leaves any existing file as it was, and no temporary file behind.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from lmbayes._text import printable
from lmbayes.errors import InputError, LmbayesError

__all__ = ["OutputError", "target", "write_atomically"]


class OutputError(LmbayesError):
    """An output file cannot be written (the folder is missing or read-only, the disk full)."""


def target(path: str | Path, what: str, suffixes: Sequence[str] = ()) -> Path:
    """``path`` checked as the name of a file to write: not empty, not a folder or a device,
    with one of ``suffixes`` (if any); an :class:`~lmbayes.errors.InputError` otherwise.

    >>> target("", "picture")
    Traceback (most recent call last):
    lmbayes.errors.InputError: no file name given for the picture
    >>> target("/dev/null", "picture")
    Traceback (most recent call last):
    lmbayes.errors.InputError: '/dev/null' is not a regular file; give the name of a file to write the picture to
    """
    text = str(path)
    if not text.strip():
        raise InputError(f"no file name given for the {what}")
    checked = Path(text)
    if suffixes and checked.suffix.lower() not in suffixes:
        raise InputError(
            f"unknown {what} type for '{printable(text)}': use {', '.join(suffixes[:-1])} or {suffixes[-1]}"
            if len(suffixes) > 1 else f"a {what} file ends in {suffixes[0]}"
        )
    if checked.exists() and not checked.is_file():
        raise InputError(f"'{printable(text)}' is not a regular file; give the name of a file to write the {what} to")
    refuse_shipped(checked, what)
    return checked


def shipped_folders() -> tuple[Path, ...]:
    """The folders of what lmbayes ships, resolved: its package (the networks and cases inside
    it once installed), and in a source checkout the networks, the command line and the docs."""
    import importlib.util

    import lmbayes

    package = Path(str(lmbayes.__file__)).parent
    folders = {Path(os.path.realpath(package))}
    for name in ("lmbayes.cli", "lmbayes.networks"):  # found, not imported (the command line imports this)
        found = importlib.util.find_spec(name)
        if found is not None:
            folders.update(Path(os.path.realpath(p)) for p in found.submodule_search_locations or ())
    checkout = Path(os.path.realpath(package.parent))
    if (checkout / "pyproject.toml").is_file() and (checkout / "networks").resolve() in folders:
        folders.add(checkout / "docs")
    return tuple(sorted(folders))


def refuse_shipped(path: str | Path, what: str) -> None:
    """An :class:`~lmbayes.errors.InputError` if writing ``path`` (a file or a folder) would
    write into lmbayes's own files (:func:`shipped_folders`), followed through links."""
    real = Path(os.path.realpath(path))
    for folder in shipped_folders():
        if real == folder or folder in real.parents:
            raise InputError(
                f"'{printable(str(path))}' is among the files lmbayes ships ({printable(str(folder))}), which are "
                f"never overwritten; write the {what} to a folder of your own"
            )


def write_atomically(path: str | Path, write: Callable[[Path], None]) -> Path:
    """Call ``write`` with a temporary path beside ``path``, then rename it to ``path``.

    The new file gets the permissions of the file it replaces, or the usual ones for a new
    file (0666 less the umask). An :class:`OSError` becomes an :class:`OutputError`; any
    exception (KeyboardInterrupt included) removes the temporary file and leaves ``path`` as
    it was.
    """
    path = Path(path)
    final = Path(os.path.realpath(path)) if path.is_symlink() else path  # replace the file, keep the link
    try:
        fd, name = tempfile.mkstemp(dir=final.parent, prefix=f".{final.name[:100]}.", suffix=f".tmp{final.suffix[:20]}")
    except OSError as exc:
        raise OutputError(f"cannot write {printable(str(path))}: {exc.strerror or exc}") from None
    os.close(fd)
    temporary = Path(name)
    try:
        write(temporary)
        os.chmod(temporary, _mode(final))
        os.replace(temporary, final)
    except OSError as exc:
        _remove(temporary)
        raise OutputError(f"cannot write {printable(str(path))}: {exc.strerror or exc}") from None
    except BaseException:
        _remove(temporary)
        raise
    return path


def _mode(path: Path) -> int:
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()
