"""The replay at the front of the room: the ladder, one step at a time, guesses and scores.

Text only; every number comes from :mod:`lmbayes.replay`. Lines fit :func:`columns`: the
terminal's width up to 80 columns (so that large fonts work), 80 when not a terminal.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import click

from lmbayes.cli._format import DISCLAIMER, _cut, _plain, _style, dumps, network_json
from lmbayes.errors import InputError
from lmbayes.guesses import ClassGuesses, Score, Spread, parse_guess
from lmbayes.taps import percent

if TYPE_CHECKING:
    from lmbayes.replay import Lesson, LessonStep, Scorecard
    from lmbayes.network import Network

#: The narrowest text laid out (a terminal narrower than this wraps).
MIN_COLUMNS = 40
#: A table row of the ladder needs this many columns beside the step's label and level.
_NUMBERS = 36


def columns() -> int:
    """The terminal's width, at most 80 and at least :data:`MIN_COLUMNS`; 80 when not a terminal."""
    if not sys.stdout.isatty():
        return 80
    return max(MIN_COLUMNS, min(80, shutil.get_terminal_size((80, 24)).columns))


def interactive() -> bool:
    """Whether guesses can be typed: standard input is a terminal."""
    return sys.stdin.isatty()


def _wrap(text: str, cols: int, indent: str = "", first: str | None = None) -> list[str]:
    """``text`` in lines of ``cols``: the first indented by ``first`` (default ``indent``)."""
    initial = indent if first is None else first
    return textwrap.wrap(text, cols, initial_indent=initial, subsequent_indent=indent) or [""]


def _lr(step: LessonStep) -> str:
    lr = step.row.likelihood_ratio
    return f"{lr:.2f}" if lr is not None else "-"


def _causes(step: LessonStep) -> str:
    return ", ".join(f"{k} {percent(v)}" for k, v in step.row.causes.items())


def title_lines(net: Network, lesson: Lesson, cols: int) -> list[str]:
    case = lesson.case
    title = f"Case {case.name}: {case.title} (network {net.identity}{'; source: ' + case.source if case.source else ''})."
    return [*_wrap(title, cols, "  ", ""), *_wrap(DISCLAIMER, cols)]


def ladder_lines(lesson: Lesson, cols: int) -> list[str]:
    """The ladder: a table row per step where the terminal is wide enough, else two lines."""
    lines = []
    level_width = max(len("EANO-ESMO"), *(len(s.row.eano_esmo) for s in lesson.steps))
    label_width = cols - _NUMBERS - level_width
    wide = label_width >= 20
    if wide:
        lines.append(f"{'#':>2}  {'step':<{label_width}} {'P(LM) before -> after':>21} {'LR':>7}  {'EANO-ESMO'}")
        lines.append(f"{'':>2}  {'(prior)':<{label_width}} {percent(lesson.prior):>21}")
    else:
        lines += _wrap(f"Before any finding (the prior): P(LM) {percent(lesson.prior)}.", cols)
    for s in lesson.steps:
        r = s.row
        change = f"{percent(r.p_lm_before)} -> {percent(r.p_lm_after)}"
        if wide:
            lines.append(f"{r.step:>2}  {_cut(r.label, label_width):<{label_width}} {change:>21} {_lr(s):>7}  {r.eano_esmo}")
        else:
            lines += _wrap(r.label, cols, "    ", f"{r.step:>2}  ")
            lines += _wrap(f"P(LM) {change}, LR {_lr(s)}, {r.eano_esmo}", cols, "      ", "    ")
        lines += _wrap(", ".join(r.findings), cols, " " * 6, " " * 4)
        lines += _wrap(f"competing causes: {_causes(s)}", cols, " " * 6, " " * 4)
        if s.why is not None:
            lines += _wrap(f"why: {s.why.sentence()}", cols, " " * 6, " " * 4)
    return lines


LEGEND = (
    "LR: the factor the step applied to the odds of LM, given every step before it. EANO-ESMO: "
    "level of certainty without biopsy (confirmed, probable, possible, lack of evidence); "
    "equivocal cytology counts as not positive."
)


def lesson_text(net: Network, lesson: Lesson, card: Scorecard, cols: int) -> str:
    """The whole lesson: the ladder, the guesses and their scores, and the teaching note."""
    lines = [*title_lines(net, lesson, cols), "", *ladder_lines(lesson, cols), ""]
    lines += [*_gap_text_at(lesson, cols), *_wrap(lesson.conflict.sentence(), cols), *_wrap(LEGEND, cols)]
    guessed = any(q is not None for q in card.guesses) or card.class_spread is not None
    if guessed:
        lines += ["", *guess_lines(lesson, card, cols), "", *score_lines(card, cols)]
    if lesson.case.note:
        lines += ["", *_wrap(f"Teaching note: {lesson.case.note}", cols)]
    return "\n".join(lines)


