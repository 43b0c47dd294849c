"""The findings value: made once, checked once, handed to every analysis."""

from __future__ import annotations

from unittest import mock

import pytest

import lmbayes
from lmbayes.cli.main import cli
from lmbayes.errors import FindingError, ImpossibleEvidenceError, TooFewTapsError
from lmbayes.findings import Findings
from lmbayes.network import Case

CASE_ARGS = [
    "-e", "systemic_status=active_recurrence", "-e", "cranial_nerve_palsy=present",
    "-e", "limb_weakness=present", "-e", "bladder_bowel=present", "-e", "mri=normal",
    "-e", "mri_compression=absent", "-e", "mri_parenchymal=absent", "-e", "antibody_panel=negative",
]


def test_observe_returns_a_frozen_checked_value(breast, case_findings):
    findings = breast.observe(case_findings, ["neg", "negative@5ml+45min"])
    assert isinstance(findings, Findings)
    assert findings.states["csf_1"] == "negative" and findings.states["csf_2"] == "negative"
    assert findings.taps_done == 2
    assert findings.techniques["csf_2"].volume_ml == 5.0 and findings.techniques["csf_2"].delay_min == 45.0
    assert "csf_1" not in findings.techniques
    with pytest.raises(TypeError):
        findings.states["mri"] = "typical_enhancement"  # type: ignore[index]


@pytest.mark.parametrize("csf", ["neg,pos", "neg, pos", ["neg", "pos"], ("negative", "positive")], ids=["string", "spaces", "list", "tuple"])
def test_csf_as_a_comma_string_or_a_list(breast, csf):
    findings = breast.observe({"mri": "normal"}, csf)
    assert [findings.states[t] for t in ("csf_1", "csf_2")] == ["negative", "positive"]
    assert findings.taps_done == 2


def test_a_csf_string_is_not_split_into_characters(breast):
    # 'np' was read as negative then positive when a string was iterated
    with pytest.raises(FindingError, match="unknown state 'np'"):
        breast.observe({}, "np")
    assert breast.posterior({"mri": "normal"}, csf="neg,neg").p_target == breast.posterior(
        {"mri": "normal"}, csf=["negative", "negative"]
    ).p_target


def test_the_value_and_the_raw_pair_give_the_same_answers(breast, case_findings):
    findings = breast.observe(case_findings, "neg,neg")
    assert breast.posterior(findings).posterior == breast.posterior(case_findings, csf=["neg", "neg"]).posterior
    assert breast.taps(findings) == breast.taps(case_findings, csf="neg,neg")
    with pytest.raises(FindingError, match="inside the findings value"):
        breast.posterior(findings, csf="neg")


def test_checks_happen_in_observe(breast):
    with pytest.raises(ImpossibleEvidenceError):
        breast.observe({"lm": "absent", "burden": "high"})
    with pytest.raises(TooFewTapsError) as info:
        breast.observe({}, ["neg"] * 8)
    assert info.value.needed == 8 and "--max-taps" not in str(info.value)
    with pytest.raises(FindingError, match="tap 3 is given but tap 2 is not"):
        breast.observe({"csf_1": "negative", "csf_3": "negative"})


def test_without_drops_findings(breast):
    findings = breast.observe({"mri": "normal", "headache": "present"}, "neg")
    assert dict(findings.without("headache").states) == {"mri": "normal", "csf_1": "negative"}


def test_one_plan_resolves_parses_checks_and_builds_once(runner):
    """``plan --uncertainty`` with the case's findings and a tap technique: the findings are
    resolved once, each CSF result read once, the possibility checked once, and the tables
    taken built from the cache for the point values and built once for the draws (technique variants only swap the
    tap tables)."""
    import lmbayes.findings as findings_module
    import lmbayes.network as network_module

    with (
        mock.patch.object(network_module, "resolve_findings", wraps=network_module.resolve_findings) as resolve,
        mock.patch.object(findings_module, "split_result", wraps=findings_module.split_result) as split,
        mock.patch.object(network_module, "build_tables", wraps=network_module.build_tables) as build,
        mock.patch.object(Case, "check_possible", autospec=True, side_effect=Case.check_possible) as check,
    ):
        result = runner.invoke(
            cli, ["plan", *CASE_ARGS, "--csf", "neg@5ml+45min,neg", "--uncertainty", "--draws", "40", "--json"]
        )
    assert result.exit_code == 0, result.output
    assert resolve.call_count == 1
    assert [c.args[0] for c in split.call_args_list] == ["neg@5ml+45min", "neg"]
    assert check.call_count == 1
    # the point tables come built from the cache (warmed above); only the draws are built
    assert [c.kwargs.get("values") is None for c in build.call_args_list] == [False]


def test_the_same_node_twice_with_different_states_is_refused(breast, runner):
    with pytest.raises(FindingError, match=r"'mri' is given twice \(mri=normal and MRI=typical\)"):
        breast.observe({"mri": "normal", "MRI": "typical"})
    result = runner.invoke(cli, ["posterior", "-e", "mri=normal", "-e", "MRI=typical"])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and "given twice" in result.output


@pytest.mark.parametrize(
    "node, text, state",
    [("headache", "yes", "present"), ("headache", "no", "absent"), ("headache", "Present", "present"),
     ("mri", "positive", "typical_enhancement"), ("mri", "abnormal", "typical_enhancement"), ("mri", "negative", "normal"),
     ("csf_1", "+", "positive"), ("csf_1", "-", "negative"), ("protein_1", "abnormal", "raised")],
    ids=lambda x: str(x),
)
def test_common_ways_of_writing_a_state(breast, node, text, state):
    findings = breast.observe({node: text})
    assert findings.states[node] == state


def test_ambiguous_or_unknown_words_are_still_refused(breast):
    with pytest.raises(FindingError, match="unknown state 'maybe'"):
        breast.observe({"headache": "maybe"})
    with pytest.raises(FindingError, match="unknown state 'yes' for 'csf_1'"):  # three states: yes is no state
        breast.observe({"csf_1": "yes"})


def test_shipped_network_names_ignore_case(runner):
    result = runner.invoke(cli, ["posterior", "--network", "Breast", "--csf", "+,-", "-e", "headache=yes"])
    assert result.exit_code == 0, result.output
    assert "Findings: headache=present, csf_1=positive, csf_2=negative" in result.output
