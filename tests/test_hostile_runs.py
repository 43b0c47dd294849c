"""Issue 27, tracebacks that remained and long runs with no way to judge them: one line and
exit 1 or 2 for every bad cohort or network below; progress, a stated cost and partial results
for the runs that take long or are stopped."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

import lmbayes
from lmbayes import networks
from lmbayes.cli import _cohort_commands, _teach
from lmbayes.cli.main import cli
from conftest import PseudoTerminal
from lmbayes.cohort import read_cohort

SHIPPED = networks.available()["breast"].parent
COHORT = (SHIPPED / "breast_cohort.csv").read_text(encoding="utf-8").splitlines()
HEADER = COHORT[0].split(",")
NETWORK = networks.available()["breast"].read_text(encoding="utf-8")


def run(args: list[str], **kwargs) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, args, **kwargs)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.stdout, result.stderr


def one_error(code: int, stderr: str) -> str:
    assert code in (1, 2), stderr
    lines = [line for line in stderr.splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in stderr, stderr
    return lines[0]


def cohort_with(tmp_path: Path, header: list[str], keep: list[int] | None = None) -> Path:
    """The shipped cohort with a new header (and only the columns ``keep``)."""
    rows = [line.split(",") for line in COHORT[1:]]
    keep = keep if keep is not None else list(range(len(HEADER)))
    path = tmp_path / "cohort.csv"
    lines = [",".join(header), *(",".join(r[i] for i in keep) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def renamed(old: str, new: str) -> list[str]:
    return [new if h == old else h for h in HEADER]


# -- tracebacks ------------------------------------------------------------------------------

BAD_HEADERS = {
    "no diagnosis column": (HEADER[1:], list(range(1, len(HEADER))), "no diagnosis column 'lm'"),
    "tap with a leading zero": (renamed("csf_1", "csf_01"), None, "'csf_01' is not a tap's column"),
    "tap alone with a leading zero": (["lm", "csf_07"], [0, HEADER.index("csf_1")], "'csf_07' is not a tap's column"),
    "tap in Arabic-Indic digits": (renamed("csf_1", "csf_\u0661"), None, "is not a tap's column"),
    "analysis in Devanagari digits": (renamed("cells_1", "cells_\u0967"), None, "is not a tap's column"),
    "analysis in full-width digits": (renamed("cells_1", "cells_\uff11"), None, "is not a tap's column"),
    "a tap beyond the network": (["lm", "csf_9"], [0, HEADER.index("csf_1")], "use --max-taps 9"),
    "a tap number of 5000 digits": (["lm", "csf_" + "9" * 5000], [0, HEADER.index("csf_1")], "is not a tap's column"),
}


@pytest.mark.parametrize("command", ["validate", "fit"])
@pytest.mark.parametrize("what", sorted(BAD_HEADERS), ids=sorted(BAD_HEADERS))
def test_a_bad_cohort_header_is_one_line(tmp_path, what, command):
    header, keep, said = BAD_HEADERS[what]
    path = cohort_with(tmp_path, header, keep)
    extra = ["--out", str(tmp_path / "fitted.yaml")] if command == "fit" else ["--bootstrap", "0"]
    code, _, err = run([command, str(path), *extra])
    line = one_error(code, err)
    assert said in line and len(line) < 400, line
    assert not (tmp_path / "fitted.yaml").exists()


def test_a_cohort_of_the_diagnosis_alone_validates(tmp_path):
    path = cohort_with(tmp_path, ["lm"], [0])
    code, out, err = run(["validate", str(path), "--bootstrap", "20", "--json"])
    assert code == 0, err
    stage = json.loads(out)["stages"][0]
    assert stage["auc"]["value"] == pytest.approx(0.5)  # every patient has the prior: no discrimination


@pytest.mark.parametrize("given", ["lm", "burden"])
def test_a_test_of_the_latent_node_with_a_given_frequency_is_one_line(tmp_path, given):
    old = "    target: csf_reaction\n    group: routine\n    given:\n      lm: {value: 0.50"
    assert old in NETWORK
    path = tmp_path / "latent.yaml"
    path.write_text(NETWORK.replace(old, f"    target: burden\n    group: routine\n    given:\n      {given}: {{value: 0.50", 1),
                    encoding="utf-8")
    code, out, err = run(["network", "check", str(path)])
    assert code == 1 and "latent 'burden'" in out and "Traceback" not in out + err, out + err
    for args in (["taps", "--network", str(path), "--with", "routine"], ["posterior", "--network", str(path)]):
        code, _, err = run(args)
        assert "latent 'burden'" in one_error(code, err)


# -- replay --step: stopping, a closed terminal ----------------------------------------------

@pytest.fixture
def terminal(monkeypatch):
    monkeypatch.setattr(_teach, "interactive", lambda: True)
    monkeypatch.setattr(_teach, "columns", lambda: 80)


@pytest.mark.parametrize("typed", ["20\nq\n", "20\n"], ids=["q", "end of input"])
def test_replay_step_json_writes_the_steps_answered_when_the_room_stops(terminal, typed):
    code, out, err = run(["replay", "seed_case", "--step", "--json"], input=typed)
    assert code == 0, err
    data = json.loads(out)
    assert data["stopped_at_step"] == 2
    assert data["scores"]["guesses"][0] == pytest.approx(0.2) and data["scores"]["guesses"][1:] == [None] * 7
    assert "Stopped at step 2 of 8." in err


def test_replay_step_json_writes_the_steps_answered_on_ctrl_c(terminal, monkeypatch):
    calls = []
    real = _teach.parse_guess

    def second_is_ctrl_c(line: str):
        calls.append(line)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(line)

    monkeypatch.setattr(_teach, "parse_guess", second_is_ctrl_c)
    code, out, err = run(["replay", "seed_case", "--step", "--json"], input="20\n30\n")
    assert code == 130
    data = json.loads(out)
    assert data["stopped_at_step"] == 2 and data["scores"]["guesses"][0] == pytest.approx(0.2)
    assert err.rstrip().endswith("Interrupted.")


class ClosedTerminal(io.RawIOBase):
    """Standard input of a terminal that has gone away: every read fails with EIO."""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        raise OSError(errno.EIO, "Input/output error")


@pytest.mark.parametrize("as_json", [False, True], ids=["text", "json"])
def test_a_terminal_that_closes_during_replay_step_ends_as_stopped(terminal, as_json):
    args = ["replay", "seed_case", "--step"] + (["--json"] if as_json else [])
    code, out, err = run(args, input=io.BufferedReader(ClosedTerminal()))
    assert code == 0 and "Traceback" not in out + err
    assert "Stopped at step 1 of 8." in (err if as_json else out)


def test_a_closed_output_pipe_ends_in_one_line(tmp_path):
    child = subprocess.Popen([sys.executable, "-m", "lmbayes", "network", "show"], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, cwd=tmp_path)
    child.stdout.close()  # the reader went away (`| head -0`) before the command wrote
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=60) == 1
    assert "Traceback" not in err and err.count("\n") <= 1, err  # click ends a broken pipe quietly


def test_an_output_terminal_that_closes_ends_in_one_line(monkeypatch):
    import click

    def gone(*args, **kwargs):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(click, "echo", gone)
    monkeypatch.setattr("lmbayes.cli._query_commands.click.echo", gone)
    code, out, err = run(["posterior"])
    assert code == 1 and err == "Error: the output was closed before the command finished\n"


# -- long runs -------------------------------------------------------------------------------

def test_a_bootstrap_over_a_minute_needs_yes_when_no_one_can_answer():
    started = time.monotonic()
    code, _, err = run(["validate", "breast_cohort", "--bootstrap", "100000"])
    line = one_error(code, err)
    assert code == 2 and "about" in line and "minutes" in line and "--yes" in line and "--bootstrap" in line
    assert time.monotonic() - started < 20  # refused before any resampling


@pytest.mark.parametrize("answer, code", [("n\n", 1), ("\n", 1), ("y\n", 0)], ids=["no", "enter", "yes"])
def test_a_long_bootstrap_is_confirmed_on_a_terminal(monkeypatch, answer, code):
    monkeypatch.setattr(_cohort_commands, "SECONDS_PER_CELL", 1e-3)  # 20 resamples now count as long
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    import click.testing

    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    got, out, err = run(["validate", "breast_cohort", "--bootstrap", "20", "--json"], input=answer)
    assert got == code, err
    assert "Run it?" in err
    if code == 0:
        assert json.loads(out)["bootstrap"] == 20
    else:
        assert err.splitlines()[-1].startswith("Error: not run; ask for fewer (e.g. --bootstrap ")


def test_a_short_bootstrap_runs_without_asking():
    code, out, _ = run(["validate", "breast_cohort", "--bootstrap", "20", "--json"])
    assert code == 0 and json.loads(out)["bootstrap"] == 20


def test_the_bootstrap_reports_every_resample_and_its_chunks_change_no_number():
    import lmbayes.validate as validate

    net = lmbayes.load_network()
    cohort = read_cohort(net, "breast_cohort")
    done: list[int] = []
    with pytest.MonkeyPatch.context() as m:
        m.setattr(validate, "CHUNK", 100)  # a chunk and a part, at a tenth of the cost of 2,000
        validate.validate(net, cohort, bootstrap=130, rng=5, progress=done.append)
    assert sum(done) == 130 * validate.bootstrap_steps(net, cohort)
    assert max(done) == 100 and 30 in done
    small = validate.validate(net, cohort, bootstrap=150, rng=5)
    with pytest.MonkeyPatch.context() as m:
        m.setattr(validate, "CHUNK", 7)  # the same resamples, seven at a time
        again = validate.validate(net, cohort, bootstrap=150, rng=5)
    for a, b in zip(small.stages, again.stages):
        assert a.auc == b.auc and a.brier == b.brier  # sums over each resample: the same numbers
        for x, y in ((a.slope, b.slope), (a.intercept, b.intercept)):
            # Newton's iterations stop row by row: the same fits, to the last digits of the
            # matrix products (and a nearly separated resample may stop an iteration apart)
            assert x.value == y.value and (x.low is None) == (y.low is None)
            if x.low is not None:
                assert (x.low, x.high) == pytest.approx((y.low, y.high), rel=1e-2)


def test_ctrl_c_during_the_bootstrap_keeps_the_point_estimates(monkeypatch):
    import lmbayes.validate as validate

    net = lmbayes.load_network()
    cohort = read_cohort(net, "breast_cohort")
    calls = []

    def stop_on_the_third(n: int) -> None:
        calls.append(n)
        if len(calls) == 3:
            raise KeyboardInterrupt

    with pytest.raises(validate.BootstrapStopped) as stopped:
        validate.validate(net, cohort, bootstrap=30, rng=1, progress=stop_on_the_third)
    full = validate.validate(net, cohort, bootstrap=0, rng=1)
    assert stopped.value.partial == full  # every point estimate, no interval
    assert isinstance(stopped.value, KeyboardInterrupt)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_validate_shows_progress_with_time_left_and_ctrl_c_prints_what_was_done(tmp_path):
    bar = re.compile(rb"\d+(\.\d+)?k?/\d+(\.\d+)?k? \[\d\d:\d\d<\d\d:\d\d")  # tqdm: done/total [elapsed<left
    terminal = PseudoTerminal(["validate", "breast_cohort", "--bootstrap", "30000", "--yes"], tmp_path,
                              {"COLUMNS": "80", "NO_COLOR": "1"})
    try:
        terminal.read_until(bar.search, timeout=120.0)
        os.kill(terminal.pid, signal.SIGINT)
        terminal.read_until(lambda out: b"Interrupted during the bootstrap" in out, timeout=120.0)
        terminal.read_until(lambda out: False, timeout=2)
    finally:
        code = terminal.exit_code()
    out = terminal.out
    text = out.decode(errors="replace")
    assert bar.search(out), text[-500:]
    assert code == 130
    assert "Interrupted during the bootstrap: the results above have no intervals." in text
    assert "AUC" in text and "Traceback" not in text


@pytest.mark.parametrize("command", ["posterior", "taps", "plan"])
def test_draws_over_a_minute_need_yes_when_no_one_can_answer(command):
    started = time.monotonic()
    code, _, err = run([command, "--uncertainty", "--draws", "1000000"])
    line = one_error(code, err)
    assert code == 2 and "--draws 1,000,000 takes about 5 minutes" in line and "--yes" in line
    assert time.monotonic() - started < 20  # refused before drawing


def test_draws_under_a_minute_run_without_asking():
    code, out, _ = run(["posterior", "--uncertainty", "--draws", "100", "--json"])
    assert code == 0 and json.loads(out)["uncertainty"]["draws"] == 100


@pytest.mark.parametrize("answer, code", [("n\n", 1), ("y\n", 0)], ids=["no", "yes"])
def test_many_draws_are_confirmed_on_a_terminal(monkeypatch, answer, code):
    from lmbayes.cli import _options

    monkeypatch.setattr(_options, "SECONDS_PER_DRAW", 1.0)  # 100 draws now count as long
    import click.testing

    monkeypatch.setattr(click.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    got, out, err = run(["posterior", "--uncertainty", "--draws", "100", "--json"], input=answer)
    assert got == code and "Run it?" in err, err
    if code:
        assert err.splitlines()[-1].startswith("Error: not run; ask for fewer (e.g. --draws ")


DEVICE_INPUTS = {
    "network check": ["network", "check", "{f}"],
    "case check": ["case", "check", "{f}"],
    "validate": ["validate", "{f}", "--bootstrap", "0"],
    "fit": ["fit", "{f}", "--out", "{tmp}/fitted.yaml"],
    "replay --guesses": ["replay", "seed_case", "--guesses", "{f}"],
}


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("what", sorted(DEVICE_INPUTS), ids=sorted(DEVICE_INPUTS))
@pytest.mark.parametrize("source", ["/dev/zero", "fifo"])
def test_a_device_or_a_pipe_is_refused_not_read_forever(tmp_path, what, source):
    f = source
    if source == "fifo":
        f = str(tmp_path / "pipe.csv")
        os.mkfifo(f)  # opening it would wait for a writer for ever
    args = [a.format(f=f, tmp=tmp_path) for a in DEVICE_INPUTS[what]]
    done = subprocess.run([sys.executable, "-m", "lmbayes", *args], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode in (1, 2) and "Traceback" not in done.stderr
    assert "not a regular file" in done.stdout + done.stderr


def test_a_network_file_too_large_to_be_one_is_refused(tmp_path):
    from lmbayes._text import TEXT_LIMIT

    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate(TEXT_LIMIT + 1)  # sparse: no disk used
    code, out, err = run(["network", "check", str(path)])
    assert code == 1 and "more than the 16 MiB read" in out, out
