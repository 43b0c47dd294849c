"""Guesses: percentages read strictly, scores checked by hand, a class's CSV checked line by line."""

from __future__ import annotations

import math

import pytest

from lmbayes.errors import InputError
from lmbayes.guesses import CERTAIN_AS, Spread, parse_guess, read_class_guesses, score


@pytest.mark.parametrize(
    "text, value",
    [("30", 0.30), ("30%", 0.30), (" 12.5 % ", 0.125), ("0", 0.0), ("100", 1.0), ("", None), ("  ", None)],
)
def test_a_guess_is_a_percentage(text, value):
    assert parse_guess(text) == value


@pytest.mark.parametrize("text", ["abc", "150", "-5", "nan", "inf", "30%%", "1e400", "0x10"])
def test_a_bad_guess_says_what_a_guess_is(text):
    with pytest.raises(InputError, match=r"is not a percentage: give a number from 0 to 100, e\.g\. 30$"):
        parse_guess(text)


def test_scores_by_hand():
    # guesses 20% and 50% against 10% and 40%; the third step is not guessed
    result = score([0.2, 0.5, None], [0.1, 0.4, 0.9])
    assert result.steps == 2
    assert result.brier == pytest.approx((0.1**2 + 0.1**2) / 2, abs=1e-15)
    kl1 = 0.1 * math.log2(0.1 / 0.2) + 0.9 * math.log2(0.9 / 0.8)
    kl2 = 0.4 * math.log2(0.4 / 0.5) + 0.6 * math.log2(0.6 / 0.5)
    assert result.log_score == pytest.approx((kl1 + kl2) / 2, rel=1e-12)
    assert score([None, None], [0.1, 0.2]) is None
    assert score([0.3], [0.3]) == score([0.3], [0.3]) and score([0.3], [0.3]).brier == 0 and score([0.3], [0.3]).log_score == 0


def test_a_certain_guess_costs_much_but_not_infinity():
    result = score([0.0], [0.5])
    expected = 0.5 * math.log2(0.5 / CERTAIN_AS) + 0.5 * math.log2(0.5 / (1 - CERTAIN_AS))
    assert result.log_score == pytest.approx(expected) and math.isfinite(result.log_score)
    assert score([1.0], [1.0]).log_score == pytest.approx(-math.log2(1 - CERTAIN_AS))


def test_class_guesses_with_a_header_and_gaps(tmp_path):
    path = tmp_path / "class.csv"
    path.write_text("step 1,step 2,step 3\n10,30%,\n20,50,90\n\n30,,95\n", encoding="utf-8")
    group = read_class_guesses(path, 3)
    assert group.students == ((0.1, 0.3, None), (0.2, 0.5, 0.9), (0.3, None, 0.95))
    assert group.spread == (Spread(0.2, 0.1, 0.3, 3), Spread(0.4, 0.3, 0.5, 2), Spread(0.925, 0.9, 0.95, 2))
    assert group.median == (0.2, 0.4, 0.925)
    # student 1 against (0.1, 0.3, 0.9) vs (0.3, 0.5, 0.9): closer to the first
    assert group.closer_to((0.1, 0.3, 0.9), (0.3, 0.5, 0.9)) == 1


@pytest.mark.parametrize(
    "text, message",
    [
        ("10,20\n10,20,30\n", "class.csv, line 1: 2 columns, expected 3 (one per step of the case, separated by commas"),
        ("10,20,30\n10,abc,30\n", "class.csv, line 2, column 2: 'abc' is not a percentage"),
        ("10,20,30\n10,20,150\n", "class.csv, line 2, column 3: '150' is not a percentage"),
        ("a,b,c\n", "class.csv: no guesses (one row per student, one column per step)"),
        ("", "class.csv: no guesses"),
    ],
    ids=["columns", "word", "over-100", "header-only", "empty"],
)
def test_a_malformed_class_file_names_line_and_column(tmp_path, text, message):
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_class_guesses(path, 3)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_a_class_file_that_is_not_text(tmp_path):
    path = tmp_path / "class.csv"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(InputError, match=r"^class\.csv: cannot read the guesses"):
        read_class_guesses(path, 3)


