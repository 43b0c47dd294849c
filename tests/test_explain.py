"""Teaching: replay, attributions, conflict, EANO-ESMO levels and dependence."""

from __future__ import annotations

import json
import math
from itertools import permutations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lmbayes
from lmbayes.cases import available_cases, load_case
from lmbayes.cli.main import cli
from lmbayes.errors import InputError
from lmbayes.explain import CONFLICT_ALERT, conflict, dependence, eano_level, explain
from lmbayes.replay import replay

SMALL = """
name: small
title: Two conditionally independent findings
population: teaching
target: lm
nodes:
  lm:
    kind: target
    label: LM
    description: target
    states: [absent, present]
    prior: {value: 0.2, range: [0.1, 0.3], judgement: true}
  scan:
    kind: test
    label: Scan
    description: a test of LM
    states: [normal, abnormal]
    target: lm
    sensitivity: {value: 0.8, range: [0.7, 0.9], judgement: true}
    specificity: {value: 0.9, range: [0.8, 0.95], judgement: true}
cytology:
  taps: 2
  states: [negative, positive]
  one_tap: {value: 0.5, range: [0.45, 0.55], judgement: true}
  three_taps: {value: 0.85, range: [0.8, 0.87], judgement: true}
  false_positive: {value: 0.0, range: [0.0, 0.02], judgement: true}
sources:
  none: "no source"
"""


