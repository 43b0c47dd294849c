"""The tumour burden in the CSF: cytology, CSF tumour cells and tumour DNA measure one
per-patient quantity, so their repeats are dependent and a test after negative cytologies
finds less than on the first tap. Checked against pgmpy's inference (an independent engine)."""

from __future__ import annotations

import pytest

import lmbayes
from lmbayes import networks
from lmbayes._pgmpy import query
from lmbayes.tables import burden_solutions

SHIPPED = sorted(networks.available())


@pytest.fixture(scope="module", params=SHIPPED)
def shipped(request):
    net = lmbayes.load_network(request.param)
    return net, net.to_pgmpy()


def _p(model, evidence, node, state):
    dist = query(model, evidence, [node])[node]
    return float(dist[model.get_cpds(node).state_names[node].index(state)])


def test_each_assay_keeps_its_pooled_figures_on_every_tap(shipped):
    """P(positive | LM) and P(negative | no LM) of each burden test, on the first and the last
    tap, equal the file's pooled sensitivity and specificity (nakasu2023), to 1e-9."""
    net, model = shipped
    spec = net.spec
    tests = [a for a in spec.tap_analyses if a.kind == "burden_test"]
    assert tests, "every shipped network has at least one test of the tumour burden"
    for a in tests:
        m, s = spec.parameters[f"{a.id}.sensitivity"].value, spec.parameters[f"{a.id}.specificity"].value
        for k in (1, spec.n_taps):
            node = f"{a.id}_{k}"
            assert _p(model, {"lm": "present"}, node, "positive") == pytest.approx(m, abs=1e-9)
            assert _p(model, {"lm": "absent"}, node, "negative") == pytest.approx(s, abs=1e-9)


def test_cytology_still_finds_half_on_one_tap_and_85_percent_on_three(shipped):
    net, model = shipped
    assert _p(model, {"lm": "present"}, "csf_1", "positive") == pytest.approx(0.50, abs=1e-9)
    from pgmpy.inference import VariableElimination

    factor = VariableElimination(model).query(["csf_1", "csf_2", "csf_3"], evidence={"lm": "present"}, show_progress=False)
    names = factor.state_names
    none = factor.get_value(**{c: n for c, n in zip(("csf_1", "csf_2", "csf_3"), ("negative",) * 3)}) if "equivocal" not in names["csf_1"] else sum(
        factor.get_value(csf_1=a, csf_2=b, csf_3=c)
        for a in ("negative", "equivocal") for b in ("negative", "equivocal") for c in ("negative", "equivocal")
    )
    assert 1.0 - none == pytest.approx(0.85, abs=1e-9)


def test_no_burden_without_lm_and_the_burden_among_lm_is_the_calibration(shipped):
    net, model = shipped
    assert _p(model, {"lm": "absent"}, "burden", "none") == pytest.approx(1.0)
    cal = net.tables.calibration
    s = net.spec.parameters["cytology.low_burden"].value
    assert _p(model, {"lm": "present"}, "burden", "high") == pytest.approx(cal.shedding_share, abs=1e-12)
    assert _p(model, {"lm": "present"}, "burden", "low") == pytest.approx((1 - cal.shedding_share) * s, abs=1e-12)


def _odds(p: float) -> float:
    return p / (1.0 - p)


def test_a_negative_ctc_after_three_negative_cytologies_moves_the_odds_less_than_on_tap_1(breast, breast_pgmpy):
    """The `normal_csf_settles` situation: after three negative cytologies the patients with LM
    left are more often those with a low or no burden, which CTC finds less often."""
    base = {"systemic_status": "active_recurrence", "headache": "present", "cranial_nerve_palsy": "present",
            "mri": "typical_enhancement", "mri_compression": "absent", "mri_parenchymal": "absent"}
    negatives = {"csf_1": "negative", "csf_2": "negative", "csf_3": "negative"}
    p = lambda e: _p(breast_pgmpy, e, "lm", "present")  # noqa: E731
    first = _odds(p({**base, "ctc_1": "negative"})) / _odds(p(base))
    after = _odds(p({**base, **negatives, "csf_4": "negative", "ctc_4": "negative"})) / _odds(p({**base, **negatives, "csf_4": "negative"}))
    assert first < after < 1.0
    # the library says the same as pgmpy
    ours = breast.posterior({**base, "ctc_1": "negative"}).p_target
    assert ours == pytest.approx(p({**base, "ctc_1": "negative"}), rel=1e-9)


def test_repeats_of_one_assay_are_dependent_through_the_burden(breast_pgmpy):
    """A positive CTC followed by negative ones: the second and third negatives move the odds
    less and less (independent repeats would multiply the same likelihood ratio)."""
    p = lambda e: _p(breast_pgmpy, e, "lm", "present")  # noqa: E731
    e1 = {"headache": "present", "ctc_1": "positive"}
    e2 = {**e1, "ctc_2": "negative"}
    e3 = {**e2, "ctc_3": "negative"}
    lr2, lr3 = _odds(p(e2)) / _odds(p(e1)), _odds(p(e3)) / _odds(p(e2))
    assert lr2 < lr3 < 1.0
    assert _p(breast_pgmpy, {"ctc_1": "positive"}, "ctc_2", "positive") > _p(breast_pgmpy, {}, "ctc_2", "positive")


def test_a_brain_metastasis_puts_tumour_dna_in_the_csf(breast_pgmpy):
    without = _p(breast_pgmpy, {"lm": "absent", "brain_metastases": "absent"}, "ctdna_1", "positive")
    with_bm = _p(breast_pgmpy, {"lm": "absent", "brain_metastases": "present"}, "ctdna_1", "positive")
    assert with_bm > without
    # the activation of the file: 1 - P(neg | bm) / P(neg | no bm)
    a = lmbayes.load_network().spec.parameters["ctdna.causes.brain_metastases"].value
    assert 1.0 - (1.0 - with_bm) / (1.0 - without) == pytest.approx(a, abs=1e-9)


def test_the_solved_detections_are_ordered(shipped):
    net, _ = shipped
    for node, (d0, low, high) in burden_solutions(net.spec).items():
        assert 0.0 <= d0 < low <= high <= 1.0, node


def test_figures_the_burden_model_cannot_reach_are_refused_by_name(edited_network):
    path = edited_network((r"(    specificity: \{value: )0.89, range: \[0.80, 0.97\]", r"\g<1>0.99, range: [0.80, 0.995]"))
    problems = lmbayes._loader.check_spec(path)
    assert len(problems) == 1
    assert "node 'ctdna', field 'specificity.value': gives a false-positive rate of -0.0" in problems[0]
