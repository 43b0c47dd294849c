"""Plan the workup: which test next, how many more taps, and when to stop.

For findings ``E`` with ``P(LM | E) = p`` and each test ``T`` not yet done (MRI, antibody
panel, the next tap done the usual way or to a stated technique):

* ``P(T = t | E)`` and ``P(LM | E, T = t)`` for each result ``t``; these average back to ``p``:
  :math:`\\sum_t P(t \\mid E) P(LM \\mid E, t) = p`;
* the expected absolute change :math:`\\sum_t P(t \\mid E) \\, |P(LM \\mid E, t) - p|`;
* the information the test carries about LM, the mutual information in bits

  .. math:: I(LM; T \\mid E) = \\sum_{l, t} P(l, t \\mid E) \\log_2
            \\frac{P(l, t \\mid E)}{P(l \\mid E) P(t \\mid E)} \\ge 0 ;

* whether a result moves P(LM) into another management zone: below ``rule_out`` LM is set
  aside, above ``treat`` it is treated, in between testing goes on.

Thresholds by the threshold approach (Pauker and Kassirer, N Engl J Med 1980): with ``B`` the
net benefit of treating a patient who has LM, ``H`` the net harm of treating one who does not,
``R`` the harm of the test itself (same units), and the test's sensitivity and specificity,

.. math::

    T_{treat} = \\frac{H}{B + H}, \\quad
    T_{test} = \\frac{(1 - Sp) H + R}{(1 - Sp) H + Se\\, B}, \\quad
    T_{test/treat} = \\frac{Sp\\, H - R}{Sp\\, H + (1 - Se) B} .

Below the testing threshold neither test nor treat; above the test-treatment threshold treat
without testing; in between, test. lmbayes uses the next usual tap's sensitivity and
specificity given the findings so far.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from lmbayes import kinds
from lmbayes.errors import InputError
from lmbayes.findings import Findings
from lmbayes.network import Case, Network
from lmbayes.spec import BURDEN, NetworkSpec, tap_id
from lmbayes.taps import percent
from lmbayes.technique import STANDARD, USUAL, Technique, way
from lmbayes.thresholds import DEFAULT_THRESHOLDS, RULE_OUT, TEST, Thresholds

__all__ = [
    "DEFAULT_THRESHOLDS",
    "Outcome",
    "Plan",
    "TapCount",
    "TestOption",
    "Thresholds",
    "plan_workup",
    "testing_thresholds",
    "value_of_test",
]


def testing_thresholds(
    benefit: float, harm: float, test_harm: float, sensitivity: float, specificity: float
) -> tuple[float, float, float]:
    """The testing, treatment and test-treatment thresholds (formulas in the module doc).

    >>> [round(t, 4) for t in testing_thresholds(1.0, 0.1, 0.0, 0.5, 0.985)]
    [0.003, 0.0909, 0.1646]
    """
    if benefit <= 0 or harm <= 0 or test_harm < 0:
        raise InputError("benefit and harm must be positive and the test's harm at least 0")
    treat = harm / (benefit + harm)
    test = ((1 - specificity) * harm + test_harm) / ((1 - specificity) * harm + sensitivity * benefit)
    test_treat = (specificity * harm - test_harm) / (specificity * harm + (1 - sensitivity) * benefit)
    return test, treat, test_treat


@dataclass(frozen=True)
class Outcome:
    """One result of a test: its probability, P(LM) after it and that P(LM)'s zone."""

    state: str
    probability: float
    p_lm: float
    zone: str
    #: a test of a competing cause whose result sets LM aside by finding that cause: P(LM)
    #: falls below the rule-out threshold because the signs are explained, not tested
    another_cause: bool = False


@dataclass(frozen=True)
class TestOption:
    """One test not yet done, with what each of its results would do to P(LM).

    ``test`` is its first reading's node and ``readings`` all of them (an MRI read for LM and
    for compression, a tap's cytology and its other analyses); each outcome is one combination
    of their states. ``technique`` is how a tap is done (``None`` for other tests).
    """

    test: str
    label: str
    technique: Technique | None
    outcomes: tuple[Outcome, ...]
    expected_change: float
    information_bits: float
    changes_management: bool
    readings: tuple[str, ...] = ()
    #: the test looks for LM itself (its readings depend on LM directly); a test of a
    #: competing cause moves P(LM) only by explaining the signs
    tests_target: bool = True
    #: for a tap: the analyses sent beside cytology (groups or ids)
    analyses: tuple[str, ...] = ()


