"""The base of every node kind: what a kind is given to build a table, and the rows helper.

Kept apart from :mod:`lmbayes.kinds` (the registry and the general kinds) and
:mod:`lmbayes.burden` (the CSF tumour burden and the tests of it), which both build on it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from lmbayes._fields import Where
from lmbayes._noisy_or import rows
from lmbayes.calibration import Calibration
from lmbayes.parameters import Form
from lmbayes.spec import NetworkSpec, Node, Parameter
from lmbayes.technique import Technique

__all__ = ["Kind", "Params", "TableContext", "rows"]

Params = dict[str, Parameter]


@dataclass(frozen=True)
class TableContext:
    """What a kind needs to build a table: the spec, parameter values (arrays over draws),
    the solved cytology calibration and the technique of each tap given one."""

    spec: NetworkSpec
    value: Callable[[str], np.ndarray]
    calibration: Calibration
    techniques: Mapping[str, Technique]
    #: the unnormalised joint of causes and context nodes given evidence, once they are built
    causes_joint: Callable[..., np.ndarray] | None = None


class Kind:
    """One node kind. Subclasses set the class attributes and implement :meth:`read` and
    :meth:`table`."""

    name: ClassVar[str]
    #: the kind's own fields in a network file (besides kind, label, description, states)
    fields: ClassVar[frozenset[str]] = frozenset()
    #: the file field that names the node's parents, for error messages
    parent_field: ClassVar[str] = "parents"
    #: written in network files (the others are generated)
    in_file: ClassVar[bool] = True
    #: a cause, context or hidden state the signs and tests depend on (its table comes first)
    explains: ClassVar[bool] = False
    #: listed beside the target in posterior tables
    shown: ClassVar[bool] = True
    #: a test the planner may offer (once none of its readings is given)
    offered: ClassVar[bool] = False
    #: observable unless the file says otherwise
    observable: ClassVar[bool] = False
    #: one node per tap, generated from the file's node
    per_tap: ClassVar[bool] = False
    #: may have more than two states
    many_states: ClassVar[bool] = False
    #: a cause whose table needs the other causes' joint (built after them)
    second_pass: ClassVar[bool] = False
    #: drawing: layer from the top, and fill colour
    layer: ClassVar[int] = 2
    color: ClassVar[str] = "#b0bec5"
    #: the forms of the kind's numbers after the node id (:mod:`lmbayes.parameters`)
    forms: ClassVar[tuple[Form, ...]] = ()

    def read(self, node_id: str, raw: Mapping[str, Any], where: Where, sources: frozenset[str], params: Params) -> tuple[str, ...]:
        """Read the kind's fields into ``params`` (by path); return the parents."""
        return ()

    def table(self, node: Node, ctx: TableContext) -> np.ndarray:
        raise NotImplementedError(f"nodes of kind '{self.name}' have no table of their own")
