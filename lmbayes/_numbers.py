"""How probabilities are written in text."""

from __future__ import annotations

__all__ = ["percent"]


def percent(p: float) -> str:
    """A probability as a percentage with sensible precision.

    >>> percent(0.4123), percent(0.0126), percent(0.00042), percent(1.0)
    ('41.2%', '1.3%', '0.042%', '100.0%')
    """
    if p >= 0.001 or p == 0.0:
        return f"{100 * p:.1f}%"
    return f"{100 * p:.2g}%"
