"""Node kinds in one place, and a new per-tap analysis added by editing a network file only."""

from __future__ import annotations

import json

import pytest

import lmbayes
from lmbayes.cli.main import cli
from lmbayes.kinds import FILE_KINDS, KINDS, events, kind_of

TOY = """\
  csf_protein:
    kind: tap_test
    label: CSF protein
    description: Raised CSF protein on this tap (a toy per-tap analysis for the tests).
    states: [normal, raised]
    target: lm
    sensitivity: {value: 0.8, range: [0.6, 0.9], judgement: true}
    specificity: {value: 0.7, range: [0.5, 0.9], judgement: true}

# Serial CSF cytology"""


@pytest.fixture
def toy(edited_network):
    """A copy of the breast network with a toy analysis on every tap (no code changed)."""
    return edited_network((r"^\n# Serial CSF cytology", "\n" + TOY), name="toy.yaml")


def _odds(p: float) -> float:
    return p / (1 - p)


def test_every_node_has_a_kind_and_every_file_kind_reads(breast):
    assert {"context", "target", "cause", "state", "reaction", "sign", "test", "tap_test", "burden_test", "feature"} == set(FILE_KINDS)
    for node in breast.spec.nodes:
        assert kind_of(node) is KINDS[node.kind]
    assert [n.id for n in breast.spec.nodes if kind_of(n).explains] == [
        "systemic_status", "brain_metastases", "lm", "paraneoplastic", "epidural_compression",
        "spine_or_nerve_disease", "metabolic_encephalopathy", "cns_infection", "subtype", "csf_reaction",
    ]
    assert "csf_reaction" not in breast.summary_nodes  # a hidden state, not a cause to list


def test_a_test_is_an_event_with_its_readings(breast):
    ev = events(breast.spec)
    assert ev["mri"] == ("mri", "mri_compression", "mri_parenchymal")
    assert ev["antibody_panel"] == ("antibody_panel",)
    assert ev["tap_6"] == ("csf_6", "cells_6", "protein_6", "lactate_6", "glucose_6", "pressure_6", "ctc_6", "ctdna_6")


def test_the_planner_offers_the_mri_once_and_not_after_one_of_its_readings(breast):
    from lmbayes.plan import plan_workup

    tests = [o.test for o in plan_workup(breast, breast.observe()).tests]
    assert tests.count("mri") == 1 and "mri_compression" not in tests
    mri = next(o for o in plan_workup(breast, breast.observe()).tests if o.test == "mri")
    assert [o.state for o in mri.outcomes] == ["normal", "typical_enhancement"]  # grouped by the LM reading
    after = [o.test for o in plan_workup(breast, breast.observe({"mri": "normal"})).tests]
    assert "mri" not in after and "mri_compression" not in after


def test_a_toy_per_tap_analysis_generates_one_node_per_tap(toy):
    net = lmbayes.load_network(toy)
    assert [f"csf_protein_{k}" in net.spec.node_ids for k in range(1, 7)] == [True] * 6
    assert events(net.spec)["tap_2"][0] == "csf_2" and events(net.spec)["tap_2"][-1] == "csf_protein_2"
    assert lmbayes.load_network(toy, taps=8).spec.node("csf_protein_8").parents == ("lm",)


def test_the_toy_analysis_through_posterior_by_hand(runner, breast, toy):
    """P(LM | protein raised on tap 1, cytology negative): the odds after the negative tap
    times the analysis's likelihood ratio sens / (1 - spec) = 0.8 / 0.3."""
    result = runner.invoke(cli, ["posterior", "--network", str(toy), "-e", "csf_protein_1=raised", "--csf", "neg", "--json"])
    assert result.exit_code == 0, result.output
    p = json.loads(result.output)["posterior"]["lm"]["present"]
    base = breast.posterior({}, csf=["neg"]).p_target
    expected = _odds(base) * 0.8 / 0.3
    assert p == pytest.approx(expected / (1 + expected), abs=1e-12)


