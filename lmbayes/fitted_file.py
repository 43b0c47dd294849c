"""The fitted network file: a network file written again with the numbers :mod:`lmbayes.fit`
updated, each with its new value, range and counts and the cohort among its sources.

The file is written from the original file's data (YAML), so its comments are not kept; every
number keeps its note. It is checked by the loader before it replaces the target, and written
atomically (:mod:`lmbayes._output`): nothing is written when anything fails.
"""

from __future__ import annotations

import re
from pathlib import Path
from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from lmbayes.errors import InputError, LmbayesError

if TYPE_CHECKING:
    from lmbayes.fit import Fit
    from lmbayes.network import Network

__all__ = ["fitted_text", "source_key", "write_fitted"]


def source_key(cohort: str, taken: Collection[str] = ()) -> str:
    """The key a fitted network file cites a cohort by: its file name as a snake_case id,
    never one of the ``taken`` keys (the network's own sources: a cohort file called
    ``glantz1998.csv`` must not replace the citation of glantz1998).

    >>> source_key("data/My Cohort-2026.csv")
    'my_cohort_2026'
    >>> source_key("glantz1998.csv", taken={"glantz1998", "glantz1998_cohort"})
    'glantz1998_cohort_2'
    """
    key = re.sub(r"[^a-z0-9_]+", "_", Path(cohort).stem.lower()).strip("_")
    key = key if key[:1].isalpha() else f"cohort_{key}"
    if key in taken:
        key = next(k for k in (f"{key}_cohort", *(f"{key}_cohort_{n}" for n in range(2, len(taken) + 3))) if k not in taken)
    return key


def write_fitted(network: Network, fit: Fit, path: str | Path, citation: str) -> Path:
    """Write the fitted network file atomically, after checking that it loads (nothing is
    written when it does not)."""
    from lmbayes._loader import load_spec
    from lmbayes._output import target, write_atomically

    text = fitted_text(fit, Path(network.spec.path).read_text(encoding="utf-8"), citation)

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")
        try:
            load_spec(tmp)
        except LmbayesError as exc:  # named as the file it would have been, never the temporary one
            message = str(exc).replace(str(tmp), str(path)).replace(tmp.name, Path(path).name)
            raise InputError(f"the fitted network would not load, so nothing was written: {message}") from None

    return write_atomically(target(path, "network file", (".yaml", ".yml")), write)


def fitted_text(fit: Fit, original: str, citation: str) -> str:
    """The network file ``original`` (YAML text) with the fitted numbers: each updated number's
    value, range and counts replaced and the cohort added to its sources, cited as ``citation``.

    The file is written again from its data, so the original's comments are not kept (the
    header says where they are); every number keeps its note.
    """
    import yaml

    data = yaml.safe_load(original)
    for update in fit.updates:
        field = _field(data, fit, update.path)
        p = update.after
        value = float(f"{p.value:.4g}")
        field["value"] = value
        field["range"] = [min(float(f"{p.low:.4g}"), value), max(float(f"{p.high:.4g}"), value)]
        field["sources"] = list(p.sources)
        field.pop("counts", None)
        if p.counts is not None and abs(p.counts[0] / p.counts[1] - value) <= 0.01:
            field["counts"] = list(p.counts)
        field.pop("judgement", None)
        if p.judgement:
            field["judgement"] = True
        if "note" in field:  # the note last, as in the shipped files
            field["note"] = field.pop("note")
    data["version"] = f"{data.get('version', '')}+{fit.source}".lstrip("+")
    if fit.source in data["sources"]:
        raise InputError(f"the cohort's source key '{fit.source}' is already a source of the network; rename the cohort file")
    data["sources"] = {**data["sources"], fit.source: citation}
    head = (
        f"# Fitted by `lmbayes fit` from {fit.patients:,} patients ({fit.source}); every updated number\n"
        "# cites the cohort among its sources. Written again from the file's data: the comments of\n"
        "# the original file (the forms of its numbers) are not kept; see `lmbayes network copy`.\n"
    )
    return head + yaml.safe_dump(data, sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)


def _field(data: dict[str, Any], fit: Fit, path: str) -> dict[str, Any]:
    """The mapping of one parameter in a network file's data: where its kind's form says it
    lives (:func:`lmbayes.kinds.parameter_path`), in the node's mapping or the cytology block."""
    from lmbayes.kinds import parameter_path

    head = path.split(".", 1)[0]
    field = data["cytology"] if head == "cytology" else data["nodes"][head]
    for part in parameter_path(fit.spec, path).field:
        field = field[part]
    return field
