"""Replay a case step by step (:func:`replay`: P(LM), the likelihood ratio, the competing causes and
the EANO-ESMO level after each step) and the lesson built on it (:func:`lesson`): for each step,
the nomogram's answer and why the step matters.

**The naive chain of independent taps** (the Fagan answer). A Fagan nomogram multiplies the
odds by a fixed likelihood ratio for each tap, whatever came before. Here the chain starts at
the network's prior and, at step ``k``, multiplies its own odds by

* for each cytology result ``r`` of the step, the ratio of a first tap before any finding,
  ``LR(r) = P(csf_1 = r | LM) / P(csf_1 = r | no LM)`` (the nomogram's fixed ratio), and
* for the step's other findings ``f``, the ratio the network applies to them in context,
  ``odds(P(LM | E, f)) / odds(P(LM | E))`` with ``E`` every finding before the step,

so that the chain differs from the network only in treating taps as independent.

**Why a step matters.** Each step gets at most one reason, the first that holds of: a
positive cytology that brings P(LM) above the treatment threshold (:class:`RulesIn`); a step
whose findings neither LM causes nor cause LM, moving P(LM) through a competing cause whose
probability moves the other way (:class:`CompetingCause`, explaining away); P(LM) crossing a
threshold of the plan (:class:`CrossesThreshold`); a normal LM imaging test that leaves P(LM) above the rule-out threshold (:class:`NormalTest`); a
negative tap after a negative tap, moving the odds less (:class:`WeakerTap`); a first negative
tap (:class:`FirstNegativeTap`); a step that hardly moves P(LM) (:class:`NoMove`). Every
number in a reason is the network's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from lmbayes._numbers import percent
from lmbayes.cases import CaseFile
from lmbayes.findings import Findings
from lmbayes.guesses import ClassGuesses, Score, Spread, score
from lmbayes.network import Network
from lmbayes.plan import DEFAULT_THRESHOLDS, Thresholds
from lmbayes.taps import apply_likelihood_ratio
from lmbayes.explain import Conflict, LevelGap, conflict, eano_level
from lmbayes.review import Discordance, review

__all__ = [
    "CompetingCause",
    "Replay",
    "ReplayRow",
    "CrossesThreshold",
    "FirstNegativeTap",
    "Lesson",
    "LessonStep",
    "NoMove",
    "NormalTest",
    "Reason",
    "RulesIn",
    "Scorecard",
    "WeakerTap",
    "lesson",
    "replay",
    "scorecard",
]

#: A step whose likelihood ratio lies within this factor of 1 hardly moves P(LM).
NO_MOVE = 1.05


@dataclass(frozen=True)
class ReplayRow:
    step: int
    label: str
    findings: tuple[str, ...]
    p_lm_before: float
    p_lm_after: float
    likelihood_ratio: float | None  # None where P(LM) is 0 or 1 and odds are undefined
    causes: Mapping[str, float]
    eano_esmo: str


class Replay(NamedTuple):
    """A replayed case: one row per step and the conflict of all its findings (unpacks as a pair)."""

    rows: tuple[ReplayRow, ...]
    conflict: Conflict

    def _repr_html_(self) -> str:
        from lmbayes._html import replay_html

        return replay_html(self)


def replay(network: Network, case: CaseFile) -> Replay:
    """One row per step of the case, and the conflict measure of all its findings.

    ``case.findings`` holds the checked findings after each step (:func:`lmbayes.cases.load_case`).
    """
    rows = []
    before = network.posterior(Findings()).p_target
    previous: Findings = Findings()
    causes_of = set(network.spec.causes)
    for k, (step, findings) in enumerate(zip(case.steps, case.findings), start=1):
        post = network.posterior(findings)
        after = post.p_target
        added = [f"{n}={s}" for n, s in findings.states.items() if n not in previous]
        lr = _odds(after) / _odds(before) if 0 < before < 1 and 0 < after < 1 else None
        causes = {n: d[list(d)[-1]] for n, d in post.posterior.items() if n in causes_of}
        rows.append(ReplayRow(k, step.label, tuple(added), before, after, lr, causes, eano_level(network, findings)))
        before, previous = after, findings
    return Replay(tuple(rows), conflict(network, case.findings[-1]))



class Reason:
    """Why a step matters, in one sentence; ``kind`` names the reason in JSON."""

    kind: ClassVar[str]
    json_extra: ClassVar[tuple[str, ...]] = ("kind", "text")

    def sentence(self) -> str:
        raise NotImplementedError

    @property
    def text(self) -> str:
        return self.sentence()


def _lr(lr: float) -> str:
    """A likelihood ratio as shown in sentences: two decimals below 10, whole above."""
    return f"{lr:.2f}" if lr < 10 else f"{lr:.0f}"


@dataclass(frozen=True)
class RulesIn(Reason):
    likelihood_ratio: float
    p_after: float
    false_positive: float  # P(a first tap positive | no LM)

    kind: ClassVar[str] = "rules_in"

    def sentence(self) -> str:
        return (
            f"A positive cytology rules in: it multiplies the odds by {_lr(self.likelihood_ratio)}, because "
            f"only {percent(self.false_positive)} of taps are positive without LM, so P(LM) reaches "
            f"{percent(self.p_after)}."
        )


@dataclass(frozen=True)
class CrossesThreshold(Reason):
    threshold: float
    p_before: float
    p_after: float
    below: bool  # crossed the rule-out threshold downwards (else the treatment one upwards)

    kind: ClassVar[str] = "crosses_threshold"

    def sentence(self) -> str:
        if self.below:
            return (
                f"This step changes the plan: P(LM) falls from {percent(self.p_before)} to "
                f"{percent(self.p_after)}, below the rule-out threshold of {percent(self.threshold)}, "
                "where LM can be set aside."
            )
        return (
            f"This step changes the plan: P(LM) rises from {percent(self.p_before)} to "
            f"{percent(self.p_after)}, above the treatment threshold of {percent(self.threshold)}."
        )


@dataclass(frozen=True)
class CompetingCause(Reason):
    cause: str
    cause_before: float
    cause_after: float
    likelihood_ratio: float

    kind: ClassVar[str] = "competing_cause"

    def sentence(self) -> str:
        name = self.cause[0].lower() + self.cause[1:]
        if self.likelihood_ratio < 1:
            return (
                f"Nothing here is caused by LM, yet P(LM) falls: {name} rises from "
                f"{percent(self.cause_before)} to {percent(self.cause_after)} and explains the signs, "
                "so LM is less needed to explain them (explaining away)."
            )
        return (
            f"Nothing here is caused by LM, yet P(LM) rises: {name} falls from "
            f"{percent(self.cause_before)} to {percent(self.cause_after)}, so LM has more of the "
            "signs left to explain."
        )


@dataclass(frozen=True)
class NormalTest(Reason):
    test: str
    likelihood_ratio: float
    p_after: float
    missed: float  # P(the test normal | LM)
    threshold: float

    kind: ClassVar[str] = "normal_test"

    def sentence(self) -> str:
        return (
            f"A normal {self.test[0].lower() + self.test[1:]} lowers the odds (x{_lr(self.likelihood_ratio)}) but does not rule out: "
            f"it is normal in {percent(self.missed)} of patients with LM, and P(LM) stays at "
            f"{percent(self.p_after)}, above the rule-out threshold of {percent(self.threshold)}."
        )


@dataclass(frozen=True)
class WeakerTap(Reason):
    likelihood_ratio: float
    previous: float

    kind: ClassVar[str] = "weaker_tap"

    #: the negative taps of the step
    taps: int = 1

    def sentence(self) -> str:
        these = "This negative tap moves" if self.taps == 1 else f"These {_count(self.taps)} negative taps move"
        return (
            f"{these} the odds less than the one before (x{_lr(self.likelihood_ratio)} "
            f"against x{_lr(self.previous)}): the patients with LM still undetected are more often "
            "those whose tumour burden cytology cannot see."
        )


@dataclass(frozen=True)
class FirstNegativeTap(Reason):
    likelihood_ratio: float
    missed: float  # P(the step's taps all negative | LM)
    #: the negative taps of the step
    taps: int = 1

    kind: ClassVar[str] = "first_negative_tap"

    def sentence(self) -> str:
        if self.taps == 1:
            return (
                f"A negative cytology lowers the odds (x{_lr(self.likelihood_ratio)}) but one tap is negative "
                f"in {percent(self.missed)} of patients with LM."
            )
        n = _count(self.taps)
        return (
            f"{n.capitalize()} negative cytologies lower the odds (x{_lr(self.likelihood_ratio)}) but {n} taps "
            f"are all negative in {percent(self.missed)} of patients with LM."
        )


def _count(n: int) -> str:
    """A count of taps in words.

    >>> _count(2), _count(12)
    ('two', '12')
    """
    return {2: "two", 3: "three", 4: "four", 5: "five", 6: "six"}.get(n, str(n))


@dataclass(frozen=True)
class NoMove(Reason):
    likelihood_ratio: float

    kind: ClassVar[str] = "no_move"

    def sentence(self) -> str:
        return (
            f"This step hardly moves P(LM) (x{_lr(self.likelihood_ratio)}): given what was known, it is "
            "about as likely with LM as without."
        )


@dataclass(frozen=True)
class LessonStep:
    """A replayed step, the naive chain's P(LM) after it, and why it matters (or None)."""

    row: ReplayRow
    fagan: float
    why: Reason | None


