"""Numbers: the forward pass (real, or complex for the check's complex steps) and the derived expressions evaluated.

The derived gradient is computed only from the derivation's own expressions (its
Jacobian formulas and shaped terms), never by autodiff; derivatives of the
forward pass are the independent check. Everything is float64.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import reduce
from typing import Any, Callable, Mapping

import numpy as np

from .activations import numeric as activation_functions
from .errors import MissingRule
from .expr import (
    Add,
    Apply,
    ApplyDeriv,
    Concat,
    Const,
    CrossEntropy,
    Expr,
    Label,
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
from .graph import GENERIC, Graph
from .jac import (
    Jac,
    JBlock,
    JColumn,
    JDiag,
    JEdge,
    JGrad,
    JIdentity,
    JKron,
    JLogSoftmax,
    JMatrix,
    JName,
    JNeg,
    JOuter,
    JProduct,
    JRow,
    JScalar,
    JSum,
    JTranspose,
)

Rule = Callable[..., Any]
"""A table's entry: it takes the node of its own kind (the table is keyed by that kind)."""


@dataclass(frozen=True)
class Instance:
    """Concrete sizes and values for a model: parameters, input rows x[t], integer labels (1-based;
    a tuple with one label per step for a label sequence)."""

    sizes: Mapping[str, int]
    arrays: Mapping[str, np.ndarray]
    labels: Mapping[str, int | tuple[int, ...]]

    def label(self, label: Label) -> int:
        """The 0-based index a label selects."""
        value = self.labels[label.name]
        if isinstance(value, tuple):  # a label per step
            return value[(label.time or 1) - 1] - 1
        return value - 1


@dataclass(frozen=True)
class Evaluator:
    """Evaluates value and Jacobian expressions for one instance and one activation."""

    graph: Graph
    instance: Instance
    activation: str
    env: dict

    def fn(self, name: str) -> tuple[Callable, Callable]:
        return activation_functions(self.activation if name == GENERIC else name)

    def value(self, expr: Expr) -> np.ndarray:
        rule = _VALUE.get(type(expr))
        if rule is None:
            raise MissingRule("value", expr)
        return rule(expr, self)

    def matrix(self, jac: Jac, formulas: Mapping[Jac, Jac]) -> np.ndarray:
        rule = _MATRIX.get(type(jac))
        if rule is None:
            raise MissingRule("matrix", jac)
        return rule(jac, self, formulas)


def forward(graph: Graph, instance: Instance, activation: str,
            nudge: tuple[str, np.ndarray] | None = None) -> Evaluator:
    """Run the forward pass; ``nudge`` = (identifier, delta) adds delta to one node's value. A complex delta
    (the complex step) makes every value complex."""
    dtype = complex if nudge is not None and np.iscomplexobj(nudge[1]) else float
    env: dict = {}
    evaluator = Evaluator(graph, instance, activation, env)
    plan = graph.inline_before
    for node in graph.nodes:
        if node.kind == "parameter":
            value = np.array(instance.arrays[node.ident], dtype=dtype)
        elif node.kind == "input":
            assert isinstance(node.value, Node) and node.value.time is not None
            value = np.array(instance.arrays[node.value.name][node.value.time - 1], dtype=dtype)
        else:
            assert node.definition is not None
            for leaf, definition in plan[node.ident]:  # g'(a^{(t)}) needs the numbers of a^{(t)}
                env[leaf] = evaluator.value(definition)
            value = np.asarray(evaluator.value(node.definition), dtype=dtype)
        if nudge is not None and nudge[0] == node.ident:
            value = value + nudge[1]
        env[node.value] = value
    return evaluator


def _log_softmax(v: np.ndarray) -> np.ndarray:
    """Shifted by the largest (real part), so that exp never overflows; complex values pass through."""
    shifted = v - np.max(np.real(v))
    return shifted - np.log(np.exp(shifted).sum())


def _one_hot(expr: OneHot, ev: Evaluator) -> np.ndarray:
    vector = np.zeros(_size(expr.size, ev))
    vector[ev.instance.label(expr.label)] = 1.0
    return vector


