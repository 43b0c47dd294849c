"""Reading YAML: the one place network files and case files are parsed.

PyYAML's safe loader, with what a lmbayes data file never needs refused, because it can hurt:

* **aliases and anchors** (``&a`` names a value, ``*a`` repeats it): nested a few levels, a few
  lines expand to billions of elements once a field turns them into text;
* **keys that are lists or mappings**, and **repeated keys** (PyYAML keeps the last silently);
* **whole numbers of more than** :data:`MAX_DIGITS` **digits**: Python converts at most 4,300
  digits and a float holds at most 309, so such a number is kept as a :class:`LongNumber`,
  which no field accepts (see :func:`lmbayes._fields.number`).

Every refusal is a :class:`~lmbayes.errors.NetworkFileError` naming the file and the line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml

from lmbayes.errors import NetworkFileError

__all__ = ["MAX_DIGITS", "Lines", "LongNumber", "line_at", "read"]

# libyaml's parser when PyYAML was built with it: about 60 ms faster per command here.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: The longest whole number read as a number (a count of patients has fewer than ten digits).
MAX_DIGITS = 30
# An anchor or alias needs & or * right after a space, a flow indicator or a line start;
# only a text with one is parsed event by event to find it (a citation's "&" is not one).
_MAYBE_ALIAS = re.compile(r"(?:^|[\s\[\]{},?:-])[&*][^\s,\[\]{}]", re.M)


@dataclass(frozen=True, repr=False)
class LongNumber:
    """A whole number with too many digits to be read as one: only its length is kept."""

    digits: int

    def __str__(self) -> str:
        return f"a whole number of {self.digits:,} digits"

    __repr__ = __str__


def read(text: str, file: str, kind: str, duplicates: list[NetworkFileError] | None = None) -> Any:
    """The data of one YAML document; ``kind`` names the file in messages ("network file").

    Repeated keys are appended to ``duplicates`` when it is given (so that a check can report
    them with the rest), else the first raises.
    """
    try:
        if _MAYBE_ALIAS.search(text):
            _refuse_aliases(text, kind)
        return _construct(text, file, duplicates)
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (a control character)
        from lmbayes._text import printable

        where = line_at(text, exc.position)
        character = printable(chr(exc.character)) if isinstance(exc.character, int) else "a character"
        raise NetworkFileError(
            f"{file}, line {where}: not valid YAML ({character} is not allowed in a YAML file; remove it, "
            "or write it as an escape inside double quotes)"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f", line {line_at(text, mark.index)}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise NetworkFileError(f"{file}{line}: not valid YAML ({problem})") from None


def line_at(text: str, index: int) -> int:
    """The line of the character at ``index``, counting line feeds only (1-based): YAML also
    ends a line at NEL, LS and PS, which editors do not, and Python's ``splitlines`` at form
    feeds too.

    >>> line_at("a\nb\x85c\u2028d", 6)
    2
    """
    return text.count("\n", 0, max(0, index)) + 1


def _refuse_aliases(text: str, kind: str) -> None:
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            what = f"an alias (*{event.anchor})"
        elif getattr(event, "anchor", None):
            what = f"an anchor (&{event.anchor})"
        else:
            continue
        raise yaml.composer.ComposerError(
            None, None, f"{what} is not allowed in a {kind}; write the value out where it is used", event.start_mark
        )


def _construct(text: str, file: str, duplicates: list[NetworkFileError] | None) -> Any:
    class Strict(_SafeLoader):  # type: ignore[misc, valid-type]
        pass

    def mapping(loader: Any, node: yaml.MappingNode, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = loader.construct_object(key_node, deep=True)
            line = line_at(text, key_node.start_mark.index)
            if not isinstance(key, (str, int, float, bool, LongNumber)) and key is not None:
                raise yaml.constructor.ConstructorError(
                    None, None, "a key must be a plain name, not a list or a mapping", key_node.start_mark
                )
            if key in seen:
                error = NetworkFileError(f"{file}, line {line}: duplicate key '{key}' (first at line {seen[key]}); give each once")
                if duplicates is None:
                    raise error
                duplicates.append(error)
            else:
                seen[key] = line
        return loader.construct_mapping(node, deep=deep)

    def whole(loader: Any, node: yaml.ScalarNode) -> Any:
        digits = sum(c.isalnum() for c in node.value)
        if digits > MAX_DIGITS:
            return LongNumber(digits)
        return loader.construct_yaml_int(node)

    Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    Strict.add_constructor("tag:yaml.org,2002:int", whole)
    loader = Strict(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class Lines:
    """Line numbers of a YAML text's values by path (keys and list positions), composed only
    when an error needs one."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._root: yaml.Node | None = None
        self._failed = False

    def find(self, path: Sequence[str | int]) -> int | None:
        """The line of the deepest value on ``path`` that the text has (1-based)."""
        if self._root is None and not self._failed:
            try:
                self._root = yaml.compose(self.text, Loader=_SafeLoader)
            except yaml.YAMLError:
                self._failed = True
        current, line = self._root, None
        for key in path:
            if isinstance(current, yaml.MappingNode):
                match = next((v for k, v in current.value if getattr(k, "value", None) == str(key)), None)
            elif isinstance(current, yaml.SequenceNode) and isinstance(key, int) and 0 <= key < len(current.value):
                match = current.value[key]
            else:
                match = None
            if match is None:
                break
            current, line = match, line_at(self.text, match.start_mark.index)
        return line
