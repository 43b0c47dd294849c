"""The usual work-up: nobody is tapped again after a positive cytology (issue 26, first part).
Yields by the life table, fit's three-tap figure from it, and a fit that projects what the
model cannot represent instead of failing."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from lmbayes import load_network
from lmbayes._loader import load_spec
from lmbayes.calibration import reachable
from lmbayes.cli.main import cli
from lmbayes.cohort import draw_cohort, write_cohort
from lmbayes.errors import InputError
from lmbayes.fit import Fit, Update, _reachable, fit
from lmbayes.fitted_file import write_fitted
from lmbayes.measures import life_table
from lmbayes.tables import sign_floors
from lmbayes.validate import validate


@pytest.fixture(scope="module")
def stopped():
    """The issue's cohort: 5,000 patients drawn with a pre-test probability of 20% (seed 3), no
    tap after the first positive cytology."""
    net = load_network(pretest=0.2)
    return net, draw_cohort(net, 5000, rng=3, stop_after_positive=True)


def test_no_tap_follows_a_positive_one(stopped):
    net, cohort = stopped
    taps = np.column_stack([cohort.states[:, cohort.columns.index(t)] for t in net.spec.taps])
    positive = len(net.spec.tap_states) - 1
    seen = np.cumsum(taps == positive, axis=1)
    later = (seen[:, :-1] > 0) & (taps[:, 1:] >= 0)
    assert not later.any() and (taps == positive).any()


def test_the_life_table_yield_recovers_the_published_figures(stopped):
    net, cohort = stopped
    result = validate(net, cohort, bootstrap=0)
    by_tap = {y.taps: y for y in result.yields}
    assert by_tap[3].observed == pytest.approx(0.85, abs=0.05)
    assert by_tap[3].low < 0.85 < by_tap[3].high and by_tap[1].low < 0.5 < by_tap[1].high
    # the share positive within three taps among those who had three leaves out the patients
    # found early: far below (the issue measured 39.0% on this cohort)
    lm = cohort.diagnosis == 1
    first3 = np.column_stack([cohort.states[:, cohort.columns.index(t)] for t in net.spec.taps[:3]])
    had = lm & (first3 >= 0).all(axis=1)
    naive = (had & (first3 == 2).any(axis=1)).sum() / had.sum()
    assert naive < 0.6
    # the life table by hand from the same counts
    f, _ = life_table(np.array([y.at_risk for y in result.yields], float), np.array([y.positive for y in result.yields], float))
    survival = np.cumprod([1 - y.positive / y.at_risk for y in result.yields])
    assert f == pytest.approx(1 - survival, abs=1e-15)
    assert [y.observed for y in result.yields] == pytest.approx(list(f), abs=1e-15)


def test_missing_at_random_is_said_with_every_column(stopped, tmp_path, runner):
    net, cohort = stopped
    path = write_cohort(net, cohort, tmp_path / "stopped.csv")
    text = " ".join(runner.invoke(cli, ["validate", str(path), "--pretest", "0.2", "--bootstrap", "0"]).output.split())
    assert "Every measure assumes that a finding is missing at random" in text
    assert "tap 2 " in text and "by the life table" in text
    data = json.loads(runner.invoke(cli, ["validate", str(path), "--pretest", "0.2", "--bootstrap", "0", "--json"]).output)
    assert set(data["missing"]) == set(cohort.columns)
    assert data["missing"]["csf_1"] == pytest.approx(float((cohort.states[:, cohort.columns.index("csf_1")] < 0).mean()), abs=1e-12)


def test_fit_recovers_three_taps_from_a_stopped_cohort(stopped):
    net, cohort = stopped
    half = replace(cohort, states=cohort.states[:2500], diagnosis=cohort.diagnosis[:2500], lines=cohort.lines[:2500])
    result = fit(net, half)
    three = next(u for u in result.updates if u.path == "cytology.three_taps").after
    assert three.low <= 0.85 <= three.high and abs(three.value - 0.85) < 0.03


def test_simulate_writes_a_stopped_cohort(runner, tmp_path):
    out = tmp_path / "stopped.csv"
    result = runner.invoke(cli, ["simulate", "--cohort", "300", "--out", str(out), "--stop-after-positive", "--seed", "2"])
    assert result.exit_code == 0 and "no tap after a positive cytology" in " ".join(result.output.split())


def test_a_number_the_model_cannot_represent_is_projected():
    spec = load_network().spec
    m, floor, _ = sign_floors(spec)["seizures"]
    below = replace(spec, parameters={**spec.parameters, "seizures.given.lm": replace(spec.parameters["seizures.given.lm"], value=floor * 0.98)})
    one = spec.parameters["cytology.one_tap"].value
    top = float(reachable(one, spec.parameters["cytology.false_positive"].value)[1])
    below = replace(below, parameters={**below.parameters, "cytology.three_taps": replace(below.parameters["cytology.three_taps"], value=top + 0.01)})
    projected, moved = _reachable(below)
    paths = {path: (estimate, written) for path, estimate, written, _ in moved}
    assert paths["seizures.given.lm"][0] == pytest.approx(floor * 0.98) and paths["seizures.given.lm"][1] >= floor
    assert paths["cytology.three_taps"][1] < top
    # what is projected loads once written with four significant digits, as the file writer does
    rounded = {p: replace(v, value=float(f"{v.value:.4g}")) for p, v in projected.parameters.items()}
    floors = sign_floors(replace(projected, parameters=rounded))
    assert floors["seizures"][0] >= floors["seizures"][1]
    assert sign_floors(spec)["seizures"][0] == m  # the shipped spec is untouched


def test_a_file_that_would_not_load_names_the_output_never_a_temporary_file(tmp_path):
    net = load_network()
    p = net.spec.parameters["seizures.given.lm"]
    bad = Update("seizures.given.lm", p, replace(p, value=0.01, low=0.005, high=0.02), 1.0, 100.0)
    result = Fit(net.spec, (bad,), (), 1, True, 100, "cohort")
    out = tmp_path / "new.yaml"
    with pytest.raises(InputError) as error:
        write_fitted(net, result, out, "a cohort")
    message = str(error.value)
    assert "nothing was written" in message and "new.yaml" in message and ".tmp" not in message
    assert not out.exists()
    load_spec(net.spec.path)  # the shipped file is untouched


def test_a_cohort_is_read_a_block_at_a_time_as_cell_by_cell(monkeypatch):
    """The block reader against the plainest reading: every cell through resolve_state, with
    blocks of 3 rows so that synonyms, blanks and a new spelling cross block boundaries."""
    import csv
    import io

    from lmbayes import cohort as module
    from lmbayes.cohort import parse_cohort
    from lmbayes.findings import resolve_state

    net = load_network()
    text = ("lm,headache,mri,csf_1,csf_2,id\n" + "present,yes,abnormal,neg,pos,a\nabsent, no ,normal,,,b\n"
            "present,Present,typical_enhancement,negative,equiv,c\n,,,pos,,d\nabsent,n,normal,-,+,e\n"
            "present,yes,,atypical,,f\nabsent,no,normal,neg,neg,g\n")
    monkeypatch.setattr(module, "ROWS_PER_BLOCK", 3)
    cohort = parse_cohort(net, text)
    rows = list(csv.reader(io.StringIO(text)))
    header, body = rows[0], rows[1:]
    for i, row in enumerate(body):
        for column, cell in zip(header, row):
            if column == "id":
                continue
            states = net.spec.node(column).states
            expected = states.index(resolve_state(column, states, cell.strip())) if cell.strip() else -1
            got = cohort.diagnosis[i] if column == "lm" else cohort.states[i, cohort.columns.index(column)]
            assert got == expected, (i, column, cell)
    assert list(cohort.lines) == list(range(2, 9))
    with pytest.raises(InputError, match="line 5, column headache"):
        parse_cohort(net, text.replace(",,,pos,,d", ",sometimes,,pos,,d"))


@pytest.mark.parametrize("args", [["--stop-after-positive"], ["--unknown", "0.5"], ["--missing", "0.1"]])
def test_cohort_options_without_a_cohort_are_one_line(runner, args):
    result = runner.invoke(cli, ["simulate", "--patients", "50", *args])
    assert result.exit_code == 2 and "shape" in result.output and "give --cohort N --out FILE.csv too" in result.output
    assert result.output.count("\n") == 1


def test_a_tap_without_any_positive_does_not_end_the_life_table():
    """No positive at tap 1 (the survival is still 1, so no interval): tap 2 is counted too."""
    from lmbayes.cohort import parse_cohort

    net = load_network()
    text = "lm,csf_1,csf_2\npresent,neg,neg\npresent,neg,pos\nabsent,neg,neg\n"
    yields = validate(net, parse_cohort(net, text), bootstrap=0).yields
    assert [(y.taps, y.at_risk, y.positive) for y in yields] == [(1, 2, 0), (2, 2, 1)]
    assert [y.observed for y in yields] == pytest.approx([0.0, 0.5])
