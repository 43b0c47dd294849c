"""Findings: what is known about one patient, checked once against a network.

A :class:`Findings` value is made by :meth:`lmbayes.Network.observe` (which also checks that
the findings are possible under the network) and handed to every analysis; nothing below it
parses a name, a state or a technique again.

>>> from lmbayes import load_network
>>> f = load_network().observe({"headache": "present"}, "neg, n@5ml")
>>> dict(f.states)
{'headache': 'present', 'csf_1': 'negative', 'csf_2': 'negative'}
>>> f.taps_done, f.techniques["csf_2"].volume_ml
(2, 5.0)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from lmbayes.errors import FindingError, TooFewTapsError, did_you_mean
from lmbayes.evidence import Evidence
from lmbayes.spec import MAX_TAPS, NetworkSpec, tap_id
from lmbayes.technique import Technique, split_result

__all__ = ["Findings", "resolve_findings", "resolve_state", "split_csf"]


@dataclass(frozen=True)
class Findings(Mapping[str, str]):
    """Checked findings: node states (the file's nodes first, then the taps in order), the
    technique of each finished tap that states one, and the number of taps done. It reads as a
    mapping of node to state."""

    states: Mapping[str, str] = field(default_factory=dict)
    techniques: Mapping[str, Technique] = field(default_factory=dict)
    taps_done: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "states", MappingProxyType(dict(self.states)))
        object.__setattr__(self, "techniques", MappingProxyType(dict(self.techniques)))

    def __contains__(self, node: object) -> bool:
        return node in self.states

    def __len__(self) -> int:
        return len(self.states)

    def __getitem__(self, node: str) -> str:
        return self.states[node]

    def __iter__(self) -> Iterator[str]:
        return iter(self.states)

    def evidence(self, spec: NetworkSpec) -> Evidence:
        """The findings as one row of state indices (:mod:`lmbayes.evidence`)."""
        row = [spec.node(n).states.index(s) for n, s in self.states.items()]
        return Evidence(tuple(self.states), np.array([row], dtype=np.int64).reshape(1, len(row)), self.techniques)

    def without(self, *nodes: str) -> Findings:
        """The same findings with some nodes left out (taps after a gap are kept as given)."""
        return Findings(
            {n: s for n, s in self.states.items() if n not in nodes},
            {n: t for n, t in self.techniques.items() if n not in nodes},
            self.taps_done,
        )


def split_csf(csf: str | Sequence[str]) -> list[str]:
    """CSF results as a list: a comma-separated string is split, a list kept.

    >>> split_csf("neg, pos"), split_csf(["negative"]), split_csf("")
    (['neg', 'pos'], ['negative'], [])
    """
    if isinstance(csf, str):
        return [r.strip() for r in csf.split(",")] if csf.strip() else []
    return [str(r).strip() for r in csf]


#: Ways of writing a node's first ("normal") and last ("abnormal") state that clinicians use.
FIRST_STATE = frozenset({"no", "n", "false", "-", "negative", "neg", "absent", "normal", "none", "not_shown"})
LAST_STATE = frozenset({"yes", "y", "true", "+", "positive", "pos", "present", "abnormal", "raised", "shown"})
#: The words of a cytology report, for a node whose states include the word's meaning.
REPORT_WORDS = {"atypical": "equivocal", "suspicious": "equivocal", "malignant": "positive", "benign": "negative"}


def resolve_state(node: str, states: Sequence[str], text: str) -> str:
    """The state of ``node`` that ``text`` names exactly, as an unambiguous prefix, or by a
    common synonym: ``yes``, ``+``, ``positive``, ``abnormal`` for a node's last state and
    ``no``, ``-``, ``negative``, ``normal`` for its first (where that is unambiguous).

    >>> resolve_state("csf_1", ("negative", "equivocal", "positive"), "pos")
    'positive'
    >>> resolve_state("csf_1", ("negative", "equivocal", "positive"), "+")
    'positive'
    >>> resolve_state("mri", ("normal", "typical_enhancement"), "abnormal")
    'typical_enhancement'
    >>> resolve_state("headache", ("absent", "present"), "yes")
    'present'

    A cytology report's words: ``atypical`` and ``suspicious`` are equivocal, ``malignant``
    positive, ``benign`` negative.

    >>> [resolve_state("csf_1", ("negative", "equivocal", "positive"), w) for w in ("atypical", "malignant")]
    ['equivocal', 'positive']
    """
    if text in states:
        return text
    lowered = text.lower()
    if lowered in states:
        return lowered
    matches = [s for s in states if s.startswith(lowered)] if text else []
    if len(matches) == 1:
        return matches[0]
    if not matches and REPORT_WORDS.get(lowered) in states:
        return REPORT_WORDS[lowered]
    if not matches and lowered in FIRST_STATE:
        return states[0]
    if not matches and lowered in LAST_STATE and (len(states) == 2 or lowered in ("+", "pos", "positive")):
        return states[-1]
    problem = "ambiguous" if matches else "unknown"
    raise FindingError(
        f"{problem} state '{text}' for '{node}'{did_you_mean(text, states)}; "
        f"valid states: {', '.join(states)}"
    )


def resolve_findings(
    spec: NetworkSpec, evidence: Mapping[str, str] | None = None, csf: str | Sequence[str] = ()
) -> Findings:
    """Check findings against ``spec``: ``evidence`` by node name, then ``csf`` in tap order.

    States may be abbreviated when the abbreviation is unambiguous (``neg``, ``pos``); a CSF
    result may carry its technique after ``@`` (``negative@5ml+45min``, see
    :mod:`lmbayes.technique`). Whether the findings are possible is checked by the network.
    """
    states: dict[str, str] = {}
    ids = {n.lower(): n for n in spec.node_ids}
    for given, state in (evidence or {}).items():
        node = given if given in spec.node_ids else ids.get(given.lower(), given)
        resolved = resolve_state(node, spec.node(node).states, str(state))
        if node in states and states[node] != resolved:
            raise FindingError(f"'{node}' is given twice ({node}={states[node]} and {given}={state}); give it once")
        states[node] = resolved
    results = split_csf(csf)
    if results and spec.n_taps == 0:
        raise FindingError(
            f"the network '{spec.name}' declares no CSF taps; give the results of its nodes by name"
        )
    if len(results) > spec.n_taps:
        raise TooFewTapsError(
            f"{len(results)} CSF results given but the network models {spec.n_taps} taps"
            + ("" if len(results) <= MAX_TAPS else f"; lmbayes models at most {MAX_TAPS} taps"),
            needed=len(results),
        )
    techniques: dict[str, Technique] = {}
    for k, item in enumerate(results, start=1):
        node = tap_id(k)
        if node in states:
            raise FindingError(f"tap {k} is given twice (as a CSF result and as {node}); give it once")
        result, technique = split_result(item)
        states[node] = resolve_state(node, spec.tap_states, result.strip())
        if technique is not None:
            techniques[node] = technique
    rows = Findings(states, techniques).evidence(spec)
    gap = rows.tap_gap(spec)
    if gap is not None:
        _, last, missing = gap
        raise FindingError(
            f"tap {last} is given but tap {missing} is not: taps are counted in order, so give "
            "every result from the first (e.g. negative,negative,positive)"
        )
    return Findings(states, techniques, int(rows.taps_done(spec)[0]))
