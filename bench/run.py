"""All lmbayes benchmarks, each beside its baseline measured in the same run.

    python bench/run.py [--runs 7] [--quick] [--page docs/performance.md]

Run it after installing the project with its bench extra (`pip install '.[bench]'`: pyAgrum,
the second peer; pgmpy comes with lmbayes). Not part of the test run: timings are measured
here, never asserted in tests. Every figure is a median; every ratio the median and [min-max]
of ratios of pairs timed back to back, so that each pair shares the machine's load. --quick
skips the 10^6-draw and 10^6-patient rows. --page writes the output into the page's block
between the lines "<!-- bench/run.py: begin -->" and "<!-- bench/run.py: end -->", with the
command and the date, so that the performance page shows a run, not a copy of one.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import sizes  # noqa: E402
import taps_cli  # noqa: E402
import uncertainty  # noqa: E402

import lmbayes  # noqa: E402
from lmbayes.simulate import forward_sample, parse_strategy, simulate  # noqa: E402

CASE = uncertainty.CASE
AGRUM_SCRIPT = """
import pyagrum as gum
bn = gum.loadBN({path!r})
ie = gum.LazyPropagation(bn)
ie.setEvidence({evidence!r})
ie.makeInference()
for v in bn.names():
    ie.posterior(v)
