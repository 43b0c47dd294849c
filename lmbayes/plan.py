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
from lmbayes.review import Discordance, discordant_taps
from lmbayes.spec import BURDEN, NetworkSpec, tap_id
from lmbayes.taps import percent
from lmbayes._plan_advice import advice, notes
from lmbayes.menu import LP_REASONS, MASS_LESION, MASS_LESION_LIKELY, Menu, hospital_menu, panel_words
from lmbayes.technique import STANDARD, USUAL, Technique
from lmbayes.thresholds import DEFAULT_TEST_HARM, DEFAULT_THRESHOLDS, DERIVED, RULE_OUT, TEST, TREAT, Thresholds

#: A result that moves P(LM) by less than this (0.1 percentage point, a judgement) is not
#: labelled with another zone, however close P(LM) sits to a threshold.
MIN_CHANGE = 0.001

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
    """One result of a test: its probability, P(LM) after it and the management zone it leads
    to (a result that moves P(LM) by less than :data:`MIN_CHANGE` leaves the zone as it is)."""

    state: str
    probability: float
    p_lm: float
    zone: str
    #: a test of a competing cause whose result sets LM aside by finding that cause: P(LM)
    #: falls below the rule-out threshold because the signs are explained, not tested (never
    #: a negative result: finding nothing explains nothing)
    another_cause: bool = False


