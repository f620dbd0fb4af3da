"""Values files (``--at FILE``): every name a model uses, mapped to numbers, checked for shape.

A JSON or YAML mapping: each parameter a number or nested list in its own shape,
each input sequence one row per time step, each label an integer numbered as the
equations number it (y in 1..K). Sizes (d, m, K) are read off the arrays and must agree.
"""

from __future__ import annotations

import json
import math
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
        rows = data[entry.name]
        if not isinstance(rows, list) or len(rows) != steps:
            count = len(rows) if isinstance(rows, list) else "no"
            raise InputError(f"{path}: {entry.name} has {count} rows but --steps is {steps}; give one row per step")
        arrays[entry.name] = _array(rows, entry, ("steps",) + entry.shape, sizes, path)
    labels = {entry.name: _label(data[entry.name], entry, sizes, path) for entry in model.labels}
    return Instance({name: size for name, (size, _) in sizes.items() if name != "steps"}, arrays, labels)


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
        return json.loads(text)
    import yaml

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ValueError(str(error).replace("\n", " ")) from None


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
    elif isinstance(raw, bool) or not isinstance(raw, (int, float)) or not math.isfinite(raw):
        raise InputError(f"{path}: {name} holds {raw!r}; every entry must be a finite number")


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
