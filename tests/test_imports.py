"""The command-line query path must not pay for importing pgmpy (seconds) or its stack."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import loaded_modules

HEAVY = ("pgmpy", "networkx", "scipy", "pandas", "sklearn", "torch", "matplotlib", "tqdm")

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
    loaded = loaded_modules(args, tmp_path)
    assert "lmbayes" in loaded and "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_no_top_level_cli_module_is_installed(tmp_path):
    code = "import importlib.util as u; print(u.find_spec('cli'), u.find_spec('lmbayes.cli').origin)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    top, origin = out.split()
    assert top == "None"
    assert origin.endswith("__init__.py")


def test_help_loads_no_command_and_no_numpy(tmp_path):
    code = (
        "import sys\nfrom lmbayes.cli.main import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('numpy', 'lmbayes.cli._', 'lmbayes.network'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path).stdout
    loaded = out.strip().splitlines()[-1]
    assert loaded == "['lmbayes.cli._interrupt', 'lmbayes.cli._words']", loaded


def test_every_command_is_in_the_table_and_the_table_names_only_commands():
    import importlib

    import click

    from lmbayes.cli.main import COMMANDS

    modules = {module for module, _ in COMMANDS.values()}
    found = {
        name: value
        for module in modules
        for name, value in vars(importlib.import_module(module)).items()
        if isinstance(value, click.Command) and not name.startswith("_")
    }
    inside = {id(sub) for group in found.values() if isinstance(group, click.Group) for sub in group.commands.values()}
    defined = {name for name, value in found.items() if id(value) not in inside}
    assert defined == set(COMMANDS)
    for name, (module, summary) in COMMANDS.items():
        assert isinstance(getattr(importlib.import_module(module), name), click.Command)
        assert len(f"  {name:<13}{summary}") <= 80, summary