@dataclass(frozen=True)
class Lesson:
    """A case replayed for teaching (see the module docstring)."""

    case: CaseFile
    prior: float
    steps: tuple[LessonStep, ...]
    conflict: Conflict
    gap: LevelGap | None
    #: taps whose other analyses contradict their positive cytology, at the last step
    discordant: tuple[Discordance, ...] = ()

    @property
    def rows(self) -> tuple[ReplayRow, ...]:
        return tuple(s.row for s in self.steps)

    @property
    def network(self) -> tuple[float, ...]:
        """P(LM) after each step, in the network."""
        return tuple(s.row.p_lm_after for s in self.steps)

    @property
    def fagan(self) -> tuple[float, ...]:
        """P(LM) after each step, in the naive chain of independent taps."""
        return tuple(s.fagan for s in self.steps)


def _odds(p: float) -> float:
    return p / (1.0 - p)


def _ratio(before: float, after: float) -> float | None:
    return _odds(after) / _odds(before) if 0 < before < 1 and 0 < after < 1 else None


class _Context:
    """What every step's reasons and the naive chain need of the network, computed once."""

    def __init__(self, network: Network, thresholds: Thresholds) -> None:
        spec = network.spec
        self.network, self.spec, self.thresholds = network, spec, thresholds
        self.prior = network.posterior(Findings()).p_target
        self.causes_prior = {n: d[list(d)[-1]] for n, d in network.posterior(Findings()).posterior.items() if n in spec.causes}
        states = spec.node(spec.target).states
        absent, present = states[0], states[-1]
        self.imaging = tuple(n.id for n in spec.of_kind("test") if n.parents[:1] == (spec.target,))
        first = spec.taps[0] if spec.taps else None
        watched = [*self.imaging, *([first] if first else [])]
        given = {s: network.posterior(network.observe({spec.target: s}), nodes=watched).posterior for s in (absent, present)}
        self.with_lm, self.without_lm = given[present], given[absent]
        self.tap_lr = {
            r: given[present][first][r] / given[absent][first][r]
            for r in spec.tap_states
            if first and given[absent][first][r] > 0
        }
        self.lm_relatives = self._related(spec.target)

    def _related(self, node: str) -> frozenset[str]:
        """The ancestors and descendants of ``node``: what LM causes and what causes LM."""
        children = {n.id: [c.id for c in self.spec.nodes if n.id in c.parents] for n in self.spec.nodes}
        found: set[str] = set()
        for step in (lambda v: self.spec.node(v).parents, lambda v: children[v]):
            stack = [node]
            while stack:
                for w in step(stack.pop()):
                    if w not in found:
                        found.add(w)
                        stack.append(w)
        return frozenset(found)

    def all_negative_with_lm(self, k: int) -> float:
        """P(the first ``k`` taps all negative | LM)."""
        spec = self.spec
        if k == 1:
            return float(self.with_lm[spec.taps[0]][spec.tap_states[0]])
        present = len(spec.node(spec.target).states) - 1
        joint = self.network.engine_for().joint(tuple(spec.taps[:k]), {spec.target: present})
        return float(joint[(0,) * k] / joint.sum())

    def tap_states(self, results: Sequence[str]) -> tuple[str, ...]:
        """The tap states of cytology results as a case writes them (``neg``, ``negative@5ml``)."""
        if not results:
            return ()
        findings = self.network.observe({}, list(results))
        return tuple(findings.states[t] for t in self.spec.taps[: len(results)])

    def p_lm(self, findings: dict[str, str], csf: Sequence[str]) -> float:
        return self.network.posterior(self.network.observe(findings, list(csf))).p_target


