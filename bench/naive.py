"""The naive baseline: SymPy `diff` of the fully expanded scalar loss, for one entry of the gradient.

    python bench/naive.py MODEL STEPS      prints {"seconds": ..., "latex_bytes": ...}

The loss is built from the model's equations with every size 2 and every parameter and input
entry a real SymPy symbol (SymPy's best case), then differentiated by one entry of the model's
default parameter; `seconds` is the time of `diff` and of printing the result as LaTeX.
"""

from __future__ import annotations

import json
import sys
import time

import sympy

from symrnn.catalogue import get_model
from symrnn.expr import (
    Add,
    Apply,
    Concat,
    Const,
    CrossEntropy,
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
    Scale,
    Softmax,
    SquaredNorm,
)
from symrnn.graph import GENERIC, unroll

SIZE = 2
FUNCTIONS = {"tanh": sympy.tanh, "sigmoid": lambda u: 1 / (1 + sympy.exp(-u)), "relu": lambda u: sympy.Max(0, u),
             "relu-active": lambda u: u, "identity": lambda u: u}


def symbols(name: str, shape: tuple) -> sympy.Matrix | sympy.Symbol:
    if not shape:
        return sympy.Symbol(name, real=True)
    rows, cols = (int(shape[0].subs({s: SIZE for s in shape[0].free_symbols})),
                  int(shape[1].subs({s: SIZE for s in shape[1].free_symbols})) if len(shape) > 1 else 1)
    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}_{i}_{j}", real=True))


class Expand:
    """Evaluates symrnn's value expressions into SymPy matrices (columns) and scalars."""

    def __init__(self, graph, labels: dict):
        self.graph, self.labels, self.env = graph, labels, {}
        self.inline = dict(graph.inline)

    def label(self, label) -> int:
        value = self.labels[label.name]
        return (value if label.time is None else value[label.time - 1]) - 1

    def __call__(self, e):
        if isinstance(e, (Node, Param)):
            if e not in self.env:
                self.env[e] = self(self.inline[e])
            return self.env[e]
        if isinstance(e, MatVec):
            return self(e.matrix) * self(e.vector)
        if isinstance(e, Add):
            values = [self(t) for t in e.terms if not isinstance(t, Ones)]
            total = sum(values[1:], values[0])
            ones = sum(1 for t in e.terms if isinstance(t, Ones))
            return total + (sympy.ones(*total.shape) * ones if isinstance(total, sympy.MatrixBase) else ones)
        if isinstance(e, Neg):
            return -self(e.arg)
        if isinstance(e, Mul):
            left, right = self(e.left), self(e.right)
            return left.multiply_elementwise(right) if isinstance(left, sympy.MatrixBase) else left * right
        if isinstance(e, Scale):
            return self(e.scalar) * self(e.vector)
        if isinstance(e, Apply):
            fn = FUNCTIONS[e.fn]
            value = self(e.arg)
            return value.applyfunc(fn) if isinstance(value, sympy.MatrixBase) else fn(value)
        if isinstance(e, LogSoftmax):
            v = self(e.arg)
            return v - sympy.ones(*v.shape) * sympy.log(sum(sympy.exp(x) for x in v))
        if isinstance(e, Softmax):
            v = self(e.arg)
            return v.applyfunc(sympy.exp) / sum(sympy.exp(x) for x in v)
        if isinstance(e, Pick):
            return self(e.vector)[self.label(e.label)]
        if isinstance(e, CrossEntropy):
            return -sympy.log(self(e.probabilities)[self.label(e.label)])
        if isinstance(e, SquaredNorm):
            return sum(x ** 2 for x in self(e.arg))
        if isinstance(e, Log):
            return sympy.log(self(e.arg))
        if isinstance(e, Concat):
            return sympy.Matrix.vstack(*(self(p) for p in e.parts))
        if isinstance(e, OneHot):
            return sympy.Matrix([1 if i == self.label(e.label) else 0 for i in range(SIZE)])
        if isinstance(e, Const):
            return sympy.Integer(e.value)
        raise TypeError(f"no SymPy rule for {type(e).__name__}")


def main() -> None:
    model, steps = get_model(sys.argv[1]), int(sys.argv[2])
    activation = "tanh" if GENERIC in model.functions else GENERIC
    graph = unroll(model, steps, activation)
    labels = {label.name: (1,) * steps if label.per_step else 1 for label in model.labels}
    expand = Expand(graph, labels)
    for node in graph.nodes:
        if node.definition is None:
            expand.env[node.value] = symbols(node.ident.replace("[", "").replace("]", ""), node.shape)
    for node in graph.nodes:
        if node.definition is not None:
            expand.env[node.value] = expand(node.definition)
    loss = expand.env[graph.node(model.loss).value]
    variable = expand.env[graph.node(model.default_wrt).value]
    entry = variable[0] if isinstance(variable, sympy.MatrixBase) else variable
    start = time.perf_counter()
    gradient = sympy.diff(loss, entry)
    latex = sympy.latex(gradient)
    print(json.dumps({"seconds": time.perf_counter() - start, "latex_bytes": len(latex)}))


if __name__ == "__main__":
    main()
