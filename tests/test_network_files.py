"""Networks as data: check, export, import, round trips through pgmpy and pyAgrum, more networks."""

from __future__ import annotations

import json
import re

import numpy as np
from conftest import taps_in_order
import pytest

import lmbayes
from lmbayes import networks
from lmbayes._pgmpy import query
from lmbayes.cli.main import cli
from lmbayes.errors import FindingError, NoTargetError

SUMMARY = ["lm", "paraneoplastic", "epidural_compression", "spine_or_nerve_disease", "systemic_status"]


def random_findings(net, rng, p=0.5):
    return taps_in_order({
        n: net.spec.node(n).states[rng.integers(len(net.spec.node(n).states))]
        for n in net.spec.observable
        if rng.random() < p
    })


def worst_difference(net, model, rng, n_sets):
    """The largest difference between our posteriors and pgmpy's on ``model`` over random findings."""
    worst = 0.0
    for _ in range(n_sets):
        findings = random_findings(net, rng)
        ours = net.posterior(findings, nodes=SUMMARY).posterior
        theirs = query(model, findings, [n for n in SUMMARY if n not in findings])
        for node, dist in theirs.items():
            worst = max(worst, float(np.abs(np.array(list(ours[node].values())) - dist).max()))
    return worst


def test_check_reports_every_problem_with_its_line(runner, edited_network, breast_text):
    path = edited_network(
        (r"(leak: \{value: )0.15", r"\g<1>1.15"),
        (r"sources: \[bonig2019\]", "sources: [bonig2020]"),
        (r"      paraneoplastic: \{value: 0.20", "      paraneoplasia: {value: 0.20"),
        (r"^  seizures:$", "  headache:"),
        (r"three_taps: \{value: 0.85, range: \[0.80, 0.91\]", "three_taps: {value: 0.95, range: [0.80, 0.99]"),
    )
    result = runner.invoke(cli, ["network", "check", str(path)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.startswith("edited.yaml")]
    assert len(lines) >= 4
    assert all(re.match(r"edited\.yaml, line \d+: ", line) for line in lines)
    text = "\n".join(lines)
    assert "duplicate key 'headache'" in text
    assert "unknown source key 'bonig2020'" in text
    assert "unknown node 'paraneoplasia' (did you mean 'paraneoplastic'?)" in text
    assert "three-tap figure of 0.95 is above what the model can reach" in text
    line = next(i for i, t in enumerate(breast_text.splitlines(), 1) if "sources: [bonig2019]" in t)
    assert f"edited.yaml, line {line}: node 'cranial_nerve_palsy', field 'given.lm.sources'" in text


@pytest.mark.parametrize("name", sorted(networks.available()))
def test_shipped_networks_are_clean_and_agree_with_pgmpy(runner, name):
    result = runner.invoke(cli, ["network", "check", str(networks.available()[name])])
    assert result.exit_code == 0 and result.output.endswith("no problems\n")
    net = lmbayes.load_network(name)
    assert worst_difference(net, net.to_pgmpy(), np.random.default_rng(1), 40) < 1e-10


def test_other_tumours_have_their_own_flagged_priors():
    breast, lung, melanoma = (lmbayes.load_network(n) for n in ("breast", "lung", "melanoma"))
    for net in (lung, melanoma):
        prior = net.spec.parameters["lm.prior.active_recurrence"]
        assert prior.judgement and prior.value != breast.spec.parameters["lm.prior.active_recurrence"].value
        assert net.posterior().p_target != breast.posterior().p_target
    assert "lung" in runner_output(["network", "list"])


def test_numbers_copied_from_breast_say_so():
    """Every number of the lung and melanoma files that is the breast file's own says so."""
    breast = lmbayes.load_network("breast").spec.parameters
    for name in ("lung", "melanoma"):
        for path, p in lmbayes.load_network(name).spec.parameters.items():
            b = breast.get(path)
            if b is not None and (p.value, p.low, p.high, p.sources) == (b.value, b.low, b.high, b.sources):
                assert "copied from the breast network" in p.note.lower(), f"{name}: {path}"


def runner_output(args):
    from click.testing import CliRunner

    return CliRunner().invoke(cli, args).output


@pytest.mark.parametrize(
    "fmt, reader, tolerance",
    [
        ("bif", "BIFReader", 1e-10),
        ("xmlbif", "XMLBIFReader", 1e-10),
        ("xdsl", "XDSLReader", 1e-10),
        ("net", "NETReader", 1e-6),  # pgmpy's NETWriter writes 8 significant digits
    ],
    ids=["bif", "xmlbif", "xdsl", "net"],
)
def test_export_round_trip_through_pgmpy(runner, tmp_path, breast, fmt, reader, tolerance):
    from pgmpy import readwrite

    path = tmp_path / f"breast.{fmt}"
    result = runner.invoke(cli, ["network", "export", "--format", fmt, str(path)])
    assert result.exit_code == 0, result.output
    model = getattr(readwrite, reader)(str(path)).get_model()
    assert set(model.nodes()) == set(breast.spec.node_ids)
    assert model.get_cpds("csf_1").state_names["csf_1"] == ["negative", "equivocal", "positive"]
    assert worst_difference(breast, model, np.random.default_rng(2), 25) < tolerance


def test_uai_export_keeps_the_numbers(runner, tmp_path, breast):
    path = tmp_path / "breast.uai"
    assert runner.invoke(cli, ["network", "export", "--format", "uai", str(path)]).exit_code == 0
    text = path.read_text()
    assert text.startswith("BAYES") and str(len(breast.spec.nodes)) in text.splitlines()[1]


@pytest.mark.parametrize(
    "fmt, suffix, tolerance",
    [("bif", "bif", 1e-6), ("xmlbif", "bifxml", 1e-10)],  # pyAgrum parses BIF numbers in single precision
    ids=["bif", "xmlbif"],
)
def test_exported_network_gives_the_same_posteriors_in_pyagrum(runner, tmp_path, breast, fmt, suffix, tolerance):
    import pyagrum as gum

    path = tmp_path / f"breast.{suffix}"
    assert runner.invoke(cli, ["network", "export", "--format", fmt, str(path)]).exit_code == 0
    bn = gum.loadBN(str(path))
    rng = np.random.default_rng(3)
    for _ in range(40):
        findings = random_findings(breast, rng)
        engine = gum.LazyPropagation(bn)
        engine.setEvidence(findings)
        engine.makeInference()
        ours = breast.posterior(findings, nodes=["lm", "epidural_compression"]).posterior
        for node in ("lm", "epidural_compression"):
            if node in findings:
                continue
            theirs = engine.posterior(node)
            labels = [bn.variable(node).label(i) for i in range(bn.variable(node).domainSize())]
            for state, p in ours[node].items():
                assert abs(theirs[labels.index(state)] - p) < tolerance


def test_query_a_bif_file_and_tap_commands_say_what_they_need(runner, tmp_path, breast):
    path = tmp_path / "other.bif"
    assert runner.invoke(cli, ["network", "export", "--format", "bif", str(path)]).exit_code == 0
    net = lmbayes.load_network(path)
    findings = {"mri": "normal", "csf_1": "negative", "headache": "present"}
    expected = breast.posterior(findings).p_target
    assert net.posterior(findings).posterior["lm"]["present"] == pytest.approx(expected, abs=1e-12)
    data = json.loads(runner.invoke(cli, ["posterior", "--network", str(path), "-e", "mri=normal", "--json"]).output)
    assert data["posterior"]["lm"]["present"] == pytest.approx(breast.posterior({"mri": "normal"}).p_target, abs=1e-12)
    result = runner.invoke(cli, ["taps", "--network", str(path)])
    assert result.exit_code == 2
    assert "needs to know which node is LM and which are the CSF taps" in result.output
    assert "with `target:` and a `cytology:` block" in result.output


def test_unreadable_bif(runner, tmp_path):
    path = tmp_path / "broken.bif"
    path.write_text("network x { }\nvariable a { type discrete [ 2 ] { y, n }; }\nprobability ( a ) { table 0.5; }\n")
    result = runner.invoke(cli, ["posterior", "--network", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("Error: broken.bif: cannot read it as BIF")
    assert len(result.output.strip().splitlines()) == 1


def test_a_new_user_edits_a_number_checks_it_and_queries_it(runner, edited_network, breast):
    path = edited_network((r"sensitivity: \{value: 0.594, range: \[0.594,", "sensitivity: {value: 0.90, range: [0.594,"))
    assert runner.invoke(cli, ["network", "check", str(path)]).exit_code == 0
    data = json.loads(runner.invoke(cli, ["posterior", "--network", str(path), "-e", "mri=normal", "--json"]).output)
    prior = breast.posterior().p_target
    # Bayes: P(normal | LM) is the edited 1 - 0.90; P(normal | no LM) is the specificity in the
    # population, with the rival causes of enhancement (unchanged by the edit)
    spec = breast.posterior({"lm": "absent"}, nodes=["mri"]).posterior["mri"]["normal"]
    expected = prior * 0.10 / (prior * 0.10 + (1 - prior) * spec)
    assert data["posterior"]["lm"]["present"] == pytest.approx(expected, abs=1e-14)


def one_error(result, code, message):
    assert result.exit_code == code, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and message in errors[0], result.output
    assert "Traceback" not in result.output


def test_imported_network_limits(runner, tmp_path, breast_bif):
    bif = breast_bif
    one_error(runner.invoke(cli, ["posterior", "--network", str(bif), "--uncertainty"]), 2, "needs to know which node is LM")
    one_error(runner.invoke(cli, ["posterior", "--network", str(bif), "--csf", "neg"]), 2, "declares no CSF taps; give results of its nodes with -e")
    assert runner.invoke(cli, ["posterior", "--network", str(bif), "-e", "csf_1=negative"]).exit_code == 0
    check = runner.invoke(cli, ["network", "check", str(bif)])
    assert check.exit_code == 1 and "not a lmbayes network file (YAML)" in check.output
    garbage = tmp_path / "g.bif"
    garbage.write_text("garbage {{{")
    one_error(runner.invoke(cli, ["posterior", "--network", str(garbage)]), 1, "g.bif: cannot read it as BIF")


def test_imported_network_limits_in_the_library(breast_bif):
    """The library says what is missing without naming a command-line option."""
    bif = breast_bif
    net = lmbayes.load_network(bif)
    assert net.imported and net.spec.n_taps == 0
    with pytest.raises(FindingError, match="declares no CSF taps; give the results of its nodes by name") as info:
        net.observe({}, "neg")
    assert "-e" not in str(info.value)
    for needs_target in (net.taps, net.require_target, lambda: net.with_taps(3)):
        with pytest.raises(NoTargetError, match="needs to know which node is LM") as info:
            needs_target()
        assert "--" not in str(info.value)
    for options in ({"pretest": 0.2}, {"taps": 3}):
        with pytest.raises(NoTargetError):
            lmbayes.load_network(bif, **options)


def test_check_takes_a_shipped_network_by_name(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name, path in networks.available().items():
        result = runner.invoke(cli, ["network", "check", name])
        assert result.exit_code == 0, result.output
        assert result.output == f"{path}: no problems\n"
    # a file of that name in the folder is the one checked
    (tmp_path / "breast").write_text("title: [", encoding="utf-8")
    result = runner.invoke(cli, ["network", "check", "breast"])
    assert result.exit_code == 1 and str(networks.available()["breast"]) not in result.output
    result = runner.invoke(cli, ["network", "check", "no_such_network"])
    assert result.exit_code != 0 and "no such network file" in result.output
