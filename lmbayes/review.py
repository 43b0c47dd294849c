"""What every query says beside P(LM): the EANO-ESMO level, where it and P(LM) disagree, and a
tap whose own analyses contradict its positive cytology.

**Same-sample discordance.** A positive cytology whose sample's other analyses point away from
LM (negative CTC or tumour DNA, a normal routine panel) is more often a problem of that sample
(mislabelled, contaminated, reactive cells read as malignant) than a patient without LM: the
network may then give a low P(LM), and a clinician would verify the sample and repeat the tap,
never set LM aside on it. A tap is flagged when its other results, together, multiply the odds
of LM by at most :data:`DISCORDANT_LR` given every other finding; each result that lowers the
odds is named. The alert is shown whatever the conflict measure says.

**Level and P(LM).** The guideline's level counts findings, the network weighs them; one line
says where they point different ways: "confirmed" below :data:`~lmbayes.explain.CONFIRMED_BELOW`,
"probable" below :data:`~lmbayes.explain.PROBABLE_BELOW`, "possible" (or "lack of evidence") above the treatment
threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from lmbayes.explain import LevelGap, eano_level, level_gap, odds
from lmbayes.findings import Findings
from lmbayes.network import Network
from lmbayes.thresholds import DEFAULT_THRESHOLDS

__all__ = ["DISCORDANT_LR", "Discordance", "Review", "discordant_taps", "review"]

#: A positive cytology's sample whose other results together divide the odds of LM by 5 or
#: more is flagged (a judgement: one negative CTC or tumour DNA does, x0.11 and x0.008 in the
#: breast network; a normal protein alone, x0.53, does not; a whole normal routine panel does).
DISCORDANT_LR = 0.2


@dataclass(frozen=True)
class Discordance:
    """Tap ``tap``'s cytology is positive, yet ``against`` (its other results that lower the
    odds) together multiply the odds of LM by ``likelihood_ratio`` given every other finding."""

    tap: int
    against: tuple[str, ...]
    likelihood_ratio: float

    json_extra: ClassVar[tuple[str, ...]] = ("advice",)

    @property
    def advice(self) -> str:
        return "verify the sample; repeat the tap"

    def sentence(self) -> str:
        return (
            f"Alert: tap {self.tap}'s cytology is positive, but {', '.join(self.against)} on the same sample "
            f"point away from LM (x{self.likelihood_ratio:.2g} on the odds). Suspect the sample (labelling, "
            f"contamination, reactive cells): {self.advice}; do not set LM aside on this tap."
        )


def discordant_taps(network: Network, findings: Findings) -> tuple[Discordance, ...]:
    """Each tap with a positive cytology whose other analyses contradict it (module docstring)."""
    spec = network.spec
    if spec.target is None or spec.target in findings or not spec.taps:
        return ()
    positive = spec.tap_states[-1]
    case = network.case(findings)
    ev = case.evidence
    full = odds(case.p_target(ev))
    result = []
    for k, cytology in enumerate(spec.taps, start=1):
        if findings.states.get(cytology) != positive:
            continue
        same = [n for n in ev if n != cytology and spec.node(n).tap == k]
        if not same:
            continue
        rest = odds(case.p_target({n: i for n, i in ev.items() if n not in same}))
        ratio = full / rest if rest > 0 else 1.0
        if ratio > DISCORDANT_LR:
            continue
        against = tuple(
            f"{n}={findings.states[n]}" for n in same
            if odds(case.p_target({m: i for m, i in ev.items() if m != n})) > full
        )
        result.append(Discordance(k, against, float(ratio)))
    return tuple(result)


@dataclass(frozen=True)
class Review:
    """The EANO-ESMO level with P(LM), the line where they disagree, and discordant taps."""

    eano_esmo: str
    p_lm: float
    disagreement: LevelGap | None
    discordant: tuple[Discordance, ...]

    def lines(self) -> list[str]:
        """One sentence each: the level (with the disagreement), then each alert."""
        level = f"EANO-ESMO level: {self.eano_esmo}." if self.disagreement is None else self.disagreement.sentence()
        return [level, *(d.sentence() for d in self.discordant)]


def review(
    network: Network, findings: Findings, p_lm: float, treat: float = DEFAULT_THRESHOLDS.treat,
    discordant: tuple[Discordance, ...] | None = None,
) -> Review | None:
    """The review of a query's findings; None for a network without a target or taps
    (an imported file) or when LM itself is a finding. ``discordant``, where the caller has
    them already (the plan does), spares computing the discordant taps again."""
    spec = network.spec
    if spec.target is None or not spec.taps or spec.target in findings:
        return None
    level = eano_level(network, findings)
    gap = level_gap(network, findings, level, p_lm, treat=treat)
    return Review(level, p_lm, gap, discordant_taps(network, findings) if discordant is None else discordant)
