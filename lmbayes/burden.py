"""The tumour burden in the CSF (none, low, high) and what reads it: cytology on every tap and
the tests of tumour cells and tumour DNA (formulas in :mod:`lmbayes.kinds` and below)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from lmbayes import parameters as P
from lmbayes._fields import Where, parameter, require
from lmbayes._kind_base import Kind, Params, TableContext
from lmbayes._kind_base import rows as _rows
from lmbayes.errors import InputError
from lmbayes.parameters import Form
from lmbayes.spec import Node
from lmbayes.technique import PARAMETERS as TECHNIQUE_PARAMETERS

__all__ = ["BurdenTest", "Latent", "Tap", "burden_rows"]


class BurdenTest(Kind):
    """A test of tumour material in the CSF, done on every tap (CSF tumour cells, tumour DNA):
    a child of the patient's tumour burden ``b`` (none, low, high; :class:`Latent`) and of
    optional other causes ``c_i`` that put the same material in the CSF (a brain metastasis
    abutting the CSF sheds tumour DNA into it). Its repeats are dependent through the burden.

    .. math:: P(\\text{negative} \\mid b, c) = (1 - d_b) \\prod_i (1 - a_i)^{c_i},
              \\quad d = (d_0, \\rho\\, d_h, d_h)

    with ``d_0`` the false-positive rate, ``rho`` the file's ``low_burden`` (how often the test
    finds a low burden relative to a high one, a judgement) and ``a_i`` the file's ``causes``.
    ``d_0`` and ``d_h`` are **solved** from the published per-test specificity ``s`` (among
    patients without LM) and sensitivity ``m`` (among patients with LM). With ``E_0, E_1`` the
    mean of ``prod_i (1 - a_i)^{c_i}`` without and with LM, and ``w = (w_0, w_l, w_h)`` the
    burden among patients with LM (independent of the causes given LM):

    .. math:: d_0 = 1 - s / E_0, \\qquad
              d_h = \\frac{w_0 (1 - d_0) + w_l + w_h - (1 - m) / E_1}{\\rho\\, w_l + w_h} .
    """

    name = "burden_test"
    fields = frozenset({"sensitivity", "specificity", "low_burden", "causes", "group", "available"})
    parent_field = "causes"
    forms = (
        Form("sensitivity", count=P.burden_sensitivity),
        Form("specificity", count=P.burden_specificity),
        Form("low_burden", words="{subject}: share of a low burden it finds, relative to a high one", count=P.burden_judgement),
        Form("causes.{cause}", words="{subject} with {cause} alone", count=P.burden_judgement),
    )
    per_tap = True
    offered = True
    observable = True
    layer, color = 4, "#80cbc4"

    def read(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        from lmbayes.spec import BURDEN

        require(raw, ("sensitivity", "specificity", "low_burden"), where)
        for field in ("sensitivity", "specificity", "low_burden"):
            with where.collect():
                params[f"{node_id}.{field}"] = parameter(raw[field], where, field, sources)
        causes = raw.get("causes", {})
        if not isinstance(causes, dict):
            raise where.error("causes", "expected a mapping of cause id to how often it alone makes the test positive")
        for cause, value in causes.items():
            with where.collect():
                params[f"{node_id}.causes.{cause}"] = parameter(value, where, f"causes.{cause}", sources)
        return (BURDEN, *(str(c) for c in causes))

    def solve(self, node: Node, ctx: TableContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(d_0, d_low, d_high)`` from the formula in the class doc, unclipped."""
        prefix = node.template or node.id
        v = ctx.value
        m, s, rho = v(f"{prefix}.sensitivity"), v(f"{prefix}.specificity"), v(f"{prefix}.low_burden")
        causes = node.parents[1:]
        e0, e1 = np.ones_like(m), np.ones_like(m)
        if causes:
            if ctx.causes_joint is None:
                raise NotImplementedError("a burden test with causes needs the causes' tables first (build_tables)")
            target = ctx.spec.target
            lead = m.ndim
            means = []
            for state in (0, len(ctx.spec.node(target).states) - 1):
                joint = ctx.causes_joint(causes, {target: state})
                axes = tuple(range(lead, joint.ndim))
                total = joint.sum(axis=axes)
                keep = np.ones(joint.shape)
                for axis, c in enumerate(causes, start=lead):
                    shape = [1] * joint.ndim
                    shape[:lead] = m.shape
                    shape[axis] = 2
                    a = v(f"{prefix}.causes.{c}")
                    keep = keep * np.stack([np.ones_like(a), 1.0 - a], axis=-1).reshape(shape)
                # a pre-test probability at the edge of double precision can leave no mass on one
                # side: the causes then count as absent there
                with np.errstate(divide="ignore", invalid="ignore"):
                    means.append(np.where(total > 0, (joint * keep).sum(axis=axes) / total, 1.0))
            e0, e1 = means
        (_, _, _), (w0, wl, wh) = burden_rows(ctx)
        d0 = 1.0 - s / e0
        with np.errstate(divide="ignore", invalid="ignore"):
            dh = (w0 * (1.0 - d0) + wl + wh - (1.0 - m) / e1) / (rho * wl + wh)
        return d0, rho * dh, dh

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        prefix = node.template or node.id
        d = [np.clip(x, 0.0, 1.0) for x in self.solve(node, ctx)]
        miss = np.stack(np.broadcast_arrays(*(1.0 - x for x in d)), axis=-1)  # (..., burden)
        causes = node.parents[1:]
        shape = miss.shape + (1,) * len(causes)
        negative = miss.reshape(shape)
        for k, c in enumerate(causes):
            a = np.asarray(ctx.value(f"{prefix}.causes.{c}"), dtype=float)
            factor = np.stack([np.ones_like(a), 1.0 - a], axis=-1)  # (..., 2)
            axis_shape = [1] * len(shape)
            axis_shape[: a.ndim] = a.shape
            axis_shape[a.ndim + 1 + k] = 2
            negative = negative * factor.reshape(axis_shape)
        return np.stack([negative, 1.0 - negative], axis=-1)


