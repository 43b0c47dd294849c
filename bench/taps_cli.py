"""Benchmark: `lmbayes taps` end to end, beside the floor of any Python command-line tool.

Run from a checkout after installing the project:

    python bench/taps_cli.py [--runs 5]

Prints the median wall time over the runs of each command and its ratio to
`python -c "import numpy, click"`, measured in the same run.
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


def median_seconds(command: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        # outside any checkout, so that `python -c` imports the installed package
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=tempfile.gettempdir())
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    lmbayes = lmbayes_command()
    commands = {
        'python -c "import numpy, click"': [sys.executable, "-c", "import numpy, click"],
        "lmbayes taps": [*lmbayes, "taps"],
        "lmbayes taps (the case, 2 taps done)": [*lmbayes, "taps", *CASE],
        "lmbayes posterior (the case)": [*lmbayes, "posterior", *CASE],
    }
    median_seconds(commands["lmbayes taps"], 1)  # warm the file cache
    floor = None
    print(f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, median of {runs} runs")
    for name, command in commands.items():
        seconds = median_seconds(command, runs)
        floor = floor or seconds
        print(f"{name:<40} {seconds:6.3f} s  {seconds / floor:5.2f}x floor")


if __name__ == "__main__":
    main()
