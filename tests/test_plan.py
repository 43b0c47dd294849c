"""The workup planner: value of each test, thresholds, taps to rule out, advice."""

from __future__ import annotations

import csv
import io
import itertools
import json

import numpy as np
import pytest

from lmbayes.cli.main import cli
from lmbayes.errors import InputError
from lmbayes.menu import hospital_menu
from lmbayes.plan import Thresholds, plan_workup, value_of_test


def cytology_only(net):
    """A hospital that sends only cytology from each tap (the routine panel left out)."""
    return hospital_menu(net.spec, without="routine")
from lmbayes.plan import testing_thresholds as pauker_kassirer
from lmbayes.technique import STANDARD, USUAL, Technique

CASE_EXTRA = {"mri": "normal", "mri_compression": "absent", "mri_parenchymal": "absent", "antibody_panel": "negative"}


def entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log2(p)).sum())


def random_findings(net, rng):
    findings = {
        n: net.spec.node(n).states[rng.integers(2)]
        for n in net.spec.observable
        if not net.spec.node(n).tap and rng.random() < 0.4
    }
    csf = [("negative", "equivocal", "positive")[rng.integers(3)] for _ in range(rng.integers(0, 4))]
    return findings, csf


def test_results_sum_to_one_and_average_back_to_the_current_probability(breast):
    rng = np.random.default_rng(3)
    for _ in range(60):
        findings, csf = random_findings(breast, rng)
        plan = plan_workup(breast, breast.observe(findings, csf))
        assert plan.tests, "there is always a test not yet done"
        for option in plan.tests:
            total = sum(o.probability for o in option.outcomes)
            mean = sum(o.probability * o.p_lm for o in option.outcomes)
            assert abs(total - 1) < 1e-12
            assert abs(mean - plan.current) < 1e-12
            assert option.information_bits >= 0


def test_information_is_the_entropy_reduction(breast, case_findings):
    """I(LM; T) = H(LM) - sum_t P(t) H(LM | t), computed from the listed outcomes."""
    plan = plan_workup(breast, breast.observe(case_findings, ["negative"]))
    h_now = entropy(np.array([1 - plan.current, plan.current]))
    for option in plan.tests:
        h_after = sum(o.probability * entropy(np.array([1 - o.p_lm, o.p_lm])) for o in option.outcomes)
        if len(option.readings) == 1:
            assert option.information_bits == pytest.approx(h_now - h_after, abs=1e-12)
        else:  # the bits count every combination of readings; the listed outcomes group them
            assert option.information_bits >= h_now - h_after - 1e-12


def test_information_of_a_test_with_several_readings_by_enumeration(breast):
    """The MRI's three readings: I(LM; readings) from one posterior per combination of states."""
    findings = {"cranial_nerve_palsy": "present", "headache": "present"}
    plan = plan_workup(breast, breast.observe(findings))
    mri = next(o for o in plan.tests if o.test == "mri")
    assert mri.readings == ("mri", "mri_compression", "mri_parenchymal")
    base = breast.posterior(findings)
    h_now = entropy(np.array([1 - base.p_target, base.p_target]))
    h_after = 0.0
    for states in itertools.product(*(breast.spec.node(r).states for r in mri.readings)):
        post = breast.posterior({**findings, **dict(zip(mri.readings, states))})
        h_after += post.p_findings / base.p_findings * entropy(np.array([1 - post.p_target, post.p_target]))
    assert mri.information_bits == pytest.approx(h_now - h_after, abs=1e-12)


def test_a_test_already_done_carries_no_information(breast):
    findings = breast.observe({"mri": "normal"}, ["negative"])
    case = breast.case(findings)
    current = case.p_target(case.evidence)
    for node in ("mri", "csf_1"):
        option = value_of_test(case, node, None, Thresholds(), current)
        assert abs(option.information_bits) < 1e-12
        assert abs(option.expected_change) < 1e-12
    tested = {o.test for o in plan_workup(breast, findings).tests}
    assert "mri" not in tested and "csf_1" not in tested and "csf_2" in tested
    # a test partly done (the MRI read for LM, not yet for compression) is not offered again
    assert not {"mri", "mri_compression"} & {r for o in plan_workup(breast, findings).tests for r in o.readings}


