"""Benchmark: `lmbayes taps` end to end, beside the floor of any Python command-line tool.

Run from a checkout after installing the project:

    python bench/taps_cli.py [--runs 5]

Each pair times the floor (`python -c "import numpy, click"`, or `python -c "import click"`
for --help) and then the command, back to back, so that every ratio is measured under the same
load; prints the median time of each command and the median and [min-max] of its ratios. The
commands run with a warm cache of built networks (in a folder of the benchmark's own) and
with bytecode, as for a user.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASE = [
    "-e", "systemic_status=active_recurrence", "-e", "cranial_nerve_palsy=present",
    "-e", "limb_weakness=present", "-e", "bladder_bowel=present", "-e", "mri=normal",
    "-e", "mri_compression=absent", "-e", "mri_parenchymal=absent", "-e", "antibody_panel=negative", "--csf", "neg,neg",
]  # fmt: skip


def lmbayes_command() -> list[str]:
    script = Path(sys.executable).with_name("lmbayes")
    found = str(script) if script.exists() else shutil.which("lmbayes")
    if found is None:
        sys.exit("lmbayes is not installed next to this Python; install the project first")
    return [found]


def environment(cache: str) -> dict[str, str]:
    """The environment of a user's shell: bytecode written and read (a development shell may set
    PYTHONDONTWRITEBYTECODE, which makes every start compile lmbayes again) and the benchmark's
    own cache folder."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["LMBAYES_CACHE_DIR"] = cache
    return env


def seconds(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    # outside any checkout, so that `python -c` imports the installed package
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir(), env=env)
    return time.perf_counter() - start


def ratio_row(name: str, times: list[float], floors: list[float], floor_name: str) -> str:
    r = [t / f for t, f in zip(times, floors)]
    return f"  {name:<38} {statistics.median(times):6.3f} s  {statistics.median(r):5.2f}x {floor_name} [{min(r):.2f}-{max(r):.2f}]"


def startup(runs: int) -> None:
    """Each command beside its floor, back to back, with a warm cache (the usual case)."""
    lmbayes = lmbayes_command()
    floors = {"numpy": [sys.executable, "-c", "import numpy, click"], "click": [sys.executable, "-c", "import click"]}
    commands = {
        "lmbayes taps": ([*lmbayes, "taps"], "numpy"),
        "lmbayes taps (the case, 2 taps done)": ([*lmbayes, "taps", *CASE], "numpy"),
        "lmbayes posterior (the case)": ([*lmbayes, "posterior", *CASE], "numpy"),
        "lmbayes --help": ([*lmbayes, "--help"], "click"),
    }
    with tempfile.TemporaryDirectory() as cache:
        env = environment(cache)
        cold = seconds(commands["lmbayes taps"][0], env)  # builds the cache (and the bytecode)
        for command, _ in commands.values():
            seconds(command, env)
        floor_times: dict[str, list[float]] = {k: [] for k in floors}
        times: dict[str, list[float]] = {name: [] for name in commands}
        pairs: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(runs):
            for name, (command, floor) in commands.items():
                f = seconds(floors[floor], env)
                floor_times[floor].append(f)
                pairs[name].append(f)
                times[name].append(seconds(command, env))
    print(f"Start-up, {runs} pairs: each command right after its floor; ratio median [min-max]")
    print(f"  floor `python -c \"import numpy, click\"`     {statistics.median(floor_times['numpy']):6.3f} s")
    print(f"  floor `python -c \"import click\"`            {statistics.median(floor_times['click']):6.3f} s")
    for name, (_, floor) in commands.items():
        print(ratio_row(name, times[name], pairs[name], "floor"))
    print(f"  (lmbayes taps with an empty cache, once: {cold:.3f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    startup(parser.parse_args().runs)


if __name__ == "__main__":
    main()
