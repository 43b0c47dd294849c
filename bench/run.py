"""All lmbayes benchmarks, each beside its baseline measured in the same run.

    python bench/run.py [--runs 5] [--quick]

Run it after installing the project (pgmpy comes with it). Not part of the test run: timings
are measured here, never asserted in tests. --quick skips pgmpy's 10^6-patient sampling.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import taps_cli  # noqa: E402
import uncertainty  # noqa: E402

import lmbayes  # noqa: E402
from lmbayes.simulate import forward_sample, parse_strategy, simulate  # noqa: E402

CASE = uncertainty.CASE
PGMPY_TAPS = """
import warnings; warnings.simplefilter("ignore")
import lmbayes
from lmbayes._pgmpy import query
net = lmbayes.load_network()
model = net.to_pgmpy()
evidence = {case!r}
for k in range(3, 7):
    query(model, {{**evidence, f"csf_{{k}}": "positive"}}, ["lm"])
    evidence[f"csf_{{k}}"] = "negative"
    query(model, evidence, ["lm"])
"""


def best_of(fn: Callable[[], object], runs: int) -> float:
    """The fastest of ``runs`` timings: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def row(name: str, seconds: float, baseline_name: str, baseline: float) -> None:
    print(f"  {name:<44} {seconds:9.4f} s   {baseline_name:<34} {baseline:9.4f} s   {baseline / seconds:7.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    print(f"lmbayes benchmarks: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print("  (each figure, its baseline, and baseline / figure: above 1 means lmbayes is faster)\n")

    lm = taps_cli.lmbayes_command()
    evidence = {**CASE, "csf_1": "negative", "csf_2": "negative"}
    pairs = []  # (floor, lmbayes) measured back to back, so that each ratio shares its load
    for _ in range(args.runs):
        pairs.append((taps_cli.seconds([sys.executable, "-c", "import numpy, click"]), taps_cli.seconds([*lm, "taps", *taps_cli.CASE])))
    floor = statistics.median(f for f, _ in pairs)
    ours = statistics.median(t for _, t in pairs)
    ratios = [t / f for f, t in pairs]
    pgmpy_cli = statistics.median(
        taps_cli.seconds([sys.executable, "-c", PGMPY_TAPS.format(case=evidence)]) for _ in range(max(2, args.runs // 2))
    )
    print(f"Command line, the case's tap table, median wall time over {args.runs} paired runs:")
    print(f"  lmbayes taps {ours:.3f} s; floor `python -c \"import numpy, click\"` {floor:.3f} s: "
          f"{statistics.median(ratios):.2f}x the floor [{min(ratios):.2f}-{max(ratios):.2f}]")
    row("lmbayes taps", ours, "pgmpy (import, build, query)", pgmpy_cli)

    net = lmbayes.load_network()
    model = net.to_pgmpy()
    from pgmpy.inference import VariableElimination

    infer = VariableElimination(model)
    print("\nOne posterior query, P(LM | the case, two negative taps), in process (fastest of 50):")
    ours_q = best_of(lambda: net.posterior(CASE, csf=["negative", "negative"], nodes=["lm"]), 50)
    theirs_q = best_of(lambda: infer.query(["lm"], evidence=evidence, show_progress=False), 50)
    row("lmbayes engine (numpy einsum)", ours_q, "pgmpy VariableElimination", theirs_q)

    from pgmpy.sampling import BayesianModelSampling

    sampler = BayesianModelSampling(model)
    print("\nForward sampling of every node (fastest of 5; pgmpy of 3, or 1 at 10^6):")
    for n in (100_000, 1_000_000):
        ours_s = best_of(lambda n=n: forward_sample(net, n, 0), 5)
        if n == 1_000_000 and args.quick:
            print(f"  lmbayes forward_sample, {n:,} patients       {ours_s:9.4f} s   (pgmpy skipped with --quick)")
            continue
        theirs_s = best_of(lambda n=n: sampler.forward_sample(size=n, show_progress=False), 3 if n < 1_000_000 else 1)
        row(f"lmbayes forward_sample, {n:,} patients", ours_s, "pgmpy forward_sample", theirs_s)

    print("\nSimulation, patients like the case through 3 taps (exact conditional sampling, fastest of 3):")
    strategy = [parse_strategy("3taps")]
    findings = net.observe(CASE)
    sim = best_of(lambda: simulate(net, findings, strategies=strategy, patients=1_000_000, rng=0), 3)
    print(f"  lmbayes simulate, 1,000,000 patients        {sim:9.4f} s   (target: under 3 s)")

    print("\nUncertainty, the case's tap table with 95% intervals, 10,000 draws:")
    ours_u = uncertainty.lmbayes_seconds(net, 10_000)
    theirs_u = uncertainty.pgmpy_seconds_per_draw(net, 20) * 10_000
    row("lmbayes, all draws batched", ours_u, "pgmpy, per draw (20, scaled)", theirs_u)


if __name__ == "__main__":
    main()
