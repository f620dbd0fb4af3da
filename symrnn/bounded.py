"""Text read as data with bounds: YAML (and JSON, through ``read_bounded``) whose depth, alias expansion and keys
are measured on the composed document before any value is built, so that an alias bomb, a recursive alias or a file
nested thousands deep is one line, at once. Values files and model files both read YAML here; nothing here needs
NumPy, so reading a built-in model stays cheap."""

from __future__ import annotations

import re
import reprlib
from typing import Callable

import yaml

from .errors import InputError
from .limits import MAX_VALUES_DEPTH, MAX_VALUES_ENTRIES


def read_bounded(parse: Callable[[], object], where: str, language: str, hint: str = "") -> object:
    """What ``parse`` returns, or an InputError of one line naming ``where`` (``hint`` ends an out-of-memory one)."""
    try:
        return parse()
    except Refused as error:
        raise InputError(f"{where}: {error}") from None
    except RecursionError:
        raise InputError(f"{where}: {too_deep()}") from None
    except MemoryError:
        raise InputError(f"{where}: out of memory reading it as {language}{hint}") from None
    except (ValueError, yaml.YAMLError) as error:
        raise InputError(f"{where} is not valid {language}: {error_words(error)}") from None


def bounded_yaml(text: str, where: str) -> object:
    """YAML text read as a values file is (depth, alias expansion and keys bounded), for model files too."""
    return read_bounded(lambda: parse_yaml(text), where, "YAML")


class Refused(Exception):
    """A file refused for its shape (depth, aliases, keys) before any value is built."""


def error_words(error: Exception) -> str:
    """A parser's complaint on one line; for YAML what is wrong and where, without PyYAML's snippet."""
    problem, mark = getattr(error, "problem", None), getattr(error, "problem_mark", None)
    if problem and mark:
        context = getattr(error, "context", None)
        return " ".join(f"{context + ': ' if context else ''}{problem} (line {mark.line + 1}, column "
                        f"{mark.column + 1})".split())
    return " ".join(str(error).split())


def too_deep() -> str:
    """Why a file nested past MAX_VALUES_DEPTH is refused: json and PyYAML recurse once per level."""
    return (f"nests more than {MAX_VALUES_DEPTH} levels deep (the limit; values need 3: the mapping, rows, "
            f"entries); give each name a number or a nested list of numbers")


_YAML_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""Floats such as 5e-2, which YAML 1.1 (PyYAML) reads as strings because they lack a dot."""

_STR, _MERGE = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge"


def parse_yaml(text: str) -> object:
    """YAML composed to a node graph, measured (depth, aliases, keys), and only then built."""
    loader = _Loader(text)
    loader.name = "the file"  # PyYAML's marks would say "<unicode string>"
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _Walk().visit(root, 0)
        return loader.construct_document(root)
    finally:
        loader.dispose()


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader, reading 5e-2 as a number and honouring merge keys (<<)."""

    def construct_name_mapping(self, node: yaml.MappingNode) -> dict:
        # Merged pairs come first, so a name written here overrides a merged one, as YAML says;
        # a name written twice here was refused by _Walk, as was a key that is not a name.
        self.flatten_mapping(node)
        return {self.construct_object(k, deep=True): self.construct_object(v, deep=True) for k, v in node.value}


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789"))
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_name_mapping)


class _Walk:
    """One pass over the composed graph before any value is built: an alias bomb, a recursive alias,
    nesting beyond MAX_VALUES_DEPTH and a key that is not a name are refused here, in time linear in
    the file, because each node is measured once however many aliases share it."""

    def __init__(self) -> None:
        self.measured: dict[int, tuple[int, int]] = {}  # id(node) -> (entries when expanded, height)
        self.open: set[int] = set()  # nodes being measured: meeting one again is a recursive alias

    def visit(self, node: yaml.Node, level: int) -> tuple[int, int]:
        """The node's expanded entries and height, refusing it if level + height passes the limit."""
        if id(node) in self.open:
            raise Refused(f"line {node.start_mark.line + 1}: this list or mapping holds an alias of itself, so "
                           f"its value would be infinite; remove that alias")
        if id(node) not in self.measured:
            self.measured[id(node)] = self._measure(node, level)
        entries, height = self.measured[id(node)]
        if level + height > MAX_VALUES_DEPTH:
            raise Refused(too_deep())
        return entries, height

    def _measure(self, node: yaml.Node, level: int) -> tuple[int, int]:
        """Counted (keys too: a key can be an alias of a bomb) and checked; recursion stops at the depth limit."""
        if isinstance(node, yaml.ScalarNode):
            return 1, 0
        if level >= MAX_VALUES_DEPTH:  # its children would pass the limit
            raise Refused(too_deep())
        children = node.value
        if isinstance(node, yaml.MappingNode):
            _check_keys(node)
            children = [part for pair in node.value for part in pair]
        self.open.add(id(node))
        entries, height = 1, 0
        for child in children:
            child_entries, child_height = self.visit(child, level + 1)
            entries, height = entries + child_entries, max(height, child_height)
            if entries > MAX_VALUES_ENTRIES:
                raise Refused(f"its aliases (*) expand to more than {MAX_VALUES_ENTRIES:,} entries (the limit); "
                               f"write the values out, or repeat them fewer times")
        self.open.discard(id(node))
        return entries, height + 1


def _check_keys(node: yaml.MappingNode) -> None:
    """Every key written in a mapping is a name (a string), given once; << (a merge) is allowed."""
    seen: set[str] = set()
    for key, _ in node.value:
        if key.tag == _MERGE:
            continue
        line = key.start_mark.line + 1
        if not isinstance(key, yaml.ScalarNode) or key.tag != _STR:
            raise Refused(f"line {line}: keys must be names (strings) such as W_hx, not {_key_words(key)}; "
                           f"write the name, quoted if YAML would read it as something else")
        if key.value in seen:
            raise Refused(f"line {line}: {brief(key.value)} is given twice; give each name once")
        seen.add(key.value)


def _key_words(key: yaml.Node) -> str:
    """What a key that is not a name is, in words: "a list", "1 (which YAML reads as int)"."""
    if not isinstance(key, yaml.ScalarNode):
        return "a list" if isinstance(key, yaml.SequenceNode) else "a mapping"
    kind = key.tag.rsplit(":", 1)[-1] if key.tag.startswith("tag:yaml.org,2002:") else key.tag
    written = key.value if key.value.isprintable() and len(key.value) <= 40 else brief(key.value)
    written = written or "an empty key"
    return f"{written} (which YAML reads as {kind})"


_SHORT = reprlib.Repr()
_SHORT.maxstring, _SHORT.maxother, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxlevel = 40, 40, 4, 4, 2


def brief(value: object) -> str:
    """A value as a message shows it: its repr, cut short (a key or entry may be megabytes long)."""
    return _SHORT.repr(value)
