"""Case files: shipped cases, checked step by step, with errors naming file, step and field."""

from __future__ import annotations

import json
import re

import pytest

from lmbayes.cases import available_cases, check_case, load_case
from lmbayes.cli.main import cli
from lmbayes.errors import NetworkFileError
from lmbayes.findings import Findings


@pytest.mark.parametrize("name", sorted(available_cases()))
def test_every_shipped_case_loads_and_names_its_network(name):
    case, net = load_case(name)
    assert case.name == name and case.network == net.name
    assert case.steps and len(case.findings) == len(case.steps)


def test_load_case_checks_the_findings_of_every_step():
    case, net = load_case("seed_case")
    assert len(case.findings) == len(case.steps)
    assert all(isinstance(f, Findings) for f in case.findings)
    for k, findings in enumerate(case.findings, start=1):
        evidence, csf = case.findings_until(k)
        assert findings == net.observe(evidence, csf)
    assert [f.taps_done for f in case.findings] == sorted(f.taps_done for f in case.findings)


@pytest.mark.parametrize(
    "edit, message",
    [
        ("findings: {cranial_nerve_palsy: present}", "step 1: unknown node 'cranial_nerve'"),
        ("findings: {cranial_nerve_palsy: yes}", "step 1, field 'findings.cranial_nerve_palsy': YAML reads yes/no"),
        ("findings: {cranial_nerve_palsy: palsy}", "step 1: unknown state 'palsy' for 'cranial_nerve_palsy'"),
        ("nothing: here", "step 1: expected a label and findings and/or csf"),
    ],
    ids=["node", "yes-no", "state", "no-findings"],
)
def test_case_file_errors_name_file_step_and_field(tmp_path, edit, message):
    text = (available_cases()["typical_mri_negative_taps"]).read_text()
    replacement = {"findings: {cranial_nerve_palsy: present}": "findings: {cranial_nerve: present}",
                   "findings: {cranial_nerve_palsy: yes}": "findings: {cranial_nerve_palsy: yes}",
                   "findings: {cranial_nerve_palsy: palsy}": "findings: {cranial_nerve_palsy: palsy}",
                   "nothing: here": "nothing: here"}[edit]
    text = text.replace("findings: {cranial_nerve_palsy: present}", replacement, 1)
    path = tmp_path / "bad_case.yaml"
    path.write_text(text)
    with pytest.raises(NetworkFileError) as info:
        load_case(path)
    assert re.match(r"bad_case\.yaml, line \d+: ", str(info.value)) and message in str(info.value)


def test_unknown_case_name(runner):
    from lmbayes.errors import InputError

    with pytest.raises(InputError, match=r"^unknown case 'seed_cse' \(did you mean 'seed_case'\?\)"):
        load_case("seed_cse")
    result = runner.invoke(cli, ["replay", "seed_cse"])
    assert result.exit_code == 2  # a typed name, like an unknown setting
    assert result.output.startswith("Error: unknown case 'seed_cse' (did you mean 'seed_case'?)")


def test_a_case_with_more_taps_than_the_file_models_is_modelled_with_them(tmp_path):
    case_path = tmp_path / "seven.yaml"
    steps = "\n".join(f"  - label: tap {k}\n    csf: [negative]" for k in range(1, 8))
    case_path.write_text(f"name: seven\ntitle: Seven taps\nnetwork: breast\nsteps:\n{steps}\n")
    case, net = load_case(case_path)
    assert net.spec.n_taps == 7 and case.findings[-1].taps_done == 7
    many = case_path.with_name("eleven.yaml")
    many.write_text(case_path.read_text().replace("steps:\n", "steps:\n  - label: taps 1 to 4\n    csf: [negative, negative, negative, negative]\n"))
    with pytest.raises(NetworkFileError, match="eleven.yaml, line 5: field 'steps': 11 CSF results; lmbayes models at most 10 taps"):
        load_case(many)


