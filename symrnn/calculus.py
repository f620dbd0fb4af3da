"""symrnn's own matrix-calculus rules, and simplification the way a person would do it.

``jacobian`` differentiates one equation with respect to one of the values it reads,
by the chain rule over a small table of rules (linear map, elementwise function,
log-softmax, component pick, sums). SymPy's array derivatives are not used: they
fail from two time steps on and can silently return zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence, cast

import sympy

from .activations import activation
from .errors import MissingRule
from .expr import (
    Add,
    Apply,
    ApplyDeriv,
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
from .jac import (
    Jac,
    JBlock,
    JColumn,
    JDiag,
    JIdentity,
    JKron,
    JLogSoftmax,
    JMatrix,
    JNeg,
    JOuter,
    JProduct,
    JRow,
    JScalar,
    JSum,
    JTranspose,
)

SCALAR = sympy.Integer(1)
"""The length of a scalar, seen as a vector of one entry."""


Rule = Callable[..., Any]
"""A table's entry: it takes the node of its own kind (the table is keyed by that kind)."""


@dataclass(frozen=True)
class Scope:
    """What differentiating one equation needs: the variable, the node being defined,
    the inline abbreviations to look through, and the shapes of values."""

    wrt: Node | Param
    out: Node
    inline: Mapping[Any, Expr]
    """Node → its inline definition; looked up with any expression (most are not abbreviations)."""
    shapes: Mapping[Any, tuple[sympy.Symbol, ...]]
    top: Expr | None = None


def jacobian(expr: Expr, scope: Scope) -> Jac:
    """D(wrt → out): the Jacobian of ``expr`` (out's equation) with respect to ``scope.wrt``."""
    found = _d(expr, Scope(scope.wrt, scope.out, scope.inline, scope.shapes, top=expr))
    if found is None:
        raise ValueError(f"{scope.out.ident} does not depend on {scope.wrt.ident}")
    return simplify(found)


def size(expr: Any, scope: Scope) -> sympy.Symbol:
    """The length of a vector-valued expression (of any kind: the last line reads the argument of a function)."""
    if isinstance(expr, (Node, Param)):
        shape = scope.shapes[expr]
        return shape[0] if shape else SCALAR
    if isinstance(expr, MatVec):
        return scope.shapes[expr.matrix][0]
    if isinstance(expr, Concat):
        return sympy.Add(*(size(part, scope) for part in expr.parts))
    if isinstance(expr, Add):
        return size(next(t for t in expr.terms if not isinstance(t, Ones)), scope)
    if isinstance(expr, Mul):
        return size(expr.left, scope)
    if isinstance(expr, Scale):
        return size(expr.vector, scope)
    return size(expr.arg, scope)


def _d(expr: Expr, scope: Scope) -> Jac | None:
    rule = _RULES.get(type(expr))
    if rule is None:
        raise MissingRule("Jacobian", expr)
    return rule(expr, scope)


def _d_leaf(expr: Node | Param, scope: Scope) -> Jac | None:
    if expr == scope.wrt:
        return JIdentity(size(expr, scope))
    if expr in scope.inline:
        return _d(scope.inline[expr], scope)
    return None


def _d_matvec(expr: MatVec, scope: Scope) -> Jac | None:
    parts: list[Jac] = []
    matrix = cast(Param, expr.matrix)  # unrolling has made every Ref a parameter
    if matrix == scope.wrt:
        parts.append(JKron(expr.vector, scope.shapes[matrix][0]))
    if isinstance(expr.vector, Concat):
        parts += _d_blocks(matrix, expr.vector, scope)
    else:
        inner = _d(expr.vector, scope)
        if inner is not None:
            parts.append(JProduct((JMatrix(matrix), inner)))
    return _sum(parts)


