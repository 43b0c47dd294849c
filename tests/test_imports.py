"""The command-line query path must not pay for importing pgmpy (seconds) or its stack."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("pgmpy", "networkx", "scipy", "pandas", "sklearn", "torch", "matplotlib", "tqdm")

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
        ["replay", "typical_mri_negative_taps", "--json"],
    ],
    ids=["taps", "taps-case", "posterior", "network-show", "replay"],
)
def test_query_path_loads_no_heavy_module(args, tmp_path):
    # run outside the checkout, so that the installed package is imported
    out = subprocess.run(
        [sys.executable, "-c", SCRIPT.format(args=args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    ).stdout
    loaded = set(json.loads(out.strip().splitlines()[-1]))
    assert "lmbayes" in loaded and "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_no_top_level_cli_module_is_installed(tmp_path):
    code = "import importlib.util as u; print(u.find_spec('cli'), u.find_spec('lmbayes.cli').origin)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    top, origin = out.split()
    assert top == "None"
    assert origin.endswith("__init__.py")