# Class files as spreadsheets write them (issue 28).


def _read(tmp_path, text: str, steps: int = 6):
    path = tmp_path / "class.csv"
    path.write_text(text, encoding="utf-8")
    return read_class_guesses(path, steps)


def test_fractions_are_read_as_fractions_with_a_note(tmp_path):
    group = _read(tmp_path, "0.1,0.2,0.6,0.4,0.2,0.08\n0.3,0.4,0.8,0.6,0.4,0.3\n")
    assert group.students[0] == (0.1, 0.2, 0.6, 0.4, 0.2, 0.08)
    assert group.spread[0] == Spread(pytest.approx(0.2), 0.1, 0.3, 2)
    assert group.note is not None and "read as fractions (0.6 is 60%)" in group.note and "\n" not in group.note


@pytest.mark.parametrize("text", ["10,20,60,40,20,1\n", "0.1,0.2,0.6,0.4,0.2,0.08%\n"], ids=["a-guess-over-1", "a-percent-sign"])
def test_percentages_stay_percentages(tmp_path, text):
    group = _read(tmp_path, text)
    assert group.note is None and group.students[0][1] == pytest.approx(0.002 if "%" in text else 0.2)


def test_semicolons_and_decimal_commas(tmp_path):
    group = _read(tmp_path, "Step 1;Step 2;Step 3;Step 4;Step 5;Step 6\n10;20;60;40;20;8\n30;40;80;60;40;12,5\n")
    assert group.students == ((0.1, 0.2, 0.6, 0.4, 0.2, 0.08), (0.3, 0.4, 0.8, 0.6, 0.4, 0.125))


def test_a_first_column_of_names_names_the_students(tmp_path):
    group = _read(tmp_path, "name,1,2,3,4,5,6\nAna,10,20,60,40,20,8\nBen,30,40,80,60,40,30\n,5,5,5,5,5,5\n")
    assert group.names == ("Ana", "Ben", "student 3")
    assert group.students[1] == (0.3, 0.4, 0.8, 0.6, 0.4, 0.3)
    scores = group.scores([0.1] * 6, [0.3] * 6)
    assert [s.name for s in scores] == ["Ana", "Ben", "student 3"]
    assert scores[2].vs_network == score([0.05] * 6, [0.1] * 6)


def test_names_with_semicolons_and_no_header(tmp_path):
    group = _read(tmp_path, "Ana;10;20;60;40;20;8\nBen;30;40;80;60;40;30\n")
    assert group.names == ("Ana", "Ben") and group.students[0][2] == 0.6


def test_a_word_in_a_file_without_names_is_still_a_bad_guess(tmp_path):
    with pytest.raises(InputError, match=r"^class\.csv, line 1, column 1: 'abc' is not a percentage"):
        _read(tmp_path, "abc,20,30,40,50,60\n")


def test_a_missing_guess_in_a_named_file_says_a_name_comes_first(tmp_path):
    with pytest.raises(InputError, match=r"^class\.csv, line 2: 6 columns, expected 7 \(a name and one per step of the case, separated by semicolons"):
        _read(tmp_path, "Ana;10;20;60;40;20;8\nBen;30;40;80;60;40\n")


@pytest.mark.parametrize("text", ["1_0", "1e1", "0x10", "+10", "1.2.3", "10,5,1"])
def test_only_numbers_as_people_write_them(text):
    """Python's float() reads 1_0 as 10 and 1e1 as 10; a guess does not."""
    with pytest.raises(InputError, match="is not a percentage"):
        parse_guess(text)


def test_a_guess_written_1_0_in_a_class_file_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"^class\.csv, line 1, column 2: '1_0' is not a percentage"):
        _read(tmp_path, "10,1_0,60,40,20,8\n")
