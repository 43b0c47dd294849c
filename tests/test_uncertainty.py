"""Credible intervals over parameter draws: posterior, tap table and plan."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from lmbayes.cli.main import cli
from lmbayes.network import Network
from lmbayes.plan import plan_workup
from lmbayes.technique import STANDARD, USUAL, Technique
from lmbayes.uncertainty import (
    batched_engine,
    draw_parameters,
    p_target,
    plan_intervals,
    posterior_intervals,
    tap_intervals,
)

TWO_NEGATIVE = ["negative", "negative"]


def fixed_spec(spec):
    """Every range collapsed onto its value, no counts: a network without uncertainty."""
    params = {
        path: dataclasses.replace(p, low=p.value, high=p.value, counts=None) for path, p in spec.parameters.items()
    }
    return dataclasses.replace(spec, parameters=params)


def test_degenerate_ranges_give_zero_width_intervals_at_the_point_estimate(breast, case_findings):
    net = Network(fixed_spec(breast.spec))
    draws = draw_parameters(net.spec, 50, 0)
    assert draws.acceptance == 1.0
    findings = net.observe(case_findings, TWO_NEGATIVE)
    interval = posterior_intervals(net, findings, draws=draws)["lm"]
    point = net.posterior(case_findings, csf=TWO_NEGATIVE).p_target
    assert interval.high - interval.low < 1e-12
    assert interval.median == pytest.approx(point, abs=1e-12)
    taps = tap_intervals(net, findings, draws=draws)
    table = net.taps(findings)
    for i, step in zip(taps.steps, table.steps):
        assert i.p_lm_if_negative.median == pytest.approx(step.p_lm_if_negative, abs=1e-12)
        assert i.p_lm_if_negative.high - i.p_lm_if_negative.low < 1e-12


def test_batched_draws_equal_networks_built_one_at_a_time(breast, case_findings):
    draws = draw_parameters(breast.spec, 4, 11)
    case = breast.case(breast.observe(case_findings, TWO_NEGATIVE))
    together = p_target(batched_engine(breast, case, draws.values), "lm", case.evidence)
    for j in range(draws.n):
        spec = breast.spec
        for path in spec.parameters:
            spec = spec.with_parameter(path, float(draws.values[path][j]))
        alone = Network(spec).posterior(case_findings, csf=TWO_NEGATIVE).p_target
        assert together[j] == pytest.approx(alone, abs=1e-12)


def test_draws_follow_the_stated_distributions(breast):
    draws = draw_parameters(breast.spec, 20000, 2)
    mri = breast.spec.parameters["mri.sensitivity"]
    x = draws.values["mri.sensitivity"]
    assert abs(x.mean() - mri.value) < 4 * x.std() / np.sqrt(x.size)
    assert x.std() == pytest.approx((mri.high - mri.low) / 4, rel=0.05)
    leak = draws.values["headache.leak"]  # counts 122/815: Beta(122.5, 693.5)
    assert leak.mean() == pytest.approx(122.5 / 816, rel=0.01)


def test_same_seed_same_output(runner):
    args = ["taps", "-e", "mri=normal", "--csf", "neg", "--uncertainty", "--draws", "300", "--json"]
    first = runner.invoke(cli, [*args, "--seed", "7"]).output
    assert first == runner.invoke(cli, [*args, "--seed", "7"]).output
    assert first != runner.invoke(cli, [*args, "--seed", "8"]).output
    data = json.loads(first)["uncertainty"]
    assert data["draws"] == 300 and data["seed"] == 7
    assert set(data["steps"][0]) == {"tap", "p_lm_if_positive", "p_lm_if_negative"}
    assert data["current"]["low"] <= data["current"]["median"] <= data["current"]["high"]


def test_plan_intervals_use_each_options_technique(breast, case_findings):
    """Without uncertainty every interval collapses onto the plan's own numbers, the poor
    tap's included: the option's technique value is the one the intervals model."""
    net = Network(fixed_spec(breast.spec))
    findings = net.observe(case_findings, ["negative"])
    poor = Technique(volume_ml=4, delay_min=120)
    plan = plan_workup(net, findings, next_technique=poor)
    intervals = plan_intervals(net, findings, plan, draw_parameters(net.spec, 20, 3))
    assert intervals.current.median == pytest.approx(plan.current, abs=1e-12)
    assert len(intervals.outcomes) == len(plan.tests)
    for option, outcomes in zip(plan.tests, intervals.outcomes):
        assert len(outcomes) == len(option.outcomes)
        for outcome, interval in zip(option.outcomes, outcomes):
            if outcome.probability > 0:
                assert interval.median == pytest.approx(outcome.p_lm, abs=1e-12), (option.test, option.technique)
                assert interval.high - interval.low < 1e-12
    assert {o.technique for o in plan.tests if o.test == "csf_2"} == {USUAL, poor}


def test_tap_intervals_with_a_technique_match_the_tap_table(breast, case_findings):
    net = Network(fixed_spec(breast.spec))
    findings = net.observe(case_findings, TWO_NEGATIVE)
    draws = draw_parameters(net.spec, 10, 4)
    for technique in (STANDARD, Technique(volume_ml=4)):
        table = net.taps(findings, next_technique=technique)
        intervals = tap_intervals(net, findings, draws=draws, next_technique=technique)
        assert [i.tap for i in intervals.steps] == [s.tap for s in table.steps]
        for i, step in zip(intervals.steps, table.steps):
            assert i.p_lm_if_negative.median == pytest.approx(step.p_lm_if_negative, abs=1e-12)
            assert i.p_lm_if_positive.median == pytest.approx(step.p_lm_if_positive, abs=1e-12)

def test_uncertainty_on_posterior_and_plan(runner):
    post = json.loads(runner.invoke(cli, ["posterior", "-e", "headache=present", "--uncertainty", "--draws", "200", "--json"]).output)
    assert set(post["uncertainty"]["posterior"]) == set(post["posterior"])
    plan = json.loads(runner.invoke(cli, ["plan", "--csf", "neg", "--uncertainty", "--draws", "200", "--json"]).output)
    tests = plan["uncertainty"]["tests"]
    assert [t["test"] for t in tests] == [t["test"] for t in plan["tests"]]
    assert all(o["p_lm"]["low"] <= o["p_lm"]["high"] for t in tests for o in t["outcomes"])


def test_text_shows_the_median_and_flags_results_whose_interval_straddles_a_threshold(runner):
    args = ["-e", "mri=typical_enhancement", "-e", "cranial_nerve_palsy=present", "--uncertainty", "--draws", "300"]
    posterior = runner.invoke(cli, ["posterior", *args]).output
    assert "median (95% interval)" in posterior
    data = json.loads(runner.invoke(cli, ["posterior", *args, "--json"]).output)
    median = data["uncertainty"]["posterior"]["lm"]["median"]
    assert f"{100 * median:.1f}% (" in posterior
    plan = runner.invoke(cli, ["plan", *args])
    text = " ".join(plan.output.split())
    plan_json = json.loads(runner.invoke(cli, ["plan", *args, "--json"]).output)
    straddles = [
        (t["test"], o["state"])
        for t, u in zip(plan_json["tests"], plan_json["uncertainty"]["tests"])
        for o, ou in zip(t["outcomes"], u["outcomes"])
        if o["zone"] != "test" and o["probability"] > 0
        and ou["p_lm"]["low"] < plan_json["thresholds"][o["zone"]] < ou["p_lm"]["high"]
    ]
    assert straddles, "this case has results whose interval straddles a threshold"
    assert f"{len(straddles)} result{'s' if len(straddles) != 1 else ''} marked" in text
    assert plan.output.count(")?") == len(straddles)


# Many draws (issue 14): chunk by chunk, bounded memory, exact quantiles.


def test_many_draws_are_evaluated_in_chunks_with_exact_quantiles(breast, case_findings, monkeypatch):
    import lmbayes.uncertainty as uncertainty

    monkeypatch.setattr(uncertainty, "CHUNK", 40)
    draws = draw_parameters(breast.spec, 100, 9)
    assert draws.values is None and draws.n == 100 and len(draws.seeds) == 3
    chunks = list(draws.chunks())
    assert [len(c["mri.sensitivity"]) for c in chunks] == [40, 40, 20]
    again = list(draws.chunks())  # every pass sees the same draws
    assert all(np.array_equal(a[p], b[p]) for a, b in zip(chunks, again) for p in a)
    findings = breast.observe(case_findings, TWO_NEGATIVE)
    case = breast.case(findings)
    every = np.concatenate([p_target(batched_engine(breast, case, c), "lm", case.evidence) for c in chunks])
    median, low, high = np.quantile(every, [0.5, 0.025, 0.975])
    current = tap_intervals(breast, findings, draws=draws).current
    assert (current.median, current.low, current.high) == (median, low, high)
    # all posteriors come from one backward pass: the same sums in another order
    lm = posterior_intervals(breast, findings, draws=draws)["lm"]
    assert (lm.median, lm.low, lm.high) == pytest.approx((median, low, high), rel=1e-12)
    accepted = [uncertainty._feasible(c).all() for c in chunks]
    assert all(accepted) and 0.5 < draws.acceptance <= 1.0


def test_up_to_a_chunk_of_draws_is_one_batch_as_before(breast):
    draws = draw_parameters(breast.spec, 2000, 1)
    assert draws.values is not None and list(draws.chunks()) == [draws.values]


# The peak is VmHWM of the process itself: ru_maxrss would carry over the forked parent's peak
# across exec (Linux), and pytest's can be large.
MEMORY_SCRIPT = """
import re, resource, sys
from lmbayes.cli.main import cli
resource.setrlimit(resource.RLIMIT_AS, (768 << 20, 768 << 20))
try:
    cli.main(["taps", "--uncertainty", "--draws", "200000", "--json"], standalone_mode=False)