class Latent(Kind):
    name = "latent"
    in_file = False
    explains = False

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        return _rows(*burden_rows(ctx))


def burden_rows(ctx: TableContext) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """``P(burden | LM absent)`` and ``P(burden | LM present)``, each ``[none, low, high]``."""
    pi = np.asarray(ctx.calibration.shedding_share, dtype=float)
    s = ctx.value("cytology.low_burden") if "cytology.low_burden" in ctx.spec.parameters else np.zeros_like(pi)
    s = np.broadcast_to(s, np.broadcast_shapes(np.shape(s), pi.shape))
    zero = np.zeros_like(pi)
    return [zero + 1.0, zero, zero], [(1.0 - pi) * (1.0 - s), (1.0 - pi) * s, pi + zero]


class Tap(Kind):
    """A tap's cytology; its numbers are the file's ``cytology`` block (``cytology.one_tap``)."""

    name = "tap"
    in_file = False
    forms = (
        Form("one_tap", count=P.one_tap),
        Form("three_taps", count=P.three_taps),
        Form("false_positive", count=P.false_positive),
        Form("equivocal_{cells}_cells", count=P.equivocal),
        Form("low_burden", words="CSF cytology: share of LM with a low tumour burden", count=P.burden_judgement),
        Form("technique.{effect}", count=P.technique),
    )
    offered = True
    observable = True
    per_tap = True
    layer, color = 4, "#4db6ac"

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        """Rows: burden none and low ``[1 - f - e0, e0, f]``, high ``[1 - p - e1, e1, p]``."""
        spec, v, cal = ctx.spec, ctx.value, ctx.calibration
        equivocal = "equivocal" in spec.tap_states
        p, f = np.asarray(cal.per_tap), np.asarray(cal.false_positive)
        e1 = v("cytology.equivocal_with_cells") if equivocal else np.zeros_like(p)
        e0 = v("cytology.equivocal_without_cells") if equivocal else np.zeros_like(p)
        technique = ctx.techniques.get(node.id)
        if technique is not None:
            if not all(f"cytology.technique.{k}" in spec.parameters for k in TECHNIQUE_PARAMETERS):
                raise InputError(
                    f"the network '{spec.name}' does not model tap technique (no cytology.technique "
                    "in its file); give the results without a technique"
                )
            effects = {k: v(f"cytology.technique.{k}") for k in TECHNIQUE_PARAMETERS}
            p = technique.detection(p, effects, ceiling=1.0 - e1)
        if equivocal:
            unseen = [1.0 - f - e0, e0, f]
            return _rows(unseen, unseen, [1.0 - p - e1, e1, p])
        return _rows([1.0 - f, f], [1.0 - f, f], [1.0 - p, p])
