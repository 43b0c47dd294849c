"""Cohort benchmarks: validate on 10,000 patients, fit on 20,000, and how often fit's 95%
ranges cover the true numbers of a deliberately changed network.

    python bench/cohort.py [--runs 5] [--seeds 3]

Times are the median and [min-max] over ``--runs`` runs (this machine is shared). Coverage:
cohorts of 20,000 patients drawn from the breast network with eight numbers changed (each
within its range), fitted from the shipped file; for every updated number, whether its new 95%
range holds the number the cohort was drawn from.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

from lmbayes import load_network
from lmbayes.cohort import draw_cohort
from lmbayes.fit import fit
from lmbayes.network import Network
from lmbayes.validate import validate

#: The changed numbers: each moved within its range, by one to two prior standard deviations.
CHANGED = {
    "systemic_status.prior": 0.42,
    "lm.prior.active_recurrence": 0.045,
    "headache.leak": 0.13,
    "limb_weakness.leak": 0.08,
    "cranial_nerve_palsy.given.lm": 0.36,
    "mri.specificity": 0.82,
    "ctc.specificity": 0.91,
    "cytology.one_tap": 0.55,
}


def timed(fn: Callable[[], object], runs: int) -> tuple[float, float, float, object]:
    times, result = [], None
    for _ in range(runs):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args()

    net = load_network(pretest=0.2)
    cohort = draw_cohort(net, 10_000, rng=1)
    median, low, high, result = timed(lambda: validate(net, cohort, rng=1), args.runs)
    print(f"validate, 10,000 patients, 200 resamples: {median:.2f} s [{low:.2f}-{high:.2f}] over {args.runs} runs")
    first = result.stages[1]
    print(f"  same network, before the first tap: slope {first.slope.value:.3f} [{first.slope.low:.3f}, {first.slope.high:.3f}]"
          f", intercept {first.intercept.value:.3f} [{first.intercept.low:.3f}, {first.intercept.high:.3f}]")
    start = time.perf_counter()
    for i in range(200):
        findings = {c: net.spec.node(c).states[s] for c, s in zip(cohort.columns, cohort.states[i]) if s >= 0}
        net.posterior(findings)
    per_patient = (time.perf_counter() - start) / 200
    print(f"  baseline, one Network.posterior per patient: {per_patient * 10_000:.1f} s for 10,000 (200 timed, scaled)")

    shifted = net.spec.with_parameter("mri.specificity", 0.7).with_parameter("headache.leak", 0.3)
    off = validate(net, draw_cohort(Network(shifted, pretest=0.35), 10_000, rng=12), rng=1).stages[1]
    print(f"  shifted network (MRI specificity 0.7, headache leak 0.3, P(LM) 35%): slope {off.slope.value:.3f} "
          f"[{off.slope.low:.3f}, {off.slope.high:.3f}], intercept {off.intercept.value:.3f} "
          f"[{off.intercept.low:.3f}, {off.intercept.high:.3f}]")

    base = load_network()
    spec = base.spec
    for path, value in CHANGED.items():
        spec = spec.with_parameter(path, value)
    truth = Network(spec)
    cohorts = [draw_cohort(truth, 20_000, rng=100 + s) for s in range(max(args.seeds, 1))]
    median, low, high, _ = timed(lambda: fit(base, cohorts[0]), args.runs)
    print(f"fit, 20,000 patients: {median:.1f} s [{low:.1f}-{high:.1f}] over {args.runs} runs")

    changed_hits, other_hits = [], []
    for s, c in enumerate(cohorts):
        result = fit(base, c)
        hits = {u.path: u.after.low <= spec.parameters[u.path].value <= u.after.high for u in result.updates}
        missed = sorted(p for p, ok in hits.items() if not ok)
        changed_hits += [hits[p] for p in CHANGED]
        other_hits += [ok for p, ok in hits.items() if p not in CHANGED]
        print(f"  seed {100 + s}: {result.iterations} EM steps; changed covered {sum(hits[p] for p in CHANGED)}/{len(CHANGED)}, "
              f"all {sum(hits.values())}/{len(hits)}; missed: {', '.join(missed)}")
    print(f"coverage of the 95% ranges over {len(cohorts)} cohorts: changed numbers {np.mean(changed_hits):.0%} "
          f"({sum(changed_hits)}/{len(changed_hits)}), unchanged {np.mean(other_hits):.0%} ({sum(other_hits)}/{len(other_hits)})")


if __name__ == "__main__":
    main()
