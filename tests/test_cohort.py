"""Cohort files: the format, its checks (one line naming line and column), synthetic cohorts."""

from __future__ import annotations

import numpy as np
import pytest

from lmbayes import load_network
from lmbayes.errors import TooFewTapsError
from lmbayes.cohort import CohortError, available, cohort_text, draw_cohort, parse_cohort, read_cohort

HEADER = "id,lm,headache,mri,csf_1,cells_1,csf_2"


@pytest.fixture(scope="module")
def net():
    return load_network()


def test_the_shipped_cohort_reads(net):
    cohort = read_cohort(net, available()["breast_cohort"])
    assert cohort.patients == 1000
    assert cohort.columns[:3] == ("systemic_status", "subtype", "cranial_nerve_palsy")
    assert set(np.unique(cohort.diagnosis)) == {0, 1}


def test_states_take_the_command_line_synonyms(net):
    text = f"{HEADER}\np1,yes,+,abnormal,neg,raised,pos\np2,absent,no,,negative,,\np3,,,normal,,,\n"
    cohort = parse_cohort(net, text)
    assert cohort.columns == ("headache", "mri", "csf_1", "cells_1", "csf_2")
    assert cohort.states.tolist() == [[1, 1, 0, 1, 2], [0, -1, 0, -1, -1], [-1, 0, -1, -1, -1]]
    assert cohort.diagnosis.tolist() == [1, 0, -1]
    assert cohort.lines.tolist() == [2, 3, 4]


def test_written_cohorts_read_back(net):
    cohort = draw_cohort(net, 500, missing=0.3, unknown=0.1, rng=4)
    again = parse_cohort(net, cohort_text(net, cohort))
    assert again.columns == cohort.columns
    np.testing.assert_array_equal(again.states, cohort.states)
    np.testing.assert_array_equal(again.diagnosis, cohort.diagnosis)


def test_a_drawn_cohort_has_the_stated_share_missing(net):
    cohort = draw_cohort(net, 20_000, missing=0.2, unknown=0.1, rng=1)
    signs = [j for j, c in enumerate(cohort.columns) if net.spec.node(c).kind == "sign"]
    assert abs((cohort.states[:, signs] < 0).mean() - 0.2) < 0.01
    assert abs((cohort.diagnosis < 0).mean() - 0.1) < 0.01
    taps = cohort.taps_done({n.id: n.tap for n in net.spec.nodes if n.tap})
    # each further tap is done with probability 0.8: k taps with 0.8^k 0.2, six with 0.8^6
    assert abs((taps == 0).mean() - 0.2) < 0.01
    assert abs((taps == 6).mean() - 0.8**6) < 0.01


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "cohort: empty file; expected a header line of node ids"),
        ("\n\n", "cohort: empty file"),
        ("lm,headache\n", "cohort: no patients (only a header line)"),
        ("lm,headach\npresent,yes\n", "cohort, line 1, column 2: unknown column 'headach' (did you mean 'headache'?)"),
        ("lm,burden\npresent,high\n", "cohort, line 1, column 2: 'burden' is not observed"),
        ("lm,csf_11\npresent,neg\n", "cohort, line 1, column 2: 'csf_11': the network models 6 taps; lmbayes models at most 10"),
        ("lm,headache,headache\npresent,yes,yes\n", "cohort, line 1, column 3: 'headache' appears twice"),
        ("headache,mri\nyes,normal\n", "cohort, line 1: no diagnosis column 'lm'"),
        ("lm,headache\npresent,maybe\n", "cohort, line 2, column headache: unknown state 'maybe' for 'headache'"),
        ("lm,headache\nperhaps,yes\n", "cohort, line 2, column lm: unknown state 'perhaps' for 'lm'"),
        ("lm,headache\npresent,yes,no\n", "cohort, line 2: 3 fields, but the header has 2"),
        ("lm,csf_1,csf_2\npresent,,neg\n", "cohort, line 2, column csf_2: tap 2 is recorded but tap 1 is not"),
        ('lm,headache\n"present,yes\n', "cohort, line 2: 1 fields, but the header has 2"),
        ("lm,headache\npres\x00ent,yes\n", "cohort, line 2, column lm: unknown state 'pres\\x00ent'"),
        ("name: breast\nnodes:\n", "cohort, line 1, column 1: unknown column 'name: breast'"),
        ("lm,headache\npresent," + "x" * 200_000 + "\n", "cohort, line 2: not CSV (field larger than field limit"),
    ],
    ids=["empty", "blank lines", "header only", "unknown column", "hidden node", "tap 11", "twice",
         "no diagnosis column", "unknown state", "unknown diagnosis", "extra field", "tap gap",
         "open quote", "NUL escaped", "YAML", "huge field"],
)
def test_bad_cohorts_name_line_and_column(net, text, message):
    with pytest.raises(CohortError) as info:
        parse_cohort(net, text)
    assert str(info.value).startswith(message)
    assert "\n" not in str(info.value)


def test_a_file_that_is_not_utf8_names_its_line(net, tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("lm,headache\npresent,yes\nabsent,n\xe9ant\n".encode("latin-1"))
    with pytest.raises(CohortError, match=r"latin1.csv, line 3: not UTF-8 text"):
        read_cohort(net, path)


def test_a_missing_file_is_one_line(net, tmp_path):
    with pytest.raises(CohortError, match=r"no such cohort file"):
        read_cohort(net, tmp_path / "nothing.csv")


def test_every_diagnosis_missing_is_refused_where_diagnoses_are_needed(net):
    cohort = parse_cohort(net, "lm,headache\n,yes\n,no\n")
    with pytest.raises(CohortError, match=r"column lm: no patient has a known diagnosis"):
        cohort.require_diagnoses("lm")


def test_more_taps_than_the_network_models_says_how_many(net):
    with pytest.raises(TooFewTapsError) as info:
        parse_cohort(net, "lm,csf_7,csf_8,cells_9\npresent,neg,neg,\n")
    assert str(info.value) == "cohort, line 1, column 2: 'csf_7': the network models 6 taps"
    assert info.value.needed == 9
