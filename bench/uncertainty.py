"""Benchmark: the tap table's uncertainty over parameter draws, lmbayes against pgmpy.

    python bench/uncertainty.py [--draws 10000] [--pgmpy-draws 20]

lmbayes evaluates all draws at once (one batched einsum per query). The pgmpy baseline does
the same work the only way pgmpy offers: for each draw, build a DiscreteBayesianNetwork with
those tables and run VariableElimination queries. It is timed on --pgmpy-draws draws and
scaled to --draws (the per-draw cost is constant).
"""

from __future__ import annotations

import argparse
import statistics
import time

import lmbayes
from lmbayes.spec import tap_id
from lmbayes.tables import build_tables
from lmbayes.uncertainty import draw_parameters, tap_intervals

CASE = {
    "systemic_status": "active_recurrence", "cranial_nerve_palsy": "present", "limb_weakness": "present",
    "bladder_bowel": "present", "mri": "normal", "mri_compression": "absent", "mri_parenchymal": "absent",
    "antibody_panel": "negative",
}  # fmt: skip
CSF = ["negative", "negative"]


def lmbayes_seconds(net: lmbayes.Network, n: int, repeats: int = 3) -> float:
    times = []
    for seed in range(repeats):
        start = time.perf_counter()
        draws = draw_parameters(net.spec, n, seed)
        tap_intervals(net, net.observe(CASE, CSF), draws=draws)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pgmpy_seconds_per_draw(net: lmbayes.Network, n: int) -> float:
    from pgmpy.inference import VariableElimination

    from lmbayes._pgmpy import to_pgmpy
    from lmbayes.tables import Tables

    draws = draw_parameters(net.spec, n, 0)
    batched = build_tables(net.spec, values=draws.values)
    start = time.perf_counter()
    for j in range(n):
        tables = Tables(batched.variables, batched.states, batched.parents, {k: v[j] for k, v in batched.cpts.items()})
        inference = VariableElimination(to_pgmpy(tables))
        evidence = {**CASE, **{tap_id(k + 1): r for k, r in enumerate(CSF)}}
        inference.query(["lm"], evidence=evidence, show_progress=False)
        for k in range(len(CSF) + 1, net.spec.n_taps + 1):
            for result in ("positive", "negative"):
                inference.query(["lm"], evidence={**evidence, tap_id(k): result}, show_progress=False)
            evidence[tap_id(k)] = "negative"
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--pgmpy-draws", type=int, default=20)
    args = parser.parse_args()
    net = lmbayes.load_network()
    ours = lmbayes_seconds(net, args.draws)
    per_draw = pgmpy_seconds_per_draw(net, args.pgmpy_draws)
    theirs = per_draw * args.draws
    print(f"tap table with 95% intervals, the case after two negative taps, {args.draws:,} draws")
    print(f"lmbayes (batched numpy, median of 3)   {ours:8.3f} s")
    print(f"pgmpy (build + VariableElimination per draw, {per_draw * 1000:.1f} ms/draw x {args.draws:,})  {theirs:8.1f} s")
    print(f"ratio                                    {theirs / ours:8.0f}x")


if __name__ == "__main__":
    main()
