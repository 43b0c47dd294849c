"""Python values that print (issue 28): every result has a readable ``__str__`` beside its
``_repr_html_``, and the plan's HTML names techniques and zones in words."""

from __future__ import annotations

import pytest

from lmbayes.plan import plan_workup
from lmbayes.technique import Technique


@pytest.fixture
def findings(breast):
    return breast.observe({"headache": "present"}, ["neg"])


def test_print_a_posterior_shows_a_table_not_a_repr(breast, findings):
    post = breast.posterior(findings)
    text = str(post)
    assert "mappingproxy" not in text and "Posterior(" not in text
    lines = text.splitlines()
    assert lines[0] == f"P(LM) 0.9%; findings: headache=present, csf_1=negative"
    row = next(line for line in lines if line.startswith("lm = present"))
    assert row.split()[-2:] == ["1.3%", f"{100 * post.p_target:.1f}%"]


def test_print_a_tap_table_and_a_replay(breast, findings):
    from lmbayes.cases import load_case
    from lmbayes.teaching import replay

    table = breast.taps(findings)
    text = str(table)
    assert "TapTable(" not in text and text.splitlines()[1].split()[:2] == ["tap", "P(tap"]
    assert len(text.splitlines()) == 2 + len(table.steps) + 1
    case, net = load_case("seed_case")
    played = replay(net, case)
    text = str(played)
    assert "ReplayRow(" not in text and len(text.splitlines()) >= 2 + len(played.rows)
    assert "Third CSF cytology positive" in text


def test_the_plan_names_techniques_and_zones_in_words(breast, findings):
    plan = plan_workup(breast, findings, next_technique=Technique(volume_ml=5, delay_min=60))
    html, text = plan._repr_html_(), str(plan)
    assert "(stated technique)" not in html and "rule_out" not in html and "rule_out" not in text
    assert "done with 5 mL, processed after 60 min" in html
    assert "below rule-out" in text and "Plan(" not in text
    default = plan_workup(breast, findings)
    assert "(done the usual way)" in str(default) and "(done to the handling standard" in str(default)