def test_the_toy_analysis_through_taps_and_plan(runner, toy):
    args = ["--network", str(toy), "-e", "csf_protein_1=raised", "--csf", "neg", "--json"]
    taps = json.loads(runner.invoke(cli, ["taps", *args]).output)
    posterior = json.loads(runner.invoke(cli, ["posterior", *args]).output)
    assert taps["taps_done"] == 1 and [s["tap"] for s in taps["steps"]] == [2, 3, 4, 5, 6]
    assert taps["current"] == pytest.approx(posterior["posterior"]["lm"]["present"], abs=1e-12)

    plan = json.loads(runner.invoke(cli, ["plan", *args, "--without", "routine"]).output)
    taps_offered = [t for t in plan["tests"] if t["test"] == "csf_2"]
    # one LP done the usual way and one to the standard, each with the hospital's panel: the
    # file's toy analysis (routine CSF left out; CTC and tumour DNA not generally available)
    assert [tuple(t["analyses"]) for t in taps_offered] == [("csf_protein",), ("csf_protein",)]
    option = taps_offered[0]
    assert option["readings"] == ["csf_2", "csf_protein_2"]
    assert [o["state"] for o in option["outcomes"]] == ["negative, panel normal", "negative, panel abnormal", "equivocal", "positive"]
    total = sum(o["probability"] for o in option["outcomes"])
    average = sum(o["probability"] * o["p_lm"] for o in option["outcomes"])
    assert total == pytest.approx(1.0, abs=1e-12) and average == pytest.approx(plan["current"], abs=1e-12)
    toy_count = next(c for c in plan["taps_to_rule_out"] if c["analyses"] == ["csf_protein"])
    net = lmbayes.load_network(toy)
    findings = net.observe({"csf_protein_1": "raised"}, "neg")
    table = net.taps(findings, analyses="csf_protein")
    below = [s.tap - 1 for s in table.steps if s.p_lm_if_negative < plan["thresholds"]["rule_out"]]
    assert toy_count["taps"] == (0 if plan["current"] < plan["thresholds"]["rule_out"] else below[0])


def test_a_tap_is_done_when_any_of_its_analyses_is_given(toy):
    net = lmbayes.load_network(toy)
    assert net.observe({"csf_protein_1": "raised"}).taps_done == 1
    with pytest.raises(lmbayes.FindingError, match="tap 2 is given but tap 1 is not"):
        net.observe({"csf_protein_2": "raised"})


def test_the_toy_network_draws_and_shows(runner, toy, tmp_path):
    dot = tmp_path / "toy.dot"
    assert runner.invoke(cli, ["network", "draw", "--network", str(toy), str(dot)]).exit_code == 0
    assert '"csf_protein_3"' in dot.read_text() and '"lm" -> "csf_protein_3"' in dot.read_text()
    shown = runner.invoke(cli, ["network", "show", "--network", str(toy)])
    assert shown.exit_code == 0 and "csf_protein.sensitivity" in shown.output


def test_a_per_tap_analysis_with_an_unknown_target_is_refused(edited_network):
    path = edited_network((r"^\n# Serial CSF cytology", "\n" + TOY.replace("target: lm", "target: lmx")), name="bad.yaml")
    problems = lmbayes._loader.check_spec(path)
    assert len(problems) == 1 and "node 'csf_protein'" in problems[0] and "unknown node 'lmx'" in problems[0]


@pytest.mark.parametrize("name", ["breast", "lung", "melanoma"])
def test_each_kind_owns_its_parameter_paths(name):
    # every number the loader read is one of its kind's forms, and the form's field finds the
    # same number in the file: the form is the inverse of the kind's reader
    import yaml

    from lmbayes import networks
    from lmbayes.kinds import parameter_path

    path = networks.available()[name]
    spec = lmbayes.load_network(name).spec
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, parameter in spec.parameters.items():
        parsed = parameter_path(spec, key)
        kind = KINDS["tap"] if parsed.node is None else kind_of(parsed.node)
        assert parsed.form in kind.forms, key
        field = data["cytology"] if parsed.node is None else data["nodes"][parsed.node.id]
        for part in parsed.field:
            field = field[part]
        assert field["value"] == pytest.approx(parameter.value), key
        assert parsed.words() and "{" not in parsed.words(), key
        counted = parsed.quantity()
        assert isinstance(counted, str) or counted.path == key
