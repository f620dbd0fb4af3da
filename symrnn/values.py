"""Values files (``--at FILE``): every name a model uses, mapped to numbers, checked for shape.

A JSON or YAML mapping: each parameter a number or nested list in its own shape,
each input sequence one row per time step, each label an integer numbered as the
equations number it (y in 1..K). Sizes (d, m, K) are read off the arrays and must agree.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from pathlib import Path

import numpy as np

from .errors import InputError
from .models import Model, Symbol
from .numeric import Instance


def load_values(path: str, model: Model, steps: int) -> Instance:
    """The instance a values file describes, or an InputError naming what is wrong."""
    data = _read(path)
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
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read values file {path}: {getattr(error, 'strerror', None) or error}") from None
    try:
        data = _parse(path, text)
    except ValueError as error:
        raise InputError(f"{path} is not valid {'YAML' if _is_yaml(path) else 'JSON'}: {error}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} must hold a mapping from names to values (such as {{\"W_hx\": [[...]]}})")
    return data


def _is_yaml(path: str) -> bool:
    return Path(path).suffix.lower() in (".yaml", ".yml")


def _parse(path: str, text: str) -> object:
    if not _is_yaml(path):
        return json.loads(text, object_pairs_hook=_unique_keys)
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as error:
        raise ValueError(" ".join(str(error).split())) from None


def _unique_keys(pairs: list[tuple[str, object]]) -> dict:
    """A JSON object, refusing a name given twice (json would silently keep the last)."""
    seen: dict = {}
    for key, value in pairs:
        if key in seen:
            raise ValueError(f"{key!r} is given twice")
        seen[key] = value
    return seen


_YAML_FLOAT = re.compile(r"^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""Floats such as 5e-2, which YAML 1.1 (PyYAML) reads as strings because they lack a dot."""


@lru_cache(maxsize=1)
def _yaml_loader():
    """PyYAML's safe loader, reading 5e-2 as a number and refusing duplicate names."""
    import yaml

    class Loader(yaml.SafeLoader):
        pass

    Loader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML_FLOAT, list("-+0123456789"))

    def mapping(loader: Loader, node: yaml.MappingNode) -> dict:
        pairs = [(loader.construct_object(k, deep=True), loader.construct_object(v, deep=True)) for k, v in node.value]
        try:
            return _unique_keys(pairs)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(None, None, str(error), node.start_mark) from None

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return Loader


def _check_names(data: dict, model: Model, path: str) -> None:
    expected = [e.name for e in model.params + model.inputs + model.labels]
    unknown = [name for name in data if name not in expected]
    missing = [name for name in expected if name not in data]
    if unknown:
        raise InputError(f"{path}: unknown name {unknown[0]!r}; the {model.name} model uses {', '.join(expected)}")
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
    if isinstance(raw, list):
        for item in raw:
            _check_numbers(item, name, path)
    elif isinstance(raw, bool) or not isinstance(raw, (int, float)) or not _finite(raw):
        shown = f"{raw!r:.40}..." if len(repr(raw)) > 40 else repr(raw)
        raise InputError(f"{path}: {name} holds {shown}; every entry must be a finite number")


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
        raise InputError(f"{path}: {entry.name} is {raw!r}; it must be an integer from 1 to "
                         f"{entry.shape[0]} = {count} (labels are numbered from 1, as in the equations)")
    return raw
