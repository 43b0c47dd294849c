"""Case files: a timeline of findings, one labelled step at a time, for teaching.

A case file (YAML) names its network and lists steps; each step has a label and findings
(``{node: state}``) and/or CSF results (``csf: [negative]``, appended in tap order). Case files
ship in ``networks/cases/`` and are discovered by name; a path works too. They are read like
network files (:mod:`lmbayes._yaml`: no aliases, no repeated keys) and checked against their
network: every error names the file, the line, the step and the field.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lmbayes._text import printable, read_file, shown
from lmbayes._yaml import Lines, read
from lmbayes.errors import InputError, LmbayesError, NetworkFileError, did_you_mean
from lmbayes.findings import Findings
from lmbayes.network import Network, load_network
from lmbayes.spec import MAX_TAPS

__all__ = ["CaseFile", "Step", "available_cases", "case_path", "check_case", "load_case"]

_FIELDS = ("name", "title", "network", "description", "source", "note", "steps")


@dataclass(frozen=True)
class Step:
    label: str
    findings: tuple[tuple[str, str], ...] = ()
    csf: tuple[str, ...] = ()


@dataclass(frozen=True)
class CaseFile:
    name: str
    title: str
    network: str
    description: str
    source: str
    #: one paragraph for the end of the lesson: what the case teaches, true of the network's numbers
    note: str
    steps: tuple[Step, ...]
    path: str
    #: the checked findings after each step (filled in by :func:`load_case`)
    findings: tuple[Findings, ...] = ()

    def findings_until(self, k: int) -> tuple[dict[str, str], list[str]]:
        """The findings and CSF results of the first ``k`` steps."""
        findings: dict[str, str] = {}
        csf: list[str] = []
        for step in self.steps[:k]:
            findings.update(step.findings)
            csf += step.csf
        return findings, csf


def available_cases() -> dict[str, Path]:
    """Shipped case names and their files."""
    from lmbayes.networks.cases import available

    return available()


def load_case(name_or_path: str | Path) -> tuple[CaseFile, Network]:
    """Load and check a case file (a shipped name or a path) and its network; the first
    problem raises (:func:`check_case` lists them all)."""
    path = case_path(name_or_path)
    case, network, problems = _load(path)
    if problems:
        raise problems[0]
    assert case is not None and network is not None
    return case, network


def check_case(path: str | Path) -> list[str]:
    """Every problem of the case file at ``path``, one line each with its line number (empty
    when clean). A problem that leaves nothing to check after it (unreadable YAML, an unknown
    network) is the only one reported."""
    _, _, problems = _load(Path(path))
    return [str(p) for p in problems]


def case_path(name_or_path: str | Path) -> Path:
    """The file of a shipped case name, or the path given; an :class:`InputError` naming the
    shipped cases when neither exists."""
    shipped = available_cases()
    text = str(name_or_path)
    if text in shipped:
        return shipped[text]
    path = Path(text)
    if not path.is_file() and (path.suffix.lower() in (".yaml", ".yml") or "/" in text or "\\" in text):
        raise InputError(f"no case file at '{printable(text)}'; shipped cases: {', '.join(shipped)}")
    if not path.is_file():
        raise InputError(
            f"unknown case '{text}'{did_you_mean(text, shipped)}; shipped cases: "
            f"{', '.join(shipped)}, or give the path of a case file"
        )
    return path


def _load(path: Path) -> tuple[CaseFile | None, Network | None, list[NetworkFileError]]:
    try:
        source = read_file(path).decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except (OSError, UnicodeDecodeError) as exc:
        return None, None, [NetworkFileError(f"{path}: cannot read the case file ({exc})")]
    try:
        case, network, problems = _parse(read(source, path.name, "case file"), path, Lines(source))
    except NetworkFileError as exc:
        return None, None, [exc]
    return case, network, sorted(problems, key=lambda p: getattr(p, "line", 0))


def _parse(data: Any, path: Path, lines: Lines) -> tuple[CaseFile | None, Network | None, list[NetworkFileError]]:
    """The case and its network, and every problem found; a problem after which nothing can be
    checked raises."""
    file = path.name
    problems: list[NetworkFileError] = []

    def error(where: str, problem: str, at: tuple[str | int, ...] = ()) -> NetworkFileError:
        line = lines.find(at) if at else None
        exc = NetworkFileError(f"{file}{f', line {line}' if line else ''}: {where}: {problem}")
        exc.line = line or 0  # type: ignore[attr-defined]  # problems are reported in line order
        return exc

    def text(raw: Any, where: str, at: tuple[str | int, ...], keep: str = "") -> str:
        """A text field: text or a plain number, its control characters escaped."""
        if isinstance(raw, str):
            return printable(raw, keep)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool) and math.isfinite(raw):
            return str(raw)
        raise error(where, f"expected a text, got {shown(raw)}", at)

    if not isinstance(data, dict):
        raise error("field 'steps'", "expected a mapping with name, title, network and steps")
    for field in ("name", "title", "network", "steps"):
        if field not in data:
            problems.append(error(f"field '{field}'", "missing"))
    for field in sorted(map(str, set(data) - set(_FIELDS))):
        field = printable(field)
        problems.append(error(f"field '{field}'", f"unknown field; a case file has {', '.join(_FIELDS)}", (field,)))
    fields = {}
    for f in _FIELDS:
        if f != "steps":
            try:
                fields[f] = text(data.get(f, ""), f"field '{f}'", (f,), "\n\t")
            except NetworkFileError as exc:
                problems.append(exc)
                fields[f] = ""
    if "network" not in data:
        return None, None, problems
    network_ref = fields["network"]
    network_path = Path(network_ref)
    if not network_path.is_absolute() and (path.parent / network_ref).is_file():
        network_ref = str(path.parent / network_ref)
    try:
        network = load_network(network_ref)
        network.require_target()  # a case is replayed as P(LM), step by step
    except LmbayesError as exc:
        return None, None, [*problems, error("field 'network'", str(exc), ("network",))]
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        if "steps" in data:
            problems.append(error("field 'steps'", "expected a list of steps, each with a label and findings or csf", ("steps",)))
        return None, network, problems
    steps: list[Step | None] = []
    for k, raw in enumerate(raw_steps, start=1):
        try:
            steps.append(_step(raw, k, error, text))
        except NetworkFileError as exc:
            problems.append(exc)
            steps.append(None)
    taps = sum(len(s.csf) for s in steps if s is not None)
    if taps > network.spec.n_taps:  # model as many taps as the case has (at most 10)
        if taps > MAX_TAPS:
            problems.append(error("field 'steps'", f"{taps} CSF results; lmbayes models at most {MAX_TAPS} taps", ("steps",)))
            return None, network, problems
        network = network.with_taps(taps)
    findings: dict[str, str] = {}
    csf: list[str] = []
    checked = []
    for k, step in enumerate(steps, start=1):  # every prefix must be valid and possible
        if step is None:
            continue
        repeated = [node for node, _ in step.findings if node in findings]
        for node in repeated:
            problems.append(error(
                f"step {k}, field 'findings.{node}'", "given in an earlier step; give each finding once",
                ("steps", k - 1, "findings", node),
            ))
        if repeated:
            continue
        try:
            checked.append(network.observe({**findings, **dict(step.findings)}, [*csf, *step.csf]))
        except LmbayesError as exc:
            problems.append(error(f"step {k}", str(exc), ("steps", k - 1)))
            continue
        findings.update(step.findings)
        csf += step.csf
    if problems:
        return None, network, problems
    case = CaseFile(
        name=printable(fields["name"]),
        title=printable(fields["title"]),
        network=network.label,
        description=fields["description"].strip(),
        source=fields["source"],
        note=" ".join(fields["note"].split()),
        steps=tuple(s for s in steps if s is not None),
        path=str(path),
        findings=tuple(checked),
    )
    return case, network, problems


def _step(raw: Any, k: int, error: Any, text: Any) -> Step:
    """Step ``k`` of the file, its fields checked (not yet against the network)."""
    where, at = f"step {k}", ("steps", k - 1)
    if not isinstance(raw, dict) or "label" not in raw or not ({"findings", "csf"} & set(raw)):
        raise error(where, "expected a label and findings and/or csf", at)
    extra = set(raw) - {"label", "findings", "csf"}
    if extra:
        field = printable(str(sorted(map(str, extra))[0]))
        raise error(f"{where}, field '{field}'", "unknown field; a step has label, findings and csf", (*at, field))
    findings = raw.get("findings") or {}
    csf = raw.get("csf") or []
    if not isinstance(findings, dict) or not isinstance(csf, list):
        raise error(where, "findings must be a mapping node: state and csf a list of results", at)
    named = []
    for node, state in findings.items():
        node = text(node, f"{where}, field 'findings'", (*at, "findings"))
        field = f"{where}, field 'findings.{node}'"
        if isinstance(state, bool):
            raise error(
                field,
                "YAML reads yes/no/true/false as a truth value; write the state's name (e.g. present)",
                (*at, "findings", node),
            )
        named.append((node, text(state, field, (*at, "findings", node))))
    results = tuple(text(r, f"{where}, field 'csf'", (*at, "csf", i)) for i, r in enumerate(csf))
    return Step(text(raw["label"], f"{where}, field 'label'", (*at, "label")), tuple(named), results)
