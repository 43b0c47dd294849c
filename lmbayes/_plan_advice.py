"""The plan's words: the advice sentence and the notes beside it (:mod:`lmbayes.plan`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lmbayes.findings import Findings
from lmbayes.menu import MASS_LESION, Menu, panel_words
from lmbayes.taps import percent
from lmbayes.technique import way
from lmbayes.thresholds import RULE_OUT, TEST, TREAT

if TYPE_CHECKING:
    from lmbayes.network import Network
    from lmbayes.plan import Outcome, Plan, TestOption

#: Why the MRI comes before an LP, in the advice.
IMAGING_FIRST = (
    "before any LP: a mass lesion can make an LP unsafe, and an LP can itself make the meninges "
    "enhance (mittl1994)"
)
#: A specialised assay whose specificity range is at least this wide is named as resting on
#: small series.
WIDE_RANGE = 0.10


def notes(network: Network, findings: Findings, plan: Plan, menu: Menu) -> tuple[str, ...]:
    """One line each: a parenchymal metastasis to check for mass effect, CSF in probable LM,
    specialised assays whose specificity rests on small series."""
    spec, found = network.spec, []
    lesions = [
        f"{n.id}={findings.states[n.id]}" for n in spec.nodes
        if n.id in findings and n.event == menu.imaging and MASS_LESION in n.parents
        and spec.target not in n.parents and findings.states[n.id] == n.states[-1]
    ]
    if lesions and not plan.lp_blocked:
        found.append(f"A parenchymal lesion on MRI ({', '.join(lesions)}): check for mass effect before any LP.")
    positive = spec.tap_states[-1]
    confirmed = any(findings.states.get(t) == positive for t in spec.taps)
    if plan.zone == TREAT and not confirmed and not plan.lp_blocked and spec.n_taps > findings.taps_done:
        found.append(
            "Above the treatment threshold CSF is still recommended: cytology decides between confirmed and "
            "probable LM (eano2017, lerhun2021), gives a baseline to judge response and comes before "
            "intrathecal therapy; unless an LP is contraindicated (--without lp)."
        )
    small = []
    for a in plan.panel if not plan.lp_blocked else ():
        p = spec.parameters.get(f"{a}.specificity")
        if a in menu.added and p is not None and (p.judgement or p.high - p.low >= WIDE_RANGE):
            flag = ", a judgement" if p.judgement else ""
            small.append(f"{a} {percent(p.value)} (range {percent(p.low)}-{percent(p.high)}{flag})")
    if small:
        found.append(
            f"Specialised assays on small series: specificity {'; '.join(small)}. A positive result on its own "
            "rests on these figures: `lmbayes sensitivity` shows how far they move P(LM)."
        )
    return tuple(found)


def advice(plan: Plan, n_taps: int) -> str:
    """The advice sentence: what to do next, or why no test is advised."""
    t = plan.thresholds
    now = f"P(LM) is {percent(plan.current)}"
    if not plan.testing_worthwhile:
        act = "treat without testing" if plan.current > t.treat else "neither test nor treat"
        return (
            f"{now}. With these benefit and harm figures no tap is worth its harm at any P(LM): "
            f"{act} (treatment threshold {percent(t.treat)})."
        )
    blocked = f" No LP: {plan.lp_blocked}." if plan.lp_blocked else ""
    if plan.discordant:
        taps = " and ".join(f"tap {d.tap}" for d in plan.discordant)
        repeat = "repeat the tap" if not plan.lp_blocked else "an LP is left out, so verify the sample and weigh the other tests"
        return (
            f"{now}, but {taps}'s analyses contradict its positive cytology on the same sample: verify the sample "
            f"(labelling, contamination, reactive cells) and {repeat} before LM is set aside or treated; the "
            "figures below take the sample at face value."
        )
    movers = [o for o in plan.tests if o.changes_management]
    if plan.zone != TEST:
        where = (f"below the rule-out threshold ({percent(t.rule_out)})" if plan.zone == RULE_OUT
                 else f"above the treatment threshold ({percent(t.treat)})")
        if not movers:
            flip = "above the treatment threshold" if plan.zone == RULE_OUT else "below the treatment threshold"
            return f"{now}, {where}. No test advised: no result would change management (none brings P(LM) {flip}).{blocked}"
        worth = [o for o in movers if o.value > plan.test_harm]
        best = (worth or movers)[0]
        crossing = [o for o in best.outcomes if (o.zone == TREAT) != (plan.zone == TREAT) and o.probability > 0]
        if not worth:
            return (
                f"{now}, {where}. No test advised: {crossing_text(best, crossing[0])}, but the expected gain "
                f"({best.value:.2g}) is below a test's harm ({plan.test_harm:g}; both in units of the benefit of "
                f"treating LM).{blocked}"
            )
        first = _imaging_first(plan, best)
        return (
            f"{now}, {where}; but {crossing_text(best, crossing[0])}, so testing could still change management "
            f"(expected gain {best.value:.2g} against a test's harm {plan.test_harm:g}).{first}{blocked}"
        )
    parts = [f"{now}, between the rule-out ({percent(t.rule_out)}) and treatment ({percent(t.treat)}) thresholds."]
    if plan.imaging_first:
        parts.append(f"Next: {plan.tests[0].label} first, {IMAGING_FIRST}{_mass(plan)}.")
        movers = [o for o in movers if o is not plan.tests[0]]
        lps = [o for o in movers if o.technique is not None]
        if lps:
            crossing = [o for o in lps[0].outcomes if o.zone != TEST and o.probability > 0]
            parts.append(f"Then, if still needed: {test_name(lps[0])}; "
                         + "; ".join(crossing_text(lps[0], o, named=False) for o in crossing) + ".")
    elif movers:
        best = movers[0]
        crossing = [o for o in best.outcomes if o.zone != TEST and o.probability > 0]
        parts.append(f"Next: {test_name(best)}; " + "; ".join(crossing_text(best, o, named=False) for o in crossing) + ".")
    else:
        parts.append("No single result of any available test crosses a threshold.")
    if plan.lp_blocked:
        parts.append(blocked.strip())
    parts.append(count_text(plan, n_taps))
    return " ".join(p for p in parts if p)


def _imaging_first(plan: Plan, best: TestOption) -> str:
    if plan.imaging_first and best is not plan.tests[0]:
        return f" {plan.tests[0].label} first, {IMAGING_FIRST}{_mass(plan)}."
    return ""


def _mass(plan: Plan) -> str:
    return "" if plan.p_mass_lesion is None else f"; P(brain metastases) is {percent(plan.p_mass_lesion)}"


def panel_words_short(panel: tuple[str, ...]) -> str:
    """``cytology + 5 analyses``: the panel in a count line (the table names them)."""
    return f"cytology + {len(panel)} analys{'is' if len(panel) == 1 else 'es'}"


def test_name(option: TestOption) -> str:
    technique = f", done {way(option.technique)}" if option.technique else ""
    return f"{option.label}{technique}"


def crossing_text(option: TestOption, outcome: Outcome, named: bool = True) -> str:
    state = outcome.state.replace("_", " ")
    article = "an" if state[:1] in "aeiou" else "a"
    what = f"{state} {test_name(option)}" if named else f"{article} {state} result"
    if len(option.readings) > 1:  # a grouped outcome ("all negative", "any positive")
        what = f"'{state}' on {test_name(option)}" if named else f"the result '{state}'"
    if outcome.zone == TEST:
        target = "back between the thresholds"
    else:
        target = "below the rule-out threshold" if outcome.zone == RULE_OUT else "above the treatment threshold"
    return f"{what} would bring P(LM) {target} (P = {percent(outcome.p_lm)}, probability {percent(outcome.probability)})"


def count_text(plan: Plan, n_taps: int) -> str:
    """How many more negative taps rule out, each way a tap can be done, with the panel."""
    if plan.lp_blocked:
        return ""
    if not plan.taps_to_rule_out:
        return "All taps the network can model are done."
    panel = "each tap: " + ("cytology alone" if not plan.panel else panel_words_short(plan.panel))
    counts = list(plan.taps_to_rule_out)
    if counts[0].taps is None and plan.floor >= plan.thresholds.rule_out:
        return (
            f"No number of negative taps ({panel}) brings P(LM) below {percent(plan.thresholds.rule_out)}: "
            f"patients with LM whose tumour burden these analyses cannot see keep it above {percent(plan.floor)}."
        )
    texts = []
    for n, count in enumerate(counts):
        what = f"done {way(count.technique)}"
        if count.taps is None:
            texts.append(f"more than the {n_taps} taps the network models {what}")
        else:
            noun = "negative tap" if n == 0 else "tap"
            texts.append(f"{count.taps} more {noun}{'s' if count.taps != 1 else ''} {what} (P = {percent(count.p_lm_after)})")
    return f"To rule out ({panel}): {'; '.join(texts)}."


__all__ = ["advice", "count_text", "crossing_text", "notes", "panel_words", "test_name"]
