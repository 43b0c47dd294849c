"""Networks of other tools, read without pgmpy: BIF and XMLBIF into :class:`~lmbayes.tables.Tables`.

Importing pgmpy and running its parser took 3.4-13 s on the first command over an imported
file (ANDES, 223 nodes: 8 s); these readers take milliseconds and keep every number in double
precision. pgmpy stays the reference: the tests read the bnlearn networks of pgmpy's package
and the files lmbayes writes with both and compare every table.

BIF (the Interchange Format of JavaBayes, as bnlearn, pgmpy and pyAgrum write it)::

    network name { }
    variable X { type discrete [ 2 ] { yes, no }; }
    probability ( X | A, B ) { (a1, b1) 0.2, 0.8; ... default 0.5, 0.5; }
    probability ( A ) { table 0.3, 0.7; }

A ``table`` lists the child's states slowest (pgmpy's reading); rows name the parents' states
in the order of the header; ``default`` fills the rows not named. ``property`` lines and
comments (``//``, ``/* */``) are skipped.

XMLBIF 0.3: ``<VARIABLE>`` with ``<NAME>`` and ``<OUTCOME>``s, ``<DEFINITION>`` with ``<FOR>``,
``<GIVEN>``s and a ``<TABLE>`` in which the child's state varies fastest.

What a file is comes from its content (:func:`lmbayes.networks.sniff`): pyAgrum names XMLBIF
``.bifxml``.
"""

from __future__ import annotations

import graphlib
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from lmbayes._text import printable, read_file
from lmbayes.errors import NetworkFileError
from lmbayes.networks import READERS, sniff
from lmbayes.spec import parents_first
from lmbayes.tables import Tables

__all__ = ["read_tables"]

#: A column of a table may miss summing to one by this much (pgmpy's check_model allows 0.01).
SUM_TOLERANCE = 0.01

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
#: A comment, a quoted string, a run of numbers (one token: tables hold millions), a mark, a word.
_TOKEN = re.compile(
    rf'//[^\n]*|/\*.*?\*/|"(?:[^"\\]|\\.)*"|(?:{_NUMBER}\s*,?\s*)*{_NUMBER}(?![^\s{{}}()\[\];,|"])'
    r'|[{}()\[\];,|]|[^\s{}()\[\];,|"]+',
    re.DOTALL,
)
_SEPARATORS = re.compile(r"[\s,]+")


class _Bad(Exception):
    """A problem at a line of the file (turned into one NetworkFileError line)."""

    def __init__(self, line: int, what: str) -> None:
        super().__init__(f"line {line}: {what}")