def test_threshold_formulas_by_hand():
    b, h, r, se, sp = 1.0, 0.1, 0.002, 0.5, 0.985
    test, treat, test_treat = pauker_kassirer(b, h, r, se, sp)
    assert treat == pytest.approx(0.1 / 1.1, abs=1e-15)
    assert test == pytest.approx((0.015 * 0.1 + 0.002) / (0.015 * 0.1 + 0.5 * 1.0), abs=1e-15)
    assert test_treat == pytest.approx((0.985 * 0.1 - 0.002) / (0.985 * 0.1 + 0.5 * 1.0), abs=1e-15)
    assert test < treat < test_treat
    # a perfect, harmless test: always worth doing; a useless one: never
    assert pauker_kassirer(1, 0.1, 0, 1, 1)[0::2] == (0.0, 1.0)
    useless = pauker_kassirer(1, 0.1, 0, 0.3, 0.7)
    assert useless[0] == pytest.approx(useless[1]) and useless[2] == pytest.approx(useless[1])


def test_derived_thresholds_use_the_next_taps_sensitivity_and_specificity(breast):
    plan = plan_workup(breast, breast.observe(), benefit_harm=(1.0, 0.1, 0.002))
    se = breast.tables.calibration.cumulative(1)
    sp = 1 - breast.tables.calibration.false_positive
    test, _, test_treat = pauker_kassirer(1.0, 0.1, 0.002, se, sp)
    assert plan.thresholds.rule_out == pytest.approx(test, abs=1e-14)
    assert plan.thresholds.treat == pytest.approx(test_treat, abs=1e-14)


@pytest.mark.parametrize(
    "rule_out, treat, message",
    [(0.0, 0.5, "between 0 and 1"), (0.5, 1.0, "between 0 and 1"), (0.6, 0.4, "must not exceed")],
    ids=["zero", "one", "crossed"],
)
def test_bad_thresholds(rule_out, treat, message):
    with pytest.raises(InputError, match=message):
        Thresholds(rule_out, treat)


def test_a_tap_to_the_standard_is_worth_more_than_a_usual_or_a_poor_one(breast, case_findings):
    findings = breast.observe(case_findings, ["negative"])
    case = breast.case(findings)
    now = case.p_target(case.evidence)

    def bits(technique):
        c = case if technique is None else breast.case(findings, {"csf_2": technique})
        return value_of_test(c, "csf_2", technique, Thresholds(), now).information_bits

    poor = Technique(volume_ml=4, delay_min=120)
    assert bits(poor) < bits(None) < bits(STANDARD) < bits(Technique(site="cisternal"))
    assert bits(USUAL) == pytest.approx(bits(None), abs=1e-15)  # no technique stated: the usual way


def test_a_tap_option_carries_its_technique_as_a_value(breast, case_findings):
    poor = Technique(volume_ml=4, delay_min=120)
    findings = breast.observe(case_findings, ["negative"])
    plan = plan_workup(breast, findings, next_technique=poor, thresholds=Thresholds(0.125, 0.8), menu=cytology_only(breast))
    taps = {o.technique: o for o in plan.tests if o.test == "csf_2"}
    assert set(taps) == {USUAL, poor} and USUAL != STANDARD
    assert all(o.technique is None for o in plan.tests if o.test != "csf_2")
    assert taps[poor].information_bits < taps[USUAL].information_bits
    assert [c.technique for c in plan.taps_to_rule_out][:2] == [USUAL, poor]
    assert [c.analyses for c in plan.taps_to_rule_out] == [(), ()]
    # the sentence is made from the value only where text is written
    assert "3 more taps done with 4 mL, processed after 120 min, lumbar (P = 9.9%)" in plan.advice
    poor_table = breast.taps(findings, next_technique=poor)
    assert plan.taps_to_rule_out[1].p_lm_after == pytest.approx(poor_table.steps[2].p_lm_if_negative, abs=1e-15)


def test_taps_to_rule_out_agree_with_the_tap_table(breast, case_findings):
    findings = {**case_findings, **CASE_EXTRA}
    for net in (breast, breast.with_taps(10)):  # the planner uses the network as given
        plan = plan_workup(net, net.observe(findings, ["neg", "neg"]), thresholds=Thresholds(0.06, 0.8), menu=cytology_only(net))
        steps = net.taps(findings, csf=["neg", "neg"]).steps
        expected = next(i for i, s in enumerate(steps, start=1) if s.p_lm_if_negative < 0.06)
        usual = plan.taps_to_rule_out[0]
        assert usual.technique == USUAL
        assert usual.taps == expected == 2
        assert usual.p_lm_after == pytest.approx(steps[1].p_lm_if_negative, abs=1e-15)
        assert "To rule out (each tap: cytology alone): 2 more negative taps done the usual way" in plan.advice


