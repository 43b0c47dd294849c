"""lmbayes's own BIF and XMLBIF readers (lmbayes/_bif.py) against pgmpy's, pyAgrum's and hand-written files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

import lmbayes
from lmbayes._bif import read_tables
from lmbayes.cli.main import cli
from lmbayes.errors import NetworkFileError
from lmbayes.networks import sniff
from lmbayes.tables import Tables

# bnlearn networks in pgmpy's package: odd state names (CHILD's "Asy/Patch", "<5", "12+"),
# many parents (HAILFINDER), 70-76 nodes; pgmpy reads each in 0.5-2 s once imported
PUBLIC = ("asia", "alarm", "child", "insurance", "hailfinder", "hepar2", "win95pts", "sachs")


def public_bif(name: str, folder: Path) -> Path:
    import pgmpy

    path = folder / f"{name}.bif"
    packed = Path(pgmpy.__file__).parent / "utils" / "example_models" / f"{name}.bif.gz"
    path.write_bytes(gzip.decompress(packed.read_bytes()))
    return path


def assert_same_tables(ours: Tables, theirs: Tables, atol: float = 0.0) -> None:
    assert set(ours.variables) == set(theirs.variables)
    position = {v: k for k, v in enumerate(ours.variables)}
    for v in ours.variables:
        assert all(position[p] < position[v] for p in ours.parents[v]), "not in topological order"
        assert ours.states[v] == theirs.states[v], v
        assert ours.parents[v] == theirs.parents[v], v
        np.testing.assert_allclose(ours.cpts[v], theirs.cpts[v], rtol=0, atol=atol, err_msg=v)


@pytest.mark.parametrize("name", PUBLIC)
def test_bnlearn_networks_read_as_pgmpy_reads_them(tmp_path, name):
    from lmbayes._pgmpy import read_tables as pgmpy_read

    path = public_bif(name, tmp_path)
    assert_same_tables(read_tables(path), pgmpy_read(str(path)))  # every number, exactly


@pytest.mark.parametrize("fmt", ["bif", "xmlbif"])
def test_the_shipped_network_written_by_pgmpy_reads_back_exactly(tmp_path, breast, fmt):
    from lmbayes._pgmpy import write_model

    path = tmp_path / f"breast.{fmt}"
    write_model(breast.tables, fmt, str(path))
    assert_same_tables(read_tables(path), breast.tables, atol=0.0 if fmt == "xmlbif" else 1e-15)


def test_xmlbif_written_by_pyagrum_as_bifxml(tmp_path):
    # pyAgrum names XMLBIF .bifxml; its writer orders each table its own way
    import pyagrum as gum

    bn = gum.fastBN("a{x|y|z}->b{u|v}<-c{p|q};b->d{s|t}", 3)
    path = tmp_path / "net.bifxml"
    gum.saveBN(bn, str(path))
    assert sniff(path) == "xmlbif"
    tables = lmbayes.load_network(path).tables
    for v in ("a", "b", "c", "d"):
        potential = bn.cpt(v)
        axes = [*tables.parents[v], v]
        names = list(reversed(potential.names))  # toarray() puts the first name last
        theirs = np.transpose(potential.toarray(), [names.index(a) for a in axes])
        # pyAgrum writes XMLBIF numbers with 6 decimals
        np.testing.assert_allclose(tables.cpts[v], theirs, rtol=0, atol=5e-7)


HAND = """// a network written by hand: comments, properties, every way of giving a table
/* a block
   comment */
