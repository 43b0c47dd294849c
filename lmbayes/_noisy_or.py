"""Two table-making helpers of the node kinds: the noisy-OR table of a sign, and rows of
(possibly batched) probabilities stacked into a table."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

__all__ = ["noisy_or", "rows"]


def noisy_or(leak: ArrayLike, frequencies: Sequence[ArrayLike]) -> np.ndarray:
    """The noisy-OR table of a binary sign with binary causes (formula in the module doc).

    Arrays of values give a leading axis over draws.

    >>> t = noisy_or(0.1, [0.5, 0.3])
    >>> [round(float(x), 4) for x in t[1, 0, :]]   # first cause alone: frequency 0.5
    [0.5, 0.5]
    >>> round(float(t[1, 1, 1]), 4)                # both: 1 - 0.9 * (0.5/0.9) * (0.7/0.9)
    0.6111
    """
    leak = np.asarray(leak, dtype=float)
    freqs = [np.asarray(f, dtype=float) for f in frequencies]
    shape = np.broadcast_shapes(leak.shape, *(f.shape for f in freqs))
    # a cause cannot make a sign rarer than the leak: a draw below it is held at the leak
    # (the loader refuses such a value in a file; sampled ranges can still cross)
    with np.errstate(divide="ignore", invalid="ignore"):
        keep = [np.where(leak < 1.0, (1.0 - np.maximum(f, leak)) / (1.0 - leak), 1.0) for f in freqs]
    table = np.empty(shape + (2,) * len(freqs) + (2,))
    for config in itertools.product((0, 1), repeat=len(freqs)):
        absent = (1.0 - leak) * math.prod((k for k, x in zip(keep, config) if x), start=np.ones(shape))
        absent_at: tuple[Any, ...] = (..., *config, 0)
        present_at: tuple[Any, ...] = (..., *config, 1)
        table[absent_at] = absent
        table[present_at] = 1.0 - absent
    return table


def rows(*rows: Sequence[ArrayLike]) -> np.ndarray:
    """Stack rows of (possibly batched) probabilities into a table (..., parent state, state)."""
    return np.stack([np.stack(np.broadcast_arrays(*row), axis=-1) for row in rows], axis=-2)
