"""Calibrate serial CSF cytology to the published cumulative sensitivities.

Why a latent node: three independent taps that each find 50% of LM would find
1 - 0.5**3 = 87.5%, not the published 85%. The published curve flattens faster because some
patients shed few tumour cells into the sampled CSF on every tap. A latent node *shedding*,
shared by all taps, reproduces both figures.

The model, for a patient with LM:

* with probability ``pi`` the patient sheds cells; each tap is then positive with probability
  ``p``, independently of the other taps;
* otherwise (and in every patient without LM) a tap is positive only by a false-positive
  reading, with probability ``f``.

So the probability that at least one of the first ``k`` taps is positive, given LM, is

.. math::

    S(k) = 1 - \\pi (1 - p)^k - (1 - \\pi)(1 - f)^k .

Given the published ``S(1) = s_1`` and ``S(3) = s_3`` (and ``f`` from the specificity), write
``q = 1 - p`` and ``g = 1 - f``. The first equation gives ``pi = (s_1 - f) / (g - q)``;
substituting into the second and dividing ``g**3 - q**3`` by ``g - q`` leaves a quadratic:

.. math::

    q^2 + g q + g^2 - \\frac{s_3 - 1 + g^3}{s_1 - f} = 0 ,

whose positive root is ``q``. With ``f = 0`` this is ``p = (3 - sqrt(4 r - 3)) / 2`` with
``r = s_3 / s_1``: for 0.50 and 0.85, ``p = 0.5253`` and ``pi = 0.9518``; the implied two-tap
figure is 0.737 and the plateau (the share of LM patients cytology can ever find) is ``pi``.

A solution exists exactly when ``1 - (1 - s_1) g**2 < s_3 <= 1 - (1 - s_1)**3``: the upper bound
is independent taps (everyone sheds), the lower bound a single perfect tap on a share of
shedders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from dataclasses import dataclass

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

from lmbayes.errors import LmbayesError

__all__ = ["Calibration", "CalibrationError", "calibrate", "reachable", "solve"]


class CalibrationError(LmbayesError):
    """The cumulative figures cannot be reproduced by any latent-shedding model."""


@dataclass(frozen=True)
class Calibration:
    """Solved parameters of the latent shedding model, with the figures they reproduce.

    >>> c = calibrate(0.50, 0.85)
    >>> round(c.per_tap, 4), round(c.shedding_share, 4), round(c.cumulative(2), 3)
    (0.5253, 0.9518, 0.737)
    """

    one_tap: float
    three_taps: float
    false_positive: float
    shedding_share: float
    per_tap: float

    json_extra: ClassVar[tuple[str, ...]] = ("two_taps", "plateau")

    def cumulative(self, k: int) -> float:
        """P(at least one positive among the first ``k`` taps | LM)."""
        pi, p, f = self.shedding_share, self.per_tap, self.false_positive
        return 1.0 - pi * (1.0 - p) ** k - (1.0 - pi) * (1.0 - f) ** k

    @property
    def two_taps(self) -> float:
        """The implied cumulative sensitivity after two taps."""
        return self.cumulative(2)

    @property
    def plateau(self) -> float:
        """The share of LM patients whose cytology can ever show tumour cells (``pi``)."""
        return self.shedding_share


def reachable(one_tap: ArrayLike, false_positive: ArrayLike = 0.0) -> tuple[ArrayLike, ArrayLike]:
    """The open-closed interval of three-tap figures a shedding model can reproduce.

    >>> low, high = reachable(0.5)
    >>> float(low), float(high)
    (0.5, 0.875)
    """
    g = 1.0 - np.asarray(false_positive)
    s1 = np.asarray(one_tap)
    return 1.0 - (1.0 - s1) * g**2, 1.0 - (1.0 - s1) ** 3


def solve(one_tap: ArrayLike, three_taps: ArrayLike, false_positive: ArrayLike = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """``(pi, p)`` from the quadratic in the module docstring; vectorised, no checks."""
    s1, s3, f = (np.asarray(x, dtype=float) for x in (one_tap, three_taps, false_positive))
    g = 1.0 - f
    c = g * g - (s3 - 1.0 + g**3) / (s1 - f)
    q = (-g + np.sqrt(np.maximum(g * g - 4.0 * c, 0.0))) / 2.0
    p = 1.0 - np.clip(q, 0.0, 1.0 - s1)
    pi = np.minimum((s1 - f) / (p - f), 1.0)
    return pi, p


def calibrate(one_tap: float, three_taps: float, false_positive: float = 0.0) -> Calibration:
    """Solve the shedding share and per-tap detection from ``S(1)`` and ``S(3)``.

    See the module docstring for the formula. Raises :class:`CalibrationError` with the reason
    and the reachable interval when no model reproduces the figures.

    >>> calibrate(0.5, 0.9)
    Traceback (most recent call last):
    ...
    lmbayes.calibration.CalibrationError: a three-tap figure of 0.9 is above what the model can reach with a one-tap figure of 0.5: at most 0.875 (three independent taps)
    """
    s1, s3, f = one_tap, three_taps, false_positive
    if not 0.0 <= f < s1 < 1.0:
        raise CalibrationError(
            f"the one-tap figure ({s1:g}) must lie between the false-positive rate ({f:g}) and 1"
        )
    low, high = (float(np.asarray(x)) for x in reachable(s1, f))
    if s3 > high + 1e-15:
        raise CalibrationError(
            f"a three-tap figure of {s3:g} is above what the model can reach with a one-tap "
            f"figure of {s1:g}: at most {high:.4g} (three independent taps)"
        )
    if s3 <= low:
        raise CalibrationError(
            f"a three-tap figure of {s3:g} must exceed {low:.4g} (the one-tap figure {s1:g} "
            "with false positives): later taps must find more"
        )
    pi, p = solve(s1, s3, f)
    return Calibration(
        one_tap=s1, three_taps=s3, false_positive=f, shedding_share=float(pi), per_tap=float(p)
    )
