"""Case files: a timeline of findings, one labelled step at a time, for teaching.

A case file (YAML) names its network and lists steps; each step has a label and findings
(``{node: state}``) and/or CSF results (``csf: [negative]``, appended in tap order). Case files
ship in ``networks/cases/`` and are discovered by name; a path works too. They are checked
against their network: every error names the file, the step and the field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from lmbayes.errors import InputError, LmbayesError, NetworkFileError, did_you_mean
from lmbayes.findings import Findings
from lmbayes.network import Network, load_network
from lmbayes.spec import MAX_TAPS

__all__ = ["CaseFile", "Step", "available_cases", "load_case"]

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    folder = resources.files("lmbayes.networks.cases")
    return {
        Path(e.name).stem: Path(str(e))
        for e in sorted(folder.iterdir(), key=lambda e: e.name)
        if e.name.endswith((".yaml", ".yml"))
    }


def load_case(name_or_path: str | Path) -> tuple[CaseFile, Network]:
    """Load and check a case file (a shipped name or a path) and its network."""
    shipped = available_cases()
    text = str(name_or_path)
    if text in shipped:
        path = shipped[text]
    else:
        path = Path(text)
        if not path.is_file():
            raise InputError(
                f"unknown case '{text}'{did_you_mean(text, shipped)}; shipped cases: "
                f"{', '.join(shipped)}, or give the path of a case file"
            )
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise NetworkFileError(f"{path.name}{line}: not valid YAML ({getattr(exc, 'problem', None) or 'malformed'})") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"{path}: cannot read the case file ({exc})") from None
    return _parse(data, path)


def _parse(data: Any, path: Path) -> tuple[CaseFile, Network]:
    file = path.name

    def error(where: str, problem: str) -> NetworkFileError:
        return NetworkFileError(f"{file}: {where}: {problem}")

    if not isinstance(data, dict):
        raise error("field 'steps'", "expected a mapping with name, title, network and steps")
    for field in ("name", "title", "network", "steps"):
        if field not in data:
            raise error(f"field '{field}'", "missing")
    unknown = set(data) - {"name", "title", "network", "description", "source", "steps"}
    if unknown:
        raise error(f"field '{sorted(unknown)[0]}'", "unknown field")
    network_ref = str(data["network"])
    network_path = Path(network_ref)
    if not network_path.is_absolute() and (path.parent / network_ref).is_file():
        network_ref = str(path.parent / network_ref)
    try:
        network = load_network(network_ref)
    except LmbayesError as exc:
        raise error("field 'network'", str(exc)) from None
    raw_steps = data["steps"]
    if not isinstance(raw_steps, list) or not raw_steps:
        raise error("field 'steps'", "expected a list of steps, each with a label and findings or csf")
    steps = []
    for k, raw in enumerate(raw_steps, start=1):
        where = f"step {k}"
        if not isinstance(raw, dict) or "label" not in raw or not ({"findings", "csf"} & set(raw)):
            raise error(where, "expected a label and findings and/or csf")
        extra = set(raw) - {"label", "findings", "csf"}
        if extra:
            raise error(f"{where}, field '{sorted(extra)[0]}'", "unknown field")
        findings = raw.get("findings") or {}
        csf = raw.get("csf") or []
        if not isinstance(findings, dict) or not isinstance(csf, list):
            raise error(where, "findings must be a mapping node: state and csf a list of results")
        for node, state in [*findings.items(), *((f"csf[{i}]", r) for i, r in enumerate(csf))]:
            if isinstance(state, bool):
                raise error(
                    f"{where}, field 'findings.{node}'",
                    "YAML reads yes/no/true/false as a truth value; write the state's name (e.g. present)",
                )
        steps.append(Step(str(raw["label"]), tuple((str(n), str(s)) for n, s in findings.items()), tuple(map(str, csf))))
    case = CaseFile(
        name=str(data["name"]),
        title=str(data["title"]),
        network=network.label,
        description=str(data.get("description", "")).strip(),
        source=str(data.get("source", "")),
        steps=tuple(steps),
        path=str(path),
    )
    taps = len(case.findings_until(len(steps))[1])
    if taps > network.spec.n_taps:  # model as many taps as the case has (at most 10)
        if taps > MAX_TAPS:
            raise error("field 'steps'", f"{taps} CSF results; lmbayes models at most {MAX_TAPS} taps")
        network = network.with_taps(taps)
    checked = []
    for k in range(1, len(steps) + 1):  # every prefix must be valid and possible
        findings, csf = case.findings_until(k)
        seen = set()
        for node, _ in steps[k - 1].findings:
            if node in seen or node in case.findings_until(k - 1)[0]:
                raise error(f"step {k}, field 'findings.{node}'", "given in an earlier step; give each finding once")
            seen.add(node)
        try:
            checked.append(network.observe(findings, csf))
        except LmbayesError as exc:
            raise error(f"step {k}", str(exc)) from None
    return dataclasses.replace(case, findings=tuple(checked)), network
