"""The command-line query path must not pay for importing pgmpy (seconds) or its stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pgmpy", "networkx", "scipy", "pandas", "sklearn", "torch")

SCRIPT = """
import json, sys
from lmbayes.cli.main import cli
cli.main({args!r}, standalone_mode=False)
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


@pytest.mark.parametrize(
    "args",
    [
        ["taps"],
        ["taps", "-e", "systemic_status=active_recurrence", "-e", "mri=normal", "--csf", "neg,neg"],
        ["posterior", "-e", "headache=present", "--json"],
        ["network", "show"],
    ],
    ids=["taps", "taps-case", "posterior", "network-show"],
)
def test_query_path_loads_no_heavy_module(args):
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(args=args)], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert "lmbayes" in loaded and "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)
