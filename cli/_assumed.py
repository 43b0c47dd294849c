"""The line that says what a result assumed (:mod:`lmbayes.assumed`), under the header of
`posterior`, `taps` and `plan`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from lmbayes._numbers import percent
from lmbayes.assumed import assumed

if TYPE_CHECKING:
    from lmbayes.network import Network


def assumed_lines(net: Network, findings: Mapping[str, str], cols: int) -> list[str]:
    """One sentence, wrapped to ``cols``: the context not entered and what the network took
    for it, and P(LM) from the population prior with no sign entered; nothing when neither."""
    from lmbayes.cli._fit import wrap

    said = assumed(net, findings)  # type: ignore[arg-type]  # a Posterior's findings are a mapping too
    parts = []
    for u in said.unknown:
        states = list(u.now.items())[-1:] if len(u.now) == 2 else u.now.items()  # two states: the second says it
        mix = ", ".join(f"{percent(p)} {state.replace('_', ' ')}" for state, p in states)
        parts.append(f"{u.label.lower()} unknown (averaged over: {mix})")
    if said.population_prior is not None:
        parts.append(f"no sign entered, so P(LM) starts from the population prior ({percent(said.population_prior)})")
    if not parts:
        return []
    return wrap(f"Assumed: {'; '.join(parts)}.", cols, subsequent_indent="  ")
