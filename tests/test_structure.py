"""The shape of the code: no import circle, and the package runs from a checkout and with -m."""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import pytest

import lmbayes
import lmbayes.cli
import lmbayes.networks
import lmbayes.networks.cases

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (lmbayes, lmbayes.cli, lmbayes.networks, lmbayes.networks.cases)


def our_modules() -> dict[str, Path]:
    """Every module of the package (as installed, or from the checkout), by dotted name."""
    modules = {}
    for package in PACKAGES:
        folder = Path(package.__file__).parent
        for file in sorted(folder.glob("*.py")):
            name = package.__name__ if file.stem == "__init__" else f"{package.__name__}.{file.stem}"
            modules[name] = file
    return modules


def _runtime_imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Import statements that run (those under ``if TYPE_CHECKING:`` do not), at any depth."""
    found = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = our_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        for node in _runtime_imports(ast.parse(file.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = node.module or ""
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def test_the_import_graph_is_walked():
    graph = import_graph()
    assert "lmbayes.kinds" in graph["lmbayes.tables"]
    assert "lmbayes.findings" in graph["lmbayes.network"]
    assert "lmbayes.network" in graph["lmbayes.cli._options"]
    assert len(graph) >= 25


def test_no_import_circle():
    graph = import_graph()
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import circle: {' -> '.join(exc.args[1])}")


#: The most lines a module of the library or the command line may have (one noun a module).
MAX_LINES = 500


def test_no_module_of_the_library_or_the_command_line_is_over_500_lines():
    sizes = {
        name: len(file.read_text(encoding="utf-8").splitlines())
        for name, file in our_modules().items()
        if name.split(".")[:2] != ["lmbayes", "networks"]
    }
    assert "lmbayes.cli._format" in sizes and "lmbayes.engine" in sizes
    assert {name: n for name, n in sizes.items() if n > MAX_LINES} == {}


def test_tables_and_engine_do_not_import_each_other():
    graph = import_graph()
    assert "lmbayes.tables" not in graph["lmbayes.engine"]  # the engine knows tables by type only


@pytest.mark.parametrize("where", ["checkout", "elsewhere"])
def test_import_and_python_m_from_the_checkout_root_and_elsewhere(where, tmp_path):
    """Elsewhere, or with an editable install, both work. At a source checkout's root with a
    regular install Python takes the folder's lmbayes/ (without networks/ and cli/, which install
    into the package): one clear line each, never a bare ModuleNotFoundError."""
    cwd = ROOT if where == "checkout" else tmp_path
    code = "import lmbayes; print(round(lmbayes.load_network().posterior().p_target, 4))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=cwd)
    run = subprocess.run([sys.executable, "-m", "lmbayes", "taps", "--json"], capture_output=True, text=True, cwd=cwd)
    probe = "import importlib.util; print(importlib.util.find_spec('lmbayes.cli') is not None)"
    has_cli = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=cwd).stdout.strip()
    if has_cli == "True":  # the installed package
        assert out.returncode == 0, out.stderr
        # by hand: sum over staging s and brain metastases b of P(s) P(b | s) P(LM | s, b), with
        # P(LM | s, b) = 1 - (1 - p_s)(1 - 0.10 b): 0.7 (0.97 x 0.006 + 0.03 x 0.1054) + 0.3 (0.7 x 0.035 + 0.3 x 0.1315)
        assert out.stdout.strip() == "0.0255"
        assert run.returncode == 0, run.stderr
        assert '"taps_done": 0' in run.stdout
    else:
        assert where == "checkout"
        assert out.stderr.splitlines()[-1].startswith("ImportError: this lmbayes ("), out.stderr
        assert "has no networks" in out.stderr and "pip install -e ." in out.stderr
        assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
        assert run.stderr.startswith("Error: this folder's lmbayes/ has no command line"), run.stderr
