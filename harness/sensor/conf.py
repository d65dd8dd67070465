"""Reading a sensor's suricata.yaml the way Suricata 7 does, includes and all.

Two views of one file:
- `load_view` merges every `include` (top-level or nested, a file name or a list) into one plain
  tree with Suricata's semantics, for `sensor check`. Measured on Suricata 7.0.10 (`--dump-config`):
  an included file is parsed into the mapping that holds the `include` key, and a key it defines
  that already exists there is replaced as a whole, not merged (so a top-level include of a file with
  `vars:` drops every stock port-group). Later keys win over earlier ones. `!include` replaces the
  node it tags. Relative include paths are taken from the main file's folder.
- `load_document` is ruamel.yaml's round-trip tree of the main file alone, with the line and column
  of every key and item, for `sensor configure` to patch.

Every scalar is kept as the text Suricata sees (no YAML 1.1 bool/int guessing); `truthy` reads
booleans as Suricata's ConfValIsTrue does.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError
from ruamel.yaml.resolver import VersionedResolver, implicit_resolvers

MAX_INCLUDE_DEPTH = 16   # Suricata's own include recursion limit is of this order; stops cycles


class ConfigError(ValueError):
    """The config cannot be read: names the file and, where known, the line."""


class _TextResolver(VersionedResolver):
    """Only empty/`~`/null resolve to None; everything else stays the string Suricata reads."""

    @property
    def versioned_resolver(self):
        version = self.processing_version
        if version not in self._version_implicit_resolver:
            for versions, tag, regexp, first in implicit_resolvers:
                if version in versions and tag == "tag:yaml.org,2002:null":
                    self.add_version_implicit_resolver(version, tag, regexp, first)
            self._version_implicit_resolver.setdefault(version, {})
        return self._version_implicit_resolver[version]


@dataclass(frozen=True)
class IncludeTag:
    """A `!include FILE` node, resolved by load_view."""
    path: str


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.Resolver = _TextResolver
    yaml.width = 4096

    def construct_include(constructor, node):
        return IncludeTag(constructor.construct_scalar(node))

    yaml.constructor.add_constructor("!include", construct_include)
    return yaml


def parse(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    return parse_text(text, path)


def parse_text(text: str, path: Path):
    try:
        return _yaml().load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise ConfigError(f"{where}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None


def load_document(path: Path):
    """The main file's round-trip tree (no includes resolved)."""
    doc = parse(path)
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: a suricata.yaml must be a mapping at the top")
    return doc


@dataclass
class View:
    """The merged tree plus which files were read (main file first)."""
    tree: dict
    files: list[Path] = field(default_factory=list)


def load_view(path: Path) -> View:
    path = path.resolve()
    view = View({}, [path])
    doc = load_document(path)
    view.tree = _merge_mapping(doc, path.parent, view, 0, path)
    return view


def _include_names(value, where: Path) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise ConfigError(f"{where}: `include` takes a file name or a list of file names")


def _load_included(name: str, base: Path, view: View, depth: int, where: Path):
    if depth >= MAX_INCLUDE_DEPTH:
        raise ConfigError(f"{where}: includes nested deeper than {MAX_INCLUDE_DEPTH} (a cycle?)")
    target = Path(name) if Path(name).is_absolute() else base / name
    view.files.append(target)
    return target, parse(target)


def _merge_mapping(node: dict, base: Path, view: View, depth: int, where: Path) -> dict:
    merged: dict = {}
    for key, value in node.items():
        if key == "include":
            for name in _include_names(value, where):
                target, included = _load_included(name, base, view, depth + 1, where)
                if included is None:
                    continue
                if not isinstance(included, dict):
                    raise ConfigError(f"{target}: an included file must be a mapping")
                for inner_key, inner in _merge_mapping(included, base, view, depth + 1, target).items():
                    merged.pop(inner_key, None)   # replaced as a whole, and moved to the end
                    merged[inner_key] = inner
            continue
        merged.pop(key, None)
        merged[str(key)] = _resolve(value, base, view, depth, where)
    return merged


def _resolve(value, base: Path, view: View, depth: int, where: Path):
    if isinstance(value, IncludeTag):
        target, included = _load_included(value.path, base, view, depth + 1, where)
        return _resolve(included, base, view, depth + 1, target)
    if isinstance(value, dict):
        return _merge_mapping(value, base, view, depth, where)
    if isinstance(value, list):
        return [_resolve(item, base, view, depth, where) for item in value]
    return None if value is None else str(value)


def truthy(value) -> bool:
    """Suricata's ConfValIsTrue."""
    return isinstance(value, str) and value.strip().lower() in ("1", "yes", "true", "on")


def lookup(tree, *keys):
    node = tree
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node
