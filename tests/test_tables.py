"""Probability tables: built from the spec, over draws, and with tap techniques swapped in."""

from __future__ import annotations

import numpy as np
import pytest

import lmbayes
from lmbayes import kinds
from lmbayes.errors import InputError
from lmbayes.tables import build_tables, noisy_or
from lmbayes.technique import STANDARD, Technique
from lmbayes.uncertainty import draw_parameters


def test_every_table_is_a_distribution_over_the_nodes_states(breast):
    tables = build_tables(breast.spec)
    assert tables.variables == breast.spec.node_ids and tables.batch == 0
    for node in breast.spec.nodes:
        cpt = tables.cpts[node.id]
        assert cpt.shape == tuple(len(breast.spec.node(p).states) for p in node.parents) + (len(node.states),)
        np.testing.assert_allclose(cpt.sum(axis=-1), 1.0, atol=1e-15, rtol=0)
    assert noisy_or is kinds.noisy_or  # re-exported from the kinds


def test_calibration_is_solved_again_for_every_draw(breast):
    draws = draw_parameters(breast.spec, 500, 5)
    assert 0 < draws.acceptance <= 1
    cal = build_tables(breast.spec, values=draws.values).calibration
    np.testing.assert_allclose(cal.cumulative(1), draws.values["cytology.one_tap"], atol=1e-9, rtol=0)
    np.testing.assert_allclose(cal.cumulative(3), draws.values["cytology.three_taps"], atol=1e-9, rtol=0)
    assert np.ptp(draws.values["cytology.one_tap"]) > 0.02  # the figures themselves vary


def test_with_techniques_rebuilds_only_those_taps(breast):
    poor = Technique(volume_ml=4, delay_min=90)
    base = build_tables(breast.spec)
    swapped = base.with_techniques({"csf_2": poor, "csf_4": STANDARD})
    fresh = build_tables(breast.spec, techniques={"csf_2": poor, "csf_4": STANDARD})
    for node in breast.spec.node_ids:
        np.testing.assert_array_equal(swapped.cpts[node], fresh.cpts[node])
        if node in ("csf_2", "csf_4"):
            assert not np.array_equal(swapped.cpts[node], base.cpts[node]), node
        else:
            assert swapped.cpts[node] is base.cpts[node], node  # shared, not rebuilt
    # techniques already in the tables stay unless the same tap is named again
    again = swapped.with_techniques({"csf_4": poor})
    np.testing.assert_array_equal(again.cpts["csf_2"], swapped.cpts["csf_2"])
    np.testing.assert_array_equal(again.cpts["csf_4"], swapped.cpts["csf_2"])
    assert base.with_techniques({}) is base


def test_with_techniques_over_draws_keeps_the_draw_axis(breast):
    draws = draw_parameters(breast.spec, 7, 2)
    batched = build_tables(breast.spec, values=draws.values)
    swapped = batched.with_techniques({"csf_1": STANDARD})
    assert swapped.batch == 7 and swapped.cpts["csf_1"].shape == batched.cpts["csf_1"].shape
    fresh = build_tables(breast.spec, techniques={"csf_1": STANDARD}, values=draws.values)
    np.testing.assert_allclose(swapped.cpts["csf_1"], fresh.cpts["csf_1"], atol=0, rtol=0)


def test_an_imported_network_models_no_technique(breast_bif):
    tables = lmbayes.load_network(breast_bif).tables
    assert tables.context is None
    with pytest.raises(InputError, match="does not model tap technique"):
        tables.with_techniques({"csf_1": STANDARD})
