"""Jacobian expressions: the matrices the chain rule multiplies, as immutable trees.

D(a → b) of one edge, shorthands (A, B^t), diag(v), v^T ⊗ I, products, sums, transposes,
and ∇_v L of the factored form; ``calculus`` builds and simplifies them, ``latex`` prints
them, ``numeric`` evaluates them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .expr import Expr, Param


@dataclass(frozen=True)
class JEdge:
    """The named Jacobian D(a → b) of one edge of the graph (node identifiers)."""

    source: str
    target: str


@dataclass(frozen=True)
class JName:
    """A shorthand for a product of edge Jacobians: A, or B^{t}."""

    letter: str
    index: int | None = None


@dataclass(frozen=True)
class JMatrix:
    """A parameter matrix used as a Jacobian: D(h^{(t-1)} → a^{(t)}) = W^{hh}."""

    matrix: Param


@dataclass(frozen=True)
class JDiag:
    """diag(v): the Jacobian of an elementwise function."""

    vector: Expr


@dataclass(frozen=True)
class JIdentity:
    """The identity matrix I_dim."""

    dim: sympy.Symbol


@dataclass(frozen=True)
class JKron:
    """v^T ⊗ I_dim: the Jacobian of W v with respect to vec(W) (columns stacked)."""

    vector: Expr
    dim: sympy.Symbol


@dataclass(frozen=True)
class JRow:
    """The row vector v^T (a Jacobian into a scalar)."""

    vector: Expr


@dataclass(frozen=True)
class JScalar:
    """A scalar times the identity I_dim, printed as the scalar: D(h^{(t-1)} → α h^{(t-1)}) = α."""

    value: Expr
    dim: sympy.Symbol


@dataclass(frozen=True)
class JBlock:
    """The block of a matrix's columns that multiplies part ``index`` (0-based) of a CONCAT:
    D(u → V CONCAT(u, v)) = V_{[1]}. ``sizes`` are the lengths of the parts."""

    matrix: Param
    index: int
    sizes: tuple[sympy.Expr, ...]


@dataclass(frozen=True)
class JColumn:
    """The column vector v: the Jacobian of s v with respect to a scalar s."""

    vector: Expr


@dataclass(frozen=True)
class JLogSoftmax:
    """The log-softmax Jacobian I - 1 softmax(l)^T."""

    arg: Expr
    dim: sympy.Symbol


@dataclass(frozen=True)
class JGrad:
    """∇_v L: the gradient of the loss with respect to node v, a column of v's size."""

    node: str
    loss: str


@dataclass(frozen=True)
class JProduct:
    """A matrix product, leftmost factor first (the loss end of a path)."""

    factors: tuple["Jac", ...]


@dataclass(frozen=True)
class JSum:
    """A sum of Jacobians of one shape (a source used more than once in an equation)."""

    terms: tuple["Jac", ...]


@dataclass(frozen=True)
class JNeg:
    """The negation of a Jacobian."""

    arg: "Jac"


@dataclass(frozen=True)
class JTranspose:
    """The transpose of a Jacobian (used for gradients in a parameter's own shape)."""

    arg: "Jac"


@dataclass(frozen=True)
class JOuter:
    """The outer product col v^T: a matrix-shaped gradient from a column and a vector."""

    column: "Jac"
    vector: Expr


Jac = (JEdge | JName | JGrad | JMatrix | JBlock | JDiag | JIdentity | JKron | JRow | JScalar | JColumn | JLogSoftmax
       | JProduct
       | JSum | JNeg | JTranspose | JOuter)
