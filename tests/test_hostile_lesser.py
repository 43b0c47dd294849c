"""Issue 27, the lesser items: a cohort row no network could produce is named, not warned
about; feature shares that are all zero are refused; numbers are read as people write them
(``1_0`` is not 10); line numbers count line feeds only (a form feed is no line end)."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

import lmbayes
from lmbayes import networks
from lmbayes.cases import available_cases
from lmbayes.cli.main import cli
from lmbayes.errors import InputError
from lmbayes.guesses import parse_guess, read_class_guesses
from lmbayes.technique import parse_next_tap

SHIPPED = networks.available()["breast"].parent
NETWORK = networks.available()["breast"].read_text(encoding="utf-8")
CASE = available_cases()["seed_case"].read_text(encoding="utf-8")
COHORT = (SHIPPED / "breast_cohort.csv").read_text(encoding="utf-8").splitlines()


def run(args: list[str], **kwargs) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, **kwargs)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def test_a_cohort_row_the_network_cannot_produce_is_named(tmp_path):
    old = "    specificity: {value: 0.938, range: [0.869, 0.972], sources: [nakasu2023],"
    assert NETWORK.count(old) == 1
    net = tmp_path / "certain.yaml"  # CSF tumour cells never found without LM (no other cause)
    net.write_text(NETWORK.replace(old, old.replace("0.938, range: [0.869, 0.972]", "1.0, range: [0.869, 1.0]")), encoding="utf-8")
    header = COHORT[0].split(",")
    row = COHORT[5].split(",")
    row[header.index("lm")], row[header.index("ctc_1")] = "absent", "positive"
    cohort = tmp_path / "cohort.csv"
    cohort.write_text("\n".join([COHORT[0], *COHORT[1:5], ",".join(row), *COHORT[6:]]) + "\n", encoding="utf-8")
    code, _, err = run(["fit", "--network", str(net), str(cohort), "--out", str(tmp_path / "fitted.yaml")])
    assert code == 1 and "Warning" not in err, err
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert err.endswith("cohort.csv, line 6: findings impossible under the network (probability 0); correct the row, or widen the number that rules it out\n")
    assert not (tmp_path / "fitted.yaml").exists()


def test_feature_shares_that_are_all_zero_are_refused(tmp_path):
    text = NETWORK
    for state, value in (("luminal", "0.70"), ("her2_positive", "0.15"), ("triple_negative", "0.15")):
        pattern = rf"(      absent:\n(?:.*\n)*?        {state}: \{{value: ){value}(, range: \[)[0-9.]+"
        text, n = re.subn(pattern, r"\g<1>0.0\g<2>0.0", text, count=1)
        assert n == 1, state
    path = tmp_path / "zero.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = run(["network", "check", str(path)])
    assert code == 1 and "node 'subtype', field 'shares.absent': every share is 0" in out, out
    code, _, err = run(["posterior", "--network", str(path), "-e", "subtype=luminal"])
    assert code == 1 and "Warning" not in err and err.startswith("Error: zero.yaml, line ") and err.count("\n") == 1, err


@pytest.mark.parametrize("text", ["1_0", "1_0%", "\u0661\u0660", "\uff11\uff10", "1e1", "inf", "nan", "0x10", "10.0.0"],
                         ids=["underscore", "underscore percent", "Arabic-Indic", "full-width", "exponent", "inf", "nan",
                              "hex", "two points"])
def test_a_guess_is_a_number_as_people_write_it(text):
    with pytest.raises(InputError, match="is not a percentage"):
        parse_guess(text)


@pytest.mark.parametrize("text, value", [("10", 0.1), ("12.5 %", 0.125), (".5", 0.005), ("100", 1.0), ("0", 0.0)])
def test_plain_guesses_are_read(text, value):
    assert parse_guess(text) == pytest.approx(value)


def test_a_class_guess_of_1_0_is_refused_with_its_place(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("10,20\n1_0,30\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"class.csv, line 2, column 1: '1_0' is not a percentage"):
        read_class_guesses(path, 2)


def test_a_form_feed_in_a_guesses_file_is_no_line_end(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("10,20\n30,4\x0c0\nabc,50\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"class.csv, line 2, column 2: '4\\x0c0' is not a percentage"):
        read_class_guesses(path, 2)


@pytest.mark.parametrize("text", ["volume=1_2", "delay=1_5", "volume=\u0661\u0662", "delay=inf", "volume=nan", "volume=1e1"])
def test_a_technique_number_is_written_as_people_write_it(text):
    with pytest.raises(InputError, match="is not a number"):
        parse_next_tap(text)


@pytest.mark.parametrize("strategy", ["\u0663taps", "\uff13taps"], ids=["Arabic-Indic", "full-width"])
def test_a_strategy_counts_taps_in_ascii_digits(strategy):
    code, _, err = run(["simulate", "--strategy", strategy, "--patients", "10"])
    assert code == 2 and err.count("\n") == 1, err


@pytest.mark.parametrize("character", ["\x0c", "\x0b", "\x1c", "\x1e"], ids=["form feed", "vertical tab", "FS", "RS"])
def test_a_control_character_in_a_case_file_is_named_on_its_own_line(tmp_path, character):
    lines = CASE.split("\n")
    at = next(i for i, line in enumerate(lines) if line.startswith("source:"))
    lines.insert(at + 1, f"# a comment{character}with a control character")
    path = tmp_path / "case.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    code, out, _ = run(["case", "check", str(path)])
    assert code == 1
    assert out.startswith(f"case.yaml, line {at + 2}: not valid YAML ({repr(character)[1:-1]} is not allowed"), out


def test_line_numbers_count_line_feeds_only(tmp_path):
    """A line separator inside a quoted title is a line end for YAML, not for an editor."""
    lines = CASE.split("\n")
    title = next(i for i, line in enumerate(lines) if line.startswith("title:"))
    lines[title] = 'title: "two\u2028parts"'
    bad = next(i for i, line in enumerate(lines) if "antibody_panel: negative" in line)
    lines[bad] = lines[bad].replace("negative", "negatve")
    path, plain = tmp_path / "case.yaml", tmp_path / "plain.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    lines[title] = 'title: "two parts"'
    plain.write_text("\n".join(lines), encoding="utf-8")
    code, out, _ = run(["case", "check", str(path)])
    code_plain, out_plain, _ = run(["case", "check", str(plain)])
    assert code == code_plain == 1
    assert out.split(":")[1] == out_plain.split(":")[1]  # the same line as without the separator


def test_a_network_file_with_a_form_feed_names_its_line(tmp_path):
    lines = NETWORK.split("\n")
    lines.insert(3, "# page\x0cbreak")
    path = tmp_path / "ff.yaml"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(lmbayes.NetworkFileError, match=r"ff.yaml, line 4: not valid YAML \(\\x0c is not allowed"):
        lmbayes.load_network(path)