@dataclass(frozen=True)
class TestOption:
    """One test not yet done, with what each of its results would do to P(LM).

    ``test`` is its first reading's node and ``readings`` all of them (an MRI read for LM and
    for compression, a tap's cytology and its panel); each outcome is one combination of their
    states. ``technique`` is how a tap is done (``None`` for other tests).
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
    #: for a tap: the panel, the analyses sent beside cytology (ids)
    analyses: tuple[str, ...] = ()
    #: the expected gain of deciding after the result rather than now, in units of the benefit
    #: of treating a patient with LM (module docstring); compared with the test's harm
    value: float = 0.0


@dataclass(frozen=True)
class TapCount:
    """How many more negative taps, done a given way, bring P(LM) below the rule-out threshold."""

    technique: Technique
    taps: int | None
    p_lm_after: float
    #: the analyses sent from each tap beside cytology (ids)
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
    #: the harm of a test and of treating a patient without LM, in units of the benefit of
    #: treating a patient with LM (``R / B`` and ``H / B``)
    test_harm: float = DEFAULT_TEST_HARM
    harm_ratio: float = 4.0
    #: each tap's panel beside cytology (ids); the tests left out (``--without``)
    panel: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    #: why no LP is offered ("" when one is)
    lp_blocked: str = ""
    #: the MRI comes before any LP (no MRI among the findings)
    imaging_first: bool = False
    #: one line each: a mass effect to check, CSF in probable LM, assays on small series
    notes: tuple[str, ...] = ()
    #: P(brain metastases) where no MRI is known (None otherwise)
    p_mass_lesion: float | None = None
    #: taps whose own analyses contradict their positive cytology: verify and repeat first
    discordant: tuple[Discordance, ...] = ()

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
    menu: Menu | None = None,
    test_harm: float | None = None,
) -> Plan:
    """Rank the tests not yet done and advise (see the module docstring).

    ``benefit_harm = (B, H, R)`` derives the thresholds from the next usual tap instead of
    ``thresholds``. ``next_technique`` is compared with a tap done the usual way; without it, a
    tap done to the handling standard is. ``menu`` is what the hospital offers
    (:func:`lmbayes.menu.hospital_menu`); ``test_harm`` the harm of a test in units of the
    benefit of treating LM (default :data:`DEFAULT_TEST_HARM`; with ``benefit_harm``, its R).
    """
    network.require_target()
    spec = network.spec
    menu = menu or hospital_menu(spec)
    case = network.case(findings)
    current = case.p_target(case.evidence)
    next_tap = case.taps_done + 1 if case.taps_done < spec.n_taps else None
    worthwhile = True
    if benefit_harm is not None:
        thresholds, worthwhile = _derived_thresholds(case, next_tap, benefit_harm)
        benefit, harm, r = benefit_harm
        harm_ratio, test_harm = harm / benefit, r / benefit
    else:
        thresholds = thresholds or Thresholds()
        harm_ratio = thresholds.treat / (1.0 - thresholds.treat)
        test_harm = DEFAULT_TEST_HARM if test_harm is None else test_harm

    events = kinds.events(spec)
    options = [
        value_of_test(case, nodes, None, thresholds, current)
        for event, nodes in events.items()
        if not spec.node(nodes[0]).tap and not any(n in findings for n in nodes) and menu.offers(event)
    ]
    imaging_known = bool(menu.imaging) and any(n in findings for n in events.get(menu.imaging, ()))
    imaging_first = bool(menu.imaging) and not imaging_known and menu.offers(menu.imaging)
    p_mass = None
    if menu.imaging and not imaging_known and MASS_LESION in spec.node_ids and MASS_LESION not in case.findings:
        p_mass = float(case.engine.posteriors(case.evidence, [MASS_LESION])[0][MASS_LESION][-1])
    blocked = _lp_blocked(menu, p_mass, imaging_first)
    counts: list[TapCount] = []
    if next_tap is not None and not blocked:
        for technique in dict.fromkeys((USUAL, next_technique or STANDARD)):
            readings = spec.tap_readings(next_tap, menu.panel)
            tap_case = network.case(findings, {tap_id(next_tap): technique})
            option = value_of_test(tap_case, readings, technique, thresholds, current)
            options.append(dataclasses.replace(option, analyses=menu.panel))
            counts.append(_taps_to_rule_out(network, findings, technique, thresholds, current, menu.panel))
    zone = thresholds.zone(current)
    options = [_valued(o, current, harm_ratio, zone) for o in options]
    options.sort(key=lambda o: (not (imaging_first and o.test in events.get(menu.imaging, ())), -o.information_bits))
    plan = Plan(
        current, zone, thresholds, tuple(options), tuple(counts), case.floor(menu.panel), "", worthwhile,
        test_harm=test_harm, harm_ratio=harm_ratio, panel=menu.panel, left_out=menu.removed, lp_blocked=blocked,
        imaging_first=imaging_first and bool(options), p_mass_lesion=p_mass,
        discordant=discordant_taps(network, findings),
    )
    plan = dataclasses.replace(plan, notes=notes(network, findings, plan, menu))
    return dataclasses.replace(plan, advice=advice(plan, spec.n_taps))


def _lp_blocked(menu: Menu, p_mass: float | None, imaging_first: bool) -> str:
    """Why no LP is offered, or ``""``: left out, or a likely brain metastasis that no MRI can
    exclude (where the MRI is on offer it comes first instead)."""
    if not menu.lp:
        return f"an LP is left out (--without lp: {LP_REASONS})"
    if imaging_first or p_mass is None or p_mass < MASS_LESION_LIKELY:
        return ""
    return (
        f"a brain metastasis is likely (P = {percent(p_mass)}) and no MRI has excluded a mass lesion: "
        "image the brain first (CT where an MRI cannot be done)"
    )


def _valued(option: TestOption, current: float, harm_ratio: float, zone: str) -> TestOption:
    """The option with its expected gain, in units of B (module docstring). Outside the testing
    band a test changes management only where a result would flip the decision to treat:
    below the rule-out threshold, a result that only brings P(LM) back into the band does not."""
    def best(p: float) -> float:
        return max(p - (1.0 - p) * harm_ratio, 0.0)

    value = max(sum(o.probability * best(o.p_lm) for o in option.outcomes) - best(current), 0.0)
    changes = option.changes_management if zone == TEST else any(
        o.probability > 0 and (o.zone == TREAT) != (zone == TREAT) for o in option.outcomes
    )
    return dataclasses.replace(option, value=value, changes_management=changes)


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
    source = DERIVED
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
    zone = thresholds.zone(current)
    outcomes = []
    for index, (name, members) in enumerate(outcome_groups(spec, readings)):
        p = float(p_results[members].sum())
        after = float(joint[1, members].sum() / p) if p > 0 else current
        if p > 0 or len(readings) == 1:
            moved = thresholds.zone(after) if abs(after - current) >= MIN_CHANGE else zone
            another = moved == RULE_OUT and not tests_target and after < current and index > 0
            outcomes.append(Outcome(name, p, after, moved, another))
    info = sum(
        joint[l, t] * math.log2(joint[l, t] / (p_lm[l] * p_results[t]))
        for l in range(joint.shape[0])
        for t in range(joint.shape[1])
        if joint[l, t] > 0
    )
    first = spec.node(readings[0])
    label = first.label
    if first.tap:
        label = f"LP, tap {first.tap} ({panel_words(spec, tuple(spec.node(r).template for r in readings[1:]))})"
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


def outcome_groups(spec: NetworkSpec, readings: tuple[str, ...]) -> list[tuple[str, np.ndarray]]:
    """How the outcomes of a test are shown: each state of a single reading; for a tap with a
    panel, each cytology state, a negative cytology split by whether the panel is all normal;
    for another test with several readings (the MRI), each state of its first reading.

    The information in bits is computed over every combination of states; only the display
    is grouped.
    """
    shape = tuple(len(spec.node(r).states) for r in readings)
    grids = [g.reshape(-1) for g in np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")]
    first = spec.node(readings[0])
    if len(readings) == 1 or not first.tap:
        return [(state, grids[0] == i) for i, state in enumerate(first.states)]
    normal = np.logical_and.reduce([g == 0 for g in grids[1:]])
    negative = first.states[0]
    groups = [
        (f"{negative}, panel normal", (grids[0] == 0) & normal),
        (f"{negative}, panel abnormal", (grids[0] == 0) & ~normal),
    ]
    return groups + [(state, grids[0] == i) for i, state in enumerate(first.states) if i > 0]


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
