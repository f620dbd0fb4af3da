"""Values files (``--at FILE``): every name a model uses, mapped to numbers, checked for shape.

A JSON or YAML mapping: each parameter a number or nested list in its own shape,
each input sequence one row per time step, each label an integer numbered as the
equations number it (y in 1..K). Sizes (d, m, K) are read off the arrays and must agree.

A bad file of any kind (too big, too deep, an alias bomb, a key that is not a name, not
UTF-8, ...) is an InputError of one line; the limits below keep time and memory bounded.
User text is never evaluated: JSON through json, YAML through a SafeLoader subclass.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .bounded import Refused, brief, parse_yaml, read_bounded, too_deep
from .errors import InputError
from .limits import MAX_VALUES_BYTES, MAX_VALUES_DEPTH, MAX_YAML_BYTES
from .models import Model, Symbol
from .numeric import Instance


def load_values(path: str, model: Model, steps: int) -> Instance:
    """The instance a values file describes, or a one-line InputError naming the file and what is wrong."""
    return _instance(_read(path), model, steps, _shown(path))


def values_from(data: Mapping, model: Model, steps: int) -> Instance:
    """The instance a mapping from Python describes (numbers, nested lists or NumPy arrays), checked as a file is."""
    plain = {key: _plain(value) for key, value in data.items()}
    if not all(isinstance(key, str) for key in plain):
        raise InputError("the values' keys must be names (strings) such as W_hx")
    return _instance(plain, model, steps, "the values")


def _plain(value: object) -> object:
    """NumPy arrays and numbers as the lists and numbers a file holds."""
    tolist = getattr(value, "tolist", None)
    return tolist() if callable(tolist) else value


def _instance(data: dict, model: Model, steps: int, path: str) -> Instance:
    """The instance ``data`` describes; ``path`` names where it came from in messages."""
    _check_names(data, model, path)
    sizes: dict[str, tuple[int, str]] = {"steps": (steps, "--steps")}
    arrays = {p.name: _array(data[p.name], p, p.shape, sizes, path) for p in model.params}
    for entry in model.inputs:
        rows, expected = data[entry.name], steps + entry.lookahead
        if not isinstance(rows, list) or len(rows) != expected:
            count = len(rows) if isinstance(rows, list) else "no"
            extra = f" plus {entry.lookahead} (the last target)" if entry.lookahead else ""
            raise InputError(f"{path}: {entry.name} has {count} rows but --steps is {steps}; give one row per "
                             f"step{extra}, {expected} in all")
        sizes[f"{entry.name} rows"] = (expected, "--steps")
        arrays[entry.name] = _array(rows, entry, (f"{entry.name} rows",) + entry.shape, sizes, path)
    labels = {entry.name: _labels(data[entry.name], entry, sizes, path, steps) for entry in model.labels}
    _check_multiples(model, sizes, path)
    dims = {dim.name for dim in model.dims}
    return Instance({name: size for name, (size, _) in sizes.items() if name in dims}, arrays, labels)


def _check_multiples(model: Model, sizes: dict, path: str) -> None:
    """A dimension that is a multiple of another (2*m) must be exactly that multiple."""
    for dim in model.dims:
        if dim.times and dim.name in sizes and dim.times[1] in sizes:
            (size, source), (base, base_source) = sizes[dim.name], sizes[dim.times[1]]
            if size != dim.times[0] * base:
                raise InputError(f"{path}: {source} has {dim.name} = {size}, but {base_source} has "
                                 f"{dim.times[1]} = {base}, so {dim.name} must be {dim.times[0] * base}")


def _labels(raw: object, entry: Symbol, sizes: dict, path: str, steps: int) -> int | tuple[int, ...]:
    """A label, or for a label sequence one label per step."""
    if not entry.per_step:
        return _label(raw, entry, sizes, path)
    if not isinstance(raw, list) or len(raw) != steps:
        raise InputError(f"{path}: {entry.name} must be a list of {steps} labels, one per step (--steps is {steps})")
    return tuple(_label(item, entry, sizes, path) for item in raw)


def _read(path: str) -> dict:
    """The file's mapping, refusing (one line each) what is too big, too deep, not UTF-8 or not JSON/YAML."""
    where, is_yaml = _shown(path), _is_yaml(path)
    raw = _read_bytes(path, where, is_yaml)
    data = _parsed(raw, _decode(raw, where), where, is_yaml)
    if not isinstance(data, dict):
        raise InputError(f"{where} must hold a mapping from names to values (such as {{\"W_hx\": [[...]]}})")
    return data


def _parsed(raw: bytes, text: str, where: str, is_yaml: bool) -> object:
    language = "YAML" if is_yaml else "JSON"
    return read_bounded(lambda: parse_yaml(text) if is_yaml else _parse_json(raw, text), where, language,
                        f"; {_SMALLER}")


_SMALLER = "use smaller sizes (d, m, K) or fewer --steps"


def _shown(path: str) -> str:
    """The path as it goes into a one-line message: quoted when it holds a newline or other control."""
    return path if path.isprintable() else repr(path)


def _is_yaml(path: str) -> bool:
    """YAML by the file's suffix; anything else is read as JSON."""
    return Path(path).suffix.lower() in (".yaml", ".yml")


