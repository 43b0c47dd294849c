"""Check findings against a network: ``NODE=STATE`` pairs and ordered CSF results.

>>> from lmbayes import load_network
>>> spec = load_network().spec
>>> resolve_findings(spec, {"headache": "present"}, ["neg", "n"])
{'headache': 'present', 'csf_1': 'negative', 'csf_2': 'negative'}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from lmbayes.errors import FindingError, did_you_mean
from lmbayes.spec import MAX_TAPS, NetworkSpec, tap_id

__all__ = ["parse_assignment", "resolve_findings", "resolve_state"]


def parse_assignment(text: str) -> tuple[str, str]:
    """Split ``"node=state"``; a :class:`FindingError` if it is not of that form.

    >>> parse_assignment(" mri = normal ")
    ('mri', 'normal')
    """
    node, sep, state = text.partition("=")
    node, state = node.strip(), state.strip()
    if not sep or not node or not state:
        raise FindingError(f"malformed finding '{text}': expected NODE=STATE, e.g. -e mri=normal")
    return node, state


def resolve_state(node: str, states: Sequence[str], text: str) -> str:
    """The state of ``node`` that ``text`` names exactly or as an unambiguous prefix.

    >>> resolve_state("csf_1", ("negative", "equivocal", "positive"), "pos")
    'positive'
    """
    if text in states:
        return text
    matches = [s for s in states if s.startswith(text.lower())]
    if len(matches) == 1:
        return matches[0]
    problem = "ambiguous" if matches else "unknown"
    raise FindingError(
        f"{problem} state '{text}' for '{node}'{did_you_mean(text, states)}; "
        f"valid states: {', '.join(states)}"
    )


def resolve_findings(
    spec: NetworkSpec, evidence: Mapping[str, str] | None = None, csf: Sequence[str] = ()
) -> dict[str, str]:
    """Validated findings as ``{node: state}``: ``evidence`` by name, then ``csf`` in tap order.

    States may be abbreviated when the abbreviation is unambiguous (``neg``, ``pos``).
    """
    findings: dict[str, str] = {}
    ids = {n.lower(): n for n in spec.node_ids}
    for node, state in (evidence or {}).items():
        node = node if node in spec.node_ids else ids.get(node.lower(), node)
        states = spec.node(node).states
        findings[node] = resolve_state(node, states, state)
    if csf and spec.n_taps == 0:
        raise FindingError(
            f"the network '{spec.name}' declares no CSF taps; give results of its nodes with -e NODE=STATE"
        )
    if len(csf) > spec.n_taps:
        more = min(len(csf), MAX_TAPS)
        hint = f"use --max-taps {more}" if len(csf) <= MAX_TAPS else f"at most {MAX_TAPS} taps"
        raise FindingError(
            f"{len(csf)} CSF results given but the network models {spec.n_taps} taps ({hint})"
        )
    for k, result in enumerate(csf, start=1):
        node = tap_id(k)
        if node in findings:
            raise FindingError(f"tap {k} is given twice (in --csf and as -e {node}=...); give it once")
        findings[node] = resolve_state(node, spec.tap_states, result.strip())
    given = [k for k in range(1, spec.n_taps + 1) if tap_id(k) in findings]
    if given and given != list(range(1, len(given) + 1)):
        missing = next(k for k in range(1, given[-1]) if k not in given)
        raise FindingError(
            f"tap {given[-1]} is given but tap {missing} is not: taps are counted in order, so give "
            "every result from the first (e.g. --csf negative,negative,positive)"
        )
    return findings
