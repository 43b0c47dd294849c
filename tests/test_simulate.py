"""Cohort simulation: frequencies against exact inference, seeds, strategies, CLI."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from lmbayes.cli.main import cli
from lmbayes.errors import InputError, TooFewTapsError
from lmbayes.simulate import forward_sample, parse_strategy, simulate

N = 200_000


def within(count: int, n: int, p: float, sigmas: float = 4.0) -> bool:
    """The simulated count lies within ``sigmas`` Monte Carlo standard errors of n p."""
    se = np.sqrt(n * p * (1 - p))
    return abs(count - n * p) <= sigmas * max(se, 1.0)


def exact_first_positive(net, case, taps, j):
    """P(LM, taps 1..j-1 not positive, tap j positive | findings), by the engine."""
    nodes = (net.target, *taps[:j])
    joint = net.engine.joint(nodes, case.evidence)
    joint = joint / joint.sum()
    positive = len(net.spec.tap_states) - 1
    before = [s for s in range(len(net.spec.tap_states)) if s != positive]
    return sum(joint[(1, *prefix, positive)] for prefix in itertools.product(before, repeat=j - 1))


def test_frequencies_match_exact_inference(breast, case_findings):
    findings = breast.observe(case_findings)
    (result,) = simulate(breast, findings, strategies=[parse_strategy("3taps")], patients=N, rng=3)
    case = breast.case(findings)
    p_lm = breast.posterior(case_findings).p_target
    assert within(result.lm, N, p_lm)
    taps = breast.spec.taps
    found = [exact_first_positive(breast, case, taps, j) for j in (1, 2, 3)]
    for count, p in zip(result.found_at, found):
        assert within(count, N, p)
    assert within(result.missed, N, p_lm - sum(found))
    joint = breast.engine.joint((breast.target, *taps[:3]), case.evidence)
    joint = joint / joint.sum()
    p_fp = 1 - joint[0][:2, :2, :2].sum() / joint[0].sum()
    assert within(result.false_positive, N, (1 - p_lm) * p_fp)


def test_model_posterior_is_calibrated_on_its_own_patients(breast):
    (result,) = simulate(breast, breast.observe({"headache": "present"}), strategies=[parse_strategy("mri+2taps")], patients=N, rng=4)
    for b in result.calibration:
        assert b.low <= b.predicted <= b.high
        se = np.sqrt(b.predicted * (1 - b.predicted) / b.patients)
        assert abs(b.observed - b.predicted) <= 4 * se + 1e-9


def test_same_seed_same_numbers_and_common_random_numbers(breast, case_findings):
    strategies = [parse_strategy(s) for s in ("2taps", "2taps+standard", "2taps+all")]
    findings = breast.observe(case_findings)
    one = simulate(breast, findings, strategies=strategies, patients=20_000, rng=9)
    assert one == simulate(breast, findings, strategies=strategies, patients=20_000, rng=9)
    assert one != simulate(breast, findings, strategies=strategies, patients=20_000, rng=10)
    usual, standard, every = one
    assert usual.lm == standard.lm == every.lm  # the same cohort
    assert standard.found_at[0] >= usual.found_at[0]  # same dice, better technique finds more
    assert every.taps_done == 2 * every.patients and usual.taps_done < every.taps_done


def test_forward_sample_marginals(breast):
    samples = forward_sample(breast, N, 5)
    for node in ("lm", "mri", "csf_1", "headache"):
        exact = breast.engine.posteriors({}, [node])[0][node]
        counts = np.bincount(samples[node], minlength=exact.size)
        for count, p in zip(counts, exact):
            assert within(int(count), N, float(p))


def test_more_taps_than_the_network_models_are_refused(breast, runner):
    """Taps done plus the strategy's taps must fit the network: no silent rebuild at 10 taps."""
    findings = breast.observe({}, "neg,neg,neg,neg")
    with pytest.raises(TooFewTapsError, match="4 taps done and 3 more need 7 taps, but the network models 6") as info:
        simulate(breast, findings, strategies=[parse_strategy("3taps")], patients=100, rng=1)
    assert info.value.needed == 7 and "--" not in str(info.value)
    (fits,) = simulate(breast, findings, strategies=[parse_strategy("2taps")], patients=100, rng=1)
    assert len(fits.found_at) == 2
    seven = breast.with_taps(7)
    (result,) = simulate(seven, seven.observe({}, "neg,neg,neg,neg"), strategies=[parse_strategy("3taps")], patients=100, rng=1)
    assert len(result.found_at) == 3
    with pytest.raises(TooFewTapsError, match="lmbayes models at most 10") as info:
        simulate(breast.with_taps(10), breast.with_taps(10).observe({}, ["neg"] * 8), strategies=[parse_strategy("3taps")], patients=100)
    assert info.value.needed == 11
    bad = runner.invoke(cli, ["simulate", "--csf", "n,n,n,n", "--patients", "100"])
    assert bad.exit_code == 2 and "(use --max-taps 7)" in bad.output
    assert runner.invoke(cli, ["simulate", "--csf", "n,n,n,n", "--patients", "100", "--max-taps", "7"]).exit_code == 0


@pytest.mark.parametrize("text", ["3", "mri+x", "11taps", "taps"], ids=["no-unit", "unknown", "too-many", "no-number"])
def test_bad_strategies(text):
    with pytest.raises(InputError):
        parse_strategy(text)


def test_simulate_cli(runner):
    result = runner.invoke(cli, ["simulate", "-e", "mri=normal", "--patients", "5000", "--compare", "mri+1tap", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["strategy"] for s in data["strategies"]] == ["3taps", "mri+1tap"]
    first = data["strategies"][0]["per_1000"]
    assert len(first["found_at"]) == 3 and first["mri_typical_lm"] is None
    text = runner.invoke(cli, ["simulate", "--patients", "2000", "--strategy", "2taps"]).output
    assert "Of 1,000 patients like this one (2,000 simulated, seed 1)" in text
    bad = runner.invoke(cli, ["simulate", "--strategy", "lots"])
    assert bad.exit_code == 2 and "the strategy 'lots' needs a number of taps" in bad.output


@pytest.mark.parametrize("finding, lm_per_1000", [("burden=high", 1000.0), ("lm=present", 1000.0), ("lm=absent", 0.0)])
def test_a_finding_on_the_latent_node_or_the_target(runner, finding, lm_per_1000):
    """Before: `simulate -e burden=high` raised KeyError: 'burden' (an observed parent of the
    taps was left out of the drawn states)."""
    result = runner.invoke(cli, ["simulate", "-e", finding, "--patients", "2000", "--json"])
    assert result.exit_code == 0, result.output
    per_1000 = json.loads(result.output)["strategies"][0]["per_1000"]
    assert per_1000["lm"] == lm_per_1000


def test_a_high_burden_given_every_tap_can_find_it(breast):
    """Given a high burden, each tap finds LM with the per-tap detection probability, exactly."""
    (result,) = simulate(breast, breast.observe({"burden": "high"}), strategies=[parse_strategy("1tap")], patients=N, rng=3)
    per_tap = float(breast.tables.calibration.per_tap)
    assert within(result.found_at[0], N, per_tap)
