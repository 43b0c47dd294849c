"""How probabilities are written in text."""

from __future__ import annotations

__all__ = ["SMALLEST_PERCENT", "about_zero", "percent"]

#: The smallest probability written as a number (0.001%); anything below is "<0.001%".
SMALLEST_PERCENT = 1e-5


def percent(p: float) -> str:
    """A probability as a percentage with sensible precision; never in exponent notation.

    >>> percent(0.4123), percent(0.0126), percent(0.00042), percent(1.0)
    ('41.2%', '1.3%', '0.042%', '100.0%')
    >>> percent(0.000014), percent(1.4e-07), percent(0.0)
    ('0.0014%', '<0.001%', '0.0%')
    """
    if p >= 0.001 or p == 0.0:
        return f"{100 * p:.1f}%"
    if p < SMALLEST_PERCENT:
        return "<0.001%"
    return f"{100 * p:.2g}%"


def about_zero(p: float) -> bool:
    """Whether a probability is too small to be worth a sentence (below 0.01%).

    >>> about_zero(2e-5), about_zero(0.0002)
    (True, False)
    """
    return p < 1e-4
