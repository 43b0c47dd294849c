"""The loader names the file, the node and the field of every problem it finds."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lmbayes
from lmbayes import networks
from conftest import invoke_cleanly
from lmbayes.cli.main import cli
from lmbayes.errors import NetworkFileError

BAD = [
    (
        (r"^(    leak: \{value: )0.15", r"\g<1>1.5"),
        "node 'headache', field 'leak.value': 1.5 is outside [0, 1]",
    ),
    (
        (r"lm: \{value: 0.32, range: \[0.21", "lm: {value: 0.12, range: [0.21"),
        "node 'headache', field 'given.lm.range': the value 0.12 is outside its range [0.21, 0.44]",
    ),
    (
        (r"(lm: \{value: 0.32, range: \[0.21, 0.44\], sources: \[)kaplan1990", r"\g<1>kaplan1999"),
        "node 'headache', field 'given.lm.sources': unknown source key 'kaplan1999'",
    ),
    (
        (r"leak: \{value: 0.02, range: \[0.01, 0.05\], judgement: true\}", "leak: {value: 0.02, range: [0.01, 0.05]}"),
        "node 'bladder_bowel', field 'leak': cite a source key or flag it 'judgement: true'",
    ),
    (
        (r"      paraneoplastic: \{value: 0.20", "      paraneoplasia: {value: 0.20"),
        "node 'cranial_nerve_palsy', field 'causes': unknown node 'paraneoplasia'",
    ),
    (
        (r"states: \[absent, present\]\n    prior: \{value: 0.01,", "states: [absent, absent]\n    prior: {value: 0.01,"),
        "node 'paraneoplastic', field 'states': duplicate state names",
    ),
    (
        (r"three_taps: \{value: 0.85, range: \[0.80, 0.91\]", "three_taps: {value: 0.95, range: [0.80, 0.99]"),
        "node 'cytology', field 'three_taps': a three-tap figure of 0.95 is above what the model can reach",
    ),
    (
        (r"^  taps: 6", "  taps: 11"),
        "node 'cytology', field 'taps': expected a whole number from 1 to 10",
    ),
    (
        (r"kind: cause\n    label: Paraneoplastic", "kind: symptom\n    label: Paraneoplastic"),
        "node 'paraneoplastic', field 'kind': 'symptom' is not one of context, target, cause, state, reaction, sign, test, tap_test, burden_test, feature",
    ),
    (
        (r"lm: \{value: 0.14, range: \[0.07, 0.24\], sources: \[kaplan1990\], counts: \[9, 63\]", "lm: {value: 0.01, range: [0.01, 0.24], sources: [kaplan1990]"),
        "node 'seizures', field 'given.lm.value': 0.01 is below the leak (0.02)",
    ),
    (
        (r"lm: \{value: 0.15, range: \[0.06, 0.30\], judgement: true", "lm: {value: 0.04, range: [0.03, 0.30], judgement: true"),
        "node 'bladder_bowel', field 'given.lm.value': 0.04 cannot be reached: the leak and the other causes alone give 0.053 among patients with lm",
    ),
    (
        (r"    causes:\n      brain_metastases: \{value: 0.3,", "    causes:\n      lm: {value: 0.5, range: [0.4, 0.6], judgement: true}\n      brain_metastases: {value: 0.3,"),
        "node 'limb_weakness', field 'causes.lm': give 'lm' once, under given",
    ),
    (
        (r"    given:\n      lm: \{value: 0.14", "    given:\n      paraneoplastic: {value: 0.14"),
        "node 'seizures', field 'given': only the target 'lm' can have a given frequency",
    ),
    (
        (r"    prior: \{value: 0.30, range: \[0.10, 0.50\], judgement: true,\n.*\n",
         "    prior_given:\n      parent: lm\n      values:\n        absent: {value: 0.3, range: [0, 1], judgement: true}\n        present: {value: 0.3, range: [0, 1], judgement: true}\n"),
        "the network has a cycle",
    ),
    (
        (r"counts: \[20, 63\]", "counts: [30, 63]"),
        "node 'headache', field 'given.lm.counts': 30/63 = 0.476 does not match the value 0.32",
    ),
    (
        (r"counts: \[20, 63\]", "counts: [64, 63]"),
        "node 'headache', field 'given.lm.counts': expected [events, total]",
    ),
    (
        (r"^target: lm", "target: mri"),
        "field 'target': 'mri' is not a node of kind 'target'",
    ),
    (
        (r"^nodes:", "nodes: [\n"),
        "edited.yaml, line",
    ),
    # hostile numbers and names (issue 14): refused with file, line and field
    (
        (r"(leak: \{value: )0\.15", r"\g<1>" + "9" * 400),
        "node 'headache', field 'leak.value': expected a number from 0 to 1, got a whole number of 400 digits",
    ),
    (
        (r"(leak: \{value: 0\.15, range: \[)[0-9.]+", r"\g<1>" + "1" + "0" * 29),
        "node 'headache', field 'leak.range': 1e+29 is outside [0, 1]",
    ),
    (
        (r"counts: \[20, 63\]", "counts: [20, " + "9" * 400 + "]"),
        "node 'headache', field 'given.lm.counts': expected [events, total], whole numbers with 0 <= events <= total "
        "<= 1,000,000,000, got [20, a whole number of 400 digits]",
    ),
    (
        (r"^  taps: 6", "  taps: " + "9" * 5000),
        "node 'cytology', field 'taps': expected a whole number from 1 to 10, got a whole number of 5,000 digits",
    ),
    (
        (r"(leak: \{value: )0\.15", r"\g<1>.nan"),
        "node 'headache', field 'leak.value': nan is not a finite number; expected one from 0 to 1",
    ),
    (
        (r"(leak: \{value: 0\.15, range: \[)[0-9.]+", r"\g<1>-.inf"),
        "node 'headache', field 'leak.range': -inf is not a finite number; expected one from 0 to 1",
    ),
    (
        (r"^    label: Systemic disease status", "    label: " + "9" * 5000),
        "node 'systemic_status', field 'label': expected a text, got a whole number of 5,000 digits",
    ),
    (
        (r"^    label: Systemic disease status", "    label: [a, b]"),
        "node 'systemic_status', field 'label': expected a text, got ['a', 'b']",
    ),
    (
        (r"^  paraneoplastic:\n", '  "paraneoplastic\\\\n":\n'),
        "field 'id': expected a snake_case id",
    ),
]


@pytest.mark.parametrize("substitution, message", BAD, ids=[m[:40] for _, m in BAD])
def test_invalid_network_files_name_file_node_and_field(edited_network, substitution, message):
    path = edited_network(substitution)
    with pytest.raises(NetworkFileError) as info:
        lmbayes.load_spec(path)
    text = str(info.value)
    assert text.startswith("edited.yaml")
    assert message in text
    assert "\n" not in text


def test_missing_file(tmp_path):
    with pytest.raises(NetworkFileError, match="no such network file"):
        lmbayes.load_spec(tmp_path / "nope.yaml")


@pytest.mark.parametrize("content", ["", "- a\n- b\n", "just text"], ids=["empty", "list", "scalar"])
def test_not_a_mapping(tmp_path, content):
    path = tmp_path / "odd.yaml"
    path.write_text(content)
    with pytest.raises(NetworkFileError, match="odd.yaml: expected a mapping"):
        lmbayes.load_spec(path)


def test_unknown_network_name_lists_the_shipped_ones():
    with pytest.raises(NetworkFileError, match=r"unknown network 'brest' \(did you mean 'breast'\?\)"):
        networks.resolve("brest")


def test_shipped_network_cites_only_listed_sources_and_flags_the_rest(breast):
    spec = breast.spec
    for path, p in spec.parameters.items():
        assert p.sources or p.judgement, path
        assert set(p.sources) <= set(spec.sources), path
        assert p.low <= p.value <= p.high, path


def test_the_file_states_its_population(breast):
    assert "history of breast cancer" in breast.spec.population


# Property-based: malformed network files end in one clear error, from `network check` and a query.

LINES = networks.available()["breast"].read_text(encoding="utf-8").splitlines()
SETTINGS = settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

yaml_bits = st.sampled_from(
    [": ", "- ", "{", "}", "[", "]", "value: 2", "range: [0.5]", "states: []", "kind: sign", "x", "1e9",
     "null", "yes", "!!python/object", "&a", "*a", "\t", "'", '"', "---", "? [a, b]: c", "-1", "0.3"]
)


@st.composite
def mutated_network(draw) -> str:
    lines = list(LINES)
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["delete", "replace", "insert", "number"]))
        if action == "delete":
            del lines[i]
        elif action == "replace":
            lines[i] = draw(st.text(max_size=30)) if draw(st.booleans()) else draw(yaml_bits)
        elif action == "insert":
            lines.insert(i, " " * draw(st.integers(0, 6)) + draw(yaml_bits))
        else:
            lines[i] = lines[i].replace("0.", draw(st.sampled_from(["1.", "-0.", "9", "0.0", "abc"])), 1)
    return "\n".join(lines)


@SETTINGS
@given(mutated_network())
def test_malformed_network_files_end_in_clear_errors(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(text, encoding="utf-8")
        check = invoke_cleanly(["network", "check", str(path)])
        assert check.exit_code in (0, 1)
        query = invoke_cleanly(["posterior", "--network", str(path), "-e", "mri=normal", "--csf", "neg"])
        assert query.exit_code in (0, 1, 2)
        if query.exit_code:
            errors = [line for line in query.output.splitlines() if line.startswith("Error:")]
            assert len(errors) == 1, query.output
            assert check.exit_code == 1 or "mri" in errors[0] or "csf" in errors[0] or "Invalid value" in errors[0]
        else:
            assert check.exit_code == 0


def test_a_complex_mapping_key_is_a_clear_error(tmp_path):
    """A YAML complex key (found by the property test above) is a one-line error, not a TypeError."""
    path = tmp_path / "complex.yaml"
    path.write_text("? [a, b]: c\n" + "\n".join(LINES) + "\n", encoding="utf-8")
    with pytest.raises(NetworkFileError) as info:
        lmbayes.load_spec(path)
    assert str(info.value) == "complex.yaml, line 1: not valid YAML (a key must be a plain name, not a list or a mapping)"
    query = invoke_cleanly(["posterior", "--network", str(path)])
    assert query.exit_code == 1 and query.output.startswith("Error: complex.yaml, line 1: not valid YAML")


def test_an_unknown_top_level_field_is_refused(edited_network):
    path = edited_network((r"^name: breast\n", "name: breast\nnotes: [a, b]\n"))
    problems = lmbayes._loader.check_spec(path)
    assert len(problems) == 1 and "field 'notes': unknown field; a network file has name, version" in problems[0]


# Hostile files (issue 14): aliases, repeated keys, lines of numbers, control characters.

BOMB = "lol:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {b}: &{b} [*{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}, *{a}]\n" for a, b in zip("abcdefgh", "bcdefghi")
)


@pytest.mark.parametrize(
    "substitution, message",
    [
        ((r"^target: lm\n", "target: lm\n" + BOMB), "line 39: not valid YAML (an anchor (&a) is not allowed in a network file; write the value out where it is used)"),
        ((r"^title: .*", "title: *i"), "line 27: not valid YAML (an alias (*i) is not allowed in a network file"),
        ((r"^target: lm\n", "target: lm\ntarget: lm\n"), "line 38: duplicate key 'target' (first at line 37); give each once"),
        ((r"(leak: \{value: )0\.15", r"\g<1>" + "9" * 400), "line 185: node 'headache', field 'leak.value'"),
        ((r"^  taps: 6", "  taps: " + "9" * 5000), "line 414: node 'cytology', field 'taps'"),
    ],
    ids=["anchor", "alias", "repeated-key", "huge-value", "huge-taps"],
)
def test_hostile_network_files_are_one_line_with_the_line(edited_network, breast_text, substitution, message):
    """Before: aliases expanded without bound, huge numbers raised OverflowError or ValueError."""
    path = edited_network(substitution)
    problems = lmbayes._loader.check_spec(path)
    assert problems and problems[0].startswith("edited.yaml, line ") and message in problems[0], problems
    assert all("\n" not in p for p in problems)


def test_an_alias_bomb_is_refused_before_it_expands(tmp_path, breast_text):
    path = tmp_path / "bomb.yaml"
    path.write_text(breast_text.replace("target: lm\n", "target: lm\n" + BOMB, 1).replace(
        "label: Systemic disease status", "label: *i", 1), encoding="utf-8")
    result = invoke_cleanly(["posterior", "--network", str(path)])
    assert result.exit_code == 1
    assert result.output == "Error: bomb.yaml, line 39: not valid YAML (an anchor (&a) is not allowed in a network file; write the value out where it is used)\n"


def test_control_characters_in_names_are_shown_escaped(edited_network):
    path = edited_network(
        (r"^title: .*", r'title: "LM\\a after\\rbreast\\x1b[2J cancer\\u202e"'),
        (r"^    label: Systemic disease status", r'    label: "Sys\\ttemic\\x07"'),
    )
    spec = lmbayes.load_spec(path)
    assert spec.title == "LM\\x07 after\\rbreast\\x1b[2J cancer\\u202e"
    assert spec.node("systemic_status").label == "Sys\\ttemic\\x07"
    for args in (["taps", "--network", str(path)], ["network", "show", "--network", str(path)], ["posterior", "--network", str(path), "--json"]):
        result = invoke_cleanly(args)
        assert result.exit_code == 0, result.output
        assert not any(c in result.output for c in "\a\r\x1b\u202e"), args
        if "--json" not in args:
            assert "LM\\x07 after\\rbreast\\x1b[2J cancer\\u202e" in " ".join(result.output.split()), args