finally:
    status = open("/proc/self/status").read()
    print(int(re.search(r"VmHWM:\\s+(\\d+) kB", status)[1]) // 1024, file=sys.stderr)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.slow
def test_many_draws_run_in_bounded_memory(tmp_path):
    """Before: every draw was held at once (3.4 GiB peak at 10^6 draws, 0.7 GiB at 2 x 10^5, a
    MemoryError traceback under this limit); now about 130 MiB at 2 x 10^5, 210 MiB at 10^6."""
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads(done.stdout)["uncertainty"]["draws"] == 200_000
    assert int(done.stderr.split()[-1]) < 250, f"peak {done.stderr.split()[-1]} MiB"


def test_running_out_of_memory_is_one_line_suggesting_fewer_draws(runner, monkeypatch):
    import lmbayes.uncertainty as uncertainty

    try:
        from numpy._core._exceptions import _ArrayMemoryError  # numpy's own MemoryError subclass
    except ImportError:  # numpy 1
        from numpy.core._exceptions import _ArrayMemoryError

    def exhausted(*args, **kwargs):
        raise _ArrayMemoryError((1_000_000, 64, 2), np.dtype(float))

    monkeypatch.setattr(uncertainty, "tap_intervals", exhausted)
    result = runner.invoke(cli, ["taps", "--uncertainty", "--draws", "1000000", "--yes"])
    assert result.exit_code == 1
    assert result.output == "Error: not enough memory for 1,000,000 parameter draws; ask for fewer (e.g. --draws 100000)\n"


def test_every_table_over_the_draws_is_a_probability_table(breast):
    """Ranges are drawn independently, so a cause's frequency can fall below its sign's leak in
    a draw: the table holds it at the leak instead of going negative."""
    from lmbayes.tables import build_tables

    draws = draw_parameters(breast.spec, 2000, 0)
    tables = build_tables(breast.spec, values=draws.values)
    for node, cpt in tables.cpts.items():
        assert cpt.min() >= 0.0, node
        assert np.allclose(cpt.sum(axis=-1), 1.0), node


def test_tap_intervals_with_analyses_collapse_onto_the_tap_table(breast, case_findings):
    # one loop serves both: without uncertainty, every interval with --with ctc is the table's
    # own number (a positive tap: any reading positive; a negative: all negative)
    net = Network(fixed_spec(breast.spec))
    findings = net.observe(case_findings, ["negative"])
    table = net.taps(findings, analyses="ctc")
    intervals = tap_intervals(net, findings, draws=draw_parameters(net.spec, 10, 5), analyses="ctc")
    alone = net.taps(findings)
    assert [i.tap for i in intervals.steps] == [s.tap for s in table.steps] == [2, 3, 4, 5, 6]
    for i, step, cytology in zip(intervals.steps, table.steps, alone.steps):
        assert i.p_lm_if_negative.median == pytest.approx(step.p_lm_if_negative, abs=1e-12)
        assert i.p_lm_if_positive.median == pytest.approx(step.p_lm_if_positive, abs=1e-12)
        assert i.p_lm_if_negative.high - i.p_lm_if_negative.low < 1e-12
        assert step.p_lm_if_negative < cytology.p_lm_if_negative  # CTC adds to a negative cytology


def test_taps_uncertainty_with_ctc_at_the_command_line(runner):
    args = ["taps", "-e", "cranial_nerve_palsy=present", "--csf", "neg", "--with", "ctc", "--uncertainty", "--draws", "200"]
    text = runner.invoke(cli, args)
    assert text.exit_code == 0, text.output
    assert "cytology with ctc" in text.output and "median (95% int.)" in text.output
    data = json.loads(runner.invoke(cli, [*args, "--json"]).output)
    assert [s["tap"] for s in data["uncertainty"]["steps"]] == [s["tap"] for s in data["steps"]] == [2, 3, 4, 5, 6]
    first = data["uncertainty"]["steps"][0]["p_lm_if_negative"]
    assert first["low"] <= first["median"] <= first["high"]
