"""The shipped network files, discovered by name: ``breast`` is ``breast.yaml`` here.

>>> "breast" in available()
True
"""

from __future__ import annotations

from pathlib import Path

from lmbayes.errors import NetworkFileError, did_you_mean

__all__ = [
    "DEFAULT", "FOREIGN", "IMPORTED", "READERS", "WRITERS", "available", "describe", "imported_format", "resolve", "sniff", "yaml_files",
]  # fmt: skip

#: The network used when none is named.
DEFAULT = "breast"
#: Formats of other tools that lmbayes reads (lmbayes._bif): suffix -> format. A file is read by
#: its content where that is clear (pyAgrum names XMLBIF ``.bifxml``), by its suffix otherwise.
READERS = {".bif": "bif", ".xmlbif": "xmlbif", ".xml": "xmlbif", ".bifxml": "xmlbif"}
#: Formats of other tools that lmbayes writes (through pgmpy): format -> pgmpy writer.
WRITERS = {"bif": "BIFWriter", "xmlbif": "XMLBIFWriter", "net": "NETWriter", "uai": "UAIWriter", "xdsl": "XDSLWriter"}
#: Suffixes of files lmbayes reads from other tools.
IMPORTED = tuple(READERS)
#: Suffixes of every other tool's format lmbayes knows (read or written).
FOREIGN = tuple(dict.fromkeys((*IMPORTED, *(f".{f}" for f in WRITERS))))


def available() -> dict[str, Path]:
    """Shipped network names and their files."""
    return yaml_files(Path(__file__).parent)


def yaml_files(folder: Path) -> dict[str, Path]:
    """The YAML files of a folder shipped with lmbayes, by name (installed as files, so no
    importlib.resources, which would load zipfile at every start-up)."""
    return {entry.stem: entry for entry in sorted(folder.iterdir()) if entry.suffix in (".yaml", ".yml")}


def resolve(name_or_path: str | Path) -> Path:
    """The file of a shipped network name, or ``name_or_path`` itself if it is a path."""
    shipped = available()
    text = str(name_or_path)
    if text in shipped:
        return shipped[text]
    if text.lower() in shipped and not Path(text).exists():
        return shipped[text.lower()]
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml", *IMPORTED) or path.exists() or "/" in text:
        return path
    raise NetworkFileError(
        f"unknown network '{text}'{did_you_mean(text, shipped)}; shipped networks: "
        f"{', '.join(shipped)}, or give the path of a network file"
    )


def sniff(path: Path) -> str | None:
    """``"bif"`` or ``"xmlbif"`` when the file's first characters say so (``<``, or
    ``network ... {`` after any comments), else None. Only a regular file is opened: a pipe or
    a device would be read forever."""
    import re

    try:
        if not path.is_file():
            return None
        with open(path, "rb") as handle:
            head = handle.read(4096).decode("utf-8", errors="replace")
    except OSError:
        return None
    if head.lstrip("\ufeff \t\r\n").startswith("<"):
        return "xmlbif"
    if re.match(r"\A\ufeff?(?:\s+|//[^\n]*|/\*.*?\*/)*network\b[^:{]*\{", head, re.DOTALL):
        return "bif"
    return None


def imported_format(path: Path) -> str | None:
    """``"bif"`` or ``"xmlbif"`` when ``path`` is another tool's network file, by its content
    first (:func:`sniff`), then by its suffix; None for a lmbayes (YAML) file."""
    suffix = path.suffix.lower()
    if suffix in FOREIGN and suffix not in READERS:  # a format lmbayes writes, not reads
        return None
    return sniff(path) or READERS.get(suffix)


def describe() -> dict[str, str]:
    """Each shipped network's one-line title, read from its file without checking it."""
    import re

    titles = {}
    for name, path in available().items():
        match = re.search(r"^title:\s*(.+)$", path.read_text(encoding="utf-8"), re.M)
        titles[name] = match[1].strip() if match else ""
    return titles