@dataclass(frozen=True)
class TapCount:
    """How many more negative taps, done a given way, bring P(LM) below the rule-out threshold."""

    technique: Technique
    taps: int | None
    p_lm_after: float
    #: the analyses sent from each tap beside cytology (groups or ids)
    analyses: tuple[str, ...] = ()


@dataclass(frozen=True)
class Plan:
    current: float
    zone: str
    thresholds: Thresholds
    tests: tuple[TestOption, ...]
    taps_to_rule_out: tuple[TapCount, ...]
    floor: float
    advice: str
    #: False where the benefit and harm figures make no tap worth doing (treat or not, untested)
    testing_worthwhile: bool = True

    def _repr_html_(self) -> str:
        from lmbayes._html import plan_html

        return plan_html(self)


def plan_workup(
    network: Network,
    findings: Findings,
    *,
    thresholds: Thresholds | None = None,
    next_technique: Technique | None = None,
    benefit_harm: tuple[float, float, float] | None = None,
) -> Plan:
    """Rank the tests not yet done and advise (see the module docstring).

    ``benefit_harm = (B, H, R)`` derives the thresholds from the next usual tap instead of
    ``thresholds``. ``next_technique`` is compared with a tap done the usual way; without it, a
    tap done to the handling standard is.
    """
    network.require_target()
    case = network.case(findings)
    current = case.p_target(case.evidence)
    next_tap = case.taps_done + 1 if case.taps_done < network.spec.n_taps else None
    worthwhile = True
    if benefit_harm is not None:
        thresholds, worthwhile = _derived_thresholds(case, next_tap, benefit_harm)
    thresholds = thresholds or Thresholds()

    events = kinds.events(network.spec)
    options = [
        value_of_test(case, nodes, None, thresholds, current)
        for event, nodes in events.items()
        if not network.spec.node(nodes[0]).tap and not any(n in findings for n in nodes)
    ]
    counts: list[TapCount] = []
    if next_tap is not None:
        ways: list[tuple[Technique, tuple[str, ...]]] = [(USUAL, ()), (next_technique or STANDARD, ())]
        ways += [(USUAL, (group,)) for group in analysis_groups(network.spec)]
        for technique, groups in ways:
            analyses = network.analyses(groups)
            readings = network.spec.tap_readings(next_tap, analyses)
            tap_case = network.case(findings, {tap_id(next_tap): technique})
            option = value_of_test(tap_case, readings, technique, thresholds, current)
            options.append(dataclasses.replace(option, analyses=groups))
            counts.append(_taps_to_rule_out(network, findings, technique, thresholds, current, groups))
    options.sort(key=lambda o: -o.information_bits)
    zone = thresholds.zone(current)
    plan = Plan(current, zone, thresholds, tuple(options), tuple(counts), case.floor(), "", worthwhile)
    return dataclasses.replace(plan, advice=_advice(plan, network.spec.n_taps))


def _derived_thresholds(
    case: Case, next_tap: int | None, benefit_harm: tuple[float, float, float]
) -> tuple[Thresholds, bool]:
    """Thresholds from benefit and harm, and whether testing is ever worth it: where the
    testing threshold reaches the test-treatment threshold, no tap is, and both thresholds
    become the treatment threshold H / (B + H)."""
    if next_tap is None:
        raise InputError("thresholds from benefit and harm need a further tap to test with; all taps are done")
    target, ev, tap = case.spec.target, case.evidence, tap_id(next_tap)
    positive = len(case.spec.tap_states) - 1
    if target in ev:
        raise InputError("thresholds from benefit and harm cannot be derived when LM itself is a finding")
    sens = case.engine.posteriors({**ev, target: 1}, [tap])[0][tap][positive]
    spec = 1.0 - case.engine.posteriors({**ev, target: 0}, [tap])[0][tap][positive]
    test, treat, test_treat = testing_thresholds(*benefit_harm, float(sens), float(spec))
    source = "from benefit and harm by the threshold approach"
    if test >= test_treat:
        treat = min(max(treat, 1e-9), 1 - 1e-9)
        return Thresholds(rule_out=treat, treat=treat, source=source + "; no tap is worth its harm"), False
    return Thresholds(rule_out=max(test, 1e-9), treat=min(test_treat, 1 - 1e-9), source=source), True


