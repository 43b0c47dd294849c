"""Node kinds in one place: each kind owns its file fields, its table, its drawing and whether
the planner may offer it.

A network file's node has a ``kind``; :data:`KINDS` maps the name to the one object that
knows what such a node means. Adding a kind is one class here (and its tests): the loader,
the tables, the planner and the pictures ask the kind and never branch on its name.

Tables (axes: the parents in order, then the node; the last axis sums to one), for binary
causes whose second state is the "present" one:

* **prior** (``context``, ``target``, ``cause``): ``P(X = present) = prior``; with
  ``prior_given`` one row per parent state.
* **sign**, noisy-OR with leak ``l`` and, for each cause ``i``, the frequency ``f_i`` of the
  sign when cause ``i`` alone is present. The activation of cause ``i`` is
  ``a_i = 1 - (1 - f_i) / (1 - l)``, so that

  .. math:: P(\\text{sign absent} \\mid x) = (1 - l) \\prod_i (1 - a_i)^{x_i},

  which gives back ``f_i`` when only cause ``i`` is present and ``l`` when none is. Two causes
  together make a sign more likely than either alone, and evidence for one cause lowers the
  probability of the others ("explaining away").
* **test** and **tap_test** (a test repeated on every tap, e.g. a CSF analysis): rows
  ``[specificity, 1 - specificity]`` for the target absent and ``[1 - sensitivity,
  sensitivity]`` for the target present.
* **latent** (the tumour burden in the CSF, none / low / high): without LM none; with LM
  high with probability ``pi`` (the share cytology can ever find), low with ``(1 - pi) s``
  and none with ``(1 - pi)(1 - s)``, ``s`` the file's ``cytology.low_burden`` (a judgement:
  the share of the LM patients beyond cytology's reach whose CSF still carries tumour cells
  or DNA, below what a cytologist can see).
* **tap** (cytology): with no or a low burden ``[1 - f - e0, e0, f]``, with a high burden
  ``[1 - p - e1, e1, p]`` (negative, equivocal, positive), ``p`` and ``pi`` solved by
  :mod:`lmbayes.calibration`, ``p`` changed by the tap's technique (:mod:`lmbayes.technique`).
* **burden_test** (CSF tumour cells, tumour DNA): see :class:`BurdenTest`.

Given arrays of parameter values (one entry per draw), every table gains a leading axis over
the draws.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lmbayes import parameters as P
from lmbayes._fields import Where, parameter, require
from lmbayes._kind_base import Kind, Params, TableContext
from lmbayes._noisy_or import noisy_or
from lmbayes._noisy_or import rows as _rows
from lmbayes.burden import BurdenTest, Latent, Tap
from lmbayes.parameters import Form, Parsed, parse
from lmbayes.spec import NetworkSpec, Node

__all__ = ["KINDS", "FILE_KINDS", "Kind", "TableContext", "events", "explaining", "kind_of", "noisy_or", "parameter_path"]



#: ``given: {lm: m}``, a figure among patients with the target (signs, tests, priors)
_GIVEN = Form("given.{parent}", words="{subject} among patients with {parent}", count=P.given)


def _read_given(node_id: str, given: Any, where: Where, sources: frozenset[str], params: Params, what: str) -> None:
    """Read ``given: {target: number}``, the one figure among patients with the target, into
    ``params`` as ``{node}.given.{target}``."""
    if not isinstance(given, dict) or len(given) != 1:
        raise where.error("given", f"expected {{target: {what} among patients with it}}, e.g. given: {{lm: {{value: ...}}}}")
    (target, value), = given.items()
    with where.collect():
        params[f"{node_id}.given.{target}"] = parameter(value, where, f"given.{target}", sources)


class _Prior(Kind):
    """``prior`` or ``prior_given`` rows; with ``given: {lm: m}`` beside ``prior_given`` the rows
    are relative judgements, scaled (odds times one factor, :func:`lmbayes.tables.scale_to_marginal`)
    so that the share among patients with LM is the published ``m``: a third of patients with LM
    have brain metastases, and they co-occur through active systemic disease."""

    fields = frozenset({"prior", "prior_given", "given", "added_risk"})
    parent_field = "prior_given.parent"
    explains = True
    forms = (
        Form("prior", words="{subject}: prior", count=P.prior),
        Form("prior.{state}", "prior_given.values.{state}", "{subject}: prior if {state}", P.prior_given),
        _GIVEN,
        Form("added_risk.{cause}", words="{subject}: risk added by {cause}", count=P.added_risk),
    )

    def _added_risk(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        """``added_risk: {cause: a}``: a present cause adds its own risk of the node, noisy-OR
        (LM after brain metastases): ``P(X | parent, causes) = 1 - (1 - p_parent) prod_i (1 - a_i)^{x_i}``."""
        added = raw.get("added_risk", {})
        if not isinstance(added, dict):
            raise where.error("added_risk", "expected a mapping of cause id to the risk it adds")
        for cause, value in added.items():
            with where.collect():
                params[f"{node_id}.added_risk.{cause}"] = parameter(value, where, f"added_risk.{cause}", sources)
        return tuple(str(c) for c in added)

    def read(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        if ("prior" in raw) == ("prior_given" in raw):
            raise where.error("prior", "give exactly one of 'prior' or 'prior_given'")
        if "prior" in raw:
            with where.collect():
                params[f"{node_id}.prior"] = parameter(raw["prior"], where, "prior", sources)
            return self._added_risk(node_id, raw, where, sources, params)
        given = raw["prior_given"]
        if not isinstance(given, dict) or set(given) != {"parent", "values"}:
            raise where.error("prior_given", "expected 'parent' and 'values'")
        if not isinstance(given["values"], dict) or not given["values"]:
            raise where.error("prior_given.values", "expected a mapping of parent state to parameter")
        for state, value in given["values"].items():
            path = f"prior_given.values.{state}"
            with where.collect():
                params[f"{node_id}.prior.{state}"] = parameter(value, where, path, sources)
        if "given" in raw:
            _read_given(node_id, raw["given"], where, sources, params, "share")
        return (str(given["parent"]), *self._added_risk(node_id, raw, where, sources, params))

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        added = tuple(c for c in node.parents if f"{node.id}.added_risk.{c}" in ctx.spec.parameters)
        first = tuple(c for c in node.parents if c not in added)
        if first:
            parent_states = ctx.spec.node(first[0]).states
            p = np.stack([ctx.value(f"{node.id}.prior.{s}") for s in parent_states], axis=-1)
        else:
            p = ctx.value(f"{node.id}.prior")
        for c in added:  # one more axis (absent, present) per cause
            a = ctx.value(f"{node.id}.added_risk.{c}")
            a = a.reshape(a.shape + (1,) * (p.ndim - a.ndim))
            p = np.stack([p, 1.0 - (1.0 - p) * (1.0 - a)], axis=-1)
        return np.stack([1.0 - p, p], axis=-1)


class Context(_Prior):
    name = "context"
    layer, color = 0, "#9e9e9e"


class Target(_Prior):
    name = "target"
    layer, color = 1, "#2f6f9f"


class Cause(_Prior):
    name = "cause"
    layer, color = 1, "#d98c2b"


class State(_Prior):
    """A hidden per-patient state that several findings share (an abnormal CSF, say): it is
    never observed and not listed beside the causes, but it makes repeated findings of one
    patient dependent (the second routine CSF of a patient with LM adds less than the first)."""

    name = "state"
    shown = False
    layer, color = 2, "#b0bec5"


class Sign(Kind):
    name = "sign"
    fields = frozenset({"leak", "causes", "given"})
    parent_field = "causes"
    forms = (
        Form("leak", words="{subject} without any modelled cause", count=P.leak),
        _GIVEN,
        Form("causes.{cause}", words="{subject} with {cause} alone", count=P.alone),
    )
    observable = True
    layer, color = 3, "#8bc34a"

    def read(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        require(raw, ("leak",), where)
        leak = None
        with where.collect():
            leak = params[f"{node_id}.leak"] = parameter(raw["leak"], where, "leak", sources)
        given = raw.get("given", {})
        if not isinstance(given, dict) or len(given) > 1:
            raise where.error("given", "expected {target: frequency among patients with it}, e.g. given: {lm: {value: ...}}")
        for target, value in given.items():
            with where.collect():
                p = parameter(value, where, f"given.{target}", sources)
                if leak is not None and p.value < leak.value:
                    raise where.error(f"given.{target}.value", f"{p.value:g} is below the leak ({leak.value:g})")
                params[f"{node_id}.given.{target}"] = p
        causes = raw.get("causes", {})
        if not isinstance(causes, dict) or not (causes or given):
            raise where.error("causes", "expected a mapping of cause id to frequency")
        for cause, value in causes.items():
            with where.collect():
                p = parameter(value, where, f"causes.{cause}", sources)
                if leak is not None and p.value < leak.value:
                    raise where.error(
                        f"causes.{cause}.value",
                        f"{p.value:g} is below the leak ({leak.value:g}): a noisy-OR cause cannot "
                        "make a sign rarer; lower the leak or drop the cause",
                    )
                params[f"{node_id}.causes.{cause}"] = p
        return tuple(str(c) for c in (*given, *causes))

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        leak = self.leak(node, ctx)
        solved = self.solve(node, ctx)
        freqs = [solved[0] if c in solved[1] else self.cause(node, ctx, c) for c in node.parents]
        return noisy_or(leak, freqs)

    # what the noisy-OR reads; a test with rival causes reads its own fields (Test)
    def leak(self, node: Node, ctx: TableContext) -> np.ndarray:
        return ctx.value(f"{node.id}.leak")

    def frequency(self, node: Node, ctx: TableContext, target: str) -> np.ndarray:
        return ctx.value(f"{node.id}.given.{target}")

    def cause(self, node: Node, ctx: TableContext, cause: str) -> np.ndarray:
        return ctx.value(f"{node.id}.causes.{cause}")

    def solved_target(self, node: Node, spec: NetworkSpec) -> str | None:
        return self.given(node, spec)

    @staticmethod
    def given(node: Node, spec: NetworkSpec) -> str | None:
        """The parent whose marginal frequency the file gives (the target), if any."""
        return next((c for c in node.parents if f"{node.id}.given.{c}" in spec.parameters), None)

    def floor_and_solution(self, node: Node, ctx: TableContext) -> tuple[np.ndarray, np.ndarray] | None:
        """``(floor, f_target)`` for a sign with a given frequency (formula in the module doc);
        ``f_target`` is not clipped."""
        target = self.solved_target(node, ctx.spec)
        if target is None:
            return None
        if ctx.causes_joint is None:
            raise NotImplementedError("a solved sign needs the causes' tables first (build_tables)")
        leak, m = self.leak(node, ctx), self.frequency(node, ctx, target)
        others = tuple(c for c in node.parents if c != target)
        present = len(ctx.spec.node(target).states) - 1
        lead = leak.ndim
        e = np.ones(leak.shape)
        if others:
            joint = ctx.causes_joint(others, {target: present})
            joint = joint / joint.sum(axis=tuple(range(lead, joint.ndim)), keepdims=True)
            keep = np.ones(joint.shape)
            for axis, c in enumerate(others, start=lead):
                k = (1.0 - self.cause(node, ctx, c)) / (1.0 - leak)
                shape = [1] * joint.ndim
                shape[:lead] = leak.shape
                shape[axis] = 2
                keep = keep * np.stack([np.ones_like(k), k], axis=-1).reshape(shape)
            e = (joint * keep).sum(axis=tuple(range(lead, joint.ndim)))
        return 1.0 - (1.0 - leak) * e, 1.0 - (1.0 - m) / e

    def solve(self, node: Node, ctx: TableContext) -> tuple[np.ndarray, tuple[str, ...]]:
        """The target's "alone" frequency, held at the leak where the figure is below the floor."""
        result = self.floor_and_solution(node, ctx)
        if result is None:
            return np.zeros(()), ()
        leak = self.leak(node, ctx)
        return np.maximum(result[1], leak), (self.solved_target(node, ctx.spec) or "",)


