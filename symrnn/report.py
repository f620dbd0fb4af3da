"""What a numeric check measured: plain data, so that printing a report needs no NumPy."""

from __future__ import annotations

from dataclasses import dataclass

TOLERANCE = 1e-6
"""Largest relative error a check accepts."""


@dataclass(frozen=True)
class CheckResult:
    """The errors for one activation: the sum over paths and the shaped gradient, each vs finite differences."""

    activation: str
    path_sum_error: float | None
    shaped_error: float | None
    passed: bool
    factored_error: float | None = None

    @property
    def worst(self) -> float:
        return max(e for e in (self.path_sum_error, self.shaped_error, self.factored_error) if e is not None)


@dataclass(frozen=True)
class CheckReport:
    """What ``--check`` measured: sizes, seed, tolerance, and one result per activation checked."""

    sizes: tuple[tuple[str, int], ...]
    seed: int
    tolerance: float
    step: float
    results: tuple[CheckResult, ...]

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)