@pytest.fixture
def small(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(SMALL)
    return lmbayes.load_network(path)


def db(x: float) -> float:
    return 10 * math.log10(x)


def test_attributions_of_conditionally_independent_findings_by_hand(small):
    """Given LM, scan and tap are independent: each finding's share is exactly its own LR."""
    cal = small.tables.calibration
    lr_scan = 0.8 / (1 - 0.9)
    lr_tap = (cal.shedding_share * (1 - cal.per_tap) + (1 - cal.shedding_share)) / 1.0
    items = {a.finding: a for a in explain(small, small.observe({"scan": "abnormal"}, ["negative"]))}
    assert items["scan=abnormal"].shapley_db == pytest.approx(db(lr_scan), abs=1e-9)
    assert items["scan=abnormal"].in_context_lr == pytest.approx(lr_scan, rel=1e-9)
    assert items["csf_1=negative"].shapley_db == pytest.approx(db(lr_tap), abs=1e-9)
    assert lr_tap < 1  # a negative tap lowers the odds


def test_shapley_of_two_interacting_findings_by_definition(breast):
    """Two findings: phi_1 = ((v(1) - v()) + (v(12) - v(2))) / 2, each v from its own query."""
    a, b = {"limb_weakness": "present"}, {"mri_compression": "shown"}

    def v(findings):
        p = breast.posterior(findings).p_target
        return db(p / (1 - p))

    expected_a = ((v(a) - v({})) + (v({**a, **b}) - v(b))) / 2
    items = {x.finding: x for x in explain(breast, breast.observe({**a, **b}))}
    assert items["limb_weakness=present"].shapley_db == pytest.approx(expected_a, abs=1e-9)
    in_context = 10 ** ((v({**a, **b}) - v(b)) / 10)
    assert items["limb_weakness=present"].in_context_lr == pytest.approx(in_context, rel=1e-9)


def test_shapley_values_add_up_to_the_whole_change(breast, case_findings):
    items = explain(breast, breast.observe(case_findings, "negative,negative,positive"))
    post = breast.posterior(case_findings, csf=["negative", "negative", "positive"])
    prior = breast.posterior().p_target
    total = db(post.p_target / (1 - post.p_target)) - db(prior / (1 - prior))
    assert sum(a.shapley_db for a in items) == pytest.approx(total, abs=1e-9)
    assert [abs(a.shapley_db) for a in items] == sorted((abs(a.shapley_db) for a in items), reverse=True)


def test_conflict_measure_by_hand(breast):
    a, b = {"antibody_panel": "positive"}, {"mri": "typical_enhancement"}
    p_a, p_b = breast.posterior(a).p_findings, breast.posterior(b).p_findings
    p_ab = breast.posterior({**a, **b}).p_findings
    conf = conflict(breast, breast.observe({**a, **b}))
    assert conf.value == pytest.approx(math.log(p_a * p_b / p_ab), abs=1e-12)
    assert conf.pair_value == pytest.approx(conf.value, abs=1e-12)  # one pair: the same measure


def test_conflict_alert_names_the_findings(runner):
    conflicting = ["-e", "systemic_status=no_active_disease", "-e", "altered_mental_status=absent",
                   "-e", "back_neck_pain=absent", "-e", "mri_compression=shown", "-e", "mri=normal", "--csf", "neg,neg,pos"]
    result = runner.invoke(cli, ["posterior", *conflicting])
    text = " ".join(result.output.split())
    assert "Conflict: the findings are 18.9 times less likely together than each alone (conf = 2.94 > 1)" in text
    assert "pull apart most" in text
    # a small positive conflict is shown without an alarm (Hugin would flag any conf > 0)
    mild = ["replay", "typical_mri_negative_taps"]
    data = json.loads(runner.invoke(cli, [*mild, "--json"]).output)["conflict"]
    if 0 < data["value"] <= CONFLICT_ALERT:
        assert data["alert"] is False
    small = runner.invoke(cli, ["posterior", "-e", "mri=typical_enhancement", "-e", "cranial_nerve_palsy=present", "--csf", "neg,neg,neg,neg", "--json"])
    value = json.loads(small.output)["conflict"]["value"]
    assert 0 < value < CONFLICT_ALERT and json.loads(small.output)["conflict"]["alert"] is False
    data = json.loads(runner.invoke(cli, ["posterior", "-e", "headache=present", "--json"]).output)
    assert data["conflict"]["alert"] is False and data["conflict"]["value"] == 0.0


@pytest.mark.parametrize(
    "evidence, csf, level",
    [
        ({}, "", "lack of evidence"),
        ({"headache": "present"}, "", "possible"),
        ({"mri": "typical_enhancement"}, "", "possible"),
        ({"headache": "present", "mri": "typical_enhancement"}, "", "probable"),
        ({"headache": "present", "mri": "typical_enhancement"}, "negative,equivocal", "probable"),
        ({}, "negative,positive", "confirmed"),
        ({"back_neck_pain": "absent", "mri": "normal"}, "", "lack of evidence"),
    ],
    ids=["nothing", "signs", "mri", "both", "equivocal-is-not-positive", "cytology", "negatives"],
)
def test_eano_levels(breast, evidence, csf, level):
    assert eano_level(breast, breast.observe(evidence, csf)) == level


def test_shipped_cases_are_valid_and_the_seed_case_ends_confirmed():
    assert {"seed_case", "explained_away", "typical_mri_negative_taps"} <= set(available_cases())
    case, net = load_case("seed_case")
    rows, conf = replay(net, case)
    assert [r.eano_esmo for r in rows][-1] == "confirmed"
    evidence, csf = case.findings_until(len(case.steps))
    assert rows[-1].p_lm_after == pytest.approx(net.posterior(evidence, csf=csf).p_target)
    assert case.findings[-1] == net.observe(evidence, csf)  # load_case checked every step's findings
    for r in rows:  # the LR of a step is the odds ratio it applied
        assert r.likelihood_ratio == pytest.approx((r.p_lm_after / (1 - r.p_lm_after)) / (r.p_lm_before / (1 - r.p_lm_before)), rel=1e-12)
    assert not conf.alert


def test_explained_away_case_shows_the_lesson():
    case, net = load_case("explained_away")
    rows, _ = replay(net, case)
    compression = next(r for r in rows if "mri_compression=shown" in r.findings)
    assert compression.likelihood_ratio < 1
    assert compression.causes["epidural_compression"] > 0.5


def test_dependence_compares_like_with_like(breast):
    findings = {"cranial_nerve_palsy": "present", "mri": "typical_enhancement"}
    result = dependence(breast, breast.observe(findings))
    rows, table = result.rows, breast.taps(findings)
    # the independent model chains exactly the network's first negative likelihood ratio
    assert result.chained_lr == pytest.approx(table.steps[0].likelihood_ratio, abs=1e-14)
    odds = table.current / (1 - table.current)
    for r, step in zip(rows, table.steps):
        assert r.network == pytest.approx(step.p_lm_if_negative, abs=1e-14)
        naive = odds * result.chained_lr**r.taps
        assert r.chained == pytest.approx(naive / (1 + naive), abs=1e-14)
    assert rows[0].network == pytest.approx(rows[0].chained, abs=1e-14)  # one tap: no difference
    assert all(r.network > r.chained for r in rows[1:])  # dependence keeps P(LM) up
    assert [r.likelihood_ratio for r in rows] == sorted(r.likelihood_ratio for r in rows)


def test_dependence_shows_the_published_cumulative_yield(breast):
    """The network's yield is the published 50% and 85% (and the implied 73.7%); independent
    taps with the same single-tap yield would find 50, 75 and 87.5%."""
    rows = dependence(breast, breast.observe()).rows
    cal = breast.tables.calibration
    assert [round(r.yield_network, 9) for r in rows[:3]] == [0.5, round(cal.two_taps, 9), 0.85]
    assert [r.yield_chained for r in rows[:3]] == pytest.approx([0.5, 0.75, 0.875], abs=1e-12)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(pretest=st.floats(1e-4, 1 - 1e-4), k=st.integers(2, 6), network=st.sampled_from(["breast", "lung", "melanoma"]))
def test_network_never_below_independence_after_two_or_more_negatives(pretest, k, network):
    net = lmbayes.load_network(network, pretest=pretest)
    row = dependence(net, net.observe()).rows[k - 1]
    assert row.network >= row.chained - 1e-12
    assert row.yield_network <= row.yield_chained + 1e-12


def test_explain_refuses_the_target_and_groups_a_complete_work_up(breast):
    with pytest.raises(InputError, match="nothing to explain"):
        explain(breast, breast.observe({"lm": "present", "headache": "present"}))
    many = breast.with_taps(10)
    findings = many.observe({"headache": "present", "mri": "normal", "mri_compression": "absent"}, ["negative"] * 10)
    assert len(findings) == 13
    assert len(explain(many, findings)) == 13


def test_eighteen_findings_are_attributed_in_groups_exactly_by_hand(breast):
    """18 findings (seven signs, the MRI's three readings, a tap's eight analyses) are more than
    the 16 attributed one by one: they are attributed as three groups. The Shapley value of
    three players is the average over their 6 orders of arrival, each computed here from
    P(LM) of the subsets through the public posterior."""
    signs = {n.id: "absent" for n in breast.spec.of_kind("sign")} | {"headache": "present", "cranial_nerve_palsy": "present"}
    mri = {"mri": "typical_enhancement", "mri_compression": "absent", "mri_parenchymal": "absent"}
    tap = {f"{a.id}_1": a.states[0] for a in breast.spec.tap_analyses}
    groups = {"signs": signs, "mri": mri, "tap 1": {**tap, "csf_1": "negative"}}
    findings = breast.observe({k: v for g in groups.values() for k, v in g.items()})
    assert len(findings) == 18
    items = {a.finding: a for a in explain(breast, findings)}
    assert set(items) == set(groups)
    assert items["tap 1"].members[-1] == "csf_1=negative" and len(items["mri"].members) == 3

    def db(names):
        p = breast.posterior(breast.observe({k: v for n in names for k, v in groups[n].items()})).p_target
        return 10 * math.log10(p / (1 - p))

    for name in groups:
        gains = []
        for order in permutations(groups):
            before = order[: order.index(name)]
            gains.append(db((*before, name)) - db(before))
        assert items[name].shapley_db == pytest.approx(sum(gains) / len(gains), abs=1e-9)
    others = [n for n in groups if n != "tap 1"]
    assert items["tap 1"].in_context_lr == pytest.approx(10 ** ((db(groups) - db(others)) / 10), rel=1e-9)


def test_teaching_json(runner):
    data = json.loads(runner.invoke(cli, ["replay", "seed_case", "--json"]).output)
    assert [s["eano_esmo"] for s in data["steps"]][-1] == "confirmed"
    assert set(data["steps"][0]) == {"step", "label", "findings", "p_lm_before", "p_lm_after", "likelihood_ratio", "causes", "eano_esmo", "fagan", "why"}
    data = json.loads(runner.invoke(cli, ["explain", "-e", "headache=present", "--csf", "neg", "--json"]).output)
    assert {a["finding"] for a in data["attributions"]} == {"headache=present", "csf_1=negative"}
    assert data["current"] == data["p_lm"]  # the key the other commands use, beside the old one
    data = json.loads(runner.invoke(cli, ["dependence", "--json"]).output)
    assert len(data["rows"]) == 6 and set(data["rows"][0]) == {
        "taps", "network", "chained", "fagan", "likelihood_ratio", "yield_network", "yield_chained"
    }
    assert {"chained_lr", "fagan_lr", "network_version", "network_digest"} <= set(data)


def test_a_confirmed_level_below_90_percent_says_what_holds_p_lm_back(runner, tmp_path):
    from lmbayes.explain import level_gap

    case = tmp_path / "gap.yaml"
    case.write_text(
        "name: gap\ntitle: t\nnetwork: breast\nsteps:\n"
        "  - label: signs, normal MRI, antibodies\n"
        "    findings: {mri: normal, antibody_panel: positive, systemic_status: no_active_disease}\n"
        "  - label: positive tap\n    csf: [positive]\n",
        encoding="utf-8",
    )
    data = json.loads(runner.invoke(cli, ["replay", str(case), "--json"]).output)
    last = data["steps"][-1]
    assert last["eano_esmo"] == "confirmed" and last["p_lm_after"] < 0.90
    assert data["level_gap"]["against"][:2] == ["systemic_status=no_active_disease", "mri=normal"]
    text = " ".join(runner.invoke(cli, ["replay", str(case)]).output.split())
    assert "EANO-ESMO level: confirmed (a positive cytology), yet P(LM) is" in text
    assert "held back by systemic_status=no_active_disease, mri=normal" in text
    net = lmbayes.load_network()
    case_file, _ = load_case("seed_case")
    seed = case_file.findings[-1]
    assert net.posterior(seed).p_target > 0.95
    assert level_gap(net, seed, "confirmed", net.posterior(seed).p_target) is None  # they agree
    assert "yet P(LM) is" not in runner.invoke(cli, ["replay", "seed_case"]).output