def _d_blocks(matrix: Param, concat: Concat, scope: Scope) -> list[Jac]:
    """D(V CONCAT(u, v)) = V_{[1]} D(u) + V_{[2]} D(v): each part meets its block of V's columns."""
    sizes = tuple(size(part, scope) for part in concat.parts)
    found: list[Jac] = []
    for index, part in enumerate(concat.parts):
        inner = _d(part, scope)
        if inner is not None:
            found.append(JProduct((JBlock(matrix, index, sizes), inner)))
    return found


def _d_apply(expr: Apply, scope: Scope) -> Jac | None:
    inner = _d(expr.arg, scope)
    out = scope.out if expr == scope.top else None
    return None if inner is None else JProduct((JDiag(ApplyDeriv(expr.fn, expr.arg, out)), inner))


def _d_mul(expr: Mul, scope: Scope) -> Jac | None:
    """D(a ⊙ b) = diag(b) D(a) + diag(a) D(b)."""
    parts = []
    for factor, other in ((expr.left, expr.right), (expr.right, expr.left)):
        inner = _d(factor, scope)
        if inner is not None:
            parts.append(JProduct((JDiag(other), inner)))
    return _sum(parts)


def _d_scale(expr: Scale, scope: Scope) -> Jac | None:
    """D(s v) = v D(s) + s D(v), for a scalar s."""
    parts = []
    by_scalar = _d(expr.scalar, scope)
    if by_scalar is not None:
        parts.append(JProduct((JColumn(expr.vector), by_scalar)))
    by_vector = _d(expr.vector, scope)
    if by_vector is not None:
        parts.append(JProduct((JScalar(expr.scalar, size(expr.vector, scope)), by_vector)))
    return _sum(parts)


def _d_cross_entropy(expr: CrossEntropy, scope: Scope) -> Jac | None:
    """-log p_y with p = softmax(o): D = (p - e_y)^T D(o), the textbook result (Goodfellow eq. 10.18)."""
    probabilities = expr.probabilities
    softmax = scope.inline.get(probabilities, probabilities)
    if not isinstance(softmax, Softmax):
        raise ValueError("cross-entropy needs probabilities given by a softmax")
    inner = _d(softmax.arg, scope)
    if inner is None:
        return None
    one_hot = OneHot(expr.label, size(softmax.arg, scope))
    return JProduct((JRow(Add((probabilities, Neg(one_hot)))), inner))


def _d_squared_norm(expr: SquaredNorm, scope: Scope) -> Jac | None:
    """D‖v‖² = 2 v^T D(v)."""
    inner = _d(expr.arg, scope)
    return None if inner is None else JProduct((JScalar(Const(2), SCALAR), JRow(expr.arg), inner))


def _constant(expr: Expr, scope: Scope) -> None:
    return None


def _chain(outer: Rule) -> Rule:
    """A rule for y = f(u): D(wrt → y) = f'(u) D(wrt → u), with f' given by ``outer``."""

    def rule(expr: Any, scope: Scope) -> Jac | None:
        argument = expr.vector if isinstance(expr, Pick) else expr.arg
        inner = _d(argument, scope)
        return None if inner is None else JProduct((outer(expr, scope), inner))

    return rule


def _sum(parts: Sequence[Jac]) -> Jac | None:
    return None if not parts else parts[0] if len(parts) == 1 else JSum(tuple(parts))


def _d_add(expr: Add, scope: Scope) -> Jac | None:
    return _sum([j for j in (_d(term, scope) for term in expr.terms) if j is not None])


def _d_neg(expr: Neg, scope: Scope) -> Jac | None:
    inner = _d(expr.arg, scope)
    return None if inner is None else JNeg(inner)