def lesson(network: Network, case: CaseFile, thresholds: Thresholds = DEFAULT_THRESHOLDS) -> Lesson:
    """The case replayed (:func:`replay`), with the naive chain and a reason
    for each step (module docstring). ``thresholds`` are the plan's (rule out, treat)."""
    rows, conf = replay(network, case)
    ctx = _Context(network, thresholds)
    last = review(network, case.findings[-1], rows[-1].p_lm_after, treat=thresholds.treat)
    gap, discordant = (None, ()) if last is None else (last.disagreement, last.discordant)
    steps = []
    naive = ctx.prior
    causes_before: Mapping[str, float] = ctx.causes_prior
    last_negative_tap: float | None = None
    for k, (step, row) in enumerate(zip(case.steps, rows), start=1):
        before, csf_before = case.findings_until(k - 1)
        taps = ctx.tap_states(step.csf)
        naive = _naive_step(ctx, naive, row, before, csf_before, step.findings, taps)
        negative_taps_only = bool(taps) and not step.findings and set(taps) == {ctx.spec.tap_states[0]}
        why = _why(ctx, row, causes_before, step.findings, taps, last_negative_tap, negative_taps_only)
        if negative_taps_only:
            last_negative_tap = row.likelihood_ratio
        steps.append(LessonStep(row, naive, why))
        causes_before = row.causes
    return Lesson(case, ctx.prior, tuple(steps), conf, gap, discordant)


