"""One error family: every problem lmbayes reports is an :class:`LmbayesError`.

The command line turns these into a one-line message and an exit code: problems with what the
user typed (:class:`InputError`) exit 2, everything else exits 1.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "FindingError",
    "InputError",
    "ImpossibleEvidenceError",
    "LmbayesError",
    "NetworkFileError",
    "NoTargetError",
    "NotApplicableError",
    "TooFewTapsError",
    "UnknownNodeError",
    "UnknownParameterError",
    "did_you_mean",
]


class LmbayesError(Exception):
    """Base class for every error lmbayes raises on purpose."""


class NetworkFileError(LmbayesError):
    """A network file is missing, unreadable or invalid; the message names file, node and field."""


class InputError(LmbayesError):
    """Something the user asked for is invalid: a finding, a threshold, a technique (exit 2)."""


class FindingError(InputError):
    """A finding names an unknown node or state, or is malformed."""


class UnknownNodeError(FindingError):
    """A finding or a query names a node the network does not have."""


class NotApplicableError(FindingError):
    """A finding of an analysis the network says does not apply (EpCAM-based CTC in melanoma)."""


class UnknownParameterError(InputError, KeyError):
    """A parameter path that the network does not have (also a :class:`KeyError`)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


class TooFewTapsError(FindingError):
    """More taps are needed than the network models; ``needed`` says how many."""

    def __init__(self, message: str, needed: int) -> None:
        super().__init__(message)
        self.needed = needed


class NoTargetError(InputError):
    """An analysis needs the target and the taps, and the network (imported) declares none."""


class ImpossibleEvidenceError(LmbayesError):
    """The findings have probability zero under the network."""

    def __init__(self, message: str, conflicting: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.conflicting = conflicting


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``.

    >>> did_you_mean("cranial_nerve", ["cranial_nerve_palsy", "headache"])
    " (did you mean 'cranial_nerve_palsy'?)"
    """
    choices = list(choices)
    import difflib  # only when a name is unknown

    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if not close:
        close = [c for c in choices if c.startswith(word) or word.startswith(c)][:1]
    return f" (did you mean '{close[0]}'?)" if close else ""
