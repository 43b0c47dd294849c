"""Text and JSON of the teaching analyses: explain and dependence."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lmbayes.cli._format import _all_taps_done, _cut, _plain, _ratio, dumps, header, network_json, review_lines, width
from lmbayes.taps import percent

if TYPE_CHECKING:
    from lmbayes.findings import Findings
    from lmbayes.network import Network, Posterior
    from lmbayes.explain import Attribution, Conflict, Dependence
    from lmbayes.review import Review


def explain_text(
    net: Network, post: Posterior, items: Sequence[Attribution], conf: Conflict, rv: Review | None = None
) -> str:
    lines = header(net, post.findings)
    prior = post.prior[net.target][list(post.prior[net.target])[-1]]
    if not items:
        return "\n".join(lines + ["No findings to explain: give some with -e NODE=STATE or --csf."])
    total = sum(a.shapley_db for a in items)
    lines.append(f"P(LM): {percent(prior)} before any finding, {percent(post.p_target)} now ({total:+.1f} dB in all).")
    if any(a.members for a in items):
        from lmbayes.explain import MAX_SHAPLEY

        lines.append(textwrap.fill(
            f"{len(post.findings)} findings, more than the {MAX_SHAPLEY} attributed one by one: each tap's "
            "analyses, the signs and each test's readings are attributed together (still exact).", width()))
    lines.append("")
    finding_width = min(36, max(len(a.finding) for a in items))
    room = max(5, width() - (finding_width + 12 + 9 + 11 + 2))
    lines.append(f"{'finding':<{finding_width}} {'order-free':>11} {'x odds':>8} {'added last':>10}")
    for a in items:
        bar_text = _db_bar(a.shapley_db)[:room]
        lines.append(
            f"{_cut(a.finding, finding_width):<{finding_width}} {a.shapley_db:>8.1f} dB {a.shapley_odds_ratio:>8.2f} "
            f"{a.in_context_lr:>9.2f}x  {bar_text}".rstrip()
        )
    lines.append("")
    lines += [textwrap.fill(a.sentence(), width(), subsequent_indent="  ") for a in items]
    lines += ["", *review_lines(rv), textwrap.fill(conf.sentence(), width())]
    lines.append(
        textwrap.fill(
            "Order-free: the Shapley value, the average over every order of arrival (exact); the values "
            "add up to the whole change. Added last: the likelihood ratio given all the other findings. "
            "1 dB (deciban) = 10 log10 of the odds multiplier.",
            width(),
        )
    )
    return "\n".join(lines)


def _db_bar(db: float, per_char: float = 1.0) -> str:
    """``+`` or ``-`` bars, one character per deciban (at most 20).

    >>> _db_bar(3.2), _db_bar(-2.0)
    ('+++', '--')
    """
    return ("+" if db > 0 else "-") * min(round(abs(db) / per_char), 20)


def explain_json(
    net: Network, post: Posterior, items: Sequence[Attribution], conf: Conflict, rv: Review | None = None
) -> str:
    return dumps({
        "review": rv,
        **network_json(net),
        "findings": post.findings,
        "p_lm": post.p_target,
        "current": post.p_target,
        "attributions": items,
        "conflict": conf,
    })


def dependence_text(net: Network, findings: Findings, result: Dependence) -> str:
    lines = header(net, findings) + [""]
    rows = result.rows
    if not rows:
        if findings.taps_done < net.spec.n_taps:
            return "\n".join(lines + ["The findings fix P(LM): further taps cannot change it."])
        return "\n".join(lines + [_all_taps_done(net.spec.n_taps)])
    lines.append(f"{'more':>4}  {'P(LM) if all negative':^32}  {'LR':>6}  {'yield among LM':^21}".rstrip())
    lines.append(f"{'taps':>4}  {'network':>10} {'chained':>10} {'Fagan':>10}  {'applied':>6}  {'network':>10} {'chained':>10}")
    for r in rows:
        lr = _ratio(r.likelihood_ratio)
        lines.append(
            f"{r.taps:>4}  {percent(r.network):>10} {percent(r.chained):>10} {percent(r.fagan):>10}  {lr:>6}  "
            f"{percent(r.yield_network):>10} {percent(r.yield_chained):>10}"
        )
    lines.append("")
    lines.append(
        textwrap.fill(
            "Chained: the same taps, each with exactly the network's probabilities of a negative and a "
            "positive next tap given the findings, but independent of each other. Fagan: the published "
            "single-tap likelihood ratio chained, as a Fagan nomogram does (the same name in `taps` and "
            "`replay`). Yield: the share of patients with LM in whom at least one of the taps is positive. "
            "In the network the patients with LM who shed few cells do so on every tap, so each further "
            "negative tap is weaker evidence (the LR applied drifts towards 1), the yield flattens "
            "and P(LM) levels off instead of falling to zero.",
            width(),
        )
    )
    return "\n".join(lines)


def dependence_json(net: Network, findings: Findings, result: Dependence) -> str:
    return dumps({**network_json(net), "findings": findings, **_plain(result)})
