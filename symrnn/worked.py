"""Worked numbers: a derivation at given values, as a hand-worked solution shows it.

The forward pass (every value at every step, abbreviations such as a^{(t)} included, then the readout), the
backward pass (∇_v L for every node v between the variable and the loss, last step first, as the factored
recursion names them), and the gradient. Everything is computed in float64 from the derived expressions; only
the display is rounded (``digits`` significant digits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .derivation import Derivation
from .errors import CheckFailed
from .expr import Node
from .factored import factor
from .latex import NotationPrinter
from .limits import DIGITS, ROUND_SIZE
from .numeric import Evaluator, Instance, forward


@dataclass(frozen=True)
class Numbered:
    """One value at the given numbers: its identifier (h[2]), its symbol, the numbers in its own shape, and
    their LaTeX, rounded."""

    ident: str
    symbol: str
    numbers: object
    latex: str


def forward_values(derivation: Derivation, evaluator: Evaluator, digits: int) -> tuple[Numbered, ...]:
    """Every value of the forward pass in the order a person computes it: step 1's equations (abbreviations
    included), step 2's, ..., then the readout's."""
    graph, printer = derivation.graph, NotationPrinter(derivation.graph)
    model, inline = graph.model, dict(graph.inline)
    found = []
    for t in range(1, graph.steps + 1):
        for definition in model.step:
            node = Node(definition.name, t, model.time_offset)
            value = evaluator.value(inline[node]) if node in inline else evaluator.env[node]
            found.append(_numbered(node.ident, printer.symbol(node), value, digits))
    for definition in model.readout:
        node = Node(definition.name)
        found.append(_numbered(node.ident, printer.symbol(node), evaluator.env[node], digits))
    return tuple(found)


def backward_values(derivation: Derivation, evaluator: Evaluator, digits: int) -> tuple[Numbered, ...]:
    """∇_v loss for every node v of the factored recursion, loss end first, each in v's own shape."""
    graph, printer = derivation.graph, NotationPrinter(derivation.graph)
    factored = derivation.factored or factor(graph, derivation.wrt, derivation.loss)
    formulas = dict(derivation.formulas)
    formulas.update(dict(factored.jacobians))
    formulas.update(factored.formulas)
    found = []
    for recursion in factored.recursions:
        node = graph.node(recursion.grad.node)
        value = np.reshape(evaluator.matrix(recursion.grad, formulas), np.shape(evaluator.env[node.value]))
        found.append(_numbered(recursion.grad.node, printer.doprint(recursion.grad), value, digits))
    return tuple(found)


def worked(derivation: Derivation, instance: Instance, digits: int = DIGITS) -> tuple[tuple[Numbered, ...],
                                                                                      tuple[Numbered, ...]]:
    """The forward and the backward pass of a derivation at ``instance``."""
    with np.errstate(all="ignore"):
        evaluator = forward(derivation.graph, instance, derivation.graph.activation)
        backward = () if derivation.vector_loss else backward_values(derivation, evaluator, digits)
        return forward_values(derivation, evaluator, digits), backward


def _numbered(ident: str, symbol: str, value: object, digits: int) -> Numbered:
    array = np.asarray(value, dtype=float)
    return Numbered(ident, symbol, array.tolist(), latex_numbers(array, digits))


def latex_numbers(array: np.ndarray, digits: int = DIGITS) -> str:
    """Numbers as LaTeX, rounded to ``digits`` significant digits: a number, a vector as a transposed row
    ([0.1 & 0.2]^T, which keeps a page short), a matrix as a bmatrix."""
    number = lambda x: _number(float(x), digits)  # noqa: E731 - a local alias
    if array.ndim == 0:
        return number(array)
    if array.ndim == 1:
        return rf"\begin{{bmatrix}} {' & '.join(map(number, array))} \end{{bmatrix}}^{{\top}}"
    body = r" \\ ".join(" & ".join(map(number, row)) for row in array)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def _number(x: float, digits: int) -> str:
    """x to ``digits`` significant digits, with a power of ten written as LaTeX (1.5 \\times 10^{-7})."""
    text = f"{x:.{digits}g}"
    if "e" not in text:
        return "0" if text == "-0" else text
    mantissa, exponent = text.split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"



ROUND_ATTEMPTS = 100

ROUND_KINK_MARGIN = 0.05
"""How far every ReLU input must stay from 0 at round values, so that a hand computation sees the same branch."""


def round_values(derivation: Derivation, seed: int, size: int = ROUND_SIZE) -> dict:
    """Values to work a derivation out by hand, drawn from ``seed``: every dimension ``size`` (2), every number a
    multiple of 0.1 in [-0.9, 0.9], labels in range; drawn again while a function's kink (ReLU at 0) is met
    exactly."""
    from .checking import kink_distance

    model, steps = derivation.model, derivation.steps
    rng = np.random.default_rng(seed)
    sizes: dict[str, int] = {}
    for dim in model.dims:
        sizes[dim.name] = dim.times[0] * sizes[dim.times[1]] if dim.times else size
    for _ in range(ROUND_ATTEMPTS):
        tenths = lambda shape: np.asarray(rng.integers(-9, 10, shape) / 10)  # noqa: E731 - a local alias
        arrays = {p.name: tenths([sizes[d] for d in p.shape]) for p in model.params}
        arrays |= {i.name: tenths([steps + i.lookahead] + [sizes[d] for d in i.shape]) for i in model.inputs}
        labels = {label.name: rng.integers(1, sizes[label.shape[0]] + 1, steps if label.per_step else None)
                  for label in model.labels}
        instance = Instance(sizes, arrays, {k: tuple(v.tolist()) if v.ndim else int(v) for k, v in labels.items()})
        if kink_distance(derivation.graph, instance, derivation.graph.activation) > ROUND_KINK_MARGIN:
            drawn_labels = {k: list(v) if isinstance(v, tuple) else v for k, v in instance.labels.items()}
            return {name: array.tolist() for name, array in arrays.items()} | drawn_labels
    raise CheckFailed(f"--numbers found no round values in {ROUND_ATTEMPTS} draws that keep every ReLU input "
                      f"{ROUND_KINK_MARGIN} away from 0 (or, assumed active, above it); try another --seed or fewer "
                      f"--steps")


def given_values(derivation: Derivation, values: dict, digits: int) -> tuple[Numbered, ...]:
    """The given numbers, in the model's order (parameters, labels, then the input rows x^{(1)}, ...), each with its
    symbol."""
    model, printer = derivation.model, NotationPrinter(derivation.graph)
    found = []
    for symbol in model.params + model.labels:
        array = np.asarray(values[symbol.name], dtype=float)
        found.append(Numbered(symbol.name, symbol.latex, values[symbol.name], latex_numbers(array, digits)))
    for entry in model.inputs:
        for t, row in enumerate(values[entry.name], 1):
            node = Node(entry.name, t, model.time_offset)
            found.append(Numbered(node.ident, printer.symbol(node), row, latex_numbers(np.asarray(row), digits)))
    return tuple(found)
