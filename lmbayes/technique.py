"""How a lumbar puncture was (or will be) done changes what it can find.

A tap's technique is its CSF volume, the time to processing, the site, and whether it was
sampled away from the symptomatic site. The published cumulative figures (50% after one tap,
85% after three) describe taps done *the usual way*; glantz1998 found false negatives with
volumes under 10.5 mL, delayed processing and sampling away from the symptomatic site, and the
EANO-ESMO standard asks for more than 10 mL processed within 30 minutes. The sizes of these
effects are judgements, stated in the network file under ``cytology.technique``.

Per-tap detection among patients who shed cells, for a tap whose technique is stated:

.. math::

    p = \\frac{p_{usual}}{1 - s} (1 - l_v [V < 10]) (1 - l_d [D > 30]) (1 - l_o [\\text{away}])
        (1 + g [\\text{cisternal or ventricular}])

capped so that detection plus the equivocal rate stays at most 1. ``p_usual`` is the
calibrated detection, ``s`` the usual shortfall against the standard, ``l_v``, ``l_d``,
``l_o`` the losses for low volume, late processing and sampling away from the symptomatic site,
and ``g`` the gain of an extra-lumbar puncture. A field left out is taken to meet the standard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lmbayes.errors import InputError

__all__ = ["STANDARD", "USUAL", "Technique", "parse_next_tap", "split_result", "way"]

SITES = ("lumbar", "cisternal", "ventricular")
#: EANO-ESMO: ideally more than 10 mL, processed within 30 minutes.
MIN_VOLUME_ML = 10.0
MAX_DELAY_MIN = 30.0
PARAMETERS = ("usual_shortfall", "low_volume_loss", "late_processing_loss", "off_site_loss", "extra_lumbar_gain")


@dataclass(frozen=True)
class Technique:
    """How one tap is done; ``None`` fields meet the handling standard. ``usual`` is a tap done
    the way the published figures' taps were (:data:`USUAL`), with no field stated."""

    volume_ml: float | None = None
    delay_min: float | None = None
    site: str = "lumbar"
    away: bool = False
    usual: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if self.usual and (self.volume_ml, self.delay_min, self.site, self.away) != (None, None, "lumbar", False):
            raise InputError("a tap done the usual way states no volume, delay, site or sampling")
        if self.volume_ml is not None and not 0.0 < self.volume_ml <= 100.0:
            raise InputError(f"CSF volume must be more than 0 and at most 100 mL, not {self.volume_ml:g}")
        if self.delay_min is not None and not 0.0 <= self.delay_min <= 7 * 24 * 60:
            raise InputError(f"time to processing must be 0 to 10080 minutes, not {self.delay_min:g}")
        if self.site not in SITES:
            raise InputError(f"unknown site '{self.site}'; expected one of {', '.join(SITES)}")

    def describe(self) -> str:
        """A short description.

        >>> Technique(volume_ml=5, site="cisternal").describe()
        '5 mL, cisternal'
        """
        parts = []
        if self.volume_ml is not None:
            parts.append(f"{self.volume_ml:g} mL")
        if self.delay_min is not None:
            parts.append(f"processed after {self.delay_min:g} min")
        parts.append(self.site + (", away from the symptomatic site" if self.away else ""))
        return ", ".join(parts)

    def detection(self, usual: Any, parameters: Mapping[str, Any], ceiling: Any) -> Any:
        """Per-tap detection among shedders for this technique (formula in the module doc).

        Works on floats and on arrays of draws alike.
        """
        import numpy as np  # the command line's help and parsing load no numpy

        if self.usual:
            return np.minimum(usual, ceiling)
        p = usual / (1.0 - parameters["usual_shortfall"])
        if self.volume_ml is not None and self.volume_ml < MIN_VOLUME_ML:
            p *= 1.0 - parameters["low_volume_loss"]
        if self.delay_min is not None and self.delay_min > MAX_DELAY_MIN:
            p *= 1.0 - parameters["late_processing_loss"]
        if self.away:
            p *= 1.0 - parameters["off_site_loss"]
        if self.site != "lumbar":
            p *= 1.0 + parameters["extra_lumbar_gain"]
        return np.minimum(p, ceiling)


