"""Issue 24's acceptance: every shipped network no more certain than the published data.

The AUCs come from the audit (a cohort drawn from the network, P(LM) by the batch engine, which
tests/test_audit.py checks against pgmpy); the other figures are checked with pgmpy's variable
elimination, an independent engine."""

from __future__ import annotations

import itertools

import pytest

import lmbayes
from lmbayes import networks
from lmbayes._pgmpy import query
from lmbayes.audit import audit

SHIPPED = sorted(networks.available())


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request):
    net = lmbayes.load_network(request.param)
    return net, net.to_pgmpy()


@pytest.fixture(scope="module")
def audited(shipped):
    return audit(shipped[0])


def _p(model, evidence, node, state):
    dist = query(model, evidence, [node])[node]
    return float(dist[model.get_cpds(node).state_names[node].index(state)])


def test_first_mri_alone_is_no_more_certain_than_published(audited):
    assert audited.stage("mri").auc <= 0.80


def test_clinical_and_routine_csf_without_cytology_at_most_092(audited):
    assert audited.stage("routine").auc <= 0.92


def test_clinical_and_first_lp_at_most_095(audited):
    assert audited.stage("first_lp").auc <= 0.95


def test_first_tap_cytology_alone_between_075_and_085(audited):
    assert 0.75 <= audited.stage("cytology").auc <= 0.85


def test_every_stage_with_a_published_figure_lies_in_its_band(audited):
    assert [s.name for s in audited.stages if s.verdict not in ("within", "n/a")] == []


def test_back_or_neck_pain_among_patients_with_lm_is_the_published_17_percent(shipped):
    _, model = shipped
    assert _p(model, {"lm": "present"}, "back_neck_pain", "present") == pytest.approx(0.17, abs=0.02)
    # and LM is now one of its causes: the pain raises P(LM)
    assert _p(model, {"back_neck_pain": "present"}, "lm", "present") > _p(model, {}, "lm", "present")


@pytest.mark.parametrize(
    "staging, mri, sign",
    list(itertools.product(
        ["no_active_disease", "active_recurrence"], ["normal", "typical_enhancement"],
        [None, "headache", "seizures", "altered_mental_status", "limb_weakness", "cranial_nerve_palsy"],
    )),
)
def test_a_brain_metastasis_shown_on_mri_does_not_lower_p_lm(shipped, staging, mri, sign):
    net, _ = shipped
    findings = {"systemic_status": staging, "mri": mri, **({sign: "present"} if sign else {})}
    before = net.posterior(findings).p_target
    after = net.posterior({**findings, "mri_parenchymal": "shown"}).p_target
    assert after >= before * (1 - 1e-12)


def test_brain_metastases_raise_the_risk_of_lm_within_a_staging_state(shipped):
    _, model = shipped
    for staging in ("no_active_disease", "active_recurrence"):
        without = _p(model, {"systemic_status": staging, "brain_metastases": "absent"}, "lm", "present")
        with_bm = _p(model, {"systemic_status": staging, "brain_metastases": "present"}, "lm", "present")
        assert with_bm > without


def test_metabolic_encephalopathy_has_its_published_share_of_confusion(shipped):
    """61% of the consultations for altered mental status in cancer (clouston1992)."""
    _, model = shipped
    assert _p(model, {"altered_mental_status": "present"}, "metabolic_encephalopathy", "present") == pytest.approx(0.61, abs=0.03)


def test_the_seed_case_with_its_subtype_ends_at_95_percent_or_more(breast_pgmpy):
    """The case report's patient: ER/PR positive, HER2 negative (luminal); third tap positive."""
    findings = {
        "systemic_status": "active_recurrence", "cranial_nerve_palsy": "present", "limb_weakness": "present",
        "bladder_bowel": "present", "mri": "normal", "mri_compression": "absent", "mri_parenchymal": "absent",
        "antibody_panel": "negative", "subtype": "luminal", "csf_1": "negative", "csf_2": "negative", "csf_3": "positive",
    }
    assert _p(breast_pgmpy, findings, "lm", "present") >= 0.95


def test_mri_specificity_falls_among_referred_patients(breast):
    """Rival causes of enhancement: the specificity among patients without LM is lower where
    the rival causes are commoner (active disease and a sign) than in the whole population,
    and stays within the published 0.77-0.97."""
    def specificity(findings):
        post = breast.posterior({**findings, "lm": "absent"}, nodes=["mri"]).posterior["mri"]
        return post["normal"]

    everyone = specificity({})
    referred = specificity({"systemic_status": "active_recurrence", "headache": "present"})
    assert 0.77 <= referred < everyone <= 0.97
