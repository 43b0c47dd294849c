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