"""


def median_seconds(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def spread(ratios: list[float]) -> str:
    return f"{statistics.median(ratios):.2f}x [{min(ratios):.2f}-{max(ratios):.2f}]"


def imported_bif(runs: int) -> None:
    """The whole command on a public network file: lmbayes with an empty cache (the first
    command on the file: read, check, keep, answer) and with a warm one, each beside a pyAgrum
    script that imports pyAgrum, loads the same file and queries every node."""
    lm = taps_cli.lmbayes_command()
    print(f"\nImported networks, the whole command (every node's posterior), {runs} pairs;"
          " ratio to the pyAgrum script, median [min-max]:")
    with tempfile.TemporaryDirectory() as folder:
        for name, suffix in (("alarm", "bif"), ("insurance", "bif"), ("andes", "bif"), ("andes", "bifxml")):
            path = sizes.public_bif(name, Path(folder))  # pyAgrum cannot parse CHILD's state "Asy/Patch"
            if path is None:
                print(f"  {name}: pgmpy's copy not found")
                continue
            if suffix == "bifxml":  # the same network as pyAgrum writes XMLBIF
                import pyagrum as gum

                xml = path.with_suffix(".bifxml")
                gum.saveBN(gum.loadBN(str(path)), str(xml))
                path = xml
            from lmbayes._bif import read_tables

            evidence = sizes.likely_evidence(read_tables(path))
            args = [a for v, s in evidence.items() for a in ("-e", f"{v}={s}")]
            command = [*lm, "posterior", "--network", str(path), *args]
            agrum = [sys.executable, "-c", AGRUM_SCRIPT.format(path=str(path), evidence=evidence)]
            cold, warm, theirs = [], [], []
            for _ in range(runs):
                with tempfile.TemporaryDirectory() as cache:
                    env = taps_cli.environment(cache)
                    theirs.append(taps_cli.seconds(agrum, env))
                    cold.append(taps_cli.seconds(command, env))
                    warm.append(taps_cli.seconds(command, env))
            label = f"{name} ({suffix.upper()})"
            print(f"  {label:<18} pyAgrum script {statistics.median(theirs):6.3f} s"
                  f"   lmbayes first {statistics.median(cold):6.3f} s {spread([c / t for c, t in zip(cold, theirs)])}"
                  f"   kept {statistics.median(warm):6.3f} s {spread([w / t for w, t in zip(warm, theirs)])}", flush=True)


PEAK = "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"


def streamed_draws(quick: bool) -> None:
    lm = taps_cli.lmbayes_command()
    print("\nUncertainty streams its draws: `lmbayes taps --uncertainty --draws N` (the case), time and peak memory:")
    for n in (10**5,) if quick else (10**5, 10**6):
        start = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", PEAK, *lm, "taps", *taps_cli.CASE, "--uncertainty", "--draws", str(n), "--yes"],
                             capture_output=True, text=True, check=True).stdout
        seconds = time.perf_counter() - start
        print(f"  {n:>9,} draws  {seconds:6.1f} s  peak {int(out) / 1024:5.0f} MiB   (target: under 300 MiB)")


def pgmpy_rows(runs: int, quick: bool) -> None:
    net = lmbayes.load_network()
    model = net.to_pgmpy()
    from pgmpy.inference import VariableElimination
    from pgmpy.sampling import BayesianModelSampling

    evidence = {**CASE, "csf_1": "negative", "csf_2": "negative"}
    infer = VariableElimination(model)
    print(f"\nBeside pgmpy 1.x, in process (median of {runs}):")
    ratios = []
    for _ in range(runs):
        ours = median_seconds(lambda: net.posterior(CASE, csf=["negative", "negative"], nodes=["lm"]), 20)
        theirs = median_seconds(lambda: infer.query(["lm"], evidence=evidence, show_progress=False), 20)
        ratios.append(ours / theirs)
    print(f"  P(LM | the case, two negative taps)           {ours * 1e3:7.2f} ms   pgmpy VariableElimination {theirs * 1e3:7.2f} ms   {spread(ratios)}")
    sampler = BayesianModelSampling(model)
    for n in (100_000,) if quick else (100_000, 1_000_000):
        ours = median_seconds(lambda n=n: forward_sample(net, n, 0), 3)
        theirs = median_seconds(lambda n=n: sampler.forward_sample(size=n, show_progress=False), 1)
        print(f"  forward sampling, {n:>9,} patients          {ours:7.3f} s    pgmpy forward_sample      {theirs:7.3f} s    {ours / theirs:.3f}x")
    if not quick:
        findings = net.observe(CASE)
        sim = median_seconds(lambda: simulate(net, findings, strategies=[parse_strategy("3taps")], patients=1_000_000, rng=0), 3)
        print(f"  simulate, 1,000,000 patients through 3 taps   {sim:7.3f} s    (target: under 3 s)")
    ours_u = uncertainty.lmbayes_seconds(net, 10_000)
    theirs_u = uncertainty.pgmpy_seconds_per_draw(net, 20) * 10_000
    print(f"  tap table with 95% intervals, 10,000 draws    {ours_u:7.3f} s    pgmpy per draw (20, scaled) {theirs_u:7.1f} s   {ours_u / theirs_u:.4f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--page", type=Path, help="write the output into this page's marked block")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    if args.page is not None:
        import contextlib
        import datetime
        import io

        captured = io.StringIO()
        with contextlib.redirect_stdout(Tee(sys.stdout, captured)):
            run(args)
        command = "python bench/run.py " + " ".join(a for a in sys.argv[1:] if not a.startswith("--page") and a != str(args.page))
        write_page(args.page, f"$ {command.strip()}   # {datetime.date.today().isoformat()}\n" + captured.getvalue())
        return
    run(args)


class Tee:
    def __init__(self, *streams) -> None:
        self.streams = streams

    def write(self, text: str) -> int:
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self) -> None:
        for s in self.streams:
            s.flush()


BEGIN, END = "<!-- bench/run.py: begin -->", "<!-- bench/run.py: end -->"


def write_page(page: Path, output: str) -> None:
    text = page.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    page.write_text(f"{head}{BEGIN}\n```text\n{output.rstrip()}\n```\n{END}{tail}", encoding="utf-8")


def run(args: argparse.Namespace) -> None:
    print(f"lmbayes benchmarks: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}\n")
    taps_cli.startup(args.runs)
    print()
    sizes.main(args.runs)
    imported_bif(max(5, args.runs // 2 + 2))
    streamed_draws(args.quick)
    pgmpy_rows(args.runs, args.quick)


if __name__ == "__main__":
    main()
