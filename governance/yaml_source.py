"""YAML documents that remember where each value came from.

Manifests and policies are validated after loading; to name the file and line of a bad value,
mappings and sequences are loaded as :class:`LocatedDict` / :class:`LocatedList`, which carry the
1-based line and column of every key and item.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from governance.errors import GovernanceError
from governance.redact import without_quoted

Position = tuple[int, int]


class LocatedDict(dict[str, Any]):
    """A mapping with the position of itself and of each of its keys."""

    position: Position = (1, 1)
    key_positions: dict[str, Position]
    value_positions: dict[str, Position]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.key_positions = {}
        self.value_positions = {}


class LocatedList(list[Any]):
    """A sequence with the position of itself and of each item."""

    position: Position = (1, 1)
    item_positions: list[Position]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.item_positions = []


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds located containers and refuses duplicate keys and bad dates."""


class _InvalidScalar(Exception):
    """A scalar YAML resolves to a type but whose value is impossible (``2026-02-30``).

    Raised where the scalar is constructed; each enclosing mapping and sequence adds its key or
    index to ``location`` on the way out, so the error can name the field.
    """

    def __init__(self, message: str, position: Position) -> None:
        super().__init__(message)
        self.message = message
        self.position = position
        self.location: list[str | int] = []


def _mark(node: yaml.Node) -> Position:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def _construct_timestamp(loader: _Loader, node: yaml.ScalarNode) -> Any:
    """PyYAML's timestamp, with an impossible date (month 13, hour 25) as a located error."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError as exc:
        raise _InvalidScalar(f"not a valid date ({node.value}: {exc})", _mark(node)) from None


_KEY_KINDS = {
    "int": "a number",
    "float": "a number",
    "bool": "a boolean",
    "NoneType": "an empty key",
    "date": "a date",
    "datetime": "a date",
    "LocatedList": "a list",
    "LocatedDict": "a mapping",
}


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LocatedDict:
    loader.flatten_mapping(node)
    result = LocatedDict()
    result.position = _mark(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, str):
            found = _KEY_KINDS.get(type(key).__name__, "another value")  # not the key itself
            raise yaml.constructor.ConstructorError(
                None, None, f"keys must be strings, found {found}", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        try:
            result[key] = loader.construct_object(value_node, deep=True)
        except _InvalidScalar as exc:
            exc.location.insert(0, key)
            raise
        result.key_positions[key] = _mark(key_node)
        result.value_positions[key] = _mark(value_node)
    return result


def _construct_sequence(loader: _Loader, node: yaml.SequenceNode) -> LocatedList:
    result = LocatedList()
    for index, child in enumerate(node.value):
        try:
            result.append(loader.construct_object(child, deep=True))
        except _InvalidScalar as exc:
            exc.location.insert(0, index)
            raise
    result.position = _mark(node)
    result.item_positions = [_mark(child) for child in node.value]
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def dotted(location: Sequence[str | int]) -> str:
    """``("rules", 2, "params")`` -> ``rules[2].params``."""
    text = ""
    for step in location:
        if isinstance(step, int):
            text += f"[{step}]"
        elif not step.isprintable():  # keep the message on one line
            text += f"[{step!r}]"
        else:
            text += f".{step}" if text else step
    return text


def load_yaml_text(text: str, path: Path, error: type[GovernanceError]) -> list[Any]:
    """Parse every document in ``text``; YAML errors become ``error`` with file:line:column."""
    try:
        return list(yaml.load_all(text, Loader=_Loader))  # SafeLoader subclass
    except _InvalidScalar as exc:
        line, column = exc.position
        raise error(
            exc.message, path=path, line=line, column=column, field=dotted(exc.location) or None
        ) from None
    except yaml.MarkedYAMLError as exc:
        # A file named as a manifest or policy may be anything (a key, a vault): PyYAML quotes
        # what it could not read (an alias, a tag, a character), and that is left out.
        mark = exc.problem_mark or exc.context_mark
        problem = without_quoted(exc.problem or exc.context or "invalid YAML")
        raise error(
            f"invalid YAML: {problem}",
            path=path,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.reader.ReaderError as exc:
        start = text.rfind("\n", 0, exc.position) + 1
        character = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise error(
            f"invalid YAML: unacceptable character #x{character:04x}",
            path=path,
            line=text.count("\n", 0, exc.position) + 1,
            column=exc.position - start + 1,
        ) from None
    except yaml.YAMLError as exc:
        raise error(
            f"invalid YAML: {without_quoted(' '.join(str(exc).split()))}", path=path
        ) from None


def read_text(path: Path, error: type[GovernanceError], what: str) -> str:
    """Read a UTF-8 text file; a missing or unreadable file becomes ``error``."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise error(f"{what} not found", path=path) from None
    except IsADirectoryError:
        raise error(f"{what} is a directory, expected a file", path=path) from None
    except UnicodeDecodeError as exc:
        raise error(f"{what} is not UTF-8 text ({exc.reason})", path=path) from None
    except OSError as exc:
        raise error(f"cannot read {what}: {exc.strerror}", path=path) from None


def position_of(
    document: Any, location: Sequence[str | int], *, value: bool = False
) -> Position | None:
    """Best known position of the node at ``location`` (keys and indexes) in ``document``.

    Walks as deep as the document allows and returns the position of the deepest node found,
    so an unknown key or a missing field still points at the closest line. With ``value``, a
    scalar found at the end of the walk is located by its value rather than by its key.
    """
    node = document
    found: Position | None = getattr(document, "position", None)
    for index, step in enumerate(location):
        last = index == len(location) - 1
        if isinstance(node, LocatedDict) and isinstance(step, str) and step in node:
            positions = node.value_positions if value and last else node.key_positions
            found = positions.get(step, found)
            node = node[step]
        elif isinstance(node, LocatedList) and isinstance(step, int) and 0 <= step < len(node):
            found = node.item_positions[step]
            node = node[step]
        else:
            break
    return found
