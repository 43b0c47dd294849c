"""`lmbayes network audit`: the network's AUC at each workup stage beside the published models."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

import lmbayes
from lmbayes import networks
from lmbayes.audit import STAGES, _p_lm, audit, specificity_at, stage_columns
from lmbayes.simulate import forward_sample
from lmbayes.validate import auc
from conftest import invoke_cleanly

SHIPPED = sorted(networks.available())


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request) -> lmbayes.Network:
    return lmbayes.load_network(request.param)


@pytest.fixture(scope="module")
def audited(shipped):
    return audit(shipped)


@pytest.mark.parametrize("name", SHIPPED)
def test_the_command_runs_on_every_shipped_network(name):
    result = invoke_cleanly(["network", "audit", "--network", name, "--n", "2000"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"Audit of the network '{name}' against published LM models"
    assert max(map(len, lines)) <= 80
    for source in ("Gao 2022 model A", "Gao 2022 model B", "Rilinger 2026 (random forest)"):
        assert any(line.strip() == source for line in lines)
    rows = [line for line in lines if re.match(r"^\S.*  (\d\.\d{3}|-)  .*(within|above|below|n/a)$", line)]
    assert len(rows) == len(STAGES)


@pytest.mark.parametrize("name", SHIPPED)
def test_json_gives_each_stage_with_its_verdict(name):
    result = invoke_cleanly(["network", "audit", "--network", name, "--n", "2000", "--json"])
    data = json.loads(result.output)
    assert data["network"] == name and data["patients"] == 2000 and data["seed"] == 1
    assert data["population"] == "suspected" and 0 < data["lm"] < data["kept"] < data["patients"]
    assert [s["name"] for s in data["stages"]] == [s.name for s in STAGES]
    for s in data["stages"]:
        if s["auc"] is None or s["low"] is None:
            assert s["verdict"] == "n/a"
        else:
            expected = "above" if s["auc"] > s["high"] else "below" if s["auc"] < s["low"] else "within"
            assert s["verdict"] == expected


def test_same_seed_same_table_other_seed_other_draw(breast):
    a, b, c = audit(breast, patients=3000, seed=7), audit(breast, patients=3000, seed=7), audit(breast, patients=3000, seed=8)
    assert a == b
    assert a.stages[0].auc != c.stages[0].auc


def test_weighted_cohort_has_the_network_prior(shipped):
    """Drawn half with LM, weighted back: the weighted share with LM is the network's P(LM)."""
    everyone = audit(shipped, patients=100_000, population="all")
    assert everyone.kept == everyone.patients and 0.4 < everyone.lm / everyone.patients < 0.6
    assert everyone.prevalence == pytest.approx(shipped.posterior({}).p_target, rel=0.04)


def test_suspected_patients_are_those_with_a_sign(shipped):
    """The kept population's P(LM) is the network's P(LM | at least one sign), by the engine:
    (P(LM) - P(LM, no sign)) / (1 - P(no sign))."""
    signs = [n.id for n in shipped.spec.of_kind("sign")]
    none = {s: "absent" for s in signs}
    p_none = shipped.posterior(none).p_findings
    p_lm_none = shipped.posterior(none).p_target * p_none
    expected = (shipped.posterior({}).p_target - p_lm_none) / (1 - p_none)
    assert audit(shipped, patients=100_000).prevalence == pytest.approx(expected, rel=0.04)


def test_mri_auc_is_the_mean_of_sensitivity_and_specificity(shipped):
    """For one binary finding AUC = (sensitivity + specificity) / 2, both taken from the
    network's own engine in its population (hand calculation, no sampling)."""
    with_lm = shipped.posterior({shipped.target: "present"}, nodes=["mri"]).posterior["mri"]["typical_enhancement"]
    without = shipped.posterior({shipped.target: "absent"}, nodes=["mri"]).posterior["mri"]["typical_enhancement"]
    expected = (with_lm + 1.0 - without) / 2.0
    assert audit(shipped, population="all").stage("mri").auc == pytest.approx(expected, abs=0.01)


def test_p_lm_agrees_with_pgmpy_on_every_stage(shipped):
    """P(LM) as the audit computes it (the batch contraction) against pgmpy's variable
    elimination, an independent engine, on sampled patients at every stage."""
    from lmbayes._pgmpy import query

    model = shipped.to_pgmpy()
    sample = forward_sample(shipped, 40, 3)
    tables, target = shipped.tables, shipped.target
    for stage in STAGES:
        columns = stage_columns(shipped.spec, stage.name)
        states = np.column_stack([sample[c] for c in columns])
        ours = _p_lm(tables, target, columns, states)
        for i in range(0, 40, 8):
            evidence = {c: tables.states[c][states[i, j]] for j, c in enumerate(columns)}
            theirs = query(model, evidence, [target])[target][-1]
            assert ours[i] == pytest.approx(theirs, rel=1e-9, abs=1e-12), (stage.name, evidence)


def test_specificity_at_the_published_sensitivity_is_read_from_the_roc():
    p = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])
    y = np.array([1, 0, 1, 1, 0, 0, 1, 0])
    # sensitivity 0.75 needs the threshold 0.6: of the negatives 0.8 is above, 0.5, 0.4, 0.2 below
    assert specificity_at(p, y, 0.75) == 0.75
    assert specificity_at(p, y, 1.0) == 0.25
    w = np.array([1, 3, 1, 1, 1, 1, 1, 1.0])  # the false positive at 0.8 weighs three
    assert specificity_at(p, y, 0.75, w) == pytest.approx(3 / 6)
    assert float(auc(p, y)) == pytest.approx(11 / 16)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--n", "5"], "5 is not in the range 100<=x<=1000000"),
        (["--seed", "-1"], "-1 is not in the range x>=0"),
        (["--network", "nosuch"], "nosuch"),
    ],
    ids=["too-few", "negative-seed", "unknown-network"],
)
def test_bad_options_are_one_line_errors(args, message):
    result = invoke_cleanly(["network", "audit", *args])
    assert result.exit_code == 2
    assert message in result.output and len(result.output.strip().splitlines()) == 1


def test_an_imported_network_without_target_is_refused_in_one_line(breast_bif):
    result = invoke_cleanly(["network", "audit", "--network", str(breast_bif)])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "audit" in result.output
