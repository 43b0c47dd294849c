"""The planner a clinician would follow (issue 25): the MRI first, an LP left out, the hospital's
assays, a test threshold, same-sample discordance, the EANO-ESMO level beside P(LM), labels that
follow the result, grouped attribution, report words and short errors."""

from __future__ import annotations

import json
import math

import pytest

import lmbayes
from lmbayes.cli.main import cli
from lmbayes.menu import hospital_menu
from lmbayes.plan import MIN_CHANGE, Thresholds, plan_workup
from lmbayes.review import DISCORDANT_LR, discordant_taps

NO_MRI = ["-e", "headache=present", "-e", "cranial_nerve_palsy=present"]
#: S4: a luminal cancer without active disease, an isolated headache, a normal MRI
S4 = {"subtype": "luminal", "systemic_status": "no_active_disease", "headache": "present", "mri": "normal",
      **{s: "absent" for s in ("cranial_nerve_palsy", "limb_weakness", "bladder_bowel", "altered_mental_status",
                               "back_neck_pain", "seizures")}}
#: S5: a positive cytology whose own sample says otherwise
DISCORDANT = {"headache": "present", "cranial_nerve_palsy": "present", "mri": "normal", "csf_1": "positive",
              "ctc_1": "negative", "ctdna_1": "negative", "cells_1": "normal", "protein_1": "normal"}


def args_of(findings):
    return [a for node, state in findings.items() for a in ("-e", f"{node}={state}")]


