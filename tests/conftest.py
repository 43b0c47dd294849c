from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from pathlib import Path

from unittest import mock

import pytest
from click.testing import CliRunner

import lmbayes
from lmbayes import networks
from lmbayes.cli.main import cli

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow statistical checks go to one worker together (pytest-xdist's loadgroup), so
    that the other runs everything else meanwhile and their module fixtures are built once."""
    for item in items:
        if item.get_closest_marker("slow"):
            item.add_marker(pytest.mark.xdist_group("slow"))


@pytest.fixture(scope="session", autouse=True)
def cache_folder(tmp_path_factory) -> Path:
    """Built networks go to a folder of the test run's own (never the user's cache); the
    subprocesses the tests start inherit it."""
    import os

    folder = tmp_path_factory.mktemp("cache")
    os.environ["LMBAYES_CACHE_DIR"] = str(folder)
    return folder


#: The case behind this project, as findings (CSF results separately, in tap order).
CASE = {
    "systemic_status": "active_recurrence",
    "cranial_nerve_palsy": "present",
    "limb_weakness": "present",
    "bladder_bowel": "present",
    "mri": "normal",
    "mri_compression": "absent",
    "mri_parenchymal": "absent",
    "antibody_panel": "negative",
}


@pytest.fixture(scope="session")
def breast() -> lmbayes.Network:
    return lmbayes.load_network("breast")


@pytest.fixture
def case_findings() -> dict[str, str]:
    return dict(CASE)


@pytest.fixture(scope="session")
def breast_pgmpy(breast):
    return breast.to_pgmpy()


@pytest.fixture
def builds():
    """lmbayes.network._build_network, wrapped: how many times a network was built (not read
    from the cache)."""
    import lmbayes.network as network_module

    with mock.patch.object(network_module, "_build_network", wraps=network_module._build_network) as build:
        yield build


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def breast_bif(tmp_path_factory) -> Path:
    """The breast network exported as BIF: an imported network, with no target and no taps."""
    from lmbayes.cli.main import cli

    path = tmp_path_factory.mktemp("imported") / "breast.bif"
    result = CliRunner().invoke(cli, ["network", "export", "--format", "bif", str(path)])
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="session")
def breast_text() -> str:
    return networks.available()["breast"].read_text(encoding="utf-8")


@pytest.fixture
def edited_network(tmp_path: Path, breast_text: str) -> Callable[..., Path]:
    """Write a copy of the breast network with regex substitutions applied; return its path."""

    def edit(*substitutions: tuple[str, str], name: str = "edited.yaml") -> Path:
        text = breast_text
        for pattern, replacement in substitutions:
            text, n = re.subn(pattern, replacement, text, count=1, flags=re.M)
            assert n == 1, f"pattern {pattern!r} not found in the breast network"
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return edit


def taps_in_order(findings: dict[str, str]) -> dict[str, str]:
    """Keep the results of the taps from the first up to the first tap without a cytology (its
    other analyses included): taps are counted in order."""
    k = 1
    while f"csf_{k}" in findings:
        k += 1
    def tap_of(node: str) -> int:
        number = node.rsplit("_", 1)[-1]
        return int(number) if "_" in node and number.isdigit() else 0
    return {n: s for n, s in findings.items() if tap_of(n) <= k}


def invoke_cleanly(args: list[str]):
    """Invoke the CLI with a fresh runner; any exception but a clean exit fails the test."""
    result = CliRunner().invoke(cli, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    return result


_MODULES = """
import json, sys
from lmbayes.cli.main import cli
cli.main({args!r}, standalone_mode=False)
print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))
"""


def loaded_modules(args: list[str], cwd: Path) -> set[str]:
    """The top-level modules a fresh interpreter has loaded after ``lmbayes ARGS`` (run in
    ``cwd``, outside the checkout, so that the installed package is imported)."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-c", _MODULES.format(args=args)], capture_output=True, text=True, check=True, cwd=cwd
    ).stdout
    return set(json.loads(out.strip().splitlines()[-1]))


class PseudoTerminal:
    """``python -m lmbayes ARGS`` in a POSIX pseudo-terminal, started in ``folder`` (outside the
    checkout, so that the installed package runs) with ``env`` added to the environment; what
    it writes collects in ``out``."""

    def __init__(self, args: list[str], folder: Path, env: dict[str, str]) -> None:
        import pty

        self.out = b""
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command, with the terminal as standard input and output
            try:
                os.chdir(folder)
                os.execve(sys.executable, [sys.executable, "-m", "lmbayes", *args], {**os.environ, **env})
            finally:
                os._exit(127)

    def read_until(self, done: Callable[[bytes], object], timeout: float = 60.0) -> None:
        """Read until ``done(out)`` holds, the terminal closes, or ``timeout`` seconds pass."""
        import select
        import time

        end = time.time() + timeout
        while not done(self.out) and time.time() < end:
            if select.select([self.fd], [], [], 0.2)[0]:
                try:
                    self.out += os.read(self.fd, 65536)
                except OSError:
                    return

    def exit_code(self) -> int:
        """Wait for the command to end; its exit code."""
        _, status = os.waitpid(self.pid, 0)
        return os.waitstatus_to_exitcode(status)
