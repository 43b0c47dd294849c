"""The shipped networks' numbers against the published figures they must reproduce.

Every figure is computed from the network (exact inference), never typed in: per-patient
false positives over serial taps, the seed case, MRI specificity in the file's population,
each sourced sign's frequency among patients with LM, and the suspected-LM check.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import lmbayes
from lmbayes import networks
from lmbayes.kinds import Sign
from lmbayes.tables import sign_floors

NETWORKS = sorted(networks.available())
SEED = {
    "systemic_status": "active_recurrence", "cranial_nerve_palsy": "present", "limb_weakness": "present",
    "bladder_bowel": "present", "mri": "normal", "mri_compression": "absent", "mri_parenchymal": "absent",
    "antibody_panel": "negative",
}  # fmt: skip


@pytest.fixture(scope="module", params=NETWORKS)
def net(request) -> lmbayes.Network:
    return lmbayes.load_network(request.param)


def p_positive_within(net: lmbayes.Network, k: int, lm: int) -> float:
    """P(at least one of the first k taps positive | LM = lm), by enumeration of the joint."""
    taps = net.spec.taps[:k]
    joint = net.engine.joint((net.target, *taps))[lm]
    positive = len(net.spec.tap_states) - 1
    none = sum(joint[c] for c in itertools.product(range(positive), repeat=k))
    return float(1.0 - none / joint.sum())


def test_false_positive_taps_stay_rare_per_patient(net):
    """The per-patient figures (glass1979: 1 of 66, straathof1999: none) bound how often a
    patient without LM ever has a positive tap: at most 2% within six taps."""
    assert p_positive_within(net, 6, lm=0) <= 0.02
    f = net.spec.parameters["cytology.false_positive"].value
    assert p_positive_within(net, 6, lm=0) == pytest.approx(1 - (1 - f) ** 6, abs=1e-12)


def test_cytology_still_reproduces_the_published_yield(net):
    assert p_positive_within(net, 1, lm=1) == pytest.approx(0.50, abs=1e-9)
    assert p_positive_within(net, 3, lm=1) == pytest.approx(0.85, abs=1e-9)


def test_the_seed_case_positive_third_tap_is_near_certain(net):
    """Malignant cells on the third tap: P(LM) at least 95%, as a clinician would read it."""
    assert net.posterior(SEED, csf="neg,neg,pos").p_target >= 0.95


def test_mri_specificity_fits_the_files_population(net):
    joint = net.engine.joint((net.target, "mri"))
    p_typical_without_lm = joint[0, 1] / joint[0].sum()
    assert p_typical_without_lm <= 0.10 + 1e-12


@pytest.mark.parametrize("sign", ["cranial_nerve_palsy", "limb_weakness", "bladder_bowel", "headache", "altered_mental_status", "seizures"])
def test_each_signs_frequency_among_patients_with_lm_is_the_stated_one(net, sign):
    joint = net.engine.joint((net.target, sign))
    stated = net.spec.parameters[f"{sign}.given.lm"].value
    assert joint[1, 1] / joint[1].sum() == pytest.approx(stated, abs=1e-9)


def test_the_stated_frequency_holds_with_a_users_pretest_and_over_draws(net):
    from lmbayes.uncertainty import draw_parameters

    other = lmbayes.load_network(net.name, pretest=0.3)
    joint = other.engine.joint((other.target, "limb_weakness"))
    assert joint[1, 1] / joint[1].sum() == pytest.approx(0.53, abs=1e-9)
    draws = draw_parameters(net.spec, 200, 3)
    tables = net.draw_tables(draws.values)
    engine = lmbayes.engine.Engine(tables)
    for sign in ("headache", "seizures"):
        joint = engine.joint((net.target, sign))
        floor, _ = Sign().floor_and_solution(net.spec.node(sign), tables.context)
        expected = np.maximum(draws.values[f"{sign}.given.lm"], floor)  # a draw below the floor is held there
        assert np.allclose(joint[:, 1, 1] / joint[:, 1].sum(axis=-1), expected, atol=1e-9)
        assert (draws.values[f"{sign}.given.lm"] > floor).mean() > 0.5


def test_back_pain_is_a_sign_of_lm_at_its_published_frequency(net):
    """LM causes back and radicular pain (EANO-ESMO 2023): kaplan1990's 17%, solved."""
    assert "lm" in net.spec.node("back_neck_pain").parents
    joint = net.engine.joint((net.target, "back_neck_pain"))
    assert joint[1, 1] / joint[1].sum() == pytest.approx(0.17, abs=1e-9)


def test_solved_frequencies_lie_between_floor_and_figure(net):
    params = net.spec.parameters
    for sign, (stated, floor, alone) in sign_floors(net.spec).items():
        # a test with rival causes (the MRI): its leak is 1 - specificity
        leak = params[f"{sign}.leak"].value if f"{sign}.leak" in params else 1 - params[f"{sign}.specificity"].value
        assert floor < stated and leak <= alone <= stated + 1e-12, sign


@pytest.mark.parametrize("name", ["breast", "lung"])
def test_typical_multifocal_signs_land_in_the_suspected_lm_series(name):
    """Checks, not inputs: the referred suspected-LM series (mixed solid tumours, mostly breast
    and lung) found LM in 29-56%. (Melanoma's judgement prior puts it at 60%: its file says so.)"""
    signs = {"cranial_nerve_palsy": "present", "limb_weakness": "present", "bladder_bowel": "present"}
    assert 0.29 <= lmbayes.load_network(name).posterior(signs).p_target <= 0.56


def test_network_show_reports_the_share_without_signs(runner):
    from lmbayes.cli.main import cli

    net = lmbayes.load_network()
    signs = [n.id for n in net.spec.of_kind("sign")]
    joint = net.engine.joint(tuple(signs))
    assert net.share_without_signs() == pytest.approx(float(joint[(0,) * len(signs)]), abs=1e-15)
    assert 0.35 < net.share_without_signs() < 0.50
    shown = f"none of the listed signs: {100 * net.share_without_signs():.1f}%."
    assert shown in runner.invoke(cli, ["network", "show"]).output