def test_the_planner_counts_only_the_taps_the_network_models(breast, case_findings):
    findings = {**case_findings, **CASE_EXTRA}
    strict = Thresholds(0.0375, 0.8)  # above the floor (3.60%), below P(LM) after the 6th tap (3.85%)
    six = plan_workup(breast, breast.observe(findings, ["neg", "neg"]), thresholds=strict, menu=cytology_only(breast))
    ten_net = breast.with_taps(10)
    ten = plan_workup(ten_net, ten_net.observe(findings, ["neg", "neg"]), thresholds=strict, menu=cytology_only(ten_net))
    steps = ten_net.taps(findings, csf=["neg", "neg"]).steps
    expected = next(i for i, s in enumerate(steps, start=1) if s.p_lm_if_negative < strict.rule_out)
    assert expected > breast.spec.n_taps - 2
    assert ten.taps_to_rule_out[0].taps == expected
    assert six.taps_to_rule_out[0].taps is None
    assert six.taps_to_rule_out[0].p_lm_after == pytest.approx(breast.taps(findings, csf=["neg", "neg"]).steps[-1].p_lm_if_negative, abs=1e-15)
    assert "more than the 6 taps the network models done the usual way" in six.advice


def test_the_floor_is_named_when_rule_out_cannot_be_reached(breast, case_findings):
    below_floor = Thresholds(0.03, 0.8)  # the floor is 3.54%
    findings = breast.observe({**case_findings, **CASE_EXTRA}, ["neg", "neg"])
    plan = plan_workup(breast, findings, thresholds=below_floor, menu=cytology_only(breast))
    assert plan.taps_to_rule_out[0].taps is None
    assert plan.floor > plan.thresholds.rule_out
    assert ("No number of negative taps (each tap: cytology alone) brings P(LM) below 3.0%: patients with LM whose "
            "tumour burden these analyses cannot see keep it above 3.5%") in plan.advice
    # with the routine panel on each tap (the default) the floor is lower and the count reached
    panel = plan_workup(breast, findings, thresholds=below_floor)
    assert panel.floor < below_floor.rule_out and panel.taps_to_rule_out[0].taps == 1
    assert "To rule out (each tap: cytology + 5 analyses): 1 more negative tap done the usual way" in panel.advice


def test_stop_testing_when_no_result_can_change_management(breast):
    """No active disease, none of the signs, a normal MRI and three negative cytologies: even a
    positive fourth cytology (likelihood ratio about 500) would leave P(LM) below 5%."""
    findings = {"mri": "normal", "mri_compression": "absent", "antibody_panel": "negative",
                "systemic_status": "no_active_disease", **{n.id: "absent" for n in breast.spec.of_kind("sign")}}
    plan = plan_workup(breast, breast.observe(findings, "neg,neg,neg"))
    assert plan.zone == "rule_out"
    assert not any(o.changes_management for o in plan.tests)
    assert plan.advice.endswith(
        "No test advised: no result would change management (none brings P(LM) above the treatment threshold)."
    )


def test_plan_json_and_text(runner, case_findings):
    args = ["plan", *sum((["-e", f"{k}={v}"] for k, v in {**case_findings, **CASE_EXTRA}.items()), []), "--csf", "neg,neg"]
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert set(data) >= {"current", "tests", "advice", "thresholds", "taps_to_rule_out", "floor"}
    first = data["tests"][0]
    assert set(first) >= {"test", "outcomes", "expected_change", "information_bits"}
    assert set(first["outcomes"][0]) >= {"state", "probability", "p_lm"}
    assert [t["information_bits"] for t in data["tests"]] == sorted((t["information_bits"] for t in data["tests"]), reverse=True)
    text = runner.invoke(cli, args).output
    assert "Advice: P(LM) is 12.8%" in text