def _read_bytes(path: str, where: str, is_yaml: bool) -> bytes:
    """At most the limit + 1 bytes, so that /dev/zero or a runaway file costs a bounded read, not all memory."""
    if not path:
        raise InputError("--at needs a file name: give the path of a JSON or YAML values file, such as "
                         "--at values.json")
    limit = MAX_YAML_BYTES if is_yaml else MAX_VALUES_BYTES
    try:
        with open(path, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as error:
        raise InputError(f"cannot read values file {where}: {error.strerror or error}; give the path of a "
                         f"readable JSON or YAML file") from None
    if len(raw) > limit:
        kind, hint = ("a YAML values file", f", or write them as JSON (up to {MAX_VALUES_BYTES:,} bytes)") \
            if is_yaml else ("a values file", "")
        raise InputError(f"{where} is larger than the limit for {kind}, {limit / 2**20:g} MiB ({limit:,} bytes); "
                         f"{_SMALLER}{hint}")
    return raw


def _decode(raw: bytes, where: str) -> str:
    """UTF-8 text (a leading byte-order mark is allowed), or a message naming the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputError(f"cannot read values file {where}: byte {raw[error.start]:#04x} at offset {error.start} "
                         f"is not UTF-8; save the file as UTF-8 text") from None


# ---------------------------------------------------------------- JSON


_JSON_STRING = re.compile(rb'"(?:[^"\\]+|\\.)*"?', re.DOTALL)
"""A JSON string literal (or an unterminated one, to the end): linear time, as nothing after it can fail."""

_BRACKET_STEP = np.zeros(256, dtype=np.int8)
_BRACKET_STEP[list(b"[{")], _BRACKET_STEP[list(b"]}")] = 1, -1
_CHUNK = 1 << 20


def _parse_json(raw: bytes, text: str) -> object:
    """JSON, after a cheap depth check, since json.loads recurses once per level."""
    if _json_depth(raw) > MAX_VALUES_DEPTH:
        raise Refused(too_deep())
    return json.loads(text, object_pairs_hook=_unique_keys)


def _json_depth(raw: bytes) -> int:
    """The deepest bracket nesting outside string literals, a megabyte at a time (bounded memory)."""
    bare = _JSON_STRING.sub(b'""', raw)
    deepest = level = 0
    for start in range(0, len(bare), _CHUNK):
        chunk = np.frombuffer(bare, dtype=np.uint8, count=min(_CHUNK, len(bare) - start), offset=start)
        levels = np.cumsum(_BRACKET_STEP[chunk], dtype=np.int64) + level
        deepest, level = max(deepest, int(levels.max())), int(levels[-1])
    return deepest


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refusing a name given twice (json would silently keep the last)."""
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"{brief(key)} is given twice; give each name once")
        seen[key] = value
    return seen


def _check_names(data: dict, model: Model, path: str) -> None:
    expected = [e.name for e in model.params + model.inputs + model.labels]
    unknown = [name for name in data if name not in expected]
    missing = [name for name in expected if name not in data]
    if unknown:
        raise InputError(f"{path}: unknown name {brief(unknown[0])}; the {model.name} model uses "
                         f"{', '.join(expected)}")
    if missing:
        raise InputError(f"{path}: {', '.join(missing)} missing; give every name the {model.name} model uses: "
                         f"{', '.join(expected)}")


def _array(raw: object, entry: Symbol, dims: tuple[str, ...], sizes: dict, path: str) -> np.ndarray:
    """A nested list as a float array of the entry's shape, recording or checking each size."""
    _check_numbers(raw, entry.name, path)
    try:
        array = np.asarray(raw, dtype=float)
    except ValueError:
        raise InputError(f"{path}: {entry.name} is ragged; it must be {_shape_words(dims)}") from None
    if array.ndim != len(dims):
        raise InputError(f"{path}: {entry.name} must be {_shape_words(dims)}, not {_shape_words(array.shape)}")
    for dim, size in zip(dims, array.shape):
        known = sizes.get(dim)
        if known and known[0] != size:
            raise InputError(f"{path}: {entry.name} has {dim} = {size}, but {known[1]} has {dim} = {known[0]}")
        sizes.setdefault(dim, (size, entry.name))
    return array


def _check_numbers(raw: object, name: str, path: str) -> None:
    """Every entry a finite number (not a bool, string or None), first bad one named; iterative, any depth."""
    stack = [iter((raw,))]
    while stack:
        item = next(stack[-1], _END)
        if item is _END:
            stack.pop()
        elif isinstance(item, list):
            stack.append(iter(item))
        elif isinstance(item, bool) or not isinstance(item, (int, float)) or not _finite(item):
            raise InputError(f"{path}: {name} holds {brief(item)}; every entry must be a finite number")


_END = object()


def _finite(number: int | float) -> bool:
    try:
        return math.isfinite(float(number))
    except OverflowError:  # an integer beyond float range
        return False


def _shape_words(dims: tuple) -> str:
    if not dims:
        return "a number"
    return f"a nested list of shape {' x '.join(str(d) for d in dims)}"


def _label(raw: object, entry: Symbol, sizes: dict, path: str) -> int:
    count = sizes[entry.shape[0]][0]
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= count:
        raise InputError(f"{path}: {entry.name} is {brief(raw)}; it must be an integer from 1 to "
                         f"{entry.shape[0]} = {count} (labels are numbered from 1, as in the equations)")
    return raw
