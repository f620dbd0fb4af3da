"""Immutable expression trees: the values a model computes and the Jacobians between them.

Two small algebras, both frozen dataclasses so that they hash, compare and print
deterministically:

* value expressions (vectors and scalars): what a model's equations say;
* Jacobian expressions (matrices): what the chain rule multiplies.

Model definitions use ``Ref`` (a value relative to the current step); unrolling
replaces every ``Ref`` by a concrete ``Node`` or ``Param``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from typing import Callable, Iterator

import sympy

# ---------------------------------------------------------------- value expressions


@dataclass(frozen=True)
class Node:
    """A value of the unrolled graph: ``h[2]`` (name h, time 2) or ``l`` (no time)."""

    name: str
    time: int | None = None
    offset: int = 0
    """Added to ``time`` wherever a time is shown: -1 for a model whose time starts at 0."""

    @property
    def ident(self) -> str:
        """The node identifier used in the CLI and in JSON: ``h[2]`` or ``l``."""
        return self.name if self.time is None else f"{self.name}[{self.time + self.offset}]"


@dataclass(frozen=True)
class Param:
    """A parameter, shared by every time step (``W_hx``, ``h_0``)."""

    name: str

    @property
    def ident(self) -> str:
        return self.name


@dataclass(frozen=True)
class Ref:
    """A value named in a model equation, relative to the step ``t`` being defined.

    ``Ref("h", -1)`` is h^{(t-1)}; ``Ref("h", last=True)`` is h^{(n)}; a parameter or a
    value outside time is ``Ref("V")``.
    """

    name: str
    shift: int = 0
    last: bool = False
    position: bool = False
    """At the position i a readout looks at (``--position``), rather than relative to t."""


@dataclass(frozen=True)
class Label:
    """An integer label such as y in {1..K}; it selects a component, it is never differentiated.

    ``time`` is set for a label sequence (one y^{(t)} per step), None for a single label.
    """

    name: str
    time: int | None = None


@dataclass(frozen=True)
class MatVec:
    """A parameter matrix times a vector: ``W^{hx} x^{(t)}``."""

    matrix: Param | Ref
    vector: "Expr"


@dataclass(frozen=True)
class Add:
    """A sum of vectors of one size."""

    terms: tuple["Expr", ...]


@dataclass(frozen=True)
class Neg:
    """The negation of a value."""

    arg: "Expr"


@dataclass(frozen=True)
class Mul:
    """The elementwise (Hadamard) product a ⊙ b of two vectors of one size."""

    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Scale:
    """A scalar times a vector: α h^{(t-1)}."""

    scalar: "Expr"
    vector: "Expr"


@dataclass(frozen=True)
class Ones:
    """The constant 1: bold (a vector of ones, as in 1 - z) or a plain scalar (as in 1 - α)."""

    vector: bool = True


@dataclass(frozen=True)
class TimeSum:
    """Σ_t term^{(t)} over every step, such as a loss summed over time. Unrolling makes it an Add."""

    term: "Expr"


@dataclass(frozen=True)
class Concat:
    """CONCAT(u, v, ...): vectors stacked into one (only as the vector of a MatVec)."""

    parts: tuple["Expr", ...]


@dataclass(frozen=True)
class Const:
    """A number written into a formula: the 2 of d‖v‖²."""

    value: int | float


@dataclass(frozen=True)
class Log:
    """The natural logarithm, elementwise."""

    arg: "Expr"


@dataclass(frozen=True)
class Reciprocal:
    """1 / v, elementwise."""

    arg: "Expr"


@dataclass(frozen=True)
class Zeros:
    """The zero vector: an initial state fixed at 0 (h_{-1} = 0). Unrolling drops the terms it zeroes."""


@dataclass(frozen=True)
class SquaredNorm:
    """‖v‖² = v^T v, the squared-error loss of one step."""

    arg: "Expr"


@dataclass(frozen=True)
class CrossEntropy:
    """-log p_y where p = ``probabilities`` (an inline softmax): its gradient is (p - e_y)^T."""

    probabilities: "Expr"
    label: Label


@dataclass(frozen=True)
class Apply:
    """An elementwise transfer function (the model's activation ``g``) applied to a vector."""

    fn: str
    arg: "Expr"


@dataclass(frozen=True)
class ApplyDeriv:
    """g'(arg) elementwise; ``out`` is the node that holds g(arg), when there is one.

    Knowing ``out`` lets the printer write tanh'(a) as 1 - h ⊙ h, the way a person would.
    """

    fn: str
    arg: "Expr"
    out: Node | None = field(default=None, metadata={"child": False})
    """Not a sub-expression: it names the value, it is not read."""


@dataclass(frozen=True)
class LogSoftmax:
    """LS(l)_k = l_k - log Σ_j exp(l_j)."""

    arg: "Expr"


@dataclass(frozen=True)
class Softmax:
    """softmax(l)_k = exp(l_k) / Σ_j exp(l_j)."""

    arg: "Expr"


@dataclass(frozen=True)
class Pick:
    """Component ``label`` of a vector: q_y."""

    vector: "Expr"
    label: Label


@dataclass(frozen=True)
class OneHot:
    """The unit vector e_y of length ``size``."""

    label: Label
    size: sympy.Symbol


Expr = (Node | Param | Ref | MatVec | Add | Neg | Mul | Scale | Ones | Concat | Const | Log | Reciprocal | Zeros
        | TimeSum | SquaredNorm | CrossEntropy
        | Apply | ApplyDeriv | LogSoftmax | Softmax | Pick | OneHot)

def leaves(expr: Expr) -> tuple[Node | Param, ...]:
    """The nodes and parameters an expression reads, in order of first appearance."""
    found: dict[Node | Param, None] = {}
    pending = [expr]
    while pending:
        item = pending.pop()
        if isinstance(item, (Node, Param)):
            found.setdefault(item)
        else:
            pending.extend(reversed(children(item)))
    return tuple(found)


def _sub_expressions(expr: object) -> Iterator[tuple[str, Expr | tuple[Expr, ...]]]:
    """Each field of an expression that holds a sub-expression (or a tuple of them), by name, in field order; a
    label, a function's name, a size, and a field marked ``child: False`` are not sub-expressions."""
    for item in fields(expr):  # type: ignore[arg-type]
        value = getattr(expr, item.name)
        if not item.metadata.get("child", True):
            continue
        if isinstance(value, Expr) or isinstance(value, tuple) and value and all(isinstance(v, Expr) for v in value):
            yield item.name, value


def children(expr: Expr) -> tuple[Expr, ...]:
    """The direct sub-expressions of a value expression, in field order."""
    found: list[Expr] = []
    for _, value in _sub_expressions(expr):
        found.extend(value if isinstance(value, tuple) else (value,))
    return tuple(found)


def map_children(expr: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """``expr`` with ``fn`` applied to each direct sub-expression; the same object when it has none."""
    changed = {name: tuple(fn(v) for v in value) if isinstance(value, tuple) else fn(value)
               for name, value in _sub_expressions(expr)}
    return replace(expr, **changed) if changed else expr  # type: ignore[arg-type]


def walk(item: object) -> Iterator[object]:
    """The item and every expression nested in it, depth first, in field order."""
    yield item
    if is_dataclass(item):
        for f in fields(item):
            yield from walk(getattr(item, f.name))
    elif isinstance(item, tuple):
        for element in item:
            yield from walk(element)