def value_of_test(
    case: Case, readings: str | tuple[str, ...], technique: Technique | None, thresholds: Thresholds, current: float
) -> TestOption:
    """What a test (one node, or all the readings of one test) would do to P(LM) given the case
    (a test already done carries 0 bits)."""
    readings = (readings,) if isinstance(readings, str) else tuple(readings)
    spec, target = case.spec, case.spec.target
    joint = case.engine.joint((target, *readings), case.evidence)
    joint = (joint / joint.sum()).reshape(joint.shape[0], -1)
    p_results = joint.sum(axis=0)
    p_lm = joint.sum(axis=1)
    tests_target = any({target, BURDEN, "csf_reaction"} & set(spec.node(r).parents) for r in readings) or any(
        spec.node(r).tap for r in readings
    )
    outcomes = []
    for name, members in outcome_groups(spec, readings):
        p = float(p_results[members].sum())
        after = float(joint[1, members].sum() / p) if p > 0 else current
        if p > 0 or len(readings) == 1:
            zone = thresholds.zone(after)
            another = zone == RULE_OUT and not tests_target and after < current
            outcomes.append(Outcome(name, p, after, zone, another))
    info = sum(
        joint[l, t] * math.log2(joint[l, t] / (p_lm[l] * p_results[t]))
        for l in range(joint.shape[0])
        for t in range(joint.shape[1])
        if joint[l, t] > 0
    )
    zone = thresholds.zone(current)
    first = spec.node(readings[0])
    label = f"{spec.tap_label}, tap {first.tap}" if first.tap else first.label
    others = [spec.node(r) for r in readings[1:]]
    if others and first.tap:
        label = f"{spec.tap_label} + {', '.join(dict.fromkeys(n.group or n.template for n in others))}, tap {first.tap}"
    return TestOption(
        test=readings[0],
        label=label,
        technique=technique if first.tap else None,
        outcomes=tuple(outcomes),
        expected_change=float(sum(o.probability * abs(o.p_lm - current) for o in outcomes)),
        information_bits=max(float(info), 0.0),
        changes_management=any(o.probability > 0 and o.zone != zone for o in outcomes),
        readings=readings,
        tests_target=tests_target,
    )


def analysis_groups(spec: NetworkSpec) -> tuple[str, ...]:
    """The ways a tap's analyses are sent, in the file's order: each group once (``routine``),
    and each analysis without a group by its own id (``ctc``, ``ctdna``)."""
    return tuple(dict.fromkeys(a.group or a.id for a in spec.tap_analyses))