_RULES: dict[type, Rule] = {
    Node: _d_leaf,
    Param: _d_leaf,
    MatVec: _d_matvec,
    Add: _d_add,
    Neg: _d_neg,
    Mul: _d_mul,
    Scale: _d_scale,
    Ones: _constant,
    Zeros: _constant,
    Const: _constant,
    SquaredNorm: _d_squared_norm,
    Log: _chain(lambda e, s: JDiag(Reciprocal(e.arg))),
    OneHot: _constant,
    CrossEntropy: _d_cross_entropy,
    Apply: _d_apply,
    LogSoftmax: _chain(lambda e, s: JLogSoftmax(e.arg, size(e.arg, s))),
    Pick: _chain(lambda e, s: JRow(OneHot(e.label, size(e.vector, s)))),
}

# ---------------------------------------------------------------- simplification


def simplify(jac: Jac) -> Jac:
    """Rewrite a Jacobian the way a person would: flatten products, drop identities,
    move signs to the front, apply the product rules, push transposes inward."""
    rule = _SIMPLIFY.get(type(jac))
    return rule(jac) if rule else jac


def product(factors: tuple[Jac, ...]) -> Jac:
    """The simplified product of ``factors`` (leftmost first)."""
    return simplify(JProduct(factors))


def _simplify_product(jac: JProduct) -> Jac:
    negative, flat = _flatten(tuple(simplify(f) for f in jac.factors))
    kept = tuple(f for f in flat if not _is_identity(f)) or flat[:1]
    kept = _apply_pair_rules(kept)
    row = next((i for i, f in enumerate(kept) if isinstance(f, JRow) and _is_difference(f.vector)), None)
    if negative and row is not None:
        difference = cast(Add, cast(JRow, kept[row]).vector)
        negative, kept = False, kept[:row] + (JRow(_swap_difference(difference)),) + kept[row + 1:]
    result = kept[0] if len(kept) == 1 else JProduct(kept)
    return JNeg(result) if negative else result


def _flatten(factors: tuple[Jac, ...]) -> tuple[bool, tuple[Jac, ...]]:
    """Nested products spliced in, negations counted: (is the product negative, factors)."""
    negative, flat = False, cast(list[Jac], [])
    for factor in factors:
        while isinstance(factor, JNeg):
            negative, factor = not negative, factor.arg
        if isinstance(factor, JProduct):
            inner_negative, inner = _flatten(factor.factors)
            negative ^= inner_negative
            flat.extend(inner)
        else:
            flat.append(factor)
    return negative, tuple(flat)


def _is_identity(jac: Jac) -> bool:
    if isinstance(jac, JIdentity):
        return True
    return isinstance(jac, JDiag) and isinstance(jac.vector, ApplyDeriv) and activation(jac.vector.fn).unit_derivative


def _pick_log_softmax(left: Jac, right: Jac) -> Jac | None:
    """e_y^T (I - 1 softmax(l)^T) = (e_y - softmax(l))^T, since e_y^T 1 = 1."""
    if isinstance(left, JRow) and isinstance(left.vector, OneHot) and isinstance(right, JLogSoftmax):
        return JRow(Add((left.vector, Neg(Softmax(right.arg)))))
    return None


def _log_of_sigmoid(left: Jac, right: Jac) -> Jac | None:
    """diag(1/y) diag(y ⊙ (1 - y)) = diag(1 - y) when y = σ(f): the derivative of ln σ(f)."""
    if (isinstance(left, JDiag) and isinstance(left.vector, Reciprocal) and isinstance(right, JDiag)
            and isinstance(right.vector, ApplyDeriv) and right.vector.fn == "sigmoid"
            and right.vector.out == left.vector.arg):
        return JDiag(Add((Ones(), Neg(left.vector.arg))))
    return None


PAIR_RULES: tuple[Callable[[Jac, Jac], Jac | None], ...] = (_pick_log_softmax, _log_of_sigmoid)
"""Rules that replace two adjacent factors of a product by one."""


def _apply_pair_rules(factors: tuple[Jac, ...]) -> tuple[Jac, ...]:
    for i in range(len(factors) - 1):
        for rule in PAIR_RULES:
            merged = rule(factors[i], factors[i + 1])
            if merged is not None:
                return _apply_pair_rules(factors[:i] + (merged,) + factors[i + 2:])
    return factors