def test_replay_models_as_many_taps_as_the_case_has(runner, tmp_path):
    case = tmp_path / "seven.yaml"
    steps = "\n".join(f"  - label: tap {k}\n    csf: [negative]" for k in range(1, 8))
    case.write_text(f"name: seven\ntitle: Seven taps\nnetwork: breast\nsteps:\n{steps}\n")
    result = runner.invoke(cli, ["replay", str(case), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["steps"][-1]["findings"] == ["csf_7=negative"]


def test_the_replay_help_lists_every_shipped_case():
    from lmbayes.cases import available_cases
    from lmbayes.cli.main import replay

    listed = " ".join(replay.help.split())
    for name in available_cases():
        assert name in listed, name


def test_normal_csf_settles_what_three_cytologies_could_not():
    """Three negative cytologies alone leave P(LM) above 25%; with each tap's routine CSF
    (normal but for a raised protein) it falls below the 5% rule-out threshold."""
    from lmbayes.replay import replay as run_replay

    case, net = load_case("normal_csf_settles")
    rows, _ = run_replay(net, case)
    assert rows[1].eano_esmo == "probable" and rows[1].p_lm_after > 0.5
    after_three = next(r for r in rows if r.label.startswith("Third"))
    assert after_three.p_lm_after < 0.05 and rows[-1].p_lm_after < 0.01
    findings, _ = case.findings_until(2)
    assert net.posterior(findings, csf="neg,neg,neg").p_target > 0.25


@pytest.mark.parametrize(
    "edit, message",
    [
        ((r"^title: (.*)", "title: &t \\1\ndescription: *t"), "bad.yaml, line 4: not valid YAML (an anchor (&t) is not allowed in a case file"),
        ((r"^name: seed_case\n", "name: seed_case\nname: other\n"), "bad.yaml, line 4: duplicate key 'name' (first at line 3); give each once"),
        ((r"^  - label: Left-hand numbness and hoarseness", "  - label: " + "9" * 5000),
         "bad.yaml, line 20: step 1, field 'label': expected a text, got a whole number of 5,000 digits"),
        ((r"findings: \{antibody_panel: negative\}", "findings: {antibody_panel: [negative]}"),
         "bad.yaml, line 29: step 5, field 'findings.antibody_panel': expected a text, got ['negative']"),
        ((r"^steps:\n", "? [a]\n: b\nsteps:\n"), "bad.yaml, line 19: not valid YAML (a key must be a plain name, not a list or a mapping)"),
        ((r"^source: seed\n", "source: seed\nnotes: x\n"), "bad.yaml, line 7: field 'notes': unknown field; a case file has name, title"),
    ],
    ids=["alias", "repeated-key", "huge-label", "list-state", "list-key", "unknown-field"],
)
def test_hostile_case_files_are_one_line_with_the_line(tmp_path, edit, message):
    """Before: aliases expanded, repeated keys were accepted silently (the last won), and a
    5,000-digit number raised Python's int-string limit."""
    text = re.sub(edit[0], edit[1], available_cases()["seed_case"].read_text(), count=1, flags=re.M)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(NetworkFileError) as info:
        load_case(path)
    assert str(info.value).startswith(message) and "\n" not in str(info.value)


def test_control_characters_in_a_case_are_shown_escaped(runner, tmp_path):
    text = available_cases()["seed_case"].read_text().replace("title: Breast", 'title: "\\a\\r\\x1b[31mBreast', 1)
    text = text.replace("positive third tap", 'positive third tap"', 1)
    path = tmp_path / "ctl.yaml"
    path.write_text(text)
    case, _ = load_case(path)
    assert case.title.startswith("\\x07\\r\\x1b[31mBreast")
    result = runner.invoke(cli, ["replay", str(path)])
    assert result.exit_code == 0 and "\\x07\\r\\x1b[31mBreast" in result.output
    assert not any(c in result.output for c in "\a\r\x1b")


def test_case_check_reports_every_problem_with_its_line(runner, tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text(
        "name: mine\ntitle: Mine\nnetwork: breast\nnotes: a typo\nsteps:\n"
        "  - label: Diplopia\n    findings: {cranial_nerve: present}\n"
        "  - label: Headache\n    findings: {headache: yes}\n"
        "  - label: MRI\n    findings: {mri: normal}\n"
        "  - label: Tap\n    csf: [negatve]\n",
        encoding="utf-8",
    )
    problems = check_case(path)
    assert [p.split(":")[0] for p in problems] == [
        "mine.yaml, line 4", "mine.yaml, line 6", "mine.yaml, line 9", "mine.yaml, line 12",
    ]
    assert "field 'notes': unknown field" in problems[0]
    assert "step 1: unknown node 'cranial_nerve' (did you mean 'cranial_nerve_palsy'?)" in problems[1]
    assert "step 2, field 'findings.headache': YAML reads yes/no" in problems[2]
    assert "step 4: " in problems[3] and "negatve" in problems[3]
    result = runner.invoke(cli, ["case", "check", str(path)])
    assert result.exit_code == 1
    assert result.stdout.splitlines() == problems and result.stderr == f"4 problems in {path}\n"
    data = json.loads(runner.invoke(cli, ["case", "check", str(path), "--json"]).stdout)
    assert data["ok"] is False and data["problems"] == problems
    with pytest.raises(NetworkFileError, match="line 4: field 'notes'"):
        load_case(path)  # loading stops at the first
    replayed = runner.invoke(cli, ["replay", str(path)])
    assert replayed.exit_code == 1 and replayed.output == f"Error: {problems[0]}\n"


@pytest.mark.parametrize("name", sorted(available_cases()))
def test_every_shipped_case_checks_clean_and_has_a_note(runner, name):
    path = available_cases()[name]
    result = runner.invoke(cli, ["case", "check", str(path)])
    assert result.exit_code == 0 and result.output == f"{path}: no problems\n"
    case, _ = load_case(name)
    assert 200 < len(case.note) < 800  # one paragraph


def test_case_list_names_every_shipped_case(runner):
    lines = runner.invoke(cli, ["case", "list"]).output.splitlines()
    assert [line.split()[0] for line in lines if not line.startswith(" ")] == sorted(available_cases())
    assert all(len(line) <= 80 for line in lines)
    assert len(available_cases()) >= 5


def test_case_check_of_a_missing_file_or_network(runner, tmp_path):
    result = runner.invoke(cli, ["case", "check", str(tmp_path / "none.yaml")])
    assert result.exit_code == 1 and "cannot read the case file" in result.output
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\ntitle: x\nnetwork: no_such\nsteps:\n  - label: a\n    csf: [negative]\n", encoding="utf-8")
    result = runner.invoke(cli, ["case", "check", str(path)])
    assert result.exit_code == 1 and result.stdout.startswith("bad.yaml, line 3: field 'network': ")


def test_a_case_on_a_network_without_a_target_is_one_line(runner, tmp_path, breast_bif):
    path = tmp_path / "imported.yaml"
    path.write_text(f"name: x\ntitle: x\nnetwork: {breast_bif}\nsteps:\n  - label: a\n    findings: {{headache: present}}\n",
                    encoding="utf-8")
    result = runner.invoke(cli, ["replay", str(path)])
    assert result.exit_code == 1 and (result.exception is None or isinstance(result.exception, SystemExit))
    assert result.output.startswith("Error: imported.yaml, line 3: field 'network': this needs to know which node is LM")
    assert result.output.count("\n") == 1
