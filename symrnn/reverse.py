"""Reverse-mode differentiation of the forward pass: the check's reference when complex steps would cost too much.

It reads only the model's equations (the value expressions of the unrolled graph) and their numbers, never
the derivation's Jacobians, so it is independent of what it checks: each kind of value expression has its
vector-Jacobian product here, as in micrograd's ``backward``, and one backward sweep gives the gradient of
the loss with respect to every parameter at once.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .errors import MissingRule
from .expr import (
    Add,
    Apply,
    Concat,
    Const,
    CrossEntropy,
    Expr,
    Log,
    LogSoftmax,
    MatVec,
    Mul,
    Neg,
    Node,
    OneHot,
    Ones,
    Param,
    Pick,
    Reciprocal,
    Scale,
    Softmax,
    SquaredNorm,
    Zeros,
)
from .graph import Graph
from .numeric import Evaluator, Instance, forward

Rule = Callable[..., Any]
"""A table's entry: it takes the node of its own kind (the table is keyed by that kind)."""


def reverse_gradients(graph: Graph, instance: Instance, activation: str, loss: str,
                      wrts: tuple[str, ...]) -> dict[str, np.ndarray]:
    """∂loss/∂v for each node v named in ``wrts``, in v's own shape, by one backward sweep."""
    sweep = _Sweep(forward(graph, instance, activation), dict(graph.inline), {})
    sweep.adjoint[graph.node(loss).value] = np.float64(1.0)
    for node in reversed(graph.nodes):
        if node.definition is not None and node.value in sweep.adjoint:
            sweep.back(node.definition, sweep.adjoint[node.value])
    return {wrt: _shaped(sweep, graph.node(wrt).value) for wrt in wrts}


def _shaped(sweep: "_Sweep", value: Node | Param) -> np.ndarray:
    known = np.asarray(sweep.evaluator.env[value])
    return np.broadcast_to(np.asarray(sweep.adjoint.get(value, 0.0), dtype=float), known.shape).copy()


class _Sweep:
    """The numbers of one forward pass, the inline abbreviations, and the adjoints gathered so far."""

    def __init__(self, evaluator: Evaluator, inline: dict[Node, Expr], adjoint: dict) -> None:
        self.evaluator, self.inline, self.adjoint = evaluator, inline, adjoint

    def value(self, expr: Expr) -> np.ndarray:
        return np.asarray(self.evaluator.value(expr))

    def back(self, expr: Expr, bar: np.ndarray) -> None:
        """Add ``bar`` (∂loss/∂expr) into the adjoints of what ``expr`` reads."""
        rule = _BACK.get(type(expr))
        if rule is None:
            raise MissingRule("reverse-mode", expr)
        rule(expr, np.asarray(bar), self)

    def leaf(self, expr: Node | Param, bar: np.ndarray) -> None:
        if expr in self.inline:  # a^{(t)} is written into the equations that read it
            self.back(self.inline[expr], bar)
            return
        self.adjoint[expr] = self.adjoint.get(expr, 0.0) + bar


def _fit(bar: np.ndarray, value: np.ndarray) -> np.ndarray:
    """``bar`` summed down to the shape of a value that was broadcast (a scalar added to a vector)."""
    if bar.shape == value.shape:
        return bar
    return np.sum(bar) if value.ndim == 0 else np.sum(bar.reshape((-1,) + value.shape), axis=0)


def _matvec(e: MatVec, bar: np.ndarray, s: _Sweep) -> None:
    matrix, vector = s.value(e.matrix), s.value(e.vector)
    s.back(e.matrix, np.outer(bar, vector).reshape(matrix.shape))
    s.back(e.vector, _fit(matrix.T @ bar, vector))


def _add(e: Add, bar: np.ndarray, s: _Sweep) -> None:
    for term in e.terms:
        s.back(term, _fit(bar, s.value(term)))


def _mul(e: Mul, bar: np.ndarray, s: _Sweep) -> None:
    left, right = s.value(e.left), s.value(e.right)
    s.back(e.left, _fit(bar * right, left))
    s.back(e.right, _fit(bar * left, right))


def _scale(e: Scale, bar: np.ndarray, s: _Sweep) -> None:
    scalar, vector = s.value(e.scalar), s.value(e.vector)
    s.back(e.scalar, _fit(bar * vector, scalar))
    s.back(e.vector, _fit(bar * scalar, vector))


def _apply(e: Apply, bar: np.ndarray, s: _Sweep) -> None:
    s.back(e.arg, bar * s.evaluator.fn(e.fn)[1](s.value(e.arg)))


def _softmax_of(s: _Sweep, arg: Expr) -> np.ndarray:
    return np.asarray(s.evaluator.value(Softmax(arg)))


def _log_softmax(e: LogSoftmax, bar: np.ndarray, s: _Sweep) -> None:
    s.back(e.arg, bar - _softmax_of(s, e.arg) * np.sum(bar))


def _softmax(e: Softmax, bar: np.ndarray, s: _Sweep) -> None:
    p = _softmax_of(s, e.arg)
    s.back(e.arg, p * (bar - np.dot(bar, p)))


def _pick(e: Pick, bar: np.ndarray, s: _Sweep) -> None:
    picked = np.zeros_like(s.value(e.vector), dtype=float)
    picked[s.evaluator.instance.label(e.label)] = bar
    s.back(e.vector, picked)


def _concat(e: Concat, bar: np.ndarray, s: _Sweep) -> None:
    start = 0
    for part in e.parts:
        value = s.value(part)
        size = max(value.size, 1)
        s.back(part, bar[start:start + size].reshape(value.shape))
        start += size


def _cross_entropy(e: CrossEntropy, bar: np.ndarray, s: _Sweep) -> None:
    p = s.value(e.probabilities)
    grad = np.zeros_like(p, dtype=float)
    index = s.evaluator.instance.label(e.label)
    grad[index] = -bar / p[index]
    s.back(e.probabilities, grad)


def _constant(e: Expr, bar: np.ndarray, s: _Sweep) -> None:
    """Constants (1, 0, 2, e_y) read nothing that could be differentiated."""


_BACK: dict[type, Rule] = {
    Node: lambda e, bar, s: s.leaf(e, bar),
    Param: lambda e, bar, s: s.leaf(e, bar),
    MatVec: _matvec,
    Add: _add,
    Neg: lambda e, bar, s: s.back(e.arg, -bar),
    Mul: _mul,
    Scale: _scale,
    Apply: _apply,
    LogSoftmax: _log_softmax,
    Softmax: _softmax,
    Pick: _pick,
    Log: lambda e, bar, s: s.back(e.arg, bar / s.value(e.arg)),
    Reciprocal: lambda e, bar, s: s.back(e.arg, -bar / s.value(e.arg) ** 2),
    SquaredNorm: lambda e, bar, s: s.back(e.arg, 2.0 * s.value(e.arg) * bar),
    Concat: _concat,
    CrossEntropy: _cross_entropy,
    Ones: _constant,
    Zeros: _constant,
    Const: _constant,
    OneHot: _constant,
}
"""The vector-Jacobian product of each kind of value expression: how ∂loss/∂(expr) flows to what it reads."""
