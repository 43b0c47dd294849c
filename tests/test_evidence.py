"""One Evidence value for one patient's findings and a cohort's rows, with one tap-order check
and one possibility check."""

from __future__ import annotations

import numpy as np
import pytest

import lmbayes
from lmbayes.cohort import CohortError, parse_cohort
from lmbayes.errors import FindingError, ImpossibleEvidenceError
from lmbayes.evidence import Evidence
from lmbayes.findings import Findings

PERFECT_MRI = (r"sensitivity: \{value: 0.594, range: \[0.594, 0.90\]", "sensitivity: {value: 1.0, range: [0.594, 1.0]")
PERFECT_CYTOLOGY = (r"false_positive: \{value: 0.001, range: \[0.0002, 0.005\]", "false_positive: {value: 0.0, range: [0.0, 0.005]")


def test_findings_give_one_row_a_cohort_n_rows(breast):
    findings = breast.observe({"headache": "present", "mri": "normal"}, "neg,pos")
    one = findings.evidence(breast.spec)
    assert one.columns == ("headache", "mri", "csf_1", "csf_2")
    assert one.rows.tolist() == [[1, 0, 0, 2]]
    assert int(one.taps_done(breast.spec)[0]) == findings.taps_done == 2
    cohort = parse_cohort(breast, "lm,headache,csf_1,csf_2\npresent,present,negative,\nabsent,,negative,positive\n")
    assert cohort.evidence.columns == ("headache", "csf_1", "csf_2")
    assert cohort.evidence.rows.tolist() == [[1, 0, -1], [-1, 0, 2]]
    assert cohort.evidence.taps_done(breast.spec).tolist() == [1, 2]


def test_one_tap_order_check_for_a_patient_and_a_cohort(breast):
    spec = breast.spec
    rows = Evidence(("csf_1", "csf_3", "cells_4"), np.array([[0, -1, -1], [0, -1, 1], [-1, -1, -1], [0, 0, -1]]))
    assert rows.tap_gap(spec) == (1, 4, 2)  # row 1: tap 4 (its cell count) without taps 2 and 3
    assert Evidence(("csf_1", "csf_2"), np.array([[0, 0]])).tap_gap(spec) is None
    with pytest.raises(FindingError, match="tap 3 is given but tap 2 is not"):
        breast.observe({"csf_1": "negative", "csf_3": "negative"})
    with pytest.raises(CohortError, match="line 3, column csf_3: tap 3 is recorded but tap 2 is not"):
        parse_cohort(breast, "lm,csf_1,csf_2,csf_3\npresent,negative,negative,\nabsent,negative,,negative\n")


def test_one_possibility_check_a_conflict_for_a_patient_a_line_for_a_cohort(edited_network):
    # a perfectly specific cytology and a perfectly sensitive MRI: a positive cytology means LM,
    # and LM means a typical MRI
    net = lmbayes.load_network(edited_network(PERFECT_CYTOLOGY, PERFECT_MRI))
    # one row: the smallest set of findings that cannot occur together, by name
    impossible = Findings({"headache": "present", "lm": "absent", "csf_1": "positive"}, {}, 1)
    assert impossible.evidence(net.spec).conflict(net.engine) == ("lm", "csf_1")
    with pytest.raises(ImpossibleEvidenceError, match="lm=absent and csf_1=positive"):
        net.observe({"headache": "present", "lm": "absent"}, "positive")
    # n rows: the line of the first impossible patient
    text = "lm,mri,csf_1\npresent,typical_enhancement,positive\nabsent,normal,negative\nabsent,normal,positive\n"
    cohort = parse_cohort(net, text, "c.csv")
    assert cohort.evidence.impossible(net.engine).tolist() == [2]
    assert cohort.evidence.conflict(net.engine, 2) == ("mri", "csf_1")
    from lmbayes.fit import fit
    from lmbayes.validate import validate

    for run in (lambda: validate(net, cohort, bootstrap=0), lambda: fit(net, cohort)):
        with pytest.raises(ImpossibleEvidenceError, match=r"^c.csv, line 4: findings impossible under the network"):
            run()
    # validate judges the patients with a known diagnosis (it leaves the others out), fit all
    unknown = parse_cohort(net, text.replace("\nabsent,normal,positive", "\n,normal,positive"), "c.csv")
    assert validate(net, unknown, bootstrap=0).known == 2
    with pytest.raises(ImpossibleEvidenceError, match="line 4"):
        fit(net, unknown)