def plan_json(runner, *args):
    result = runner.invoke(cli, ["plan", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def odds(p):
    return p / (1 - p)


def test_the_mri_comes_first_when_no_mri_is_known(runner):
    data = plan_json(runner, *NO_MRI)
    assert data["imaging_first"] and data["tests"][0]["test"] == "mri"
    # it carries fewer bits than the tap here: the order is the clinician's, not the ranking's
    tap = next(t for t in data["tests"] if t["technique"] is not None)
    assert tap["information_bits"] > data["tests"][0]["information_bits"]
    assert "Next: Gadolinium MRI of brain and spine first, before any LP" in data["advice"]
    assert "mittl1994" in data["advice"] and "P(brain metastases) is 34.2%" in data["advice"]
    known = plan_json(runner, *NO_MRI, "-e", "mri=normal")
    assert not known["imaging_first"] and "mri" not in {t["test"] for t in known["tests"]}
    # an MRI that cannot be done: no LP while a brain metastasis is likely, the reason named
    no_mri = plan_json(runner, *NO_MRI, "--without", "mri")
    assert no_mri["lp_blocked"].startswith("a brain metastasis is likely (P = 34.2%)")
    assert not any(t["technique"] for t in no_mri["tests"]) and no_mri["taps_to_rule_out"] == []
    assert "No LP: a brain metastasis is likely" in no_mri["advice"]
    # where one is unlikely (3%) the LP is offered without imaging
    unlikely = plan_json(runner, "-e", "systemic_status=no_active_disease", "-e", "back_neck_pain=present", "--without", "mri")
    assert unlikely["p_mass_lesion"] < 0.10 and unlikely["lp_blocked"] == ""
    assert any(t["technique"] for t in unlikely["tests"])


@pytest.mark.parametrize("findings", [NO_MRI, [*NO_MRI, "-e", "mri=normal"], ["--csf", "neg,neg"], args_of(S4)])
def test_without_lp_removes_every_tap_in_every_format(runner, findings):
    data = plan_json(runner, *findings, "--without", "lp")
    assert not any(t["technique"] or t["test"].startswith("csf_") for t in data["tests"])
    assert data["taps_to_rule_out"] == [] and data["left_out"] == ["lp"]
    assert data["lp_blocked"].startswith("an LP is left out (--without lp: raised intracranial pressure")
    text = runner.invoke(cli, ["plan", *findings, "--without", "lp"]).output
    assert "LP, tap" not in text and "To rule out" not in text and "Left out: lp (--without)." in text
    csv = runner.invoke(cli, ["plan", *findings, "--without", "lp", "--csv"]).output
    assert "csf_" not in csv


def test_specialised_assays_only_where_the_hospital_has_them(runner, edited_network):
    default = plan_json(runner, *NO_MRI, "-e", "mri=normal")
    assert "ctc" not in json.dumps(default["tests"]) and "ctdna" not in json.dumps(default["taps_to_rule_out"])
    added = plan_json(runner, *NO_MRI, "-e", "mri=normal", "--with", "ctc,ctdna")
    taps = [t for t in added["tests"] if t["technique"]]
    assert all({"ctc_1", "ctdna_1"} <= set(t["readings"]) for t in taps)
    assert all(c["analyses"][-2:] == ["ctc", "ctdna"] for c in added["taps_to_rule_out"])
    assert any(n.startswith("Specialised assays on small series") for n in added["notes"])
    # a network whose hospital runs them by default: --without takes them out of everything
    path = edited_network(*[(r"^    available: false.*\n", "")] * 2, name="every_assay.yaml")
    everything = plan_json(runner, "--network", str(path), *NO_MRI, "-e", "mri=normal")
    assert "ctc_1" in everything["tests"][0]["readings"]
    args = ["--network", str(path), *NO_MRI, "-e", "mri=normal", "--without", "ctc,ctdna"]
    removed = plan_json(runner, *args)
    for key in ("tests", "taps_to_rule_out", "advice", "notes", "panel"):
        assert "ctc" not in json.dumps(removed[key]) and "ctdna" not in json.dumps(removed[key]), key
    text = runner.invoke(cli, ["plan", *args]).output
    assert "Left out: ctc, ctdna (--without)." in text
    assert "ctc" not in text.replace("Left out: ctc, ctdna (--without).", "")
    assert removed["tests"][0]["information_bits"] == pytest.approx(default["tests"][0]["information_bits"], abs=1e-12)


def test_s4_no_test_advised_and_the_gain_against_the_harm(runner, breast):
    plan = plan_workup(breast, breast.observe(S4))
    assert plan.zone == "rule_out" and plan.current < 0.002
    assert not any(o.changes_management for o in plan.tests) and all(o.value == 0 for o in plan.tests)
    assert "No test advised: no result would change management" in plan.advice
    # below rule-out with a result that crosses the treatment threshold: advised only where the
    # expected gain (hand calculation from the outcomes: treat above 80%, so H/B = 4) beats the harm
    findings = breast.observe({"headache": "present", "systemic_status": "no_active_disease"})
    plan = plan_workup(breast, findings)
    tap = next(o for o in plan.tests if o.technique is not None)
    by_hand = sum(o.probability * max(o.p_lm - 4 * (1 - o.p_lm), 0) for o in tap.outcomes)
    assert tap.value == pytest.approx(by_hand, abs=1e-15) and 0 < tap.value < plan.test_harm == 0.01
    assert "No test advised: " in plan.advice and "below a test's harm (0.01;" in plan.advice
    cheap = plan_workup(breast, findings, test_harm=tap.value / 2)
    assert "so testing could still change management" in cheap.advice
    assert "Gadolinium MRI of brain and spine first" in cheap.advice  # and the MRI before it
    text = runner.invoke(cli, ["plan", *args_of(S4)]).output
    assert "A test's harm: 0.01 x the benefit of treating LM (a judgement; --test-harm)" in " ".join(text.split())


def test_the_notes_mass_effect_and_csf_in_probable_lm(runner):
    lesion = plan_json(runner, "-e", "headache=present", "-e", "mri=normal", "-e", "mri_parenchymal=shown")
    assert any("check for mass effect before any LP" in n for n in lesion["notes"])
    typical = plan_json(runner, "-e", "headache=present", "-e", "mri=typical_enhancement")
    assert not any("mass effect" in n for n in typical["notes"])
    probable = ["-e", "systemic_status=active_recurrence", "-e", "headache=present", "-e", "cranial_nerve_palsy=present",
                "-e", "mri=typical_enhancement", "-e", "limb_weakness=present"]
    above = plan_json(runner, *probable)
    assert above["zone"] == "treat" and any(n.startswith("Above the treatment threshold CSF is still recommended") for n in above["notes"])
    assert not any("CSF is still" in n for n in plan_json(runner, *probable, "--without", "lp")["notes"])
    assert not any("CSF is still" in n for n in plan_json(runner, *probable, "--csf", "pos")["notes"])


@pytest.mark.parametrize("command", ["posterior", "taps", "plan", "explain"])
def test_a_discordant_tap_raises_the_alert_in_every_command(runner, command):
    text = " ".join(runner.invoke(cli, [command, *args_of(DISCORDANT)]).output.split())
    assert "Alert: tap 1's cytology is positive, but ctc_1=negative, ctdna_1=negative" in text
    assert "verify the sample; repeat the tap" in text
    data = json.loads(runner.invoke(cli, [command, *args_of(DISCORDANT), "--json"]).output)
    (alert,) = data["review"]["discordant"]
    assert alert["tap"] == 1 and alert["advice"] == "verify the sample; repeat the tap"
    if command == "plan":
        assert data["advice"].startswith("P(LM) is ") and "verify the sample" in data["advice"]


def test_a_discordant_tap_in_a_replay(runner, tmp_path):
    case = tmp_path / "discordant.yaml"
    case.write_text(
        "name: discordant\ntitle: t\nnetwork: breast\nsteps:\n"
        "  - label: signs\n    findings: {headache: present, cranial_nerve_palsy: present}\n"
        "  - label: a positive tap, everything else negative\n    csf: [positive]\n"
        "    findings: {ctc_1: negative, ctdna_1: negative}\n",
        encoding="utf-8",
    )
    text = " ".join(runner.invoke(cli, ["replay", str(case)]).output.split())
    assert "Alert: tap 1's cytology is positive, but ctc_1=negative, ctdna_1=negative" in text
    data = json.loads(runner.invoke(cli, ["replay", str(case), "--json"]).output)
    assert [d["tap"] for d in data["discordant_taps"]] == [1]


def test_which_same_sample_results_contradict_a_positive_cytology(breast):
    """Each member of the class, with the likelihood ratio checked through the posterior."""
    signs = {"headache": "present", "cranial_nerve_palsy": "present"}
    routine = {f"{a.id}_1": a.states[0] for a in breast.spec.tap_analyses if a.group == "routine"}
    cases = {
        "ctc negative": ({"ctc_1": "negative"}, True),
        "tumour DNA negative": ({"ctdna_1": "negative"}, True),
        "the whole routine panel normal": (routine, True),
        "a normal protein alone": ({"protein_1": "normal"}, False),
        "a positive CTC": ({"ctc_1": "positive"}, False),
    }
    for name, (same, flagged) in cases.items():
        findings = breast.observe({**signs, "csf_1": "positive", **same})
        found = discordant_taps(breast, findings)
        assert bool(found) == flagged, name
        rest = breast.posterior(breast.observe({**signs, "csf_1": "positive"})).p_target
        ratio = odds(breast.posterior(findings).p_target) / odds(rest)
        assert (ratio <= DISCORDANT_LR) == flagged, name
        if found:
            assert found[0].likelihood_ratio == pytest.approx(ratio, rel=1e-9)
    # on a later tap, and not from another tap's sample
    later = breast.observe({**signs, "csf_1": "negative", "csf_2": "positive", "ctdna_2": "negative"})
    assert [d.tap for d in discordant_taps(breast, later)] == [2]
    other = breast.observe({**signs, "csf_1": "negative", "ctdna_1": "negative", "csf_2": "positive"})
    assert discordant_taps(breast, other) == ()


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        (["-e", "headache=present", "-e", "mri=typical_enhancement", "--csf", "neg,neg,neg"],
         "EANO-ESMO level: probable (typical signs and a typical MRI), yet P(LM) is"),
        (args_of(DISCORDANT), "EANO-ESMO level: confirmed (a positive cytology), yet P(LM) is"),
        (["-e", "headache=present", "-e", "cranial_nerve_palsy=present", "--csf", "neg,neg", "-e", "ctc_1=positive",
          "-e", "ctdna_1=positive", "-e", "ctc_2=positive", "-e", "ctdna_2=positive"],
         "EANO-ESMO level: possible, yet P(LM) is"),
    ],
    ids=["probable-below-50", "confirmed-below-90", "possible-above-treat"],
)
def test_the_level_and_p_lm_disagreeing_carry_one_line(runner, findings, expected):
    for command in ("posterior", "taps", "plan", "explain"):
        text = " ".join(runner.invoke(cli, [command, *findings]).output.split())
        assert expected in text, command
        data = json.loads(runner.invoke(cli, [command, *findings, "--json"]).output)
        gap = data["review"]["disagreement"]
        assert gap["text"].startswith(expected) and (gap["p_lm"] < gap["limit"]) == (gap["level"] != "possible")