def _naive_step(
    ctx: _Context, naive: float, row: ReplayRow, before: dict[str, str], csf_before: list[str],
    findings: Sequence[tuple[str, str]], taps: Sequence[str],
) -> float:
    """The naive chain's P(LM) after a step (module docstring)."""
    if findings and taps:  # the other findings in context, then the taps at the fixed ratio
        other = _ratio(row.p_lm_before, ctx.p_lm({**before, **dict(findings)}, csf_before))
    else:
        other = row.likelihood_ratio if findings else 1.0
    if other is None:  # the network is certain: so is the chain
        return row.p_lm_after
    naive = apply_likelihood_ratio(naive, other)
    for state in taps:
        naive = apply_likelihood_ratio(naive, ctx.tap_lr.get(state, 1.0))
    return naive


def _why(
    ctx: _Context, row: ReplayRow, causes_before: Mapping[str, float], findings: Sequence[tuple[str, str]],
    taps: Sequence[str], previous_tap_lr: float | None, negative_taps_only: bool,
) -> Reason | None:
    """The first reason that holds of the step (module docstring), or None."""
    spec, t = ctx.spec, ctx.thresholds
    lr, before, after = row.likelihood_ratio, row.p_lm_before, row.p_lm_after
    positive = spec.tap_states[-1] if spec.taps else None
    if positive is not None and positive in taps and after >= t.treat and lr is not None:
        return RulesIn(lr, after, ctx.without_lm[spec.taps[0]][positive])
    nodes = {n for n, _ in findings}
    if lr is not None and nodes and not taps and not nodes & ctx.lm_relatives and abs(lr - 1) > NO_MOVE - 1:
        sign = 1 if lr < 1 else -1  # the cause that moved the other way most
        change = {c: sign * (row.causes[c] - causes_before[c]) for c in row.causes}
        cause = max(change, key=change.__getitem__)
        if change[cause] > 0:
            return CompetingCause(spec.node(cause).label, causes_before[cause], row.causes[cause], lr)
    if before >= t.rule_out > after or before < t.treat <= after:
        return CrossesThreshold(t.rule_out if after < t.rule_out else t.treat, before, after, after < t.rule_out)
    if lr is None:
        return None
    for node, state in findings:
        if node in ctx.imaging and state == spec.node(node).states[0] and after >= t.rule_out and lr < 1:
            return NormalTest(spec.node(node).label, lr, after, ctx.with_lm[node][state], t.rule_out)
    if negative_taps_only and previous_tap_lr is not None and lr > previous_tap_lr:
        return WeakerTap(lr, previous_tap_lr, len(taps))
    if negative_taps_only and previous_tap_lr is None:
        return FirstNegativeTap(lr, ctx.all_negative_with_lm(len(taps)), len(taps))
    if 1 / NO_MOVE < lr < NO_MOVE:
        return NoMove(lr)
    return None


@dataclass(frozen=True)
class Scorecard:
    """Guesses typed in the room and a class's guesses, scored against the network and the
    naive chain (:mod:`lmbayes.guesses`); the chain is scored against the network too.

    ``closer_to_network`` counts the students whose guesses are closer (Brier) to the network
    than to the chain, of ``students``."""

    guesses: tuple[float | None, ...]
    you_vs_network: Score | None
    you_vs_fagan: Score | None
    fagan_vs_network: Score | None
    class_spread: tuple[Spread | None, ...] | None
    class_vs_network: Score | None
    class_vs_fagan: Score | None
    closer_to_network: int | None
    students: int | None

    @property
    def taps_matter(self) -> bool:
        """Whether the naive chain differs from the network (a case with repeated taps)."""
        return self.fagan_vs_network is not None and self.fagan_vs_network.brier > 1e-12


def scorecard(lesson: Lesson, guesses: Sequence[float | None] = (), group: ClassGuesses | None = None) -> Scorecard:
    """Score the guesses of the room (one per step, None where not guessed) and of a class."""
    network, fagan = lesson.network, lesson.fagan
    typed = tuple(guesses) + (None,) * (len(network) - len(guesses))
    median = group.median if group is not None else ()
    return Scorecard(
        guesses=typed,
        you_vs_network=score(typed, network),
        you_vs_fagan=score(typed, fagan),
        fagan_vs_network=score(fagan, network),
        class_spread=group.spread if group is not None else None,
        class_vs_network=score(median, network) if group is not None else None,
        class_vs_fagan=score(median, fagan) if group is not None else None,
        closer_to_network=group.closer_to(network, fagan) if group is not None else None,
        students=len(group.students) if group is not None else None,
    )