def _is_difference(expr: Expr) -> bool:
    return isinstance(expr, Add) and len(expr.terms) == 2 and isinstance(expr.terms[1], Neg)


def _swap_difference(expr: Add) -> Add:
    """-(a - b) = b - a: a sign in front of a difference goes into it."""
    return Add((cast(Neg, expr.terms[1]).arg, Neg(expr.terms[0])))


def _simplify_sum(jac: JSum) -> Jac:
    terms: list[Jac] = []
    for term in (simplify(t) for t in jac.terms):
        terms.extend(term.terms if isinstance(term, JSum) else (term,))
    if len(terms) > 1 and all(_diagonal(t) is not None for t in terms):
        return _merge_diagonals(terms)
    return terms[0] if len(terms) == 1 else JSum(tuple(terms))


def _diagonal(term: Jac) -> tuple[bool, Expr] | None:
    """(is it negated, v) for diag(v) or -diag(v); None otherwise."""
    if isinstance(term, JNeg) and isinstance(term.arg, JDiag):
        return True, term.arg.vector
    return (False, term.vector) if isinstance(term, JDiag) else None


def _merge_diagonals(terms: list[Jac]) -> Jac:
    """diag(a) - diag(b) = diag(a - b), the positive terms first."""
    signed = [found for found in (_diagonal(t) for t in terms) if found is not None]
    vectors: list[Expr] = [v for negated, v in signed if not negated] + [Neg(v) for negated, v in signed if negated]
    if isinstance(vectors[0], Neg):
        return JNeg(JDiag(Add(tuple(cast(Neg, v).arg for v in vectors))))
    return JDiag(Add(tuple(vectors)))


def _simplify_neg(jac: JNeg) -> Jac:
    inner = simplify(jac.arg)
    return inner.arg if isinstance(inner, JNeg) else JNeg(inner)


def _simplify_transpose(jac: JTranspose) -> Jac:
    inner = simplify(jac.arg)
    pushed = _TRANSPOSE.get(type(inner))
    return pushed(inner) if pushed else JTranspose(inner)


_TRANSPOSE: dict[type, Rule] = {
    JProduct: lambda j: product(tuple(JTranspose(f) for f in reversed(j.factors))),
    JSum: lambda j: simplify(JSum(tuple(JTranspose(t) for t in j.terms))),
    JNeg: lambda j: simplify(JNeg(JTranspose(j.arg))),
    JTranspose: lambda j: j.arg,
    JDiag: lambda j: j,
    JIdentity: lambda j: j,
    JScalar: lambda j: j,
    JRow: lambda j: JColumn(j.vector),
    JColumn: lambda j: JRow(j.vector),
}
"""(XY)^T = Y^T X^T; diag(v) and I are symmetric."""

_SIMPLIFY: dict[type, Rule] = {
    JProduct: _simplify_product,
    JSum: _simplify_sum,
    JNeg: _simplify_neg,
    JTranspose: _simplify_transpose,
}


def in_shape(first: Jac, column: Jac | None) -> Jac:
    """A term D(wrt → v)^T ∇_v L in the variable's own shape (``first`` the edge leaving the variable, ``column``
    what reaches v from the loss, None when nothing does): when the edge ends in u^T ⊗ I (a weight matrix W in
    W u), the reshaped transpose is the outer product (rest^T column) u^T; a negated edge gives the negated term."""
    if isinstance(first, JNeg):
        return JNeg(in_shape(first.arg, column))
    tail = (column,) if column is not None else ()
    factors = first.factors if isinstance(first, JProduct) else (first,)
    if isinstance(factors[-1], JKron):
        rest = tuple(JTranspose(f) for f in reversed(factors[:-1]))
        return JOuter(product(rest + tail), factors[-1].vector)
    return simplify(JProduct((JTranspose(first),) + tail))
