"""Tap technique: a value from the CSF result or --next-tap to the tap's table and back to words."""

from __future__ import annotations

import math

import pytest

import lmbayes
from lmbayes.errors import InputError
from lmbayes.technique import STANDARD, USUAL, Technique, parse_next_tap, split_result, way


def test_technique_changes_the_posterior_in_the_sourced_direction(breast, case_findings):
    usual = breast.posterior(case_findings, csf=["neg", "neg"]).p_target
    poor = breast.posterior(case_findings, csf=["neg@4ml+90min", "neg@4ml+90min"]).p_target
    good = breast.posterior(case_findings, csf=["neg@12ml+15min", "neg@12ml+15min"]).p_target
    assert good < usual < poor  # a poor negative tap rules out less (glantz1998)
    assert math.isfinite(poor)


def test_standard_detection_by_hand(breast):
    par = {k: p.value for k, p in breast.spec.parameters.items()}
    usual = breast.tables.calibration.per_tap
    standard = usual / (1 - par["cytology.technique.usual_shortfall"])
    poor = standard * (1 - par["cytology.technique.low_volume_loss"]) * (1 - par["cytology.technique.late_processing_loss"])
    for technique, p in [(STANDARD, standard), (Technique(volume_ml=4, delay_min=90), poor)]:
        tables = lmbayes.tables.build_tables(breast.spec, techniques={"csf_1": technique})
        high = tables.states["burden"].index("high")  # cytology finds a high burden only
        assert tables.cpts["csf_1"][high, 2] == pytest.approx(p, abs=1e-15)
        assert tables.cpts["csf_2"][high, 2] == pytest.approx(usual, abs=1e-15)


def test_a_result_carries_its_technique_to_the_findings(breast):
    findings = breast.observe({}, "neg@12ml+15min, neg, pos@cisternal+away")
    assert dict(findings.techniques) == {
        "csf_1": Technique(volume_ml=12, delay_min=15),
        "csf_3": Technique(site="cisternal", away=True),
    }
    poor = breast.observe({}, "neg@4ml+90min")
    assert breast.posterior(poor).p_target == breast.posterior(csf="neg@4ml+90min").p_target
    assert breast.posterior(poor).p_target > breast.posterior(csf="neg").p_target


def test_usual_and_standard_are_different_values_with_their_own_words():
    assert USUAL != STANDARD and USUAL.usual and not STANDARD.usual
    assert way(USUAL) == "the usual way"
    assert way(STANDARD) == "to the handling standard (>= 10 mL, processed within 30 min)"
    assert way(Technique(volume_ml=5, away=True)) == "with 5 mL, lumbar, away from the symptomatic site"
    assert parse_next_tap("standard") == STANDARD
    with pytest.raises(InputError, match="the usual way states no volume"):
        Technique(volume_ml=5, usual=True)


@pytest.mark.parametrize(
    "parse, text, message",
    [
        (split_result, "neg@5ml+10ml", "the volume is given twice"),
        (split_result, "neg@ventricular+cisternal", "the site is given twice"),
        (split_result, "neg@-5ml", "cannot read the technique '-5ml'"),
        (parse_next_tap, "volume=3,volume=20", "the volume is given twice"),
        (parse_next_tap, "delay=5,delay=10", "the delay is given twice"),
        (parse_next_tap, "colour=red", "unknown technique field 'colour'"),
        (parse_next_tap, "away=maybe", "away must be yes or no"),
    ],
    ids=["volume-twice", "site-twice", "negative-volume", "next-tap-volume-twice", "next-tap-delay-twice", "field", "away"],
)
def test_a_technique_field_is_read_once_and_checked(parse, text, message):
    with pytest.raises(InputError, match=message):
        parse(text)
