"""The numbers of a network file by path (``headache.causes.brain_metastases``,
``mri.specificity``, ``cytology.three_taps``): the one reading of the path grammar.

A path is the node's id (or ``cytology``) and, after it, one of the forms its kind lists
(:attr:`lmbayes.kinds.Kind.forms`): e.g. ``causes.{cause}`` for a sign. A :class:`Form` says
where the number lives in the node's mapping of the file, how to say it in words, and what a
cohort counts for it (:class:`Quantity`, used by :mod:`lmbayes.fit`). The loader writes the
paths (each kind's ``read``); :mod:`lmbayes.fit`, :mod:`lmbayes.fitted_file` and
:mod:`lmbayes.sensitivity` read them here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lmbayes.spec import BURDEN, BURDEN_STATES

if TYPE_CHECKING:
    from lmbayes.spec import NetworkSpec, Node

__all__ = ["Form", "Parsed", "Quantity"]


@dataclass(frozen=True)
class Quantity:
    """``P(node in event | condition)``, pooled over ``nodes`` (every tap of an analysis).

    ``condition`` maps parent (core) nodes to state indices; ``within`` > 0 marks a cumulative
    cytology figure: any of the first ``within`` taps positive, among patients who had them.
    """

    path: str
    nodes: tuple[str, ...]
    event: tuple[int, ...]
    condition: tuple[tuple[str, int], ...]
    within: int = 0


@dataclass(frozen=True)
class Parsed:
    """One path, read against its form: the node (None for the cytology block), the form and
    the values of the form's placeholders (``{cause}``: ``brain_metastases``)."""

    spec: NetworkSpec
    path: str
    node: Node | None
    form: Form
    names: Mapping[str, str]

    @property
    def field(self) -> tuple[str, ...]:
        """Where the number lives in the node's mapping (or the cytology block) of the file."""
        return tuple((self.form.field or self.form.path).format(**self.names).split("."))

    def words(self) -> str:
        """The number in words (for tables and pictures)."""
        spec = self.spec
        labels = {n.id: n.label for n in (*spec.nodes, *spec.tap_analyses)}

        def label(node: str) -> str:
            text = labels.get(node, node.replace("_", " "))
            return "LM" if node == spec.target else text[:1].lower() + text[1:]

        subject = self.node.label if self.node is not None else "CSF cytology"
        named = {k: label(v) if k in ("parent", "cause") else v.replace("_", " ") for k, v in self.names.items()}
        if "row" in named:  # a feature's share with or without the target
            named["row"] = "with" if self.names["row"] == "present" else "without"
        if self.form.words:
            return self.form.words.format(subject=subject, **named)
        return f"{subject}: {' '.join(p.replace('_', ' ') for p in self.path.split('.')[1:])}"

    def quantity(self) -> Quantity | str:
        """What a cohort counts for the number, or why it counts nothing."""
        return self.form.count(self) if self.form.count else "not a quantity lmbayes counts"

    # what the counting rules need

    @property
    def nodes(self) -> tuple[str, ...]:
        """The nodes the number is shared by: every tap's node of a per-tap analysis."""
        head = self.path.split(".", 1)[0]
        return tuple(n.id for n in self.spec.nodes if (n.template or n.id) == head) or (head,)

    def last(self, node_id: str) -> int:
        return len(self.spec.node(node_id).states) - 1


@dataclass(frozen=True)
class Form:
    """A form of a kind's numbers: its path after the node id with ``{placeholders}``, where
    it lives in the node's mapping of the file, its words (``{subject}`` the node's label) and
    the rule a cohort counts it by."""

    path: str
    field: str = ""
    words: str = ""
    count: Callable[[Parsed], Quantity | str] | None = None

    def match(self, rest: str) -> dict[str, str] | None:
        pattern = re.escape(self.path).replace(r"\{", "{").replace(r"\}", "}")
        pattern = re.sub(r"{(\w+)}", r"(?P<\1>[^.]+)", pattern)
        found = re.fullmatch(pattern, rest)
        return None if found is None else found.groupdict()


