"""What the planner may offer: the tests a hospital has, a tap's panel, and when an LP waits.

**One LP is one procedure.** A tap yields the panel the hospital runs on its sample: cytology
and every analysis the network file does not mark ``available: false`` (in the shipped
networks: the routine CSF, and not CSF tumour cells or tumour DNA, specialised assays most
hospitals do not run). ``with_`` adds such an assay, ``without`` removes any test: ``lp`` (an LP
is contraindicated or declined), ``mri``, ``antibody_panel``, an analysis (``glucose``) or a
group of them (``routine``).

**The MRI before an LP.** With no MRI among the findings the MRI comes first: a mass lesion
can make an LP unsafe, and an LP can itself make the meninges enhance (mittl1994: 1 of 97
enhancements after an LP unexplained). Where the MRI cannot be done, no LP is offered while a
brain metastasis has P >= :data:`MASS_LESION_LIKELY` (a judgement), and a parenchymal
metastasis on MRI brings "check for mass effect before LP".
"""

from __future__ import annotations

from dataclasses import dataclass

from lmbayes.errors import InputError, did_you_mean
from lmbayes.spec import NetworkSpec

__all__ = ["LP", "LP_REASONS", "MASS_LESION", "MASS_LESION_LIKELY", "Menu", "hospital_menu", "panel_words"]

#: The name of the lumbar puncture in ``--without``.
LP = "lp"
#: Why an LP may be left out, named in the output.
LP_REASONS = "raised intracranial pressure or mass effect, coagulopathy, low platelets, or the patient declines"
#: The cause whose mass effect can make an LP unsafe.
MASS_LESION = "brain_metastases"
#: No LP without imaging while P(brain metastases) is at least this (a judgement).
MASS_LESION_LIKELY = 0.10


@dataclass(frozen=True)
class Menu:
    """The tests on offer: ``panel``, the analyses each tap sends beside cytology (ids, in the
    file's order); ``lp``, whether a tap may be offered; ``without``, the non-tap tests left out
    (events); ``added``, specialised assays added with ``with_``; ``imaging``, the event of the
    MRI (the test that reads LM itself), empty where the network has none."""

    panel: tuple[str, ...]
    lp: bool
    without: frozenset[str]
    added: tuple[str, ...]
    imaging: str
    removed: tuple[str, ...] = ()

    def offers(self, event: str) -> bool:
        return event not in self.without


def _names(text: str | tuple[str, ...] | list[str]) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text)
    return [t.strip().lower().replace("-", "_") for t in items if t.strip()]


def imaging_event(spec: NetworkSpec) -> str:
    """The event of the test that reads the target itself (the MRI), or ``""``."""
    for n in spec.of_kind("test"):
        if n.observable and n.parents[:1] == (spec.target,):
            return n.event
    return ""


def hospital_menu(
    spec: NetworkSpec, with_: str | tuple[str, ...] | list[str] = (), without: str | tuple[str, ...] | list[str] = ()
) -> Menu:
    """The menu for ``--with`` and ``--without`` (module docstring); an unknown name, or one
    both added and removed, is an :class:`~lmbayes.errors.InputError` naming the choices.

    >>> from lmbayes import load_network
    >>> spec = load_network().spec
    >>> hospital_menu(spec).panel
    ('cells', 'protein', 'lactate', 'glucose', 'pressure')
    >>> m = hospital_menu(spec, "ctdna", "lp,pressure")
    >>> m.panel, m.lp
    (('cells', 'protein', 'lactate', 'glucose', 'ctdna'), False)
    """
    analyses = {a.id: a for a in spec.tap_analyses}
    groups: dict[str, list[str]] = {}
    for a in spec.tap_analyses:
        groups.setdefault(a.group or a.id, []).append(a.id)
        groups.setdefault(a.id, [a.id])
    events = {n.event for n in spec.of_kind("test") if n.observable}
    added, removed = _names(with_), _names(without)
    choices = [LP, *sorted(events), *groups]
    for name in (*removed, *added):
        if name in spec.not_applicable:
            raise InputError(f"'{name}' does not apply in the network '{spec.name}': {spec.not_applicable[name]}")
    for name in removed:
        if name not in choices:
            hint = "; a tap's cytology comes with every LP (leave the LP out with lp)" if name in ("cytology", "csf") else ""
            raise InputError(
                f"--without: unknown test '{name}'{did_you_mean(name, choices)}{hint}; choose from {', '.join(choices)}"
            )
    for name in added:
        if name not in groups:
            raise InputError(
                f"--with: unknown analysis '{name}'{did_you_mean(name, list(groups))}; choose from {', '.join(groups)}"
            )
        if name in removed:
            raise InputError(f"'{name}' is both in --with and in --without: keep one")
    out = {a for name in removed if name in groups for a in groups[name]}
    extra = {a for name in added for a in groups[name]}
    panel = tuple(a for a in analyses if (analyses[a].available or a in extra) and a not in out)
    return Menu(
        panel=panel,
        lp=LP not in removed,
        without=frozenset(name for name in removed if name in events),
        added=tuple(a for a in analyses if a in extra),
        imaging=imaging_event(spec),
        removed=tuple(dict.fromkeys(removed)),
    )


def panel_words(spec: NetworkSpec, analyses: tuple[str, ...]) -> str:
    """A tap's panel in words: cytology, then each group once.

    >>> from lmbayes import load_network
    >>> panel_words(load_network().spec, ("cells", "protein", "ctdna"))
    'cytology + routine (cells, protein) + ctdna'
    """
    groups: dict[str, list[str]] = {}
    templates = {a.id: a for a in spec.tap_analyses}
    for a in analyses:
        groups.setdefault(templates[a].group or a, []).append(a)
    whole = {g: [a.id for a in spec.tap_analyses if (a.group or a.id) == g] for g in groups}
    parts = [g if members == whole[g] or len(members) == 1 and g == members[0] else f"{g} ({', '.join(members)})"
             for g, members in groups.items()]
    return " + ".join(["cytology", *parts])
