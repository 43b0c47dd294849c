"""A cohort file: one row per patient, one column per finding, the final diagnosis beside them.

The format (CSV, UTF-8, comma-separated, a header line):

* one column per node the network observes, named by its id: the signs, ``mri``,
  ``antibody_panel``, ``csf_1``, ``csf_2``, ... and each tap's analyses (``cells_1``,
  ``ctc_2``, ...); any subset of them, in any order;
* the target's column (``lm``): ``present`` or ``absent``, empty where the diagnosis is unknown;
* optionally an ``id`` column, kept as it is and otherwise ignored;
* an empty cell is a finding not recorded (a test not done). States are written as on the
  command line, with the same synonyms (``yes``/``no``, ``+``/``-``, ``pos``/``neg``,
  ``abnormal``/``normal``). Taps are counted in order: a row with a result of tap 3 has one of
  taps 1 and 2 (cytology or another analysis of that tap).

A shipped synthetic cohort (:func:`available`) is drawn from the breast network with
:func:`draw_cohort`; ``lmbayes simulate --cohort N`` writes one.

>>> from lmbayes import load_network
>>> cohort = read_cohort(load_network(), available()["breast_cohort"])
>>> cohort.patients, int((cohort.diagnosis == 1).sum()) > 100
(1000, True)
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lmbayes._text import printable, read_file, shown, spreadsheet_cell
from lmbayes.errors import FindingError, ImpossibleEvidenceError, InputError, TooFewTapsError, did_you_mean
from lmbayes.evidence import MISSING, Evidence
from lmbayes.findings import resolve_state
from lmbayes.spec import MAX_TAPS

if TYPE_CHECKING:
    from lmbayes.spec import NetworkSpec
    from lmbayes.engine import Engine
    from lmbayes.network import Network

__all__ = ["Cohort", "CohortError", "ID", "available", "draw_cohort", "read_cohort", "resolve", "write_cohort"]

#: The optional column that names each patient.
ID = "id"
#: The largest cohort file read (a million patients with every finding: about 400 MB).
COHORT_LIMIT = 4 << 30


class CohortError(InputError):
    """A cohort file that cannot be read: the message names the file, line and column."""


@dataclass(frozen=True)
class Cohort:
    """Patients' findings as state indices (``-1`` where not recorded) and their diagnoses.

    ``states[i, j]`` is patient ``i``'s state of node ``columns[j]``; ``diagnosis[i]`` is the
    target's state index (0 absent, 1 present) or ``-1`` where unknown; ``lines[i]`` is the
    patient's line in the file (for messages).
    """

    columns: tuple[str, ...]
    states: np.ndarray
    diagnosis: np.ndarray
    lines: np.ndarray
    source: str = ""

    @property
    def patients(self) -> int:
        return int(self.states.shape[0])

    @property
    def evidence(self) -> Evidence:
        """The findings as rows of state indices (:mod:`lmbayes.evidence`)."""
        return Evidence(self.columns, self.states)

    def check_possible(self, engine: Engine, rows: np.ndarray | None = None) -> None:
        """An :class:`ImpossibleEvidenceError` naming the line of the first patient (among
        ``rows``, a mask; all by default) whose findings cannot occur together under the network
        (probability 0), as a single patient's impossible findings are."""
        chosen = np.arange(self.patients) if rows is None else np.flatnonzero(rows)
        impossible = Evidence(self.columns, self.states[chosen]).impossible(engine)
        if impossible.size:
            raise self.impossible_row(int(chosen[impossible[0]]))

    def impossible_row(self, row: int) -> ImpossibleEvidenceError:
        """The error for patient ``row`` (an index), whose findings have probability 0."""
        return ImpossibleEvidenceError(
            f"{self.source}, line {self.lines[row]}: findings impossible under the network (probability 0); "
            "correct the row, or widen the number that rules it out"
        )

    @property
    def known(self) -> np.ndarray:
        """Which patients have a known diagnosis."""
        return self.diagnosis >= 0

    def require_diagnoses(self, target: str) -> None:
        """A :class:`CohortError` when no patient has a known diagnosis."""
        if not self.known.any():
            raise CohortError(
                f"{self.source}: column {target}: no patient has a known diagnosis "
                f"(every cell is empty); write present or absent for the patients whose diagnosis is known"
            )

    def with_diagnosis(self, target: str) -> Cohort:
        """The same patients with the diagnosis as one more finding (the last column)."""
        return Cohort((*self.columns, target), np.column_stack([self.states, self.diagnosis]), self.diagnosis, self.lines, self.source)

    def taps_done(self, tap_of: dict[str, int]) -> np.ndarray:
        """The number of taps each patient had (any reading of the tap recorded)."""
        done = np.zeros(self.patients, dtype=int)
        for j, column in enumerate(self.columns):
            k = tap_of.get(column, 0)
            if k:
                done = np.where(self.states[:, j] >= 0, np.maximum(done, k), done)
        return done


