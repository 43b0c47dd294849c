"""What the shell completes for an argument that names a shipped thing or a file.

click's bash script empties its list and falls back to file names (``compopt -o default``) when
it meets a ``file`` item, and appends ``plain`` items: so the file item comes first and the
shipped names after it. The shell then offers the names that match what was typed, and file
names when none does; zsh and fish offer both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import click


def names_and_files(names: Iterable[str], incomplete: str) -> list[Any]:
    """Completion items: files, then the ``names`` that start with ``incomplete``."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file"), *(CompletionItem(n) for n in names if n.startswith(incomplete))]


class ShippedOrFile(click.ParamType):
    """A shipped name or the path of a file, passed on as typed (the library resolves it);
    the shell completes both."""

    def __init__(self, name: str, shipped: Callable[[], Iterable[str]]) -> None:
        self.name, self.shipped = name, shipped

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        return names_and_files(self.shipped(), incomplete)


class ShippedName(click.ParamType):
    """A shipped name only (checked by the command); the shell completes the names."""

    def __init__(self, name: str, shipped: Callable[[], Iterable[str]]) -> None:
        self.name, self.shipped = name, shipped

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        return [CompletionItem(n) for n in self.shipped() if n.startswith(incomplete)]


def _cases() -> Iterable[str]:
    from lmbayes.networks.cases import available

    return available()


def _cohorts() -> Iterable[str]:
    from lmbayes.cohort import available

    return available()


def _networks() -> Iterable[str]:
    from lmbayes import networks

    return networks.available()


#: ``replay CASE``: a shipped case or a case file.
CaseType = ShippedOrFile("CASE", _cases)
#: ``validate COHORT`` and ``fit COHORT``: a shipped cohort or a cohort file.
CohortType = ShippedOrFile("COHORT", _cohorts)
#: ``network copy NAME``: a shipped network.
ShippedNetworkType = ShippedName("NAME", _networks)


class SettingType(click.ParamType):
    """``--setting NAME``: the shell completes the settings of the network named on the command
    line (or the default); the network checks the name."""

    name = "NAME"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
        from click.shell_completion import CompletionItem

        from lmbayes import networks
        from lmbayes.errors import LmbayesError

        try:
            from lmbayes.network import load_network  # numpy and the engine: not for --help

            net = load_network(ctx.params.get("network_path") or networks.DEFAULT)
        except LmbayesError:
            return []
        return [CompletionItem(n) for n in net.spec.settings if n.startswith(incomplete)]
