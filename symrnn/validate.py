"""The library checks its options exactly as the command line does, with the same one-line errors.

click checks the command line's options first; these checks make the Python API (and a caller that
passes an empty string) meet the same contract, naming the option as the command line spells it.
"""

from __future__ import annotations

from typing import Iterable

from .errors import InputError


def whole_number(option: str, value: object, low: int, high: int | None = None) -> int:
    """An integer from ``low`` to ``high`` (a bool is not a number of steps)."""
    allowed = f"from {low:,} to {high:,}" if high is not None else f"of at least {low:,}"
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (high is not None and value > high):
        raise InputError(f"{option} must be an integer {allowed}, not {value!r}")
    return value


def optional_number(option: str, value: object, low: int, high: int | None = None) -> int | None:
    """None (the default), or an integer in range."""
    return None if value is None else whole_number(option, value, low, high)


def choice(option: str, value: object, choices: Iterable[str]) -> str:
    """One of a fixed set of strings."""
    allowed = tuple(choices)
    if not isinstance(value, str) or value not in allowed:
        raise InputError(f"{option} must be one of {', '.join(allowed)}, not {value!r}")
    return value


def optional_choice(option: str, value: object, choices: Iterable[str]) -> str | None:
    return None if value is None else choice(option, value, choices)


def name(option: str, value: object, example: str) -> str | None:
    """None (the default), or a non-empty name: an empty string is a mistake, not the default."""
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{option} is empty; give a name such as {example}, or leave {option} out for the default")
    return value


def flag(option: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InputError(f"{option} must be True or False, not {value!r}")
    return value
