"""The loader names the file, the node and the field of every problem it finds."""

from __future__ import annotations

import pytest

import lmbayes
from lmbayes import networks
from lmbayes.errors import NetworkFileError

BAD = [
    (
        (r"^(    leak: \{value: )0.15", r"\g<1>1.5"),
        "node 'headache', field 'leak.value': 1.5 is outside [0, 1]",
    ),
    (
        (r"lm: \{value: 0.32, range: \[0.21", "lm: {value: 0.12, range: [0.21"),
        "node 'headache', field 'causes.lm.range': the value 0.12 is outside its range [0.21, 0.44]",
    ),
    (
        (r"(lm: \{value: 0.32, range: \[0.21, 0.44\], sources: \[)kaplan1990", r"\g<1>kaplan1999"),
        "node 'headache', field 'causes.lm.sources': unknown source key 'kaplan1999'",
    ),
    (
        (r"leak: \{value: 0.02, range: \[0.01, 0.05\], judgement: true\}", "leak: {value: 0.02, range: [0.01, 0.05]}"),
        "node 'cranial_nerve_palsy', field 'leak': cite a source key or flag it 'judgement: true'",
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
        "node 'paraneoplastic', field 'kind': 'symptom' is not one of context, target, cause, sign, test",
    ),
    (
        (r"lm: \{value: 0.17, range: \[0.09, 0.28\], sources: \[kaplan1990\], counts: \[11, 63\]", "lm: {value: 0.05, range: [0.05, 0.28], sources: [kaplan1990]"),
        "node 'back_neck_pain', field 'causes.lm.value': 0.05 is below the leak (0.1)",
    ),
    (
        (r"    prior: \{value: 0.30, range: \[0.10, 0.50\], judgement: true,\n.*\n",
         "    prior_given:\n      parent: lm\n      values:\n        absent: {value: 0.3, range: [0, 1], judgement: true}\n        present: {value: 0.3, range: [0, 1], judgement: true}\n"),
        "the network has a cycle",
    ),
    (
        (r"counts: \[20, 63\]", "counts: [30, 63]"),
        "node 'headache', field 'causes.lm.counts': 30/63 = 0.476 does not match the value 0.32",
    ),
    (
        (r"counts: \[20, 63\]", "counts: [64, 63]"),
        "node 'headache', field 'causes.lm.counts': expected [events, total]",
    ),
    (
        (r"^target: lm", "target: mri"),
        "field 'target': 'mri' is not a node of kind 'target'",
    ),
    (
        (r"^nodes:", "nodes: [\n"),
        "edited.yaml, line",
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
