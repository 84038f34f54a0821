"""Safe YAML reading that remembers where every value came from.

:func:`read_yaml` parses text into plain values (dicts, lists, str, int, float, bool, None)
and a :class:`SourceMap` from data paths to ``(line, column)``, never constructing Python
objects; duplicate keys are rejected and alias expansion is bounded (a "billion laughs" file
fails fast)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from retinasim.errors import SpecError, SpecIssue
from retinasim.util.settings import MAX_NUMBER_CHARACTERS

Path = tuple[str | int, ...]

MAX_EXPANDED_NODES = 100_000
"""Largest number of values a document may expand to once aliases are resolved."""
MAX_DEPTH = 64
"""Deepest nesting of mappings and sequences a document may have (a circuit needs 5)."""
MAX_CHARACTERS = 1_000_000
"""Longest document (characters) :func:`read_yaml` parses."""

_INT, _FLOAT = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_STANDARD_TAGS = {
    "tag:yaml.org,2002:" + name
    for name in ("str", "int", "float", "bool", "null", "map", "seq", "timestamp")
}


@dataclass
class SourceMap:
    """Positions (1-based line, column) of the values and keys of a parsed YAML document."""

    file: str
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def locate(
        self, path: Path, *, prefer_key: bool = False
    ) -> tuple[Path, int | None, int | None]:
        """The longest prefix of ``path`` present in the document, and its position (the
        nearest parent, e.g. for missing fields); ``prefer_key`` points at the key of a
        mapping entry rather than at its value (for unknown keys)."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefer_key and end == len(path) and prefix in self.keys:
                return prefix, *self.keys[prefix]
            if prefix in self.values:
                return prefix, *self.values[prefix]
        return (), None, None

    def issue(self, path: Path, message: str, *, prefer_key: bool = False) -> SpecIssue:
        """A :class:`SpecIssue` for ``path``, placed at the nearest known position."""
        _, line, column = self.locate(path, prefer_key=prefer_key)
        return SpecIssue(self.file, line, column, format_path(path), message)


def format_path(path: Path) -> str:
    """``("connections", 3, "kernel")`` → ``connections[3].kernel``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class _Builder:
    """Turns a composed node graph into plain values while recording positions."""

    def __init__(self, file: str):
        self.source = SourceMap(file)
        self.constructor = yaml.SafeLoader("")  # constructs scalars only
        self.issues: list[SpecIssue] = []
        self.budget = MAX_EXPANDED_NODES

    def error(self, node: Node, path: Path, message: str) -> None:
        line, column = _position(node)
        self.issues.append(SpecIssue(self.source.file, line, column, format_path(path), message))

    def build(self, node: Node, path: Path) -> Any:
        self.budget -= 1
        if self.budget < 0:
            raise _TooLarge(node)
        self.source.values.setdefault(path, _position(node))
        if node.tag not in _STANDARD_TAGS:
            self.error(node, path, f"tag {node.tag!r} is not allowed (only plain YAML values)")
            return None
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if isinstance(node, SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        assert isinstance(node, MappingNode)  # the only other kind of node
        return self.mapping(node, path)

    def scalar(self, node: ScalarNode, path: Path) -> Any:
        numeric = node.tag in (_INT, _FLOAT)
        if numeric and len(node.value) > MAX_NUMBER_CHARACTERS:
            message = f"a number longer than {MAX_NUMBER_CHARACTERS} characters is not read"
            self.error(node, path, message)
            return None
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as error:
            self.error(node, path, f"invalid value: {error}")
            return None
        return value.isoformat() if hasattr(value, "isoformat") else value

    def mapping(self, node: MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.error(key_node, path, "merge keys ('<<') are not supported")
                continue
            if not isinstance(key_node, ScalarNode):
                self.error(key_node, path, "mapping keys must be plain names")
                continue
            key = str(self.scalar(key_node, path))
            where = (*path, key)
            if key in result:
                first_line, _ = self.source.keys[where]
                self.error(key_node, where, f"duplicate key {key!r} (first on line {first_line})")
                continue
            self.source.keys[where] = _position(key_node)
            result[key] = self.build(value_node, where)
        return result


class _TooLarge(Exception):
    """Raised with the node at which a document expands past :data:`MAX_EXPANDED_NODES`."""


def _too_deep(text: str) -> tuple[int, int] | None:
    """Position of the first collection nested deeper than :data:`MAX_DEPTH`, if any, read
    from the event stream, which (unlike composing) does not recurse."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            mark = event.start_mark
            if depth > MAX_DEPTH and mark is not None:  # the parser marks every event
                return mark.line + 1, mark.column + 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
    return None


def read_yaml(text: str, file: str = "<string>") -> tuple[Any, SourceMap]:
    """Parse one YAML document safely: plain Python data (``None`` for an empty document)
    and the positions of its values; ``file`` names it in messages.

    Raises :class:`SpecError` on syntax errors, more than one document, disallowed tags, duplicate
    keys, or a document longer than :data:`MAX_CHARACTERS`, nested deeper than :data:`MAX_DEPTH`
    or expanding (through aliases) to more than :data:`MAX_EXPANDED_NODES` values."""
    if len(text) > MAX_CHARACTERS:
        message = f"document is {len(text)} characters long; at most {MAX_CHARACTERS} are read"
        raise SpecError.at(file, message)
    try:
        deep = _too_deep(text)
        if deep is not None:
            message = f"nested more than {MAX_DEPTH} levels deep; refusing to load it"
            raise SpecError.at(file, message, *deep)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.reader.ReaderError as error:
        line = text.count("\n", 0, error.position) + 1
        column = error.position - (text.rfind("\n", 0, error.position) + 1) + 1
        message = f"character {error.character:#06x} is not allowed in YAML"
        raise SpecError.at(file, message, line, column) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        problem = " ".join(p for p in (error.context, error.problem) if p)
        place = (mark.line + 1, mark.column + 1) if mark else ()
        raise SpecError.at(file, f"YAML syntax error: {problem}", *place) from None
    except yaml.YAMLError as error:
        raise SpecError.at(file, f"YAML error: {error}") from None
    builder = _Builder(file)
    if root is None:
        return None, builder.source
    try:
        data = builder.build(root, ())
    except _TooLarge as too_large:
        message = (
            f"document expands to more than {MAX_EXPANDED_NODES} values through aliases; "
            "refusing to load it"
        )
        raise SpecError.at(file, message, *_position(too_large.args[0])) from None
    if builder.issues:
        raise SpecError(builder.issues)
    return data, builder.source