def _gap_text_at(lesson: Lesson, cols: int) -> list[str]:
    lines = [] if lesson.gap is None else _wrap(lesson.gap.sentence(), cols)
    for d in lesson.discordant:
        lines += [_style(line, "yellow") for line in _wrap(d.sentence(), cols)]
    return lines


def _spread(s: Spread | None, ranges: bool) -> str:
    if s is None:
        return "-"
    if not ranges:
        return f"{100 * s.median:.0f}%"
    return f"{100 * s.median:.0f}% ({100 * s.low:.0f}-{100 * s.high:.0f}%, {s.n})"


def guess_lines(lesson: Lesson, card: Scorecard, cols: int) -> list[str]:
    """Guesses beside the network and the naive chain, step by step."""
    typed = any(q is not None for q in card.guesses)
    spread = card.class_spread
    for ranges in (True, False):
        head = f"{'#':>2}" + (f"  {'you':>5}" if typed else "")
        if spread is not None:
            width = max(len(_spread(s, ranges)) for s in spread) if spread else 5
            width = max(width, len("class median" + (" (range, n)" if ranges else "")))
            head += f"  {'class median' + (' (range, n)' if ranges else ''):<{width}}"
        head += f"  {'network':>7}  {'Fagan':>6}"
        rows = [head]
        for k, s in enumerate(lesson.steps):
            q = card.guesses[k]
            row = f"{k + 1:>2}" + (f"  {'-' if q is None else f'{100 * q:.0f}%':>5}" if typed else "")
            if spread is not None:
                row += f"  {_spread(spread[k], ranges):<{width}}"
            row += f"  {percent(s.row.p_lm_after):>7}  {percent(s.fagan):>6}"
            rows.append(row)
        if max(map(len, rows)) <= cols:
            break
    title = "P(LM) after each step: " + ", ".join(
        [*(["your guesses"] if typed else []), *(["the class's"] if spread is not None else []),
         "the network's", "the Fagan chain's (independent taps)"]
    )
    return [*_wrap(title, cols), *rows]


def score_lines(card: Scorecard, cols: int) -> list[str]:
    """Scores of the guesses against the network and the naive chain, with how to read them."""
    pairs: list[tuple[str, Score | None]] = []
    if any(q is not None for q in card.guesses):
        pairs.append(("your guesses vs the network", card.you_vs_network))
        if card.taps_matter:
            pairs.append(("your guesses vs the Fagan chain", card.you_vs_fagan))
    if card.class_spread is not None:
        pairs.append(("class median vs the network", card.class_vs_network))
        if card.taps_matter:
            pairs.append(("class median vs the Fagan chain", card.class_vs_fagan))
    if card.taps_matter:
        pairs.append(("the Fagan chain vs the network", card.fagan_vs_network))
    width = max(len(name) for name, _ in pairs)
    table = [f"  {'':<{width}}  {'Brier':>6}  {'log score':>10}  {'steps':>5}"]
    for name, score in pairs:
        if score is None:
            table.append(f"  {name:<{width}}  {'-':>6}  {'-':>10}  {0:>5}")
        else:
            table.append(f"  {name:<{width}}  {score.brier:>6.4f}  {score.log_score:>5.3f} bits  {score.steps:>5}")
    lines = _wrap(
        "Scores against a reference (0: the same as the reference; Brier: mean squared difference; "
        "log score: information lost, in bits; lower is closer):", cols,
    )
    if max(map(len, table)) <= cols:
        lines += table
    else:
        for name, score in pairs:
            said = "no guesses" if score is None else f"Brier {score.brier:.4f}, log score {score.log_score:.3f} bits, {score.steps} steps"
            lines += _wrap(f"{name}: {said}", cols, "    ", "  ")
    verdict = _verdict(card)
    if verdict:
        lines += _wrap(verdict, cols)
    return lines


def _verdict(card: Scorecard) -> str:
    if not card.taps_matter:
        return "No repeated taps in this case: the Fagan chain is the network."
    said = []
    you, fagan = card.you_vs_network, card.you_vs_fagan
    if you is not None and fagan is not None:
        closer = "the network" if you.brier < fagan.brier else "the Fagan chain" if fagan.brier < you.brier else "neither"
        said.append(f"Your guesses are closer to {closer}.")
    if card.closer_to_network is not None:
        said.append(f"{card.closer_to_network} of {card.students} students guessed closer to the network than to the Fagan chain.")
    return " ".join(said)


# The stepped replay.

