"""The transfer functions a model can use, as a table.

Each entry says how to print g and g', and gives g as a SymPy expression of one
scalar; numeric code gets g and g' from it with ``sympy.diff`` and ``lambdify``, so
the derivative used in checks is SymPy's, not one typed in by hand here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import sympy

from .errors import InputError

LatexRule = Callable[[str, str, bool], str]
"""Given the LaTeX of g's output and of its argument, and whether they are scalars, the LaTeX of g'(argument)."""

_U = sympy.Symbol("u", real=True)


@dataclass(frozen=True)
class Activation:
    """One transfer function: its name, its LaTeX, and its derivative written as a person would."""

    name: str
    description: str
    latex: str
    formula: sympy.Expr | None
    derivative: LatexRule
    unit_derivative: bool = False
    kink: float | None = None
    """Where g is not differentiable; numeric checks draw values away from it."""
    assumes_active: bool = False
    """ReLU with every unit assumed active (g' = 1): checks draw values where that holds."""
    note: str = ""
    """A sentence for the derivation (LaTeX in $...$) saying how g' was written."""
    fixed_note: str = ""
    """The same, where a model uses this function itself (a gate's σ), not as its g."""
    checks_generic: bool = True
    """A generic g is checked with each function that says so (tanh, σ, ReLU, identity); the others are checked
    where a model uses them, or when chosen with --activation."""


def _generic(out: str, arg: str, scalar: bool) -> str:
    return rf"g'({arg})"


def _one(scalar: bool) -> str:
    return "1" if scalar else r"\mathbf{1}"


def _tanh_rule(out: str, arg: str, scalar: bool) -> str:
    return f"1 - {out}^{{2}}" if scalar else rf"\mathbf{{1}} - {out} \odot {out}"


def _sigmoid_rule(out: str, arg: str, scalar: bool) -> str:
    return rf"{out}\,(1 - {out})" if scalar else rf"{out} \odot (\mathbf{{1}} - {out})"


ACTIVATIONS: dict[str, Activation] = {
    act.name: act
    for act in (
        Activation("g", "generic transfer function g (as exercise sheets write it)", "g", None, _generic,
                   note="$g$ is the transfer function, applied elementwise, and $g'$ its derivative."),
        Activation(
            "tanh", "hyperbolic tangent", r"\tanh", sympy.tanh(_U),
            _tanh_rule,
            note=r"$g = \tanh$, so $g'(a) = 1 - \tanh^2(a)$ is written with the unit's own output: "
                 r"$\mathbf{1} - h \odot h$.",
            fixed_note=r"$\tanh'(a) = 1 - \tanh^2(a)$, written with the unit's own output where it has a name "
                       r"($\mathbf{1} - n \odot n$ for $n = \tanh(a)$), elementwise.",
        ),
        Activation(
            "sigmoid", "logistic sigmoid", r"\sigma", 1 / (1 + sympy.exp(-_U)),
            _sigmoid_rule,
            note=r"$g = \sigma$, so $g'(a) = \sigma(a)(1 - \sigma(a))$ is written with the unit's own "
                 r"output: $h \odot (\mathbf{1} - h)$.",
            fixed_note=r"$\sigma(a) = 1 / (1 + e^{-a})$ is the logistic sigmoid, elementwise; $\sigma'(a) = "
                       r"\sigma(a)(1 - \sigma(a))$ is written with the gate's own output: $z \odot (\mathbf{1} - z)$ "
                       r"for $z = \sigma(a)$.",
        ),
        Activation(
            "relu", "rectified linear unit", r"\operatorname{ReLU}", sympy.Max(0, _U),
            lambda out, arg, scalar: rf"[{arg} > 0]", kink=0.0,
            note=r"$g = \operatorname{ReLU}$; $[a > 0]$ is 1 where a unit is active and 0 where it is not "
                 r"(elementwise; ReLU has no derivative at 0).",
            fixed_note=r"$\operatorname{ReLU}'(a) = [a > 0]$: 1 where a unit is active and 0 where it is not "
                       r"(ReLU has no derivative at 0).",
        ),
        Activation(
            "identity", "identity (a linear recurrence)", r"\operatorname{id}", _U,
            lambda out, arg, scalar: _one(scalar), unit_derivative=True,
            note=r"$g$ is the identity, so $g' = 1$ and every $\operatorname{diag}(g')$ is the identity: "
                 r"it is left out.",
        ),
        Activation(
            "relu-active", "ReLU with every unit assumed active", r"\operatorname{ReLU}", sympy.Max(0, _U),
            lambda out, arg, scalar: _one(scalar), unit_derivative=True, assumes_active=True, kink=0.0,
            note=r"Every ReLU unit is assumed active, as the exercise allows: $\operatorname{ReLU}' = 1$, so its "
                 r"factors are left out (the check draws values where every unit is active).",
            fixed_note=r"Every ReLU unit is assumed active, as the exercise allows: $\operatorname{ReLU}' = 1$, so "
                       r"its factors are left out (the check draws values where every unit is active).",
        ),
        Activation(
            "exp", "exponential", r"\exp", sympy.exp(_U),
            lambda out, arg, scalar: out, checks_generic=False,
            note=r"$g = \exp$, so $g'(a) = \exp(a)$: the unit's own output.",
            fixed_note=r"$\exp'(a) = \exp(a)$, written with the unit's own output where it has a name, "
                       r"elementwise.",
        ),
        Activation(
            "softplus", "softplus, log(1 + e^u)", r"\operatorname{softplus}", sympy.log(1 + sympy.exp(_U)),
            lambda out, arg, scalar: rf"\sigma({arg})", checks_generic=False,
            note=r"$g = \operatorname{softplus}$, $\operatorname{softplus}(a) = \log(1 + e^{a})$, so $g'(a) = "
                 r"\sigma(a) = 1 / (1 + e^{-a})$, elementwise.",
            fixed_note=r"$\operatorname{softplus}(a) = \log(1 + e^{a})$ and $\operatorname{softplus}'(a) = "
                       r"\sigma(a) = 1 / (1 + e^{-a})$, elementwise.",
        ),
    )
}

CONCRETE = tuple(name for name, act in ACTIVATIONS.items()
                 if act.formula is not None and not act.assumes_active and act.checks_generic)
"""The activations that have numbers; a generic g is checked with each of them."""


def activation(name: str) -> Activation:
    """The activation called ``name``, or an InputError that lists the choices."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        choices = ", ".join(ACTIVATIONS)
        raise InputError(f"unknown activation {name!r}; choose one of {choices}") from None


@lru_cache(maxsize=None)
def numeric(name: str) -> tuple[Callable, Callable]:
    """NumPy functions (g, g') for a concrete activation, made by lambdify from its formula."""
    act = activation(name)
    if act.formula is None:
        raise InputError(f"activation {name!r} has no numbers; pick one of {', '.join(CONCRETE)}")
    derivative = sympy.diff(act.formula, _U)
    modules = [{"exp": _bounded_exp}, "numpy"]
    return (
        _vectorised(sympy.lambdify(_U, act.formula, modules)),
        _vectorised(sympy.lambdify(_U, derivative, modules)),
    )


EXP_BOUND = 709.0
"""Largest real argument given to exp (e^709 ≈ 8e307, below float64's largest): σ'(u) = e^{-u}/(1 + e^{-u})²
at u = -1000 is then 8e307/inf = 0, as it should be, not inf/inf = NaN."""


def _bounded_exp(values):
    """exp with real arguments above EXP_BOUND taken as EXP_BOUND; complex values (the check's complex step,
    drawn well inside this range) pass through."""
    import numpy

    if numpy.iscomplexobj(values):
        return numpy.exp(values)
    return numpy.exp(numpy.minimum(values, EXP_BOUND))


def _vectorised(fn: Callable) -> Callable:
    """Broadcast a lambdified scalar function, which may return a Python scalar for constants."""
    import numpy

    def apply(values):
        array = numpy.asarray(values)
        array = array.astype(numpy.result_type(array, float), copy=False)  # complex stays complex (complex step)
        result = numpy.asarray(fn(array), dtype=array.dtype)
        return result if result.shape == array.shape else numpy.full(array.shape, result)

    return apply
