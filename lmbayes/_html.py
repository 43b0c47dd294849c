"""HTML tables for notebooks: the ``_repr_html_`` of the posterior, the tap table, the plan and
a replay. Plain HTML (no style sheet, no script), every text escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING

from lmbayes._numbers import percent

if TYPE_CHECKING:
    from lmbayes.network import Posterior
    from lmbayes.plan import Plan
    from lmbayes.taps import TapTable
    from lmbayes.replay import Replay

__all__ = ["plan_html", "posterior_html", "replay_html", "taps_html"]

NOTE = "For planning and teaching; not a medical device."


def _table(head: Sequence[str], rows: Iterable[Sequence[object]], caption: str) -> str:
    cells = "".join(f"<th>{escape(str(h))}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return (
        f"<table><caption>{escape(caption)}</caption><thead><tr>{cells}</tr></thead>"
        f"<tbody>{body}</tbody></table><p><small>{escape(NOTE)}</small></p>"
    )


def posterior_html(post: Posterior) -> str:
    """The posterior as a table: each summary node's last state, prior and now.

    >>> from lmbayes import load_network
    >>> html = load_network().posterior({"headache": "present"})._repr_html_()
    >>> html.startswith("<table><caption>P(LM) 4.6%")
    True
    """
    rows = []
    for node, dist in post.posterior.items():
        state = list(dist)[-1]
        rows.append((f"{node} = {state}", percent(post.prior[node][state]), percent(dist[state])))
    findings = ", ".join(f"{n}={s}" for n, s in post.findings.items()) or "none"
    return _table(("", "prior", "now"), rows, f"P(LM) {percent(post.p_target)}; findings: {findings}")


def taps_html(table: TapTable) -> str:
    """The tap table, one row per further tap."""
    rows = [
        (
            s.tap,
            percent(s.p_positive),
            percent(s.p_lm_if_positive),
            percent(s.p_lm_if_negative),
            "-" if s.likelihood_ratio is None else f"{s.likelihood_ratio:.2f}",
            percent(s.p_lm_if_negative_fagan),
        )
        for s in table.steps
    ]
    head = ("tap", "P(tap +)", "P(LM) if +", "P(LM) if -", "LR(-)", "Fagan")
    caption = f"P(LM) now {percent(table.current)} ({table.taps_done} taps done); floor {percent(table.floor)}"
    return _table(head, rows, caption)


def plan_html(plan: Plan) -> str:
    """Each test not yet done with P(LM) after each of its results, and the advice."""
    rows = []
    for option in plan.tests:
        how = "" if option.technique is None else " (usual)" if option.technique.usual else " (stated technique)"
        for o in option.outcomes:
            rows.append((option.label + how, f"{option.information_bits:.3f}", o.state, percent(o.probability), percent(o.p_lm), o.zone))
    head = ("test", "bits", "result", "P(result)", "P(LM) after", "zone")
    return _table(head, rows, f"P(LM) now {percent(plan.current)}. {plan.advice}")


def replay_html(replay: Replay) -> str:
    """A replayed case: P(LM) before and after each step, its likelihood ratio and level."""
    rows = [
        (
            r.step,
            r.label,
            ", ".join(r.findings),
            f"{percent(r.p_lm_before)} -> {percent(r.p_lm_after)}",
            "-" if r.likelihood_ratio is None else f"{r.likelihood_ratio:.2f}",
            r.eano_esmo,
        )
        for r in replay.rows
    ]
    return _table(("#", "step", "findings", "P(LM)", "LR", "EANO-ESMO"), rows, replay.conflict.sentence())
