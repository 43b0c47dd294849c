"""Pictures: the tap curve, the replay ladder, the tornado and the network drawing."""

from __future__ import annotations

import sys

import pytest

from lmbayes.cli.main import cli
from lmbayes.plots import PlotError, tornado
from lmbayes.sensitivity import one_way


def test_pictures(runner, tmp_path):
    outputs = {
        "replay.png": ["replay", "seed_case", "--plot"],
        "taps.png": ["taps", "-e", "mri=normal", "--plot"],
        "network.png": ["network", "draw"],
        "network.svg": ["network", "draw"],
    }
    for name, args in outputs.items():
        result = runner.invoke(cli, [*args, str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        assert (tmp_path / name).stat().st_size > 10_000, name
    assert (tmp_path / "replay.png").read_bytes()[:4] == b"\x89PNG"
    dot = tmp_path / "network.dot"
    assert runner.invoke(cli, ["network", "draw", str(dot)]).exit_code == 0
    text = dot.read_text()
    assert text.startswith('digraph "breast"') and '"lm" -> "shedding";' in text and '"shedding" -> "csf_6";' in text
    bad = runner.invoke(cli, ["network", "draw", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and "use .dot, .gv, .png, .svg or .pdf" in bad.output


def test_plot_without_matplotlib_says_how_to_install(runner, breast, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PlotError) as info:  # the library names no command-line option
        tornado(one_way(breast, breast.observe()), breast.posterior().p_target, tmp_path / "x.png", "title")
    assert str(info.value) == "drawing a picture needs matplotlib: pip install 'lmbayes[plot]'"
    result = runner.invoke(cli, ["sensitivity", "--plot", str(tmp_path / "x.png")])
    assert result.exit_code == 1
    assert result.output == "Error: drawing a picture needs matplotlib: pip install 'lmbayes[plot]'\n"
    assert not (tmp_path / "x.png").exists()
