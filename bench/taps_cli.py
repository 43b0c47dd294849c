"""Benchmark: `lmbayes taps` end to end, beside the floor of any Python command-line tool.

Run from a checkout after installing the project:

    python bench/taps_cli.py [--runs 5]

Each run times the floor (`python -c "import numpy, click"`) and then each command, back to
back, so that every ratio is a pair measured under the same load; prints the median time of
each command and the median and [min-max] of its paired ratios to the floor.
"""

from __future__ import annotations

import argparse
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


def seconds(command: list[str]) -> float:
    start = time.perf_counter()
    # outside any checkout, so that `python -c` imports the installed package
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    lmbayes = lmbayes_command()
    floor_command = [sys.executable, "-c", "import numpy, click"]
    commands = {
        "lmbayes taps": [*lmbayes, "taps"],
        "lmbayes taps (the case, 2 taps done)": [*lmbayes, "taps", *CASE],
        "lmbayes posterior (the case)": [*lmbayes, "posterior", *CASE],
        "lmbayes --help": [*lmbayes, "--help"],
    }
    seconds(commands["lmbayes taps"])  # warm the file cache
    floors: list[float] = []
    times: dict[str, list[float]] = {name: [] for name in commands}
    ratios: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        floor = seconds(floor_command)
        floors.append(floor)
        for name, command in commands.items():
            t = seconds(command)
            times[name].append(t)
            ratios[name].append(t / floor)
    print(f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, {runs} paired runs")
    label = 'floor: python -c "import numpy, click"'
    print(f"{label:<40} {statistics.median(floors):6.3f} s")
    for name in commands:
        r = ratios[name]
        print(f"{name:<40} {statistics.median(times[name]):6.3f} s  {statistics.median(r):5.2f}x floor [{min(r):.2f}-{max(r):.2f}]")


if __name__ == "__main__":
    main()