@pytest.mark.parametrize(
    "args, message",
    [
        (["--rule-out-below", "1.5"], "1.5 is not in the range"),
        (["--rule-out-below", "0.9", "--treat-above", "0.5"], "must not exceed"),
        (["--next-tap", "colour=red"], "unknown technique field 'colour'"),
        (["--next-tap", "volume=-5"], "CSF volume must be more than 0"),
        (["--next-tap", "volume=lots"], "'lots' is not a number"),
        (["--next-tap", "site=spinal"], "unknown site 'spinal'"),
        (["--csf", "neg@-5ml"], "cannot read the technique '-5ml'"),
        (["--csf", "neg@5litres"], "cannot read the technique '5litres'"),
        (["--benefit", "1"], "give --benefit and --harm together"),
        (["--benefit", "1", "--harm", "0.1", "--treat-above", "0.7"], "not both"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_plan_bad_input(runner, args, message):
    result = runner.invoke(cli, ["plan", *args])
    assert result.exit_code == 2
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.output


def test_a_result_of_a_test_for_another_cause_is_not_called_rule_out(runner):
    args = ["plan", "-e", "cranial_nerve_palsy=present", "-e", "limb_weakness=present", "-e", "mri=normal"]
    text = runner.invoke(cli, args).output
    panel = text[text.index("Onconeural antibody panel"):].splitlines()
    positive = next(line for line in panel if line.strip().startswith("positive"))
    assert "(rule out)" not in positive and "(another cause)" in positive
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    option = next(t for t in data["tests"] if t["test"] == "antibody_panel")
    assert option["tests_target"] is False and option["outcomes"][1]["zone"] == "rule_out"
    assert all(t["tests_target"] for t in data["tests"] if t["test"] != "antibody_panel")
    # the decision is the library's: JSON and CSV carry it, for this result only
    assert option["outcomes"][1]["another_cause"] is True and option["outcomes"][1]["p_lm"] < data["current"]
    assert [o["another_cause"] for t in data["tests"] for o in t["outcomes"]].count(True) == text.count("(another cause)")
    rows = list(csv.DictReader(io.StringIO(runner.invoke(cli, [*args, "--csv"]).output)))
    assert [r["another_cause"] == "True" for r in rows] == [o["another_cause"] for t in data["tests"] for o in t["outcomes"]]


def test_json_and_csv_of_plan_uncertainty_carry_the_straddle_decision(runner):
    args = ["plan", "-e", "cranial_nerve_palsy=present", "--csf", "neg", "--uncertainty", "--draws", "200", "--seed", "3"]
    text = runner.invoke(cli, args).output
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert data["schema_version"] == 2
    t = data["thresholds"]
    decided = []
    for test, ints in zip(data["tests"], data["uncertainty"]["tests"]):
        for outcome, interval in zip(test["outcomes"], ints["outcomes"]):
            limit = {"rule_out": t["rule_out"], "treat": t["treat"]}.get(outcome["zone"])
            expected = limit is not None and outcome["probability"] > 0 and interval["p_lm"]["low"] < limit < interval["p_lm"]["high"]
            assert interval["straddles"] is expected
            decided.append(expected)
    assert any(decided) and not all(decided)
    # the text marks the same results with '?'
    marked = [line for line in text.splitlines() if line.startswith("    ") and line.rstrip().endswith("?")]
    assert len(marked) == decided.count(True)
    rows = list(csv.DictReader(io.StringIO(runner.invoke(cli, [*args, "--csv"]).output)))
    assert [r["straddles"] == "True" for r in rows] == decided
    assert all(float(r["p_lm_low"]) <= float(r["p_lm_median"]) <= float(r["p_lm_high"]) for r in rows)


def test_no_tap_worth_its_harm_is_advice_not_an_error(runner, breast):
    args = ["plan", "-e", "cranial_nerve_palsy=present", "-e", "limb_weakness=present",
            "--benefit", "10", "--harm", "1", "--test-harm", "0.5"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "no tap is worth its harm at any P(LM): treat without testing (treatment threshold 9.1%)" in " ".join(result.output.split())
    plan = plan_workup(breast, breast.observe({"headache": "present"}), benefit_harm=(10, 1, 0.5))
    assert plan.testing_worthwhile is False
    assert plan.thresholds.rule_out == plan.thresholds.treat == pytest.approx(1 / 11, abs=1e-12)
    assert "neither test nor treat" in plan.advice  # P(LM) 2.6% is below H / (B + H)
