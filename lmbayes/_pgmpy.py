"""The one module that talks to pgmpy: our tables in, plain arrays out.

pgmpy's names and return types change between releases (``BayesianNetwork`` became
``DiscreteBayesianNetwork`` in 1.0); that churn stays here. Importing pgmpy's inference takes
seconds, so nothing on the command-line query path imports this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
from pgmpy.factors.discrete import TabularCPD
from pgmpy.inference import VariableElimination
from pgmpy.models import DiscreteBayesianNetwork

from lmbayes.tables import Tables

__all__ = ["query", "to_pgmpy"]


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
    model: DiscreteBayesianNetwork, evidence: Mapping[str, str], nodes: Iterable[str]
) -> dict[str, np.ndarray]:
    """``P(node | evidence)`` for each unobserved node, by pgmpy's variable elimination."""
    inference = VariableElimination(model)
    result = {}
    for node in nodes:
        factor = inference.query([node], evidence=dict(evidence), show_progress=False)
        states = model.get_cpds(node).state_names[node]
        order = [factor.state_names[node].index(s) for s in states]
        result[node] = np.asarray(factor.values)[order]
    return result
