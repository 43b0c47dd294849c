"""The one module that talks to pgmpy: our tables in, plain arrays out.

pgmpy's names and return types change between releases (``BayesianNetwork`` became
``DiscreteBayesianNetwork`` in 1.0); that churn stays here. Importing pgmpy's inference takes
seconds, so nothing on the command-line query path imports this module.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import numpy as np

with warnings.catch_warnings():  # pgmpy 1.1 warns about its own deprecated modules on import
    warnings.simplefilter("ignore", FutureWarning)
    from pgmpy.factors.discrete import TabularCPD
    from pgmpy.inference import VariableElimination
    from pgmpy.models import DiscreteBayesianNetwork

from lmbayes.networks import READERS, WRITERS
from lmbayes.tables import Tables

__all__ = ["query", "to_pgmpy"]

#: pgmpy's reader of each format lmbayes reads (the reference in the tests).
PGMPY_READERS = {"bif": "BIFReader", "xmlbif": "XMLBIFReader"}


def to_pgmpy(tables: Tables) -> DiscreteBayesianNetwork:
    """A checked :class:`pgmpy.models.DiscreteBayesianNetwork` with the same tables.

    pgmpy wants each CPD as a (child states) x (parent configurations) matrix whose columns run
    over the parents with the last parent changing fastest: our arrays (parents..., child) in C
    order, reshaped and transposed.
    """
    model = DiscreteBayesianNetwork()
    model.add_nodes_from(tables.variables)
    model.add_edges_from((p, v) for v in tables.variables for p in tables.parents[v])
    for v in tables.variables:
        cpt = tables.cpts[v]
        parents = list(tables.parents[v])
        card = cpt.shape[-1]
        model.add_cpds(
            TabularCPD(
                variable=v,
                variable_card=card,
                values=cpt.reshape(-1, card).T,
                evidence=parents or None,
                evidence_card=[len(tables.states[p]) for p in parents] or None,
                state_names={n: list(tables.states[n]) for n in (v, *parents)},
            )
        )
    model.check_model()
    return model


def query(
    model: DiscreteBayesianNetwork, evidence: Mapping[str, str], nodes: Iterable[str],
    inference: VariableElimination | None = None,
) -> dict[str, np.ndarray]:
    """``P(node | evidence)`` for each unobserved node, by pgmpy's variable elimination, all
    nodes in one call (``joint=False``: each its own elimination, the evidence reduced once).
    Pass ``inference``, the model's :class:`VariableElimination`, to reuse it across queries:
    making one costs more than a query on the shipped networks."""
    inference = VariableElimination(model) if inference is None else inference
    nodes = list(nodes)
    if not nodes:
        return {}
    factors = inference.query(nodes, evidence=dict(evidence), joint=False, show_progress=False)
    result = {}
    for node in nodes:
        factor = factors[node]
        states = model.get_cpds(node).state_names[node]
        order = [factor.state_names[node].index(s) for s in states]
        result[node] = np.asarray(factor.values)[order]
    return result


def write_model(tables: Tables, fmt: str, path: str) -> None:
    """Write the network in a format another tool opens, with pgmpy's writer, atomically
    (:mod:`lmbayes._output`): a failure leaves an existing file as it was."""
    from pgmpy import readwrite

    from lmbayes._output import target, write_atomically

    checked = target(path, "network")
    writer = getattr(readwrite, WRITERS[fmt])(to_pgmpy(tables))
    # pgmpy 1.1 names it write; write_bif and the like are deprecated
    write_atomically(checked, lambda temporary: writer.write(str(temporary)))


def read_tables(path: str) -> Tables:
    """Read a BIF or XMLBIF file with pgmpy into our tables (topological order).

    Raises :class:`~lmbayes.errors.NetworkFileError` with the reason when pgmpy cannot.
    Control characters in node and state names are written as their escapes
    (:func:`lmbayes._text.printable`): the names are shown, and typed in findings, that way.
    """
    from pathlib import Path

    import networkx as nx
    from pgmpy import readwrite

    from lmbayes._text import printable
    from lmbayes.errors import NetworkFileError

    file = Path(path)
    reader_name = PGMPY_READERS[READERS[file.suffix.lower()]]
    try:
        model = getattr(readwrite, reader_name)(str(file)).get_model()
        if not model.nodes():
            raise ValueError("no variables found")
        model.check_model()
    except Exception as exc:  # pgmpy's parsers raise many kinds; report one line
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise NetworkFileError(f"{file.name}: cannot read it as {reader_name[:-6]} ({reason})") from None
    order = tuple(nx.topological_sort(model))
    name = {v: printable(str(v)) for v in order}
    if len(set(name.values())) != len(name):
        raise NetworkFileError(f"{file.name}: two nodes have the same name once control characters are escaped")
    states, parents, cpts = {}, {}, {}
    for v in order:
        cpd = model.get_cpds(v)
        evidence = tuple(cpd.variables[1:])
        names = cpd.state_names
        states[name[v]] = tuple(printable(str(s)) for s in names[v])
        if len(set(states[name[v]])) != len(names[v]):
            raise NetworkFileError(f"{file.name}: node '{name[v]}' has two states of the same name once escaped")
        parents[name[v]] = tuple(name[p] for p in evidence)
        shape = tuple(len(names[p]) for p in evidence) + (len(names[v]),)
        cpts[name[v]] = np.asarray(cpd.get_values(), dtype=float).T.reshape(shape)
    return Tables(variables=tuple(name[v] for v in order), states=states, parents=parents, cpts=cpts)