#: A tap done to the EANO-ESMO handling standard.
STANDARD = Technique()
#: A tap done the usual way: as the taps behind the published cumulative figures.
USUAL = Technique(usual=True)


def way(technique: Technique) -> str:
    """How a tap is done, as the end of "done ...".

    >>> way(USUAL), way(STANDARD)
    ('the usual way', 'to the handling standard (>= 10 mL, processed within 30 min)')
    >>> way(Technique(volume_ml=5, delay_min=60))
    'with 5 mL, processed after 60 min, lumbar'
    """
    if technique.usual:
        return "the usual way"
    if technique == STANDARD:
        return f"to the handling standard (>= {MIN_VOLUME_ML:g} mL, processed within {MAX_DELAY_MIN:g} min)"
    return f"with {technique.describe()}"

_TOKEN = re.compile(r"^(?:(?P<ml>\d+(?:\.\d+)?)ml|(?P<min>\d+(?:\.\d+)?)min|(?P<word>[a-z_]+))\Z", flags=re.ASCII)


def split_result(text: str) -> tuple[str, Technique | None]:
    """Split ``"negative@5ml+45min+cisternal+away"`` into the result and its technique.

    >>> split_result("neg@12ml+15min")
    ('neg', Technique(volume_ml=12.0, delay_min=15.0, site='lumbar', away=False))
    >>> split_result("positive")
    ('positive', None)
    """
    result, sep, rest = text.partition("@")
    if not sep:
        return text, None
    if rest.strip().lower() in ("standard", "usual"):  # the same words as the next tap's technique
        return result, STANDARD if rest.strip().lower() == "standard" else USUAL
    fields: dict[str, object] = {}
    for token in rest.lower().split("+"):
        match = _TOKEN.match(token.strip())
        if not match:
            raise InputError(
                f"cannot read the technique '{token}' in '{text}': expected e.g. "
                "negative@5ml+45min+cisternal (volume in ml, delay in min, site, 'away')"
            )
        value: float | bool | str
        if match["ml"]:
            key, value = "volume_ml", float(match["ml"])
        elif match["min"]:
            key, value = "delay_min", float(match["min"])
        elif match["word"] == "away":
            key, value = "away", True
        else:
            key, value = "site", match["word"]
        _set_once(fields, key, value, text)
    return result, Technique(**fields)  # type: ignore[arg-type]


def _set_once(fields: dict[str, object], key: str, value: object, text: str) -> None:
    if key in fields:
        name = {"volume_ml": "volume", "delay_min": "delay"}.get(key, key)
        raise InputError(f"the {name} is given twice in '{text}'; give each technique field once")
    fields[key] = value


def _number(text: str) -> float:
    """A volume or a delay: ASCII digits with at most one point (``float`` reads ``1_2`` as 12)."""
    from lmbayes._text import decimal

    value = decimal(text)
    if value is None:
        raise ValueError(text)
    return value


def parse_next_tap(text: str) -> Technique:
    """Read ``"volume=12,delay=15,site=cisternal,away=yes"`` (any subset), or ``standard``.

    >>> parse_next_tap("volume=12,delay=15")
    Technique(volume_ml=12.0, delay_min=15.0, site='lumbar', away=False)
    """
    if text.strip().lower() == "standard":
        return STANDARD
    if text.strip().lower() == "usual":
        return USUAL
    fields: dict[str, object] = {}
    for item in text.split(","):
        key, sep, value = (part.strip().lower() for part in item.partition("="))
        if not sep or not value:
            raise InputError(f"cannot read '{item}': expected FIELD=VALUE, e.g. volume=12,delay=15")
        try:
            if key == "volume":
                _set_once(fields, "volume_ml", _number(value.removesuffix("ml")), text)
            elif key == "delay":
                _set_once(fields, "delay_min", _number(value.removesuffix("min")), text)
            elif key == "site":
                _set_once(fields, "site", value, text)
            elif key == "away":
                if value not in ("yes", "no"):
                    raise InputError(f"away must be yes or no, not '{value}'")
                _set_once(fields, "away", value == "yes", text)
            else:
                raise InputError(f"unknown technique field '{key}'; expected volume, delay, site or away")
        except ValueError:
            raise InputError(f"'{value}' is not a number in {key}={value}") from None
    return Technique(**fields)  # type: ignore[arg-type]
