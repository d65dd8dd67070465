"""YAML loading that remembers the line of every key and rejects duplicate keys."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

Lines = dict[tuple, int]


class YamlSourceError(Exception):
    def __init__(self, line: int, message: str):
        self.line = line
        self.message = message
        super().__init__(f"line {line}: {message}")


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate mapping keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    mapping: dict = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise YamlSourceError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
        mapping[key] = loader.construct_object(value_node, deep=True)
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _collect_lines(node: yaml.Node, path: tuple, lines: Lines) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = path + (key_node.value,)
            lines[child] = key_node.start_mark.line + 1
            _collect_lines(value_node, child, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect_lines(item, path + (index,), lines)


def load(path: Path) -> tuple[Any, Lines]:
    """Parse one YAML document; returns the data and a map from key path to 1-based line."""
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text, Loader=_LineLoader)
        data = yaml.load(text, Loader=_LineLoader)
    except YamlSourceError:
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlSourceError(mark.line + 1 if mark else 0, f"YAML syntax: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise YamlSourceError(0, f"YAML syntax: {exc}") from None
    lines: Lines = {}
    if node is not None:
        _collect_lines(node, (), lines)
    return data, lines


def line_of(lines: Lines, path: tuple) -> int:
    """Line of the deepest known prefix of path (a missing field reports its parent's line)."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)
