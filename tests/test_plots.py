"""Pictures: the tap curve, the replay ladder, the tornado and the network drawing."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
import warnings
from pathlib import Path

import pytest

from lmbayes.cli.main import cli
from lmbayes.plots import PlotError, tornado
from lmbayes.sensitivity import one_way

ROOT = Path(__file__).resolve().parents[1]


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
    assert text.startswith('digraph "breast"') and '"lm" -> "burden";' in text and '"burden" -> "csf_6";' in text
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


# Hostile names and failed writes (issue 14).

HOSTILE = ['a"b', "c{d}", "e\nf", "<b>g</b>", "h\\", "i; j -> k", 'digraph "x" {', "\\N\\G"]


def hostile_spec(breast):
    """A network whose name and node ids are full of quotes, braces, newlines, HTML and backslashes."""
    from lmbayes.spec import Node

    nodes = tuple(
        Node(name, "generic", name, "", ("a", "b"), (HOSTILE[i - 1],) if i else (), observable=True)
        for i, name in enumerate(HOSTILE)
    )
    return dataclasses.replace(breast.spec, name='net" } digraph evil { "x', nodes=nodes)


def dot_tokens(text: str) -> list[str]:
    """A small DOT tokenizer, independent of pydot and Graphviz: quoted strings (unescaped),
    -> and single punctuation; words."""
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            j, value = i + 1, []
            while text[j] != '"':
                if text[j] == "\\" and text[j + 1] in '"\\':
                    value.append(text[j + 1])
                    j += 2
                else:
                    assert text[j] not in "\n\r", "a raw line break inside a quoted string"
                    value.append(text[j])
                    j += 1
            tokens.append('"' + "".join(value))
            i = j + 1
        elif text.startswith("->", i):
            tokens.append("->")
            i += 2
        elif c in "{}[];,=":
            tokens.append(c)
            i += 1
        else:
            j = i
            while j < len(text) and (text[j].isalnum() or text[j] in "_#."):
                j += 1
            assert j > i, f"unexpected character {c!r}"
            tokens.append(text[i:j])
            i = j
    return tokens


def as_shown(name: str) -> str:
    """What a DOT reader gets back for a name: line breaks as \\n, a final backslash padded."""
    name = name.replace("\n", "\\n")
    return name + " " if name.endswith("\\") else name


def test_dot_escapes_every_name(breast):
    """Before: the name went into `digraph "..."` unescaped: a second graph, or no graph at all."""
    from lmbayes.plots import network_dot

    spec = hostile_spec(breast)
    text = network_dot(spec)
    tokens = dot_tokens(text)
    assert tokens[:3] == ["digraph", '"' + spec.name, "{"] and tokens[-1] == "}"
    assert tokens.count("{") == tokens.count("}") == 1 + sum(t == "rank" for t in tokens)
    assert tokens.count("digraph") == 1
    edges = [(tokens[k - 1], tokens[k + 1]) for k, t in enumerate(tokens) if t == "->"]
    assert edges == [('"' + as_shown(a), '"' + as_shown(b)) for a, b in zip(HOSTILE, HOSTILE[1:])]
    try:
        with warnings.catch_warnings():  # pydot uses pyparsing names deprecated in pyparsing 3
            warnings.simplefilter("ignore", DeprecationWarning)
            import pydot

            graphs = pydot.graph_from_dot_data(text)
    except ImportError:
        return
    assert graphs is not None and len(graphs) == 1
    graph = graphs[0]
    assert len(graph.get_edges()) == len(HOSTILE) - 1
    named = {n.get_name() for n in graph.get_nodes()} - {"node"}
    assert len(named) == len(HOSTILE)


def test_drawing_an_imported_network(runner, breast_bif, tmp_path):
    """Nodes of kind 'generic' are drawn; an existing file is replaced, never left empty."""
    for name in ("imported.dot", "imported.png"):
        out = tmp_path / name
        out.write_bytes(b"old")
        result = runner.invoke(cli, ["network", "draw", "--network", str(breast_bif), str(out)])
        assert result.exit_code == 0 and result.output == f"wrote {out}\n", result.output
        assert out.stat().st_size > 1000
    assert '"lm" [label="lm\\n(generic)"' in (tmp_path / "imported.dot").read_text()


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


@pytest.mark.parametrize("interrupt", [OSError(28, "No space left on device"), KeyboardInterrupt()], ids=["disk-full", "ctrl-c"])
def test_a_failed_picture_leaves_the_existing_file_as_it_was(runner, tmp_path, monkeypatch, interrupt):
    """Before: matplotlib wrote straight into the target, so a failure left half a picture."""
    import matplotlib.figure

    def failing(self, path, **kwargs):
        Path(path).write_bytes(b"\x89PNG half a picture")
        raise interrupt

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", failing)
    out = tmp_path / "taps.png"
    out.write_bytes(b"the old picture")
    result = runner.invoke(cli, ["taps", "--plot", str(out)])
    if isinstance(interrupt, OSError):
        assert result.exit_code == 1 and result.output == f"Error: cannot write {out}: No space left on device\n"
    else:
        assert result.exit_code == 130 and result.output.endswith("Interrupted.\n") and "Traceback" not in result.output
    assert out.read_bytes() == b"the old picture" and leftovers(tmp_path) == []


def test_a_failed_drawing_or_export_leaves_the_existing_file_as_it_was(runner, tmp_path, monkeypatch):
    """Before: `network draw` opened (emptied) the file, then crashed; export wrote in place."""
    import lmbayes.plots

    def crash(spec):
        raise KeyError("generic")

    dot = tmp_path / "net.dot"
    dot.write_text("the old drawing")
    monkeypatch.setattr(lmbayes.plots, "network_dot", crash)
    runner.invoke(cli, ["network", "draw", str(dot)])
    assert dot.read_text() == "the old drawing"

    from pgmpy.readwrite import BIFWriter

    def half(self, filename):
        Path(filename).write_text("network unknown {")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(BIFWriter, "write", half)
    bif = tmp_path / "net.bif"
    bif.write_text("the old export")
    result = runner.invoke(cli, ["network", "export", "--format", "bif", str(bif)])
    assert result.exit_code == 1 and result.output == f"Error: cannot write {bif}: No space left on device\n"
    assert bif.read_text() == "the old export" and leftovers(tmp_path) == []


@pytest.mark.parametrize(
    "target, message",
    [
        ("", "no file name given for the picture"),
        ("/dev/full", "unknown picture type for '/dev/full': use .png, .svg or .pdf"),
        ("{tmp}/pipe.png", "'{tmp}/pipe.png' is not a regular file; give the name of a file to write the picture to"),
        ("{tmp}", "is a directory"),
        ("{tmp}/taps.txt", "unknown picture type for '{tmp}/taps.txt': use .png, .svg or .pdf"),
    ],
    ids=["empty", "device", "fifo", "folder", "suffix"],
)
def test_plot_targets_that_are_not_picture_files_are_one_line(runner, tmp_path, target, message):
    """Before: --plot '' wrote nothing and exited 0; /dev/full got a new file /dev/full.png."""
    os.mkfifo(tmp_path / "pipe.png")
    result = runner.invoke(cli, ["taps", "--plot", target.format(tmp=tmp_path)])
    assert result.exit_code == 2
    assert result.output.startswith("Error: ") and message.format(tmp=tmp_path) in result.output
    assert len(result.output.splitlines()) == 1


def test_plot_says_what_it_wrote_and_keeps_the_permissions(runner, tmp_path):
    out = tmp_path / "taps.svg"
    out.write_text("old")
    out.chmod(0o640)
    result = runner.invoke(cli, ["taps", "--plot", str(out), "--json"])
    assert result.exit_code == 0 and result.stderr == f"wrote {out}\n"
    assert out.read_text().lstrip().startswith("<?xml") and (out.stat().st_mode & 0o777) == 0o640


def test_the_network_layout_uses_graphviz_when_installed_and_falls_back(monkeypatch):
    import shutil

    import networkx as nx

    from lmbayes import plots

    graph = nx.DiGraph([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert plots._graphviz_positions(graph) is None  # no dot: the layered layout by kind
    monkeypatch.undo()
    positions = plots._graphviz_positions(graph)
    if shutil.which("dot") is not None:
        assert positions["a"][1] > positions["b"][1] == positions["c"][1] > positions["d"][1]
        assert abs(positions["b"][0] - positions["c"][0]) == 1.3  # evenly spaced within a rank
    else:
        assert positions is None


def test_stepped_replay_writes_one_slide_per_step_in_order(runner, tmp_path):
    from lmbayes.cases import load_case

    folder = tmp_path / "slides"
    result = runner.invoke(cli, ["replay", "seed_case", "--step", "--plot", str(folder)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"seed_case-{k:02d}.png" for k in range(1, len(load_case("seed_case")[0].steps) + 1)]
    assert "wrote 8 pictures to" in result.stderr and "seed_case-01.png ... seed_case-08.png" in result.stderr
    sizes = set()
    for path in folder.iterdir():
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        sizes.add((int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")))
    assert len(sizes) == 1  # every slide the same size, 16:9 for a projector
    (w, h), = sizes
    assert (w, h) == (2000, 1125)
    # the size the docs state is the size drawn
    stated = re.findall(r"(\d+) x (\d+) pixels", (ROOT / "docs" / "teaching.md").read_text(encoding="utf-8"))
    assert stated and all((int(a), int(b)) == (w, h) for a, b in stated)


def test_slides_into_a_file_is_refused(runner, tmp_path):
    path = tmp_path / "taken.png"
    path.write_bytes(b"x")
    result = runner.invoke(cli, ["replay", "seed_case", "--step", "--plot", str(path)])
    assert result.exit_code == 1
    assert result.output == f"Error: '{path}' is a file: slides go into a folder, one picture per step\n"
    assert path.read_bytes() == b"x"
