"""What a numeric check measured: plain data, so that printing a report needs no NumPy."""

from __future__ import annotations

from dataclasses import dataclass

TOLERANCE = 1e-6
"""Largest relative error a check accepts."""


@dataclass(frozen=True)
class CheckResult:
    """The errors for one activation: the sum over paths and the shaped gradient, each vs the reference."""

    activation: str
    path_sum_error: float | None
    shaped_error: float | None
    passed: bool
    factored_error: float | None = None
    problem: str | None = None
    """Why no error could be measured (a value that is not finite); the result then fails."""

    @property
    def worst(self) -> float:
        """The largest error measured; infinite when a problem kept it from being measured."""
        errors = [e for e in (self.path_sum_error, self.shaped_error, self.factored_error) if e is not None]
        return float("inf") if self.problem is not None or not errors else max(errors)


@dataclass(frozen=True)
class CheckReport:
    """What ``--check`` measured: sizes, seed, tolerance, and one result per activation checked."""

    sizes: tuple[tuple[str, int], ...]
    seed: int
    tolerance: float
    step: float
    results: tuple[CheckResult, ...]
    method: str = "complex step"
    """The reference: "complex step" (derivatives Im L(x + i·step)/step, entry by entry) or "reverse mode"
    (one backward sweep of the forward pass, for large graphs)."""

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def worst(self) -> float:
        return max(r.worst for r in self.results)

    def describe(self) -> str:
        """Why the check failed, in words: the first problem, or the largest error against the tolerance."""
        problem = next((f"{r.activation}: {r.problem}" for r in self.results if r.problem), None)
        return problem or f"relative error {self.worst:.1e} exceeds {self.tolerance:g}"
