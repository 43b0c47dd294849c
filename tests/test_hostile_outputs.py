"""Issue 27, paths that escape and text that becomes control: every file written is the one
the user named, inside the folder the user named, never a file lmbayes ships; every text
output reaches the terminal as text; every CSV cell a spreadsheet would run is neutralised."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from lmbayes import networks
from lmbayes._text import spreadsheet_cell
from lmbayes.cases import available_cases
from lmbayes.cli.main import cli

NETWORK = networks.available()["breast"].read_text(encoding="utf-8")
CASE = available_cases()["seed_case"].read_text(encoding="utf-8")
SHIPPED = networks.available()["breast"].parent
RAW = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def run(args: list[str], **kwargs) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, color=True, **kwargs)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def one_error(code: int, stderr: str) -> None:
    assert code in (1, 2), stderr
    lines = [line for line in stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr


def files_under(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*")}


# -- paths that escape -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ["../x", "../../escaped", "/tmp/lmbayes-absolute", "sub/dir", "-rf", ".hidden"],
                         ids=["parent", "grandparent", "absolute", "sub-folder", "dash", "dot"])
def test_replay_slides_stay_inside_the_folder_named(tmp_path, monkeypatch, name):
    pytest.importorskip("matplotlib")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    case = work / "case.yaml"
    first_step = CASE[: CASE.index("  - label: Asymmetric")]  # two slides, not nine: the names are the point
    case.write_text(first_step.replace("name: seed_case", f"name: {json.dumps(name)}"), encoding="utf-8")
    before = files_under(tmp_path)
    code, _, err = run(["replay", str(case), "--step", "--plot", "slides"], input="")
    assert code == 0, err
    made = files_under(tmp_path) - before
    slides = work / "slides"
    assert made and all(p == slides or slides in p.parents for p in made), sorted(made)
    assert all(p.parent == slides and p.suffix == ".png" and not p.name.startswith((".", "-")) for p in made if p != slides)
    assert not Path("/tmp/lmbayes-absolute-01.png").exists()


@pytest.mark.parametrize("folder", ["", " "], ids=["empty", "blank"])
def test_replay_slides_need_a_folder_name(tmp_path, monkeypatch, folder):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    code, _, err = run(["replay", "seed_case", "--step", "--plot", folder], input="")
    one_error(code, err)
    assert list(tmp_path.iterdir()) == []


SHIPPED_WRITES = {
    "fit --out a shipped network": ["fit", "breast_cohort", "--out", "{shipped}/breast.yaml"],
    "fit --out a new file among the networks": ["fit", "breast_cohort", "--out", "{shipped}/new.yaml"],
    "simulate --out into the cases": ["simulate", "--cohort", "10", "--out", "{shipped}/cases/x.csv"],
    "simulate --out over the shipped cohort": ["simulate", "--cohort", "10", "--out", "{shipped}/breast_cohort.csv"],
    "network draw": ["network", "draw", "{shipped}/breast.dot"],
    "network copy": ["network", "copy", "breast", "{shipped}/copy.yaml"],
    "taps --plot": ["taps", "--plot", "{shipped}/taps.png"],
    "sensitivity --plot": ["sensitivity", "--plot", "{shipped}/tornado.svg"],
    "replay --plot": ["replay", "seed_case", "--plot", "{shipped}/cases/ladder.png"],
    "replay --step --plot": ["replay", "seed_case", "--step", "--plot", "{shipped}/cases"],
    "validate --plot": ["validate", "breast_cohort", "--bootstrap", "0", "--plot", "{shipped}/calibration.png"],
}


@pytest.mark.parametrize("what", sorted(SHIPPED_WRITES), ids=sorted(SHIPPED_WRITES))
def test_nothing_lmbayes_ships_is_ever_written(what):
    before = {p: p.read_bytes() for p in SHIPPED.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    args = [a.format(shipped=SHIPPED) for a in SHIPPED_WRITES[what]]
    code, _, err = run(args, input="")
    one_error(code, err)
    assert "never overwritten" in err or "exists" in err or "the network file read" in err, err
    after = {p: p.read_bytes() for p in SHIPPED.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert after == before


def test_a_link_to_a_shipped_file_is_followed_and_refused(tmp_path):
    link = tmp_path / "mine.yaml"
    link.symlink_to(SHIPPED / "breast.yaml")
    before = (SHIPPED / "breast.yaml").read_bytes()
    code, _, err = run(["fit", "breast_cohort", "--out", str(link)])
    one_error(code, err)
    assert (SHIPPED / "breast.yaml").read_bytes() == before


def test_fit_never_writes_over_the_network_it_read(tmp_path):
    mine = tmp_path / "mine.yaml"
    mine.write_text(NETWORK, encoding="utf-8")
    code, _, err = run(["fit", "--network", str(mine), "breast_cohort", "--out", str(mine)])
    one_error(code, err)
    assert mine.read_text(encoding="utf-8") == NETWORK


def test_export_never_writes_over_the_network_it_read(tmp_path):
    pytest.importorskip("pgmpy")
    bif = tmp_path / "net.bif"
    code, _, err = run(["network", "export", str(bif)])
    assert code == 0, err
    before = bif.read_bytes()
    code, _, err = run(["network", "export", "--network", str(bif), "--format", "bif", str(bif)])
    one_error(code, err)
    assert "the network file read" in err and bif.read_bytes() == before


def test_a_cohort_named_like_a_source_does_not_replace_its_citation(tmp_path):
    import yaml

    cohort = tmp_path / "glantz1998.csv"
    cohort.write_bytes((SHIPPED / "breast_cohort.csv").read_bytes())
    out = tmp_path / "fitted.yaml"
    code, _, err = run(["fit", str(cohort), "--out", str(out)])
    assert code == 0, err
    sources = yaml.safe_load(out.read_text(encoding="utf-8"))["sources"]
    original = yaml.safe_load(NETWORK)["sources"]
    assert sources["glantz1998"] == original["glantz1998"]
    assert "glantz1998.csv" in sources["glantz1998_cohort"]
    assert {k: v for k, v in sources.items() if k != "glantz1998_cohort"} == original


# -- text that becomes control ---------------------------------------------------------------

HOSTILE_TEXT = "\x1b[2J\x1b]0;owned\x07\r\u202e\x9b31m\x7f"


def hostile_network(tmp_path: Path) -> Path:
    text = NETWORK
    for pattern in (r"^    label: Cranial nerve palsy$", r"^    label: CSF white cell count$", r"^    label: CSF tumour DNA$"):
        text = re.sub(pattern, lambda m: m.group(0).split(":")[0] + ": " + json.dumps(m.group(0).split(": ")[1] + HOSTILE_TEXT), text, count=1, flags=re.M)
    text = re.sub(r"^title: (.*)$", lambda m: "title: " + json.dumps(m.group(1) + HOSTILE_TEXT), text, count=1, flags=re.M)
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    return path


COMMANDS = [
    ["plan", "--network", "{net}"],
    ["plan", "--network", "{net}", "--csv"],
    ["plan", "--network", "{net}", "--json"],
    ["taps", "--network", "{net}", "--with", "routine,ctdna"],
    ["taps", "--network", "{net}", "--json"],
    ["posterior", "--network", "{net}", "-e", "cranial_nerve_palsy=present"],
    ["explain", "--network", "{net}", "-e", "cranial_nerve_palsy=present"],
    ["network", "show", "--network", "{net}"],
    ["network", "show", "--network", "{net}", "--json"],
    ["network", "nodes", "--network", "{net}"],
    ["sensitivity", "--network", "{net}", "--csv"],
    ["dependence", "--network", "{net}"],
]


@pytest.mark.parametrize("args", COMMANDS, ids=[" ".join(a[:1] + a[3:]) for a in COMMANDS])
def test_no_control_character_of_a_file_reaches_the_terminal(tmp_path, args):
    net = hostile_network(tmp_path)
    code, out, err = run([a.format(net=net) for a in args])
    assert code == 0, err
    assert not RAW.search(out + err), repr(RAW.search(out + err))
    if "--json" in args:
        json.loads(out)


@pytest.mark.parametrize("name", ["out\x1b]0;title\x07.csv", "out\x1b[2J.csv", "out\u202etxt.csv"], ids=["OSC", "CSI", "bidi"])
def test_simulate_out_names_the_file_escaped(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(["simulate", "--cohort", "5", "--out", name])
    assert code == 0, err
    assert (tmp_path / name).is_file()
    assert not RAW.search(out + err), repr(out)
    assert "\\u001b" in out or "\\u202e" in out


def test_a_file_name_with_control_characters_is_escaped_in_errors(tmp_path):
    code, out, err = run(["validate", str(tmp_path / "no\x1b[2Jsuch.csv")])
    one_error(code, err)
    assert not RAW.search(out + err)


@pytest.mark.parametrize(
    "cell, shown",
    [("=HYPERLINK(\"x\")", "'=HYPERLINK(\"x\")"), ("+1+1", "'+1+1"), ("-1+A1", "'-1+A1"), ("@SUM(A1)", "'@SUM(A1)"),
     ("\tx", "'\tx"), ("\rx", "'\rx"), ("-0.25", "-0.25"), ("+3", "+3"), ("-1e-05", "-1e-05"), ("lm", "lm"),
     (-0.25, -0.25), (None, None), ("", "")],
    ids=["equals", "plus", "minus", "at", "tab", "return", "negative text number", "plus number", "exponent",
         "word", "negative float", "none", "empty"],
)
def test_spreadsheet_cells(cell, shown):
    assert spreadsheet_cell(cell) == shown


def test_plan_csv_neutralises_formula_cells_and_keeps_negative_numbers(tmp_path):
    text = NETWORK.replace("label: Gadolinium MRI of brain and spine", 'label: "=HYPERLINK(\\"http://x\\",\\"MRI\\")"', 1)
    assert text != NETWORK
    net = tmp_path / "formula.yaml"
    net.write_text(text, encoding="utf-8")
    code, out, err = run(["plan", "--network", str(net), "--csv"])
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    labels = {r[1] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\",\"MRI\")" in labels
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r)
    code, out, _ = run(["taps", "--network", str(net), "--csv", "-e", "mri=normal"])
    changes = [r[4] for r in list(csv.reader(io.StringIO(out)))[1:]]
    assert changes and all(float(c) < 0 for c in changes)  # negative numbers stay numbers


def test_the_escaping_ends_with_the_command():
    import sys

    out, err = sys.stdout, sys.stderr
    run(["posterior"])
    assert (sys.stdout, sys.stderr) == (out, err)


NUL_PATHS = [
    ["network", "draw", "x\x00.dot"], ["simulate", "--cohort", "5", "--out", "a\x00b.csv"], ["taps", "--plot", "\x00.png"],
    ["replay", "seed_case", "--step", "--plot", "a\x00b"], ["network", "check", "x\x00.yaml"], ["case", "check", "\x00"],
    ["validate", "\x00"], ["network", "copy", "breast", "a\x00.yaml"], ["fit", "breast_cohort", "--out", "a\x00.yaml"],
]


@pytest.mark.parametrize("args", NUL_PATHS, ids=[" ".join(a[:2]) for a in NUL_PATHS])
def test_a_file_name_with_a_nul_is_one_line(tmp_path, monkeypatch, args):
    """A shell cannot pass a NUL, but a program calling lmbayes can: os functions raise ValueError."""
    monkeypatch.chdir(tmp_path)
    code, out, err = run(args, input="")
    one_error(code, err)
    assert "NUL character" in err and not RAW.search(out + err)
    assert list(tmp_path.iterdir()) == []