_VALUE: dict[type, Rule] = {
    Node: lambda e, ev: ev.env[e],
    Param: lambda e, ev: ev.env[e],
    MatVec: lambda e, ev: ev.value(e.matrix) @ ev.value(e.vector),
    Add: lambda e, ev: sum(ev.value(t) for t in e.terms),
    Neg: lambda e, ev: -ev.value(e.arg),
    Apply: lambda e, ev: ev.fn(e.fn)[0](ev.value(e.arg)),
    ApplyDeriv: lambda e, ev: ev.fn(e.fn)[1](ev.value(e.arg)),
    LogSoftmax: lambda e, ev: _log_softmax(ev.value(e.arg)),
    Softmax: lambda e, ev: np.exp(_log_softmax(ev.value(e.arg))),
    Pick: lambda e, ev: ev.value(e.vector)[ev.instance.label(e.label)],
    Mul: lambda e, ev: ev.value(e.left) * ev.value(e.right),
    Scale: lambda e, ev: ev.value(e.scalar) * ev.value(e.vector),
    Ones: lambda e, ev: np.float64(1.0),
    Zeros: lambda e, ev: np.float64(0.0),
    Const: lambda e, ev: np.float64(e.value),
    Log: lambda e, ev: np.log(ev.value(e.arg)),
    Concat: lambda e, ev: np.concatenate([np.atleast_1d(ev.value(part)) for part in e.parts]),
    Reciprocal: lambda e, ev: 1.0 / ev.value(e.arg),
    SquaredNorm: lambda e, ev: np.sum(ev.value(e.arg) ** 2),
    CrossEntropy: lambda e, ev: -np.log(ev.value(e.probabilities)[ev.instance.label(e.label)]),
    OneHot: _one_hot,
}


def _size(dim, ev: Evaluator) -> int:
    """A dimension's concrete size (a literal 1 for scalars)."""
    if dim.is_Integer:
        return int(dim)
    return ev.instance.sizes.get(str(dim)) or int(dim.subs({s: ev.instance.sizes[str(s)] for s in dim.free_symbols}))


def _remembered(ev: Evaluator, key, compute: Callable) -> np.ndarray:
    """A value worked out once per forward pass: each ∇_v L is read by several recursions."""
    if key not in ev.env:
        ev.env[key] = compute()
    return ev.env[key]


def _block(jac: JBlock, ev: Evaluator) -> np.ndarray:
    """The columns of the matrix that multiply part ``index`` of a CONCAT."""
    sizes = [_size(s, ev) for s in jac.sizes]
    start = sum(sizes[:jac.index])
    return ev.value(jac.matrix)[:, start:start + sizes[jac.index]]


def _eye(dim, ev: Evaluator) -> np.ndarray:
    return np.eye(_size(dim, ev))


def _log_softmax_jacobian(jac: JLogSoftmax, ev: Evaluator) -> np.ndarray:
    p = np.exp(_log_softmax(ev.value(jac.arg)))
    return _eye(jac.dim, ev) - np.outer(np.ones_like(p), p)


def _column(jac: Jac, ev: Evaluator, formulas) -> np.ndarray:
    value = ev.matrix(jac, formulas)
    return value.reshape(-1, 1) if value.ndim == 1 else value


_MATRIX: dict[type, Rule] = {
    JEdge: lambda j, ev, f: ev.matrix(f[j], f),
    JName: lambda j, ev, f: ev.matrix(f[j], f),
    JGrad: lambda j, ev, f: _remembered(ev, j, lambda: ev.matrix(f[j], f)),
    JMatrix: lambda j, ev, f: ev.value(j.matrix),
    JBlock: lambda j, ev, f: _block(j, ev),
    JDiag: lambda j, ev, f: np.diag(np.atleast_1d(ev.value(j.vector))),
    JIdentity: lambda j, ev, f: _eye(j.dim, ev),
    JKron: lambda j, ev, f: np.kron(ev.value(j.vector)[None, :], _eye(j.dim, ev)),
    JRow: lambda j, ev, f: np.atleast_1d(ev.value(j.vector))[None, :],
    JColumn: lambda j, ev, f: np.atleast_1d(ev.value(j.vector))[:, None],
    JScalar: lambda j, ev, f: ev.value(j.value) * _eye(j.dim, ev),
    JLogSoftmax: lambda j, ev, f: _log_softmax_jacobian(j, ev),
    JProduct: lambda j, ev, f: reduce(np.matmul, (ev.matrix(x, f) for x in j.factors)),
    JSum: lambda j, ev, f: sum(ev.matrix(x, f) for x in j.terms),
    JNeg: lambda j, ev, f: -ev.matrix(j.arg, f),
    JTranspose: lambda j, ev, f: ev.matrix(j.arg, f).T,
    JOuter: lambda j, ev, f: _column(j.column, ev, f) @ ev.value(j.vector)[None, :],
}
"""How each kind of Jacobian becomes a NumPy matrix (vec(W) stacks W's columns)."""
