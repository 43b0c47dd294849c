"""The cohort commands: simulate --cohort, validate and fit, as a user runs them."""

from __future__ import annotations

import json

import pytest
from conftest import invoke_cleanly

from lmbayes import load_network
from lmbayes.cohort import read_cohort

SENTINEL = "an existing file that a failed command must leave as it was\n"


def test_simulate_writes_a_cohort_that_validate_reads(tmp_path):
    out = tmp_path / "c.csv"
    result = invoke_cleanly(["simulate", "--cohort", "300", "--pretest", "0.3", "--seed", "2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    said = result.output.replace("\n", " ")
    assert said.startswith(f"wrote {out}: 300 patients (")
    assert f"lmbayes validate {out} --pretest 0.3" in said
    assert read_cohort(load_network(), out).patients == 300
    again = invoke_cleanly(["validate", str(out), "--pretest", "0.3", "--bootstrap", "20"])
    assert again.exit_code == 0, again.output
    assert f"{out}:" in again.output.replace("\n", " ")  # the file name whole, however long


@pytest.mark.parametrize(
    "args, message",
    [
        (["simulate", "--cohort", "10"], "a synthetic cohort needs both --cohort N and --out FILE.csv"),
        (["simulate", "--cohort", "10", "--out", "{tmp}/x.csv", "-e", "mri=normal"], "give no findings"),
        (["simulate", "--cohort", "10", "--out", "{tmp}/x.txt"], "a cohort file ends in .csv"),
        (["simulate", "--cohort", "10", "--out", "{tmp}/x.csv", "--json"], "drop --json and --csv"),
    ],
    ids=["no out", "findings", "suffix", "json"],
)
def test_simulate_cohort_usage_errors(tmp_path, args, message):
    result = invoke_cleanly([a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == 2
    assert message in result.output
    assert not (tmp_path / "x.csv").exists()


def test_validate_the_shipped_cohort_fits_80_columns_and_gives_json(tmp_path):
    text = invoke_cleanly(["validate", "breast_cohort", "--pretest", "0.2", "--bootstrap", "50"])
    assert text.exit_code == 0, text.output
    assert max(map(len, text.output.splitlines())) <= 80
    assert "before the first tap" in text.output and "Cytology among patients with LM, by the life table" in text.output
    data = json.loads(invoke_cleanly(["validate", "breast_cohort", "--pretest", "0.2", "--bootstrap", "50", "--json"]).output)
    assert data["cohort"] == "breast_cohort" and data["lm"] == 221
    assert [s["name"] for s in data["stages"][:2]] == ["all findings", "before the first tap"]
    assert set(data["stages"][0]["slope"]) == {"value", "low", "high", "reason"}
    assert data["yields"][2]["network"] == pytest.approx(0.85)


def test_validate_draws_the_calibration_curve(tmp_path):
    pytest.importorskip("matplotlib")
    picture = tmp_path / "calibration.png"
    result = invoke_cleanly(["validate", "breast_cohort", "--bootstrap", "0", "--plot", str(picture)])
    assert result.exit_code == 0, result.output
    assert picture.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty file"),
        (b"lm,headache\n,yes\n", "no patient has a known diagnosis"),
        (b"headache\nyes\n", "no diagnosis column 'lm'"),
        (b"lm,headache\npresent,\xff\n", "line 2: not UTF-8 text"),
        (b"\x89PNG\r\n\x1a\n", "not UTF-8 text"),
        (b"lm,headache\npresent,sometimes\n", "line 2, column headache: unknown state 'sometimes'"),
    ],
    ids=["empty", "no diagnoses", "no diagnosis column", "not UTF-8", "a picture", "unknown state"],
)
@pytest.mark.parametrize("command", ["validate", "fit"])
def test_bad_cohorts_are_one_line_and_fit_writes_nothing(tmp_path, content, message, command):
    cohort = tmp_path / "bad.csv"
    cohort.write_bytes(content)
    out = tmp_path / "new.yaml"
    out.write_text(SENTINEL)
    args = [command, str(cohort)] + (["--out", str(out)] if command == "fit" else [])
    result = invoke_cleanly(args)
    assert result.exit_code in (1, 2)
    assert len(result.output.strip().splitlines()) == 1
    assert message in result.output
    assert out.read_text() == SENTINEL


def test_fit_writes_a_network_that_checks_and_reports_what_moved(tmp_path):
    out = tmp_path / "fitted.yaml"
    result = invoke_cleanly(["fit", "breast_cohort", "--out", str(out), "--top", "5"])
    assert result.exit_code == 0, result.output
    # 80 columns, but for a file name longer than a line, which is never broken
    assert all(len(line) <= 80 or line.strip().rstrip(";:,.") == str(out) for line in result.output.splitlines())
    assert "Moved most" in result.output and "lm.prior.active_recurrence" in result.output
    check = invoke_cleanly(["network", "check", str(out)])
    assert check.exit_code == 0 and "no problems" in check.output
    assert invoke_cleanly(["taps", "--network", str(out)]).exit_code == 0


def test_fit_with_a_pretest_holds_the_prior_of_lm(tmp_path):
    out = tmp_path / "fitted.yaml"
    result = invoke_cleanly(["fit", "breast_cohort", "--pretest", "0.2", "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "P(LM) before any finding is held at 20% (--pretest 0.2), not re-estimated" in text
    assert "use it with --pretest 0.2, as for this cohort" in text
    fitted, shipped = load_network(out).spec.parameters, load_network().spec.parameters
    assert fitted["lm.prior.active_recurrence"].value == shipped["lm.prior.active_recurrence"].value


# Networks of any size through every cohort path (issue 23): 60 causes make 61 nodes that are
# some node's parent (more than einsum's 52 letters: the old batched evaluator failed there
# with an IndexError); 333 causes make 1,000 nodes besides the taps.


@pytest.mark.parametrize("causes, patients", [(60, 200), (333, 40)], ids=["61-parent-nodes", "1000-nodes"])
def test_simulate_validate_and_fit_a_large_network(tmp_path, causes, patients):
    from lmbayes._random import network_text

    network = tmp_path / f"random{causes}.yaml"
    network.write_text(network_text(causes, rng=causes), encoding="utf-8")
    net = load_network(network)
    assert len(net.spec.nodes) == 3 * causes + 1 + 4  # and shedding and three taps
    assert sum(1 for v in net.tables.variables if any(v in net.tables.parents[w] for w in net.tables.variables)) > 52
    cohort = tmp_path / "cohort.csv"
    drawn = invoke_cleanly(["simulate", "--network", str(network), "--cohort", str(patients), "--seed", "3", "--out", str(cohort)])
    assert drawn.exit_code == 0, drawn.output
    checked = invoke_cleanly(["validate", "--network", str(network), str(cohort), "--bootstrap", "10", "--json"])
    assert checked.exit_code == 0, checked.output
    stages = json.loads(checked.output)["stages"]
    assert stages[0]["patients"] == patients and 0.5 < stages[0]["auc"]["value"] <= 1.0
    out = tmp_path / "fitted.yaml"
    fitted = invoke_cleanly(["fit", "--network", str(network), str(cohort), "--out", str(out), "--json"])
    assert fitted.exit_code == 0, fitted.output
    assert load_network(out).spec.nodes == net.spec.nodes
    # P(LM) of each patient from the batched contraction equals the network's one-patient query
    rows = read_cohort(net, cohort)
    joint = net.engine.joint_rows((net.target,), rows.columns, rows.states[:3])
    for i in range(3):
        findings = {c: net.spec.node(c).states[s] for c, s in zip(rows.columns, rows.states[i]) if s >= 0}
        assert joint[i, 1] / joint[i].sum() == pytest.approx(net.posterior(findings).p_target, rel=1e-9)