INSTRUCTIONS = "At each step: type your guess of P(LM) in % and press Enter, or Enter alone to see the answer; q quits."


def step_question(lesson: Lesson, k: int, cols: int) -> list[str]:
    """The screen of step ``k`` (from 1) before the answer: the new finding and P(LM) so far."""
    s = lesson.steps[k - 1]
    lines = ["─" * cols, *_wrap(f"Step {k} of {len(lesson.steps)}: {s.row.label}", cols, "  ", "")]
    lines += _wrap(", ".join(s.row.findings), cols, "    ", "  ")
    lines += _wrap(f"P(LM) before this step: {percent(s.row.p_lm_before)}.", cols)
    return lines


def step_answer(lesson: Lesson, k: int, guess: float | None, group: ClassGuesses | None, cols: int) -> list[str]:
    """The answer of step ``k``: P(LM) before and after, the LR, the causes, the level, why."""
    s = lesson.steps[k - 1]
    r = s.row
    yours = f" (your guess: {100 * guess:.0f}%)" if guess is not None else ""
    lines = _wrap(f"P(LM): {percent(r.p_lm_before)} -> {percent(r.p_lm_after)}{yours}", cols)
    if r.likelihood_ratio is not None:
        lines += _wrap(f"Likelihood ratio {r.likelihood_ratio:.2f}: the step multiplied the odds of LM by it.", cols)
    if group is not None:
        spread = group.spread[k - 1]
        said = "no student guessed" if spread is None else (
            f"median {100 * spread.median:.0f}%, from {100 * spread.low:.0f}% to {100 * spread.high:.0f}% "
            f"({spread.n} student{'s' if spread.n != 1 else ''})"
        )
        lines += _wrap(f"The class: {said}.", cols)
    if abs(s.fagan - r.p_lm_after) >= 0.0005:
        lines += _wrap(f"The Fagan chain (independent taps) would say {percent(s.fagan)}.", cols)
    lines += _wrap(f"EANO-ESMO level: {r.eano_esmo}.", cols)
    lines += _wrap(f"Competing causes: {_causes(s)}.", cols, "  ", "")
    if s.why is not None:
        lines += _wrap(f"Why: {s.why.sentence()}", cols)
    return lines


def run_steps(
    lesson: Lesson, group: ClassGuesses | None, cols: int, read: Callable[[], str], err: bool = False,
    guesses: list[float | None] | None = None,
) -> tuple[float | None, ...] | None:
    """Step through the lesson: question, a guess (or Enter), answer; screens on stderr when
    ``err``. The guesses, one per step; None when the room quits (``q``, the end of input, or
    a terminal that closed). ``guesses``, if given, holds the guesses of the steps answered so
    far, whatever ends the run (Ctrl-C included)."""

    def say(lines: Sequence[str], nl: bool = True) -> None:
        click.echo("\n".join(lines), nl=nl, err=err)

    guesses = guesses if guesses is not None else []
    say([*_wrap(INSTRUCTIONS, cols), *_wrap(f"Before any finding P(LM) is {percent(lesson.prior)} (the prior).", cols)])
    for k in range(1, len(lesson.steps) + 1):
        say(step_question(lesson, k, cols))
        while True:
            say(["P(LM) now, in %? "], nl=False)
            try:
                line = read()
            except (OSError, ValueError):  # the terminal closed (EIO), or standard input did
                line = ""
            if not line or line.strip().lower() in ("q", "quit"):
                if not line:  # the end of input: the prompt's line is still open
                    say([""])
                say([f"Stopped at step {k} of {len(lesson.steps)}."])
                return None
            try:
                guess = parse_guess(line)
                break
            except InputError as exc:
                say(_wrap(f"{exc}; or Enter alone to see the answer, or q to quit.", cols))
        guesses.append(guess)
        say(step_answer(lesson, k, guess, group, cols))
    say(["─" * cols])
    return tuple(guesses)


def lesson_json(net: Network, lesson: Lesson, card: Scorecard, stopped_at: int | None = None) -> str:
    """The lesson as JSON; ``stopped_at``, the step at which the room stopped (the steps after
    it were not shown, and their guesses are null)."""
    case = lesson.case
    stop = {} if stopped_at is None else {"stopped_at_step": stopped_at}
    return dumps({
        **stop,
        "level_gap": lesson.gap,
        "discordant_taps": lesson.discordant,
        "case": case.name,
        "title": case.title,
        **network_json(net),
        "prior": lesson.prior,
        "steps": [{**_plain(s.row), "fagan": s.fagan, "why": s.why} for s in lesson.steps],
        "conflict": lesson.conflict,
        "note": case.note,
        "scores": card,
    })