network "hand made" {
  property "author = nobody" ;
}
variable A {
  type discrete [ 2 ] { a0, a1 };
  property position = (10, 20) ;
}
variable B {
  type discrete [ 3 ] { 0, 1, 2 };
}
variable C {
  type discrete [ 2 ] { <5, 12+ };
}
probability ( A ) {
  table 0.25 0.75 ;
}
probability ( B | A ) {
  (a1) 0.1, 0.2, 0.7;
  default 0.5, 0.25, 0.25;
}
probability ( C A B ) {
  table 0.1, 0.2, 0.3, 0.4, 0.5, 0.6,
        0.9, 0.8, 0.7, 0.6, 0.5, 0.4;
}
"""


def test_a_hand_written_bif_gives_the_numbers_written(tmp_path):
    path = tmp_path / "hand.txt"  # no telling suffix: the content says BIF
    path.write_text(HAND)
    assert sniff(path) == "bif"
    t = lmbayes.load_network(path).tables
    assert t.states["B"] == ("0", "1", "2") and t.states["C"] == ("<5", "12+")
    np.testing.assert_array_equal(t.cpts["A"], [0.25, 0.75])
    np.testing.assert_array_equal(t.cpts["B"], [[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]])  # a0 from the default
    # the old header form (child, then parents) and a table with the child's states slowest
    assert t.parents["C"] == ("A", "B")
    np.testing.assert_array_equal(t.cpts["C"][1, 2], [0.6, 0.4])
    np.testing.assert_array_equal(t.cpts["C"][0, 0], [0.1, 0.9])


def test_the_xdsl_net_and_uai_formats_are_still_named_not_read(tmp_path, runner):
    path = tmp_path / "n.xdsl"
    path.write_text("<?xml version='1.0'?><smile/>")
    result = runner.invoke(cli, ["posterior", "--network", str(path)])
    assert result.exit_code == 1 and "not a lmbayes network file" in result.output


GOOD_BIF = "network n {\n}\nvariable a {\n  type discrete [ 2 ] { y, n };\n}\nvariable b {\n  type discrete [ 2 ] { y, n };\n}\nprobability ( a ) {\n  table 0.5, 0.5;\n}\nprobability ( b | a ) {\n  (y) 0.9, 0.1;\n  (n) 0.2, 0.8;\n}\n"

BROKEN_BIF = {
    "a table short of a number": (GOOD_BIF.replace("table 0.5, 0.5;", "table 0.5;"), "line 10: the table of 'a' has 1 numbers; expected 2"),
    "a row missing": (GOOD_BIF.replace("  (n) 0.2, 0.8;\n", ""), "miss the row (n)"),
    "an unknown state": (GOOD_BIF.replace("(n) 0.2", "(maybe) 0.2"), "line 14: 'maybe' is not a state of 'a' (states: y, n)"),
    "an unknown parent": (GOOD_BIF.replace("( b | a )", "( b | c )"), "'b' is given 'c', which no variable declares"),
    "a word for a number": (GOOD_BIF.replace("0.9, 0.1", "0.9, lots"), "line 13: 'lots' is not a number"),
    "a sum far from 1": (GOOD_BIF.replace("0.9, 0.1", "0.9, 0.3"), "given (y) sum to 1.2, not 1"),
    "a root's sum far from 1": (GOOD_BIF.replace("table 0.5, 0.5;", "table 0.5, 0.7;"), "the probabilities of 'a' sum to 1.2, not 1)"),
    "a negative number": (GOOD_BIF.replace("0.9, 0.1", "1.1, -0.1"), "negative or non-finite"),
    "not a number at all": (GOOD_BIF.replace("0.9, 0.1", "nan, nan"), "negative or non-finite"),
    "a cycle": (GOOD_BIF.replace("probability ( a ) {\n  table 0.5, 0.5;", "probability ( a | b ) {\n  table 0.5, 0.5, 0.5, 0.5;"), "cycle"),
    "a node of its own parents": (GOOD_BIF.replace("( b | a )", "( b | b )"), "repeat a node"),
    "a variable declared twice": (GOOD_BIF.replace("variable b", "variable a"), "variable 'a' is declared twice"),
    "a variable without a table": (GOOD_BIF.split("probability ( b")[0], "variable 'b' has no probability block"),
    "a wrong count of states": (GOOD_BIF.replace("[ 2 ] { y, n };\n}\nvariable b", "[ 3 ] { y, n };\n}\nvariable b"), "declares [ 3 ] states and lists 2"),
    "a continuous variable": (GOOD_BIF.replace("discrete [ 2 ] { y, n };\n}\nvariable b", "continuous;\n}\nvariable b"), "only discrete variables are read"),
    "cut short": (GOOD_BIF[:-20], "found the end of the file"),
    "an unknown block": (GOOD_BIF + "potential ( a ) { }\n", "expected 'variable' or 'probability', found 'potential'"),
    "nothing but the header": ("network n {\n}\n", "no variables found"),
}  # fmt: skip


GOOD_XML = """<?xml version="1.0"?>
<BIF VERSION="0.3"><NETWORK><NAME>n</NAME>
<VARIABLE TYPE="nature"><NAME>a</NAME><OUTCOME>y</OUTCOME><OUTCOME>n</OUTCOME></VARIABLE>
<VARIABLE TYPE="nature"><NAME>b</NAME><OUTCOME>y</OUTCOME><OUTCOME>n</OUTCOME></VARIABLE>
<DEFINITION><FOR>a</FOR><TABLE>0.5 0.5</TABLE></DEFINITION>
<DEFINITION><FOR>b</FOR><GIVEN>a</GIVEN><TABLE>0.9 0.1 0.2 0.8</TABLE></DEFINITION>
</NETWORK></BIF>
"""

BROKEN_XML = {
    "not well-formed": (GOOD_XML.replace("</NETWORK>", ""), "not well-formed XML"),
    "another root": ("<smile><nodes/></smile>", "expected <BIF> with a <NETWORK>, found <smile>"),
    "a table short": (GOOD_XML.replace("0.9 0.1 0.2 0.8", "0.9 0.1 0.2"), "the <TABLE> of 'b' has 3 numbers; expected 4"),
    "a word for a number": (GOOD_XML.replace("0.9 0.1", "0.9 x"), "could not convert"),
    "no definition": (GOOD_XML.replace("<DEFINITION><FOR>a</FOR><TABLE>0.5 0.5</TABLE></DEFINITION>", ""), "variable 'a' has no <DEFINITION>"),
    "an unknown parent": (GOOD_XML.replace("<GIVEN>a</GIVEN>", "<GIVEN>z</GIVEN>"), "'b' is given 'z', which no <VARIABLE> declares"),
    "a repeated outcome": (GOOD_XML.replace('<OUTCOME>n</OUTCOME></VARIABLE>\n<VARIABLE TYPE="nature"><NAME>b', '<OUTCOME>y</OUTCOME></VARIABLE>\n<VARIABLE TYPE="nature"><NAME>b'), "distinct <OUTCOME>s"),
}  # fmt: skip


@pytest.mark.parametrize(
    "name, text",
    [("good.bif", GOOD_BIF), ("good.xml", GOOD_XML)],
)
def test_the_good_files_the_broken_ones_are_made_from_read(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    np.testing.assert_array_equal(read_tables(path).cpts["b"], [[0.9, 0.1], [0.2, 0.8]])  # a row per state of a


BROKEN = [
    *(("broken.bif", "BIF", text, message, case) for case, (text, message) in BROKEN_BIF.items()),
    *(("broken.bifxml", "XMLBIF", text, message, case) for case, (text, message) in BROKEN_XML.items()),
]


@pytest.mark.parametrize("name, fmt, text, message", [b[:4] for b in BROKEN], ids=[f"{b[1]}: {b[4]}" for b in BROKEN])
def test_a_broken_file_gets_one_line_naming_the_problem(tmp_path, runner, name, fmt, text, message):
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(NetworkFileError, match=f"^{name}: cannot read it as {fmt} ") as error:
        read_tables(path)
    assert message in str(error.value) and "\n" not in str(error.value)
    result = runner.invoke(cli, ["posterior", "--network", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.output.strip().splitlines() == [f"Error: {error.value}"]


def test_bytes_that_are_no_text_get_one_line(tmp_path, runner):
    path = tmp_path / "noise.bif"
    path.write_bytes(bytes(range(256)) * 4)
    result = runner.invoke(cli, ["posterior", "--network", str(path)])
    assert result.exit_code == 1 and len(result.output.strip().splitlines()) == 1
    assert "noise.bif: cannot read it as BIF" in result.output and "Traceback" not in result.output


def test_a_long_chain_declared_children_first_is_put_parents_first(tmp_path):
    # lmbayes.spec.parents_first (shared with lmbayes network files) walks the parents without
    # recursion: a 3,000-node chain whose file lists each child before its parent reads
    n = 3000
    names = [f"x{i}" for i in range(n)]
    variables = "".join(f"variable {v} {{\n  type discrete [ 2 ] {{ y, n }};\n}}\n" for v in reversed(names))
    tables = "probability ( x0 ) {\n  table 0.5, 0.5;\n}\n" + "".join(
        f"probability ( {names[i]} | {names[i - 1]} ) {{\n  (y) 0.9, 0.1;\n  (n) 0.2, 0.8;\n}}\n" for i in range(1, n)
    )
    path = tmp_path / "chain.bif"
    path.write_text("network chain {\n}\n" + variables + tables)
    assert read_tables(path).variables == tuple(names)