def test_no_line_where_the_level_and_p_lm_agree(runner):
    text = runner.invoke(cli, ["posterior", "-e", "headache=present", "--csf", "pos"]).output
    assert "EANO-ESMO level: confirmed." in text and "yet P(LM)" not in text


@pytest.mark.parametrize("network", ["breast", "lung", "melanoma"])
def test_a_negative_result_is_never_another_cause(network):
    net = lmbayes.load_network(network)
    for findings in ({}, {"mri": "normal"}, {"headache": "present"}, {"mri": "normal", "csf_1": "negative", "csf_2": "negative"}):
        f = net.observe({k: v for k, v in findings.items() if k != "csf_1" and k != "csf_2"},
                        [findings[k] for k in ("csf_1", "csf_2") if k in findings])
        for option in plan_workup(net, f).tests:
            assert not option.outcomes[0].another_cause, (network, findings, option.label)


def test_a_change_below_the_minimum_keeps_the_zone(breast):
    findings = breast.observe({"mri": "normal"}, "neg,neg")
    current = breast.posterior(findings).p_target
    # P(LM) just above the rule-out threshold: the antibody panel moves it by far less than 0.1 point
    plan = plan_workup(breast, findings, thresholds=Thresholds(current - 1e-7, 0.8))
    panel = next(o for o in plan.tests if o.test == "antibody_panel")
    assert all(abs(o.p_lm - current) < MIN_CHANGE for o in panel.outcomes)
    assert all(o.zone == plan.zone == "test" and not o.another_cause for o in panel.outcomes)