def read_tables(path: str | Path, fmt: str | None = None) -> Tables:
    """Read a BIF or XMLBIF file (``fmt``, or what :func:`lmbayes.networks.sniff` finds, or
    what its suffix says in :data:`lmbayes.networks.READERS`, or BIF).

    Raises :class:`~lmbayes.errors.NetworkFileError` naming the file, the format and the first
    problem (with its line in a BIF file), in one line.
    """
    file = Path(path)
    fmt = fmt or sniff(file) or READERS.get(file.suffix.lower(), "bif")
    try:
        text = read_file(file).decode("utf-8-sig")  # a regular file of bounded size only
    except FileNotFoundError:
        raise NetworkFileError(f"{file}: no such network file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkFileError(f"{file.name}: cannot read it as {fmt.upper()} ({exc})") from None
    try:
        variables, states, parents, columns = _parse_xmlbif(text) if fmt == "xmlbif" else _parse_bif(text)
        return _tables(variables, states, parents, columns)
    except (_Bad, ValueError) as exc:
        raise NetworkFileError(f"{file.name}: cannot read it as {fmt.upper()} ({printable(str(exc))})") from None


Columns = dict[str, np.ndarray]  # node -> (parent configurations, states), last parent fastest


def _parse_bif(text: str) -> tuple[list[str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], Columns]:
    tokens: list[tuple[str, int]] = []
    line = 1
    position = 0
    for match in _TOKEN.finditer(text):
        line += text.count("\n", position, match.start())
        position = match.start()
        token = match.group()
        if not token.startswith(("//", "/*")):
            tokens.append((token, line))
    tokens.append(("", line))  # the end
    at = 0

    def peek() -> str:
        return tokens[at][0]

    def take(expected: str | None = None) -> str:
        nonlocal at
        token, where = tokens[at]
        if token == "" or (expected is not None and token != expected):
            found = f"'{token}'" if token else "the end of the file"
            raise _Bad(where, f"expected {f'{expected!r}' if expected else 'more'}, found {found}")
        at += 1
        return token

    def skip_block() -> None:  # { ... } with nested braces
        take("{")
        depth = 1
        while depth:
            token = take()
            depth += {"{": 1, "}": -1}.get(token, 0)

    def skip_statement() -> None:  # property ... ;
        while take() != ";":
            pass

    def names_until(end: str) -> list[str]:
        found = []
        while peek() != end:
            token = take()
            if token != ",":
                found.extend(_SEPARATORS.split(token.strip()))  # a run of numbers: several
        take(end)
        return found

    variables: list[str] = []
    states: dict[str, tuple[str, ...]] = {}
    parents: dict[str, tuple[str, ...]] = {}
    blocks: dict[str, tuple[int, list[tuple[str, list[str], np.ndarray, int]]]] = {}
    while peek():
        keyword, where = tokens[at]
        take()
        if keyword == "network":
            while peek() != "{":
                take()
            skip_block()
        elif keyword == "variable":
            name = take()
            if name in states:
                raise _Bad(where, f"variable '{name}' is declared twice")
            take("{")
            found: tuple[str, ...] | None = None
            while peek() != "}":
                if peek() == "type":
                    take()
                    kind = take()
                    if kind != "discrete":
                        raise _Bad(tokens[at - 1][1], f"variable '{name}' is of type '{kind}'; only discrete variables are read")
                    take("[")
                    count = take()
                    take("]")
                    take("{")
                    found = tuple(names_until("}"))
                    take(";")
                    if not count.isdigit() or int(count) != len(found):
                        raise _Bad(where, f"variable '{name}' declares [ {count} ] states and lists {len(found)}")
                    if len(set(found)) != len(found):
                        raise _Bad(where, f"variable '{name}' lists a state twice")
                else:
                    skip_statement()
            take("}")
            if not found:
                raise _Bad(where, f"variable '{name}' has no 'type discrete [ n ] {{ ... }}' line")
            variables.append(name)
            states[name] = found
        elif keyword == "probability":
            take("(")
            header = names_until(")")
            if not header or header[0] == "|" or header.count("|") > 1 or ("|" in header and header.index("|") != 1):
                raise _Bad(where, "expected 'probability ( child | parent, ... )'")
            child, given = header[0], [h for h in header[1:] if h != "|"]  # or the old form, without '|'
            if len(set(given)) != len(given) or child in given:
                raise _Bad(where, f"the parents of '{child}' repeat a node")
            if child in blocks:
                raise _Bad(where, f"two probability blocks for '{child}'")
            parents[child] = tuple(given)
            take("{")
            entries: list[tuple[str, list[str], np.ndarray, int]] = []
            while peek() != "}":
                token, entry_line = tokens[at]
                if token in ("table", "default"):
                    take()
                    entries.append((token, [], _numbers(names_until(";"), entry_line), entry_line))
                elif token == "(":
                    take()
                    row = names_until(")")
                    entries.append(("row", row, _numbers(names_until(";"), entry_line), entry_line))
                else:
                    skip_statement()
            take("}")
            blocks[child] = (where, entries)
        else:
            raise _Bad(where, f"expected 'variable' or 'probability', found '{keyword}'")
    if not variables:
        raise _Bad(line, "no variables found")
    columns: Columns = {}
    for v in variables:
        if v not in blocks:
            raise _Bad(line, f"variable '{v}' has no probability block")
    for child, (where, entries) in blocks.items():
        if child not in states:
            raise _Bad(where, f"probability block for '{child}', which no variable declares")
        for p in parents[child]:
            if p not in states:
                raise _Bad(where, f"'{child}' is given '{p}', which no variable declares")
        n = len(states[child])
        configurations = math.prod(len(states[p]) for p in parents[child])
        values = np.zeros((configurations, n))
        filled = np.zeros(configurations, dtype=bool)
        for kind, row, numbers, entry_line in entries:
            if kind == "table":
                if len(numbers) != n * configurations:
                    raise _Bad(entry_line, f"the table of '{child}' has {len(numbers)} numbers; expected {n * configurations}")
                values[:] = np.reshape(numbers, (n, configurations)).T
                filled[:] = True
            elif kind == "default":
                if len(numbers) != n:
                    raise _Bad(entry_line, f"the default of '{child}' has {len(numbers)} numbers; expected {n}")
                values[~filled] = numbers
                filled[:] = True
            else:
                if len(row) != len(parents[child]):
                    raise _Bad(entry_line, f"a row of '{child}' names {len(row)} parent states; expected {len(parents[child])}")
                if len(numbers) != n:
                    raise _Bad(entry_line, f"a row of '{child}' has {len(numbers)} numbers; expected {n}")
                index = 0
                for p, s in zip(parents[child], row):
                    if s not in states[p]:
                        raise _Bad(entry_line, f"'{s}' is not a state of '{p}' (states: {', '.join(states[p])})")
                    index = index * len(states[p]) + states[p].index(s)
                values[index] = numbers
                filled[index] = True
        if not filled.all():
            first = int(np.flatnonzero(~filled)[0])
            raise _Bad(where, f"the probabilities of '{child}' miss the row {_configuration(first, parents[child], states)}")
        columns[child] = values
    return variables, states, {v: parents[v] for v in variables}, columns


def _numbers(tokens: Sequence[str], line: int) -> np.ndarray:
    try:
        return np.array(tokens, dtype=float)
    except ValueError:
        bad = next(t for t in tokens if not re.fullmatch(_NUMBER, t))
        raise _Bad(line, f"'{bad}' is not a number") from None


def _configuration(index: int, given: Sequence[str], states: Mapping[str, tuple[str, ...]]) -> str:
    picked = []
    for p in reversed(given):
        index, k = divmod(index, len(states[p]))
        picked.append(states[p][k])
    return "(" + ", ".join(reversed(picked)) + ")"


def _parse_xmlbif(text: str) -> tuple[list[str], dict[str, tuple[str, ...]], dict[str, tuple[str, ...]], Columns]:
    from xml.etree import ElementTree

    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        raise ValueError(f"not well-formed XML: {exc}") from None
    network = root.find("NETWORK") if root.tag == "BIF" else root
    if network is None or network.tag != "NETWORK":
        raise ValueError(f"expected <BIF> with a <NETWORK>, found <{root.tag}>")

    def words(element: ElementTree.Element, tag: str) -> list[str]:
        return [(e.text or "").strip() for e in element.findall(tag)]

    variables: list[str] = []
    states: dict[str, tuple[str, ...]] = {}
    for element in network.findall("VARIABLE"):
        name = (words(element, "NAME") or [""])[0]
        if not name:
            raise ValueError("a <VARIABLE> without a <NAME>")
        if name in states:
            raise ValueError(f"variable '{name}' is declared twice")
        outcomes = tuple(words(element, "OUTCOME"))
        if not outcomes or len(set(outcomes)) != len(outcomes):
            raise ValueError(f"variable '{name}' needs distinct <OUTCOME>s")
        variables.append(name)
        states[name] = outcomes
    if not variables:
        raise ValueError("no variables found")
    parents: dict[str, tuple[str, ...]] = {}
    columns: Columns = {}
    for element in network.findall("DEFINITION"):
        child = (words(element, "FOR") or [""])[0]
        if child not in states:
            raise ValueError(f"a <DEFINITION> for '{child}', which no <VARIABLE> declares")
        if child in columns:
            raise ValueError(f"two <DEFINITION>s for '{child}'")
        given = tuple(words(element, "GIVEN"))
        for p in given:
            if p not in states:
                raise ValueError(f"'{child}' is given '{p}', which no <VARIABLE> declares")
        table = " ".join(words(element, "TABLE")).split()
        numbers = [float(x) for x in table]
        n = len(states[child])
        configurations = math.prod(len(states[p]) for p in given)
        if len(numbers) != n * configurations:
            raise ValueError(f"the <TABLE> of '{child}' has {len(numbers)} numbers; expected {n * configurations}")
        parents[child] = given
        columns[child] = np.reshape(numbers, (configurations, n))
    for v in variables:
        if v not in columns:
            raise ValueError(f"variable '{v}' has no <DEFINITION>")
    return variables, states, parents, columns


def _tables(
    variables: list[str], states: dict[str, tuple[str, ...]], parents: dict[str, tuple[str, ...]], columns: Columns
) -> Tables:
    """Checked tables, parents first and otherwise in the file's order
    (:func:`lmbayes.spec.parents_first`, as for a lmbayes network), names printable
    (:func:`lmbayes._text.printable`)."""
    for v in variables:
        values = columns[v]
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError(f"the probabilities of '{v}' include a negative or non-finite number")
        worst = int(np.argmax(np.abs(values.sum(axis=1) - 1)))
        total = values[worst].sum()
        if abs(total - 1) > SUM_TOLERANCE:
            given = f" given {_configuration(worst, parents[v], states)}" if parents[v] else ""
            raise ValueError(f"the probabilities of '{v}'{given} sum to {total:.6g}, not 1")
    try:
        order = parents_first(variables, parents)
    except graphlib.CycleError as exc:
        raise ValueError(f"the links form a cycle: {' -> '.join(exc.args[1])}") from None
    name = {v: printable(v) for v in order}
    if len(set(name.values())) != len(name):
        raise ValueError("two nodes have the same name once control characters are escaped")
    shown = {name[v]: tuple(printable(s) for s in states[v]) for v in order}
    for v in order:
        if len(set(shown[name[v]])) != len(states[v]):
            raise ValueError(f"node '{name[v]}' has two states of the same name once escaped")
    cpts = {
        name[v]: columns[v].reshape(*(len(states[p]) for p in parents[v]), len(states[v])) for v in order
    }
    return Tables(
        variables=tuple(name[v] for v in order),
        states=shown,
        parents={name[v]: tuple(name[p] for p in parents[v]) for v in order},
        cpts=cpts,
    )