def parse(spec: NetworkSpec, path: str, forms_of: Callable[[Node | None], tuple[Form, ...]]) -> Parsed:
    """``path`` against the forms of its node's kind (``forms_of(None)``: the cytology block's)."""
    head, _, rest = path.partition(".")
    node = None
    if head != "cytology":
        node = next((a for a in spec.tap_analyses if a.id == head), None) or spec.node(head)
    for form in forms_of(node):
        names = form.match(rest)
        if names is not None:
            return Parsed(spec, path, node, form, names)
    return Parsed(spec, path, node, Form(rest, rest), {})


# The counting rules (module docstring of lmbayes.fit): the event is the node's last state
# ("present", "positive") unless said otherwise.


def prior(p: Parsed) -> Quantity:
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), ())


def prior_given(p: Parsed) -> Quantity | str:
    target = p.spec.target
    assert p.node is not None
    if f"{p.node.id}.given.{target}" in p.spec.parameters:
        return f"a relative judgement, scaled to the share among patients with {target}"
    parent = p.node.parents[0]
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), ((parent, p.spec.node(parent).states.index(p.names["state"])),))


def given(p: Parsed) -> Quantity:
    parent = p.names["parent"]
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), ((parent, p.last(parent)),))


def leak(p: Parsed) -> Quantity:
    assert p.node is not None
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), tuple((c, 0) for c in p.node.parents))


def alone(p: Parsed) -> Quantity:
    assert p.node is not None
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), tuple((c, int(c == p.names["cause"])) for c in p.node.parents))


def sensitivity(p: Parsed) -> Quantity:
    assert p.node is not None
    target = p.node.parents[0]
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), ((target, p.last(target)),))


def specificity(p: Parsed) -> Quantity:
    assert p.node is not None
    return Quantity(p.path, p.nodes, (0,), ((p.node.parents[0], 0),))


def share(p: Parsed) -> Quantity:
    assert p.node is not None
    target = p.spec.target
    row = 0 if p.names["row"] == "absent" else p.last(target)
    return Quantity(p.path, p.nodes, (p.node.states.index(p.names["state"]),), ((target, row),))


def _taps(p: Parsed, event: int, condition: tuple[tuple[str, int], ...], within: int = 0, first: int = 0) -> Quantity:
    taps = p.spec.taps[:first] if first else p.spec.taps
    return Quantity(p.path, taps, (event,), condition, within)


def one_tap(p: Parsed) -> Quantity:
    target = p.spec.target
    return _taps(p, len(p.spec.tap_states) - 1, ((target, p.last(target)),), first=1)


def three_taps(p: Parsed) -> Quantity:
    target = p.spec.target
    return _taps(p, len(p.spec.tap_states) - 1, ((target, p.last(target)),), within=3, first=3)


def false_positive(p: Parsed) -> Quantity:
    return _taps(p, len(p.spec.tap_states) - 1, ((BURDEN, 0),))


def equivocal(p: Parsed) -> Quantity | str:
    if "equivocal" not in p.spec.tap_states:
        return "not a quantity lmbayes counts"
    burden = BURDEN_STATES.index("high") if p.names["cells"] == "with" else 0
    return _taps(p, p.spec.tap_states.index("equivocal"), ((BURDEN, burden),))


def burden_sensitivity(p: Parsed) -> Quantity:
    """A test of the tumour burden: positive among patients with LM (per test, every tap)."""
    target = p.spec.target
    return Quantity(p.path, p.nodes, (p.last(p.nodes[0]),), ((target, p.last(target)),))


def burden_specificity(p: Parsed) -> Quantity:
    """A test of the tumour burden: negative among patients without LM."""
    return Quantity(p.path, p.nodes, (0,), ((p.spec.target, 0),))


def added_risk(p: Parsed) -> str:
    return "a risk added by another cause (noisy-OR), a judgement not counted"


def burden_judgement(p: Parsed) -> str:
    return "a judgement of the tumour-burden model, not counted"


def technique(p: Parsed) -> str:
    return "a cohort file records no tap technique"
