"""Management thresholds on P(LM): where a plan sets LM aside, tests further or treats.

Kept apart from :mod:`lmbayes.plan` so that the command line's help can show the defaults
without loading the planner and numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

from lmbayes.errors import InputError

__all__ = ["DEFAULT_TEST_HARM", "DEFAULT_THRESHOLDS", "DERIVED", "RULE_OUT", "TEST", "TREAT", "Thresholds"]

RULE_OUT, TEST, TREAT = "rule_out", "test", "treat"


@dataclass(frozen=True)
class Thresholds:
    """Management thresholds on P(LM): set aside below ``rule_out``, treat above ``treat``.

    The defaults (5% and 80%) are judgements for teaching; set your own.
    """

    rule_out: float = 0.05
    treat: float = 0.80
    source: str = "teaching defaults"

    def __post_init__(self) -> None:
        for name in ("rule_out", "treat"):
            value = getattr(self, name)
            if not 0.0 < value < 1.0:
                raise InputError(f"the {name.replace('_', '-')} threshold must lie strictly between 0 and 1, not {value:g}")
        if self.rule_out > self.treat:
            raise InputError(
                f"the rule-out threshold ({self.rule_out:g}) must not exceed the treatment threshold ({self.treat:g})"
            )

    def zone(self, p: float) -> str:
        """``rule_out``, ``test`` or ``treat``."""
        return RULE_OUT if p < self.rule_out else TREAT if p > self.treat else TEST


#: The source of thresholds derived from benefit and harm (:func:`lmbayes.plan.plan_workup`); a
#: suffix says when no tap is worth its harm.
DERIVED = "from benefit and harm by the threshold approach"

#: The teaching defaults, the one place they are written.
DEFAULT_THRESHOLDS = Thresholds()

#: The harm of a test (an LP, an MRI) in units of the net benefit of treating a patient who has
#: LM: a judgement (post-LP headache is common and transient, serious harm rare; no source
#: weighs them against the benefit of treatment). It makes a band below the rule-out threshold
#: (and above the treatment threshold) where no test is advised: none is worth its harm.
DEFAULT_TEST_HARM = 0.01