def outcome_groups(spec: NetworkSpec, readings: tuple[str, ...]) -> list[tuple[str, np.ndarray]]:
    """How the outcomes of a test are shown: each state of a single reading; for a tap with
    analyses, all negative / any positive / the rest (equivocal or mixed); for another test
    with several readings (the MRI), each state of its first reading.

    The information in bits is computed over every combination of states; only the display
    is grouped.
    """
    shape = tuple(len(spec.node(r).states) for r in readings)
    grids = [g.reshape(-1) for g in np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")]
    if len(readings) == 1:
        return [(state, grids[0] == i) for i, state in enumerate(spec.node(readings[0]).states)]
    if spec.node(readings[0]).tap:
        negative = np.logical_and.reduce([g == 0 for g in grids])
        positive = np.logical_or.reduce([g == n - 1 for g, n in zip(grids, shape)])
        return [("all negative", negative), ("any positive", positive), ("equivocal or mixed", ~negative & ~positive)]
    return [(state, grids[0] == i) for i, state in enumerate(spec.node(readings[0]).states)]


def _taps_to_rule_out(
    net: Network, findings: Findings, technique: Technique, thresholds: Thresholds, current: float,
    analyses: tuple[str, ...] = (),
) -> TapCount:
    if current < thresholds.rule_out:
        return TapCount(technique, 0, current, analyses)
    table = net.taps(findings, next_technique=technique, analyses=analyses)
    for n, step in enumerate(table.steps, start=1):
        if step.p_lm_if_negative < thresholds.rule_out:
            return TapCount(technique, n, step.p_lm_if_negative, analyses)
    last = table.steps[-1].p_lm_if_negative if table.steps else current
    return TapCount(technique, None, last, analyses)


def _advice(plan: Plan, n_taps: int) -> str:
    t = plan.thresholds
    now = f"P(LM) is {percent(plan.current)}"
    if not plan.testing_worthwhile:
        act = "treat without testing" if plan.current > t.treat else "neither test nor treat"
        return (
            f"{now}. With these benefit and harm figures no tap is worth its harm at any P(LM): "
            f"{act} (treatment threshold {percent(t.treat)})."
        )
    movers = [o for o in plan.tests if o.changes_management]
    if plan.zone != TEST:
        where = f"below the rule-out threshold ({percent(t.rule_out)})" if plan.zone == RULE_OUT else f"above the treatment threshold ({percent(t.treat)})"
        if not movers:
            return f"{now}, {where}, and no result of any available test can change management: stop testing."
        best = movers[0]
        crossing = [o for o in best.outcomes if o.zone != plan.zone and o.probability > 0]
        return f"{now}, {where}; but {_crossing_text(best, crossing[0])}, so testing could still change management."
    parts = [f"{now}, between the rule-out ({percent(t.rule_out)}) and treatment ({percent(t.treat)}) thresholds."]
    if movers:
        best = movers[0]
        crossing = [o for o in best.outcomes if o.zone != TEST and o.probability > 0]
        parts.append(f"Next: {_test_name(best)}; " + "; ".join(_crossing_text(best, o, named=False) for o in crossing) + ".")
    else:
        parts.append("No single result of any available test crosses a threshold.")
    parts.append(_count_text(plan, n_taps))
    return " ".join(parts)


def _test_name(option: TestOption) -> str:
    technique = f", done {way(option.technique)}" if option.technique else ""
    return f"{option.label}{technique}"


def _crossing_text(option: TestOption, outcome: Outcome, named: bool = True) -> str:
    state = outcome.state.replace("_", " ")
    article = "an" if state[:1] in "aeiou" else "a"
    what = f"{state} {_test_name(option)}" if named else f"{article} {state} result"
    if len(option.readings) > 1:  # a grouped outcome ("all negative", "any positive")
        what = f"'{state}' on {_test_name(option)}" if named else f"the result '{state}'"
    if outcome.zone == TEST:
        target = "back between the thresholds"
    else:
        target = "below the rule-out threshold" if outcome.zone == RULE_OUT else "above the treatment threshold"
    return f"{what} would bring P(LM) {target} (P = {percent(outcome.p_lm)}, probability {percent(outcome.probability)})"


def _count_text(plan: Plan, n_taps: int) -> str:
    if not plan.taps_to_rule_out:
        return "All taps the network can model are done."
    texts, first = [], True
    usual = plan.taps_to_rule_out[0]
    lead = "To rule out:"
    counts = list(plan.taps_to_rule_out)
    if usual.taps is None and plan.floor >= plan.thresholds.rule_out:
        lead = (
            f"No number of negative cytologies brings P(LM) below {percent(plan.thresholds.rule_out)}: patients "
            f"with LM whose tumour burden cytology cannot see keep it above {percent(plan.floor)} however many taps are done."
        )
        counts = [c for c in counts if c.analyses and c.taps is not None]
        if not counts:
            return lead
        lead += " With other analyses of each tap:"
    for count in counts:
        what = f"with {' and '.join(count.analyses)}" if count.analyses else f"done {way(count.technique)}"
        if count.taps is None:
            texts.append(f"more than the {n_taps} taps the network models {what}")
        else:
            noun = "negative tap" if first else "tap"
            taps = f"{count.taps} more {noun}{'s' if count.taps != 1 else ''}"
            texts.append(f"{taps} {what} (P = {percent(count.p_lm_after)})")
            first = False
    return f"{lead} {'; '.join(texts)}."