"""The shipped case files, discovered by name: ``seed_case`` is ``seed_case.yaml`` here.

>>> "seed_case" in available()
True
"""

from __future__ import annotations

from pathlib import Path

from lmbayes.networks import yaml_files

__all__ = ["available"]


def available() -> dict[str, Path]:
    """Shipped case names and their files (read by :func:`lmbayes.cases.load_case`)."""
    return yaml_files(Path(__file__).parent)