def test_cytology_report_words(runner):
    data = json.loads(runner.invoke(cli, ["posterior", "--csf", "atypical,suspicious,malignant,benign", "--json"]).output)
    assert [data["findings"][f"csf_{k}"] for k in range(1, 5)] == ["equivocal", "equivocal", "positive", "negative"]
    assert json.loads(runner.invoke(cli, ["posterior", "-e", "csf_1=Malignant", "--json"]).output)["findings"]["csf_1"] == "positive"
    assert "atypical or suspicious = equivocal, malignant = positive" in " ".join(runner.invoke(cli, ["taps", "--help"]).output.split())


@pytest.mark.parametrize("node", ["cells", "bogus", "csf"])
def test_an_unknown_node_is_one_short_line(runner, node):
    result = runner.invoke(cli, ["posterior", "-e", f"{node}=raised"])
    assert result.exit_code == 2
    line = result.output.strip()
    assert "\n" not in line and len(line) <= 160
    assert "`lmbayes network nodes` lists them (a tap's analyses: NAME_k, e.g. cells_1)" in line
    if node != "bogus":
        assert f"(did you mean '{node}_1'?)" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--without", "bogus"], "--without: unknown test 'bogus'"),
        (["--without", "cytology"], "a tap's cytology comes with every LP"),
        (["--with", "lp"], "--with: unknown analysis 'lp'"),
        (["--with", "ctc", "--without", "CTC"], "'ctc' is both in --with and in --without"),
        (["--network", "melanoma", "--with", "ctc"], "'ctc' does not apply in the network 'melanoma'"),
        (["--test-harm", "nan"], "'nan' is not a finite number"),
        (["--test-harm", "inf"], "'inf' is not a finite number"),
        (["--test-harm", "-0.1"], "-0.1 is not in the range"),
        (["--benefit", "nan", "--harm", "1"], "'nan' is not a finite number"),
    ],
)
def test_bad_menus_and_harms_are_one_line(runner, args, message):
    result = runner.invoke(cli, ["plan", *args])
    assert result.exit_code == 2 and message in result.output and result.output.count("\n") == 1