def available() -> dict[str, Path]:
    """The shipped cohort files by name (``breast_cohort`` is ``breast_cohort.csv``)."""
    from lmbayes import networks

    folder = resources.files(networks.__name__)
    return {Path(e.name).stem: Path(str(e)) for e in sorted(folder.iterdir(), key=lambda e: e.name) if e.name.endswith(".csv")}


def resolve(name_or_path: str | Path) -> Path:
    """A shipped cohort's file by name, or ``name_or_path`` itself."""
    text = str(name_or_path)
    shipped = available()
    if text in shipped and not Path(text).exists():
        return shipped[text]
    return Path(text)


def read_cohort(network: Network, path: str | Path) -> Cohort:
    """Read and check a cohort file against ``network``; a :class:`CohortError` naming the line
    and column of the first problem."""
    where = printable(str(path))  # as the user wrote it: a shipped cohort by its name
    path = resolve(path)
    try:
        data = read_file(path, COHORT_LIMIT)
    except FileNotFoundError:
        raise CohortError(f"{where}: no such cohort file") from None
    except IsADirectoryError:
        raise CohortError(f"{where}: a folder, not a cohort file") from None
    except OSError as exc:
        raise CohortError(f"{where}: cannot read the cohort file: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise CohortError(f"{where}, line {line}: not UTF-8 text; save the cohort as UTF-8 CSV") from None
    del data  # the text alone from here on
    return parse_cohort(network, text, where)


def parse_cohort(network: Network, text: str, where: str = "cohort") -> Cohort:
    """Check the text of a cohort file (see the module docstring). Rows are turned into state
    indices as they are read, a block at a time: no list of every cell is kept (a million
    patients with every finding would take gigabytes as Python strings)."""
    network.require_target()
    spec, target = network.spec, network.target
    reader = csv.reader(_lines(text))
    try:
        header = next(reader, None)
        while header is not None and not any(h.strip() for h in header):
            header = next(reader, None)
        if header is None:
            raise CohortError(f"{where}: empty file; expected a header line of node ids, e.g. {target},headache,mri,csf_1")
        columns = _columns(network, [h.strip() for h in header], where, reader.line_num)
        nodes = tuple(c for c in columns if c not in (target, ID))
        kept = [j for j, c in enumerate(columns) if c != ID]
        lookup: dict[str, dict[str, int]] = {c: {"": MISSING} for c in columns}  # cell text -> state index, read once
        blocks, lines, rows = [], [], []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(columns):
                raise CohortError(f"{where}, line {reader.line_num}: {len(row)} fields, but the header has {len(columns)}")
            rows.append(row)
            lines.append(reader.line_num)
            if len(rows) == ROWS_PER_BLOCK:
                blocks.append(_block(spec, columns, kept, rows, lines[-len(rows):], lookup, where))
                rows = []
        blocks.append(_block(spec, columns, kept, rows, lines[len(lines) - len(rows):], lookup, where))
    except csv.Error as exc:
        raise CohortError(f"{where}, line {reader.line_num}: not CSV ({exc})") from None
    if not lines:
        raise CohortError(f"{where}: no patients (only a header line)")
    table = np.concatenate(blocks)
    named = [columns[j] for j in kept]
    if target in named:
        diagnosis = table[:, named.index(target)].copy()
        states = np.delete(table, named.index(target), axis=1)
    else:
        diagnosis, states = np.full(len(table), MISSING, dtype=np.int8), table
    cohort = Cohort(nodes, states, diagnosis, np.asarray(lines, dtype=np.int64), where)
    _check_tap_order(network, cohort, where)
    return cohort


#: Rows turned into state indices per block while a cohort file is read (their cells as
#: Python strings: about 30 MB at 70 columns).
ROWS_PER_BLOCK = 8192
#: A cell text not met before in its column.
_UNSEEN = -2


def _block(
    spec: NetworkSpec, columns: Sequence[str], kept: Sequence[int], rows: list[list[str]], lines: Sequence[int],
    lookup: dict[str, dict[str, int]], where: str,
) -> np.ndarray:
    """A block of rows as state indices: each column's cells through its lookup at C speed, and
    each text not met before resolved once (or named with its line)."""
    block = np.empty((len(rows), len(kept)), dtype=np.int8)
    if not rows:
        return block
    cells = list(zip(*rows))
    for k, j in enumerate(kept):
        column, get = columns[j], lookup[columns[j]].get
        codes = np.fromiter((get(cell, _UNSEEN) for cell in cells[j]), dtype=np.int8, count=len(rows))
        for i in map(int, np.flatnonzero(codes == _UNSEEN)):
            cell = cells[j][i]
            if cell not in lookup[column]:
                lookup[column][cell] = _state_index(spec, column, cell, where, lines[i])
            codes[i] = lookup[column][cell]
        block[:, k] = codes
    return block


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their ends, one at a time (``splitlines`` would hold them all)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        yield text[start:end]
        start = end


def _state_index(spec: NetworkSpec, column: str, cell: str, where: str, line: int) -> int:
    """A cell's state index (``MISSING`` for an empty one), or a :class:`CohortError` naming it."""
    value = cell.strip()
    if not value:
        return MISSING
    states_of = spec.node(column).states
    try:
        return states_of.index(resolve_state(column, states_of, value))
    except FindingError as exc:
        raise CohortError(f"{where}, line {line}, column {column}: {printable(str(exc))}") from None


def _columns(network: Network, header: list[str], where: str, line: int) -> tuple[str, ...]:
    """The header's node ids, checked: known, observable, each once, the target among them."""
    spec, target = network.spec, network.target
    allowed = {*spec.observable, target, ID}
    by_lower = {a.lower(): a for a in allowed}
    columns: list[str] = []
    for k, name in enumerate(header, start=1):
        column = name if name in allowed else by_lower.get(name.lower(), name)
        if column not in allowed:
            hint = did_you_mean(name, sorted(allowed))
            if not name:
                problem = "an empty column name"
            elif column in spec.node_ids:
                problem = f"{shown(name)} is not observed (a hidden node of the network)"
            elif re.fullmatch(r"csf_[1-9][0-9]{0,5}", column, flags=re.ASCII):
                tap = int(column.rsplit("_", 1)[-1])
                problem = f"{shown(name)}: the network models {spec.n_taps} taps"
                if 1 <= tap <= MAX_TAPS:
                    named = [int(h.rsplit("_", 1)[-1]) for h in header if re.fullmatch(r"[a-z_]+_(10|[1-9])", h.lower(), flags=re.ASCII)]
                    raise TooFewTapsError(f"{where}, line {line}, column {k}: {problem}", needed=max([tap, *named]))
                problem += f"; lmbayes models at most {MAX_TAPS}"
            elif re.fullmatch(r"[a-z_]+_\w+", column.lower()) and column.rsplit("_", 1)[0].lower() in {n.template or "csf" for n in spec.nodes if n.tap}:
                problem = (
                    f"{shown(name)} is not a tap's column: a tap is numbered 1 to {spec.n_taps} in ASCII digits "
                    f"without a leading zero (e.g. {column.rsplit('_', 1)[0].lower()}_1)"
                )
            else:
                problem = f"unknown column {shown(name)}{hint}"
            raise CohortError(
                f"{where}, line {line}, column {k}: {problem}; columns are the node ids of `lmbayes network nodes`, "
                f"{target} and {ID}"
            )
        if column in columns:
            raise CohortError(f"{where}, line {line}, column {k}: '{column}' appears twice")
        columns.append(column)
    if target not in columns:
        raise CohortError(
            f"{where}, line {line}: no diagnosis column '{target}'; add it (present, absent, or empty where unknown)"
        )
    return tuple(columns)


def _check_tap_order(network: Network, cohort: Cohort, where: str) -> None:
    """Taps are counted in order: a row with tap ``k`` recorded has every tap before it."""
    gap = cohort.evidence.tap_gap(network.spec)
    if gap is not None:
        i, done, k = gap
        raise CohortError(
            f"{where}, line {cohort.lines[i]}, column csf_{done}: tap {done} is recorded but tap {k} is not; "
            "taps are counted in order (record at least one result of every earlier tap)"
        )


def write_cohort(network: Network, cohort: Cohort, path: str | Path) -> Path:
    """Write ``cohort`` as a cohort file, atomically (nothing is written on failure)."""
    from lmbayes._output import target, write_atomically

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            _write_rows(network, cohort, handle)

    return write_atomically(target(path, "cohort", (".csv",)), write)


def cohort_text(network: Network, cohort: Cohort) -> str:
    """The cohort as CSV text: the diagnosis first, then the findings in the cohort's order."""
    out = io.StringIO()
    _write_rows(network, cohort, out)
    return out.getvalue()


def _write_rows(network: Network, cohort: Cohort, handle: io.TextIOBase, chunk: int = 50_000) -> None:
    """The header and the rows, ``chunk`` patients at a time (a cell is a state name, or empty)."""
    spec, target = network.spec, network.target
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([spreadsheet_cell(c) for c in (target, *cohort.columns)])
    names = [np.array([*map(spreadsheet_cell, spec.node(c).states), ""], dtype=object) for c in (target, *cohort.columns)]
    for start in range(0, cohort.patients, chunk):
        table = np.column_stack([cohort.diagnosis[start : start + chunk], cohort.states[start : start + chunk]]).astype(int)
        writer.writerows(np.column_stack([names[j][table[:, j]] for j in range(table.shape[1])]).tolist())


def draw_cohort(
    network: Network,
    patients: int,
    *,
    missing: float = 0.2,
    unknown: float = 0.0,
    rng: np.random.Generator | int | None = None,
    stop_after_positive: bool = False,
) -> Cohort:
    """``patients`` patients drawn from ``network`` (:func:`lmbayes.simulate.forward_sample`),
    with a share of findings not recorded.

    Each finding that is not a tap is missing with probability ``missing``, independently.
    Taps are done in order: each further tap is done with probability ``1 - missing``, and
    after the first tap not done no other is (so a patient has ``k`` taps with probability
    ``(1 - missing)^k missing``, all six with ``(1 - missing)^6``); each analysis of a tap done
    is missing with probability ``missing``, its cytology never. The diagnosis is unknown with
    probability ``unknown``. With ``stop_after_positive``, as in the usual work-up, no tap is
    done after the first positive cytology (missing by design: it depends only on recorded
    results, so it is missing at random).
    """
    from lmbayes.simulate import forward_sample

    if patients < 1:
        raise InputError(f"the number of patients must be at least 1, not {patients}")
    for name, share in (("missing", missing), ("unknown", unknown)):
        if not 0.0 <= share < 1.0:
            raise InputError(f"the share of {name} values must lie in [0, 1), not {share:g}")
    network.require_target()
    rng = np.random.default_rng(rng)
    spec = network.spec
    sample = forward_sample(network, patients, rng)
    columns = spec.observable
    taps = np.cumprod(rng.random((patients, spec.n_taps)) >= missing, axis=1).sum(axis=1)
    if stop_after_positive and spec.n_taps:
        positive = np.column_stack([sample[t] == len(spec.tap_states) - 1 for t in spec.taps])
        first = np.where(positive.any(axis=1), positive.argmax(axis=1) + 1, spec.n_taps)
        taps = np.minimum(taps, first)
    states = np.empty((patients, len(columns)), dtype=np.int8)
    for j, column in enumerate(columns):
        node = spec.node(column)
        kept = sample[column].astype(np.int8)
        if node.tap:
            done = taps >= node.tap
            if node.kind != "tap":
                done &= rng.random(patients) >= missing
        else:
            done = rng.random(patients) >= missing
        states[:, j] = np.where(done, kept, MISSING)
    target = sample[network.target].astype(np.int8)
    diagnosis = np.where(rng.random(patients) >= unknown, target, MISSING).astype(np.int8)
    return Cohort(columns, states, diagnosis, np.arange(2, patients + 2), "simulated")
