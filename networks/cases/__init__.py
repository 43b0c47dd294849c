"""The shipped case files, discovered by name: ``seed_case`` is ``seed_case.yaml`` here.

>>> "seed_case" in available()
True
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["available"]


def available() -> dict[str, Path]:
    """Shipped case names and their files (read by :func:`lmbayes.cases.load_case`)."""
    folder = Path(__file__).parent  # installed as files (importlib.resources would load zipfile)
    return {entry.stem: entry for entry in sorted(folder.iterdir()) if entry.suffix in (".yaml", ".yml")}
