"""Each path term against SymPy's own derivative of the fully expanded scalar loss.

W^{hx} is untied: step t gets its own copy W^{hx,(t)}, so ∂o/∂W^{hx,(t)} is exactly
the term of the path whose first edge is W^{hx} → h^{(t)}. SymPy differentiates the
scalar expression (its reliable route, fine at these small sizes).
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from helpers import elman
from symrnn.checking import value_shape

from oracles import instance_from

SIZES = {"d": 2, "m": 2, "K": 3}
FUNCTIONS = {"tanh": sympy.tanh, "sigmoid": lambda a: 1 / (1 + sympy.exp(-a)), "identity": lambda a: a}


def matrix(name: str, rows: int, cols: int) -> sympy.Matrix:
    return sympy.Matrix(rows, cols, lambda i, j: sympy.Symbol(f"{name}_{i}_{j}", real=True))


def expanded_loss(steps: int, g, label: int):
    """o as one scalar SymPy expression, with a separate W^{hx} per step; returns (o, symbols)."""
    d, m, k = SIZES["d"], SIZES["m"], SIZES["K"]
    sym = {"W_hh": matrix("Whh", m, m), "b_h": matrix("bh", m, 1), "h_0": matrix("h0", m, 1),
           "V": matrix("V", k, m), "gamma": matrix("gamma", k, 1)}
    untied = [matrix(f"Whx{t}", m, d) for t in range(1, steps + 1)]
    inputs = [matrix(f"x{t}", d, 1) for t in range(1, steps + 1)]
    h = sym["h_0"]
    for w, x in zip(untied, inputs):
        h = (w * x + sym["W_hh"] * h + sym["b_h"]).applyfunc(g)
    logits = sym["V"] * h + sym["gamma"]
    log_normaliser = sympy.log(sum(sympy.exp(v) for v in logits))
    return -(logits[label - 1] - log_normaliser), sym, untied, inputs


def substitutions(instance, sym, untied, inputs) -> dict:
    values = {}
    for name, mat in sym.items():
        values.update(zip(mat, np.ravel(instance.arrays[name])))
    for w, x, row in zip(untied, inputs, instance.arrays["x"]):
        values.update(zip(w, np.ravel(instance.arrays["W_hx"])))
        values.update(zip(x, row))
    return values


@pytest.mark.parametrize("activation", sorted(FUNCTIONS))
@pytest.mark.parametrize("steps", [1, 2, 3])
def test_each_path_term_is_sympys_derivative_for_its_step(steps, activation):
    from symrnn.numeric import forward

    instance = instance_from(np.random.default_rng(10 * steps), SIZES, steps)
    derivation = elman(steps, "W_hx", "g")
    o, sym, untied, inputs = expanded_loss(steps, FUNCTIONS[activation], instance.labels["y"])
    values = substitutions(instance, sym, untied, inputs)
    evaluator = forward(derivation.graph, instance, activation)
    shape = value_shape(derivation, instance)
    for term in derivation.paths:
        step = int(term.nodes[1][2:-1])
        expected = _derivative_for_step(o, untied[step - 1], values)
        row = evaluator.matrix(term.named, derivation.formulas)
        np.testing.assert_allclose(np.reshape(row, shape, order="F"), expected, rtol=1e-10, atol=1e-12)
        shaped = evaluator.matrix(term.shaped, derivation.formulas)
        np.testing.assert_allclose(shaped, expected, rtol=1e-10, atol=1e-12)


def _derivative_for_step(o, weights: sympy.Matrix, values: dict) -> np.ndarray:
    """∂o/∂W^{hx,(t)} entry by entry: every other symbol fixed to its value first, then sympy.diff."""
    free = set(weights)
    fixed = o.xreplace({s: sympy.Float(v, 30) for s, v in values.items() if s not in free})
    at = {s: sympy.Float(values[s], 30) for s in free}
    return np.array([[float(sympy.diff(fixed, w).xreplace(at)) for w in row] for row in weights.tolist()])