class Reaction(Sign):
    """A hidden per-patient state with several causes (an abnormal CSF: LM, epidural block,
    brain metastases, CNS infection): a noisy-OR like a sign, its frequency among patients with
    LM solved from the published one, but never observed and not listed beside the causes; the
    tests done on every tap read it, so repeated routine CSF of one patient are dependent.
    Its table is built after the other causes' (it needs their joint among patients with LM)."""

    name = "reaction"
    observable = False
    explains = True
    shown = False
    second_pass = True
    layer, color = 2, "#b0bec5"


class Test(Kind):
    """A test of one target: ``[specificity, 1 - specificity]`` without it, ``[1 - sensitivity,
    sensitivity]`` with it.

    **Solved sensitivity.** Where the target is a hidden state (a patient's abnormal CSF) the
    published figure is how often the test is abnormal among patients with LM, ``m``; the file
    gives it as ``given: {lm: m}`` and the sensitivity is solved from the state's share among
    patients with LM, ``P(state | LM) = r``:
    ``sensitivity = (m - (1 - r)(1 - specificity)) / r``.
    """

    name = "test"
    fields = frozenset({"target", "sensitivity", "specificity", "part_of", "given", "causes"})
    parent_field = "target"
    forms = (
        Form("sensitivity", count=P.sensitivity),
        Form("specificity", count=P.specificity),
        _GIVEN,
        Form("causes.{cause}", words="{subject} with {cause} alone", count=P.alone),
    )
    offered = True
    observable = True
    layer, color = 3, "#ba68c8"

    def read(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        require(raw, ("target", "specificity"), where)
        if ("sensitivity" in raw) == ("given" in raw):
            raise where.error("sensitivity", "give exactly one of 'sensitivity' or 'given' (the frequency among patients with LM)")
        fields = ["sensitivity", "specificity"] if "sensitivity" in raw else ["specificity"]
        for field in fields:
            with where.collect():
                params[f"{node_id}.{field}"] = parameter(raw[field], where, field, sources)
        if "given" in raw:
            _read_given(node_id, raw["given"], where, sources, params, "frequency")
        causes = raw.get("causes", {})
        if not isinstance(causes, dict) or (causes and "sensitivity" not in raw):
            raise where.error("causes", "expected a mapping of rival cause id to how often it alone makes the test abnormal (with a sensitivity)")
        for cause, value in causes.items():
            with where.collect():
                params[f"{node_id}.causes.{cause}"] = parameter(value, where, f"causes.{cause}", sources)
        return (str(raw["target"]), *(str(c) for c in causes))

    def sensitivity(self, node: Node, ctx: TableContext) -> np.ndarray:
        """The sensitivity, solved where the file gives the frequency among patients with LM
        (unclipped; the loader refuses values outside [0, 1] at the file's numbers)."""
        prefix = node.template or node.id
        if f"{prefix}.sensitivity" in ctx.spec.parameters:
            return ctx.value(f"{prefix}.sensitivity")
        target, state = ctx.spec.target, node.parents[0]
        m, spec = ctx.value(f"{prefix}.given.{target}"), ctx.value(f"{prefix}.specificity")
        if state == target:
            return m
        if ctx.causes_joint is None:
            raise NotImplementedError("a solved sensitivity needs the causes' tables first (build_tables)")
        present = len(ctx.spec.node(target).states) - 1
        joint = ctx.causes_joint((state,), {target: present})
        with np.errstate(divide="ignore", invalid="ignore"):  # no such state with LM: nan, which the loader refuses
            r = joint[..., 1] / joint.sum(axis=-1)
            return (m - (1.0 - r) * (1.0 - spec)) / r

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        if len(node.parents) > 1:
            return _RivalTest().table(node, ctx)
        prefix = node.template or node.id
        sens, spec = np.clip(self.sensitivity(node, ctx), 0.0, 1.0), ctx.value(f"{prefix}.specificity")
        return _rows([spec, 1.0 - spec], [1.0 - sens, sens])


class _RivalTest(Sign):
    """A test of one target with rival causes (leptomeningeal enhancement: LM, and brain
    metastases touching the meninges, CNS infection, ...): a noisy-OR whose leak is
    ``1 - specificity`` (abnormal with no modelled cause) and whose target's own frequency is
    solved so that ``P(abnormal | target)`` is the published sensitivity (as for a sign); the
    rival causes lower the specificity wherever they are common, as among referred patients."""

    name = "test"

    def leak(self, node: Node, ctx: TableContext) -> np.ndarray:
        return 1.0 - ctx.value(f"{node.template or node.id}.specificity")

    def frequency(self, node: Node, ctx: TableContext, target: str) -> np.ndarray:
        return ctx.value(f"{node.template or node.id}.sensitivity")

    def cause(self, node: Node, ctx: TableContext, cause: str) -> np.ndarray:
        return ctx.value(f"{node.template or node.id}.causes.{cause}")

    def solved_target(self, node: Node, spec: NetworkSpec) -> str | None:
        return node.parents[0]


class TapTest(Test):
    """A test done on every tap (a CSF analysis beside cytology): the file's node is a template
    for ``{id}_1 .. {id}_N``, which share its parameters and are independent given the target."""

    name = "tap_test"
    fields = frozenset({"target", "sensitivity", "specificity", "given", "group", "available"})
    per_tap = True
    layer, color = 4, "#80cbc4"


class Feature(Kind):
    """A known characteristic of the patient or tumour (the breast cancer subtype, the lung
    cancer histology) whose distribution differs with LM: a child of the target with the share
    of each state among patients with and without LM (``shares: {present: {...}, absent:
    {...}}``). Observing it multiplies the odds of LM by ``share with LM / share without``; the
    published figures are usually the shares among patients with LM, the others judgements.
    Each row is normalised (a published breakdown may leave a few percent unclassified). The
    planner never offers it: it is known, not a test.
    """

    name = "feature"
    fields = frozenset({"shares"})
    parent_field = "shares"
    forms = (Form("share.{row}.{state}", "shares.{row}.{state}", "{subject}: share {state} {row} LM", P.share),)
    observable = True
    many_states = True
    explains = True  # a cause may depend on it (paraneoplastic syndromes on lung histology)
    shown = False
    layer, color = 3, "#ffb74d"

    def read(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        require(raw, ("shares",), where)
        shares = raw["shares"]
        states = tuple(raw["states"]) if isinstance(raw.get("states"), list) else ()
        if not isinstance(shares, dict) or set(shares) != {"absent", "present"}:
            raise where.error("shares", "expected shares: {absent: {state: share, ...}, present: {state: share, ...}}")
        for row, values in shares.items():
            if not isinstance(values, dict) or set(map(str, values)) != set(states):
                raise where.error(f"shares.{row}", f"expected one share for each state: {', '.join(states)}")
            for state, value in values.items():
                with where.collect():
                    params[f"{node_id}.share.{row}.{state}"] = parameter(value, where, f"shares.{row}.{state}", sources)
            read = [params.get(f"{node_id}.share.{row}.{state}") for state in values]
            if all(p is not None for p in read) and sum(p.value for p in read if p is not None) <= 0:
                raise where.error(f"shares.{row}", "every share is 0: the row is normalised to sum to 1, so at least one must be above 0")
        return ("",)  # the target, filled in by the loader

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        rows = []
        for row in ("absent", "present"):
            p = np.stack([ctx.value(f"{node.id}.share.{row}.{s}") for s in node.states], axis=-1)
            rows.append(p / p.sum(axis=-1, keepdims=True))
        return np.stack(rows, axis=-2)


class Generic(Kind):
    """A node of a network imported from another tool: its table comes with the file."""

    name = "generic"
    in_file = False
    observable = True


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (Context(), Target(), Cause(), State(), Reaction(), Sign(), Test(), TapTest(), BurdenTest(), Feature(), Latent(), Tap(), Generic())
}
#: Node kinds written in a network file.
FILE_KINDS = tuple(name for name, k in KINDS.items() if k.in_file)


def kind_of(node: Node) -> Kind:
    """The kind object of ``node``."""
    return KINDS[node.kind]


def parameter_path(spec: NetworkSpec, path: str) -> Parsed:
    """The number at ``path`` read against the forms of its node's kind (the cytology block's
    are the tap kind's): where it lives in the file, its words, what a cohort counts.

    >>> from lmbayes import load_network
    >>> p = parameter_path(load_network().spec, "limb_weakness.causes.epidural_compression")
    >>> p.words(), p.field
    ('Limb weakness or sensory loss with epidural spinal cord or cauda equina compression alone', ('causes', 'epidural_compression'))
    """
    return parse(spec, path, lambda node: (KINDS["tap"] if node is None else kind_of(node)).forms)


def explaining(spec: NetworkSpec) -> tuple[Node, ...]:
    """The causes and context nodes: what the signs and tests depend on."""
    return tuple(n for n in spec.nodes if kind_of(n).explains)


def events(spec: NetworkSpec) -> dict[str, tuple[str, ...]]:
    """The tests (events, done or not) and the observable nodes each yields, taps included.

    >>> from lmbayes import load_network
    >>> ev = events(load_network().spec)
    >>> ev["mri"]
    ('mri', 'mri_compression', 'mri_parenchymal')
    >>> ev["tap_2"]
    ('csf_2', 'cells_2', 'protein_2', 'lactate_2', 'glucose_2', 'pressure_2', 'ctc_2', 'ctdna_2')
    """
    found: dict[str, tuple[str, ...]] = {}
    for n in spec.nodes:
        if n.observable and kind_of(n).offered:
            found[n.event] = (*found.get(n.event, ()), n.id)
    return found
