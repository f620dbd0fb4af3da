"""Every kind of expression is covered by every table that meets it (values, Jacobians, unrolling, reverse mode,
LaTeX), and a kind a table does not cover fails with one clear line, never a KeyError or a repr typeset as text."""

from __future__ import annotations

from typing import get_args

import numpy as np
import pytest

from symrnn import calculus, graph, numeric, reverse
from symrnn.activations import ACTIVATIONS, CONCRETE
from symrnn.activations import numeric as activation_numbers
from symrnn.catalogue import get_model
from symrnn.errors import MissingRule
from symrnn.expr import ApplyDeriv, Concat, Expr, Node, Reciprocal, Ref, Softmax, TimeSum, walk
from symrnn.jac import Jac
from symrnn.latex import NotationPrinter

VALUES = set(get_args(Expr))
JACOBIANS = set(get_args(Jac))

UNROLLED_AWAY = {Ref, TimeSum}
"""Written in model definitions only: unrolling replaces them by nodes and sums."""

ONLY_IN_JACOBIANS = {ApplyDeriv, Reciprocal}
"""g'(a) and 1/v appear in Jacobians, never in a model's equations."""

NOT_DIFFERENTIATED_ALONE = {Softmax, Concat}
"""softmax is differentiated inside CrossEntropy, CONCAT as the vector of a MatVec (by column blocks)."""


def test_the_expression_kinds_are_known():
    assert len(VALUES) == 23 and len(JACOBIANS) == 17


@pytest.mark.parametrize("table, name, covers", [
    (numeric._VALUE, "value", VALUES - UNROLLED_AWAY),
    (reverse._BACK, "reverse mode", VALUES - UNROLLED_AWAY - ONLY_IN_JACOBIANS),
    (calculus._RULES, "Jacobian", VALUES - UNROLLED_AWAY - ONLY_IN_JACOBIANS - NOT_DIFFERENTIATED_ALONE),
    (numeric._MATRIX, "matrix", JACOBIANS),
], ids=["value", "reverse", "jacobian", "matrix"])
def test_every_table_covers_every_kind_it_meets(table, name, covers):
    missing = sorted(kind.__name__ for kind in covers if kind not in table)
    assert missing == [], f"the {name} table has no rule for {missing}"


def test_the_printer_prints_every_kind():
    missing = sorted(kind.__name__ for kind in VALUES | JACOBIANS
                     if not hasattr(NotationPrinter, f"_print_{kind.__name__}"))
    assert missing == []


def test_every_activation_has_its_latex_and_derivative_and_numbers():
    for name, act in ACTIVATIONS.items():
        assert act.latex and act.derivative("h", "a", False)
    for name in CONCRETE:
        g, slope = activation_numbers(name)
        assert np.all(np.isfinite(g(np.array([-2.0, 0.5])))) and np.all(np.isfinite(slope(np.array([-2.0, 0.5]))))


def test_a_kind_without_a_rule_is_one_clear_line():
    unrolled = graph.unroll(get_model("elman"), 1)
    with pytest.raises(MissingRule) as caught:
        calculus.jacobian(Softmax(Node("l")), calculus.Scope(Node("l"), Node("p"), {}, {}))
    assert "no Jacobian rule for Softmax" in str(caught.value) and caught.value.exit_code == 2
    with pytest.raises(MissingRule, match="no LaTeX rule for object"):
        NotationPrinter(unrolled).doprint(object())


def test_every_function_is_one_row_that_every_layer_reads():
    """One row per elementwise function (activations.ACTIVATIONS): the model language, the Python API's type, SymPy
    input, the values and derivatives, and the LaTeX of g and g' all come from it."""
    from symrnn.api import ActivationName
    from symrnn.fromsympy import FUNCTION_NAMES
    from symrnn.grammar import FUNCTIONS

    assert set(get_args(ActivationName)) == set(ACTIVATIONS)
    assert FUNCTIONS == tuple(name for name in ACTIVATIONS if not ACTIVATIONS[name].assumes_active)
    assert set(FUNCTION_NAMES.values()) - {"log"} == set(FUNCTIONS)  # log is its own node (a number's log)
    u = np.linspace(-3, 3, 13) + 0.05
    for name, act in ACTIVATIONS.items():
        assert act.latex and act.note and act.derivative("h", "a", False)
        if act.formula is None:
            continue
        value, slope = activation_numbers(name)
        central = (value(u + 1e-6) - value(u - 1e-6)) / 2e-6
        assert np.allclose(slope(u), central, atol=1e-6), name


def test_unrolling_rebuilds_every_kind_through_its_fields():
    """Unrolling has no table: map_children rebuilds any kind from its fields, so every kind is covered; children
    lists the same sub-expressions in field order (labels, names and ApplyDeriv's out are not among them)."""
    from symrnn.catalogue import MODELS
    from symrnn.expr import Add, Apply, CrossEntropy, Label, MatVec, Param, children, map_children

    seen = set()
    for model in MODELS.values():
        for item in walk(model.step + model.readout):
            if isinstance(item, Expr):
                seen.add(type(item))
                assert map_children(item, lambda e: e) == item
                assert all(isinstance(child, Expr) for child in children(item))
    assert len(seen) == 17  # the 23 kinds less Node, Param, Zeros (made by unrolling), Reciprocal, ApplyDeriv, Const
    e = Add((MatVec(Param("W"), Node("x", 1)), CrossEntropy(Softmax(Node("o")), Label("y")),
             ApplyDeriv("tanh", Node("a"), Node("h"))))
    assert children(e) == e.terms and children(e.terms[1]) == (Softmax(Node("o")),)
    assert children(e.terms[2]) == (Node("a"),)
    assert map_children(Apply("g", Node("a")), lambda _: Node("b")) == Apply("g", Node("b"))
    with pytest.raises(MissingRule, match="no unrolling rule for object"):
        graph._instantiate(graph.Unrolling(get_model("elman"), 1, "g", 1), object(), 1)
