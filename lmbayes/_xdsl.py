"""An XDSL file (GeNIe, SMILE) as GeNIe users expect it: pgmpy writes the tables, and this puts
in what pgmpy leaves at its defaults: the network's name as its id (pgmpy: ``MyNetwork``),
each node's clinical label as its name (pgmpy: the id), and each node's place in the layered
layout of :mod:`lmbayes._layout` (pgmpy piles every node within a few pixels).

Only the ``<extensions><genie>`` part and the ids of ``<smile>`` and ``<genie>`` change; the
``<nodes>`` with their tables are pgmpy's, so the file reads back with the same numbers.
"""

from __future__ import annotations

import re
from xml.etree import ElementTree

from lmbayes.kinds import kind_of
from lmbayes.spec import NetworkSpec

#: A box in GeNIe's pixels, and the distance between the centres of two boxes and two rows.
BOX, STEP = (130, 56), (160, 110)


def identifier(name: str) -> str:
    """An XDSL id (a letter or ``_``, then letters, digits and ``_``) from a network's name.

    >>> identifier("breast"), identifier("my net-2"), identifier("2024")
    ('breast', 'my_net_2', 'n_2024')
    """
    text = re.sub(r"\W", "_", name, flags=re.ASCII) or "network"
    return text if re.match(r"[A-Za-z_]", text) else f"n_{text}"


def decorate(xml: str, spec: NetworkSpec) -> str:
    """pgmpy's XDSL text with the network's name, the nodes' labels and a layered layout."""
    from lmbayes._layout import order_rows

    root = ElementTree.fromstring(xml)
    name = identifier(spec.name)
    root.set("id", name)
    layers: dict[int, list[str]] = {}
    for n in spec.nodes:
        layers.setdefault(kind_of(n).layer, []).append(n.id)
    rows = order_rows([layers[k] for k in sorted(layers)], {n.id: n.parents for n in spec.nodes})
    widest = max(map(len, rows))
    place = {}
    for r, row in enumerate(rows):
        offset = (widest - len(row)) * STEP[0] / 2
        for i, v in enumerate(row):
            x, y = 20 + offset + i * STEP[0], 20 + r * STEP[1]
            place[v] = f"{round(x)} {y} {round(x) + BOX[0]} {y + BOX[1]}"
    labels = {n.id: n.label or n.id for n in spec.nodes}
    for genie in root.iter("genie"):
        genie.set("name", spec.title or spec.name)
        for node in genie.iter("node"):
            v = node.get("id", "")
            if v in labels:
                title = node.find("name")
                if title is not None:
                    title.text = labels[v]
                position = node.find("position")
                if position is not None:
                    position.text = place[v]
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(root, encoding="unicode") + "\n"