def test_a_step_of_two_negative_taps_is_told_as_two(runner, tmp_path, breast):
    case = tmp_path / "two.yaml"
    case.write_text(
        "name: two\ntitle: t\nnetwork: breast\nsteps:\n"
        "  - label: signs\n    findings: {headache: present, cranial_nerve_palsy: present}\n"
        "  - label: two negative taps\n    csf: [negative, negative]\n",
        encoding="utf-8",
    )
    data = json.loads(runner.invoke(cli, ["replay", str(case), "--json"]).output)
    why = data["steps"][1]["why"]
    assert why["kind"] == "first_negative_tap" and why["taps"] == 2
    lm = breast.observe({"lm": "present"})
    first = breast.posterior(lm, nodes=["csf_1"]).posterior["csf_1"]["negative"]
    second = breast.posterior(breast.observe({"lm": "present"}, "neg"), nodes=["csf_2"]).posterior["csf_2"]["negative"]
    assert why["missed"] == pytest.approx(first * second, rel=1e-12)
    text = " ".join(runner.invoke(cli, ["replay", str(case)]).output.split())
    assert "Two negative cytologies lower the odds" in text and "two taps are all negative in" in text


def test_fagan_and_chained_mean_one_thing_each(runner):
    args = ["-e", "cranial_nerve_palsy=present", "-e", "mri=typical_enhancement", "--json"]
    taps = json.loads(runner.invoke(cli, ["taps", *args]).output)
    dependence = json.loads(runner.invoke(cli, ["dependence", *args]).output)
    fagan = [s["p_lm_if_negative_fagan"] for s in taps["steps"]]
    assert fagan == pytest.approx([r["fagan"] for r in dependence["rows"]], abs=1e-15)
    current, lr = taps["current"], taps["single_tap_lr"]
    assert fagan[2] == pytest.approx(1 / (1 + 1 / (odds(current) * lr**3)), rel=1e-12)  # by hand
    for command in ("taps", "dependence"):
        assert "independent" not in runner.invoke(cli, [command, *args[:-1]]).output.split("\n\n")[1]


def test_explain_takes_a_complete_work_up(runner):
    findings = [*args_of({**S4, "mri_compression": "absent", "mri_parenchymal": "absent", "antibody_panel": "negative"}),
                "--csf", "neg,neg", "-e", "cells_1=normal", "-e", "protein_1=raised", "-e", "cells_2=normal",
                "-e", "protein_2=raised"]
    data = json.loads(runner.invoke(cli, ["explain", *findings, "--json"]).output)
    assert len(data["findings"]) == 19
    names = {a["finding"] for a in data["attributions"]}
    assert {"signs", "mri", "tap 1", "tap 2"} <= names
    total = sum(a["shapley_db"] for a in data["attributions"])
    prior = json.loads(runner.invoke(cli, ["posterior", "--json"]).output)["posterior"]["lm"]["present"]
    assert total == pytest.approx(10 * math.log10(odds(data["p_lm"]) / odds(prior)), abs=1e-9)
    menu = hospital_menu(lmbayes.load_network().spec)
    assert menu.panel  # the default panel is the routine CSF


def test_thresholds_from_benefit_and_harm_are_named_so_when_no_tap_is_worth_it(runner):
    text = " ".join(runner.invoke(cli, ["plan", "--benefit", "1", "--harm", "1", "--test-harm", "0.9"]).output.split())
    assert "no tap is worth its harm" in text
    assert "A test's harm: 0.9 x the benefit of treating LM; treating without LM: 1 x." in text
    assert "(from the treatment threshold)" not in text
