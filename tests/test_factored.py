"""The factored form (back-propagation through time as a recursion) against the path sum,
finite differences, PyTorch and Goodfellow's closed forms; and its size, linear in n."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import near_finite_differences
from symrnn.api import document
from symrnn.catalogue import MODELS, get_model
from symrnn.checking import (
    KINK_MARGIN,
    derived_gradient,
    factored_gradient,
    finite_difference,
    kink_distance,
    random_instance,
    relative_error,
)
from symrnn.derivation import AUTO_PATHS, derive
from symrnn.errors import InputError
from symrnn.graph import unroll
from symrnn.jac import JGrad
from symrnn.numeric import forward
from symrnn.paths import count_paths
from symrnn.rendering import render

from model_oracles import goodfellow_closed_forms, torch_gradients


@lru_cache(maxsize=None)
def both(name: str, steps: int, wrt: str):
    return derive(get_model(name), steps, wrt=wrt, form="both")


def _activation(name: str) -> str:
    return "tanh" if "g" in get_model(name).functions else "g"


@pytest.mark.parametrize("steps", range(1, 6))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_factored_form_equals_the_path_sum(name, steps):
    m = get_model(name)
    instance = random_instance(m, steps, np.random.default_rng(steps))
    for wrt in m.param_names:
        if count_paths(unroll(m, steps), wrt, m.loss) == 0:
            continue
        d = both(name, steps, wrt)
        act = _activation(name)
        paths, factored = derived_gradient(d, instance, act), factored_gradient(d, instance, act)
        assert relative_error(factored, paths) <= 1e-11, (name, steps, wrt)


@st.composite
def problems(draw):
    name = draw(st.sampled_from(sorted(MODELS)))
    m = get_model(name)
    steps = draw(st.integers(1, 8))
    wrt = draw(st.sampled_from(m.param_names))
    assume(count_paths(unroll(m, steps), wrt, m.loss) > 0)
    d = derive(m, steps, wrt=wrt, form="factored")
    instance = random_instance(m, steps, np.random.default_rng(draw(st.integers(0, 2**32 - 1))))
    assume(kink_distance(d.graph, instance, _activation(name)) > KINK_MARGIN)
    return d, instance


@given(problems())
def test_factored_form_equals_pytorch_and_finite_differences(problem):
    d, instance = problem
    act = _activation(d.model.name)
    _, expected = torch_gradients(d.model.name, instance, act)
    factored = factored_gradient(d, instance, act)
    assert np.max(np.abs(factored - expected[d.wrt])) <= 1e-9 * max(1.0, np.max(np.abs(expected[d.wrt])))
    assert near_finite_differences(factored, finite_difference(d, instance, act))


@pytest.mark.parametrize("steps", [1, 2, 4, 7])
def test_goodfellow_recursion_is_the_books_line_by_line(steps):
    """∇_{o^{(t)}} L = ŷ^{(t)} - e_{y^{(t)}} (10.18) and ∇_{h^{(t)}} L as 10.19-10.21 (corrected), node by node."""
    m = get_model("goodfellow")
    instance = random_instance(m, steps, np.random.default_rng(steps))
    d = derive(m, steps, wrt="W", form="factored")
    evaluator = forward(d.graph, instance, "g")
    p, x, y = instance.arrays, instance.arrays["x"], instance.labels["y"]
    h, grad_o = [p["h_0"]], []
    for t in range(steps):
        h.append(np.tanh(p["b"] + p["W"] @ h[-1] + p["U"] @ x[t]))
        o = p["c"] + p["V"] @ h[-1]
        grad_o.append(np.exp(o) / np.exp(o).sum() - np.eye(len(o))[y[t] - 1])
    grad_h = {steps: p["V"].T @ grad_o[-1]}
    for t in range(steps - 1, 0, -1):
        grad_h[t] = p["W"].T @ np.diag(1 - h[t + 1] ** 2) @ grad_h[t + 1] + p["V"].T @ grad_o[t - 1]
    value = lambda node: evaluator.matrix(JGrad(node, "L"), d.formulas).ravel()  # noqa: E731
    for t in range(1, steps + 1):
        np.testing.assert_allclose(value(f"o[{t}]"), grad_o[t - 1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(value(f"h[{t}]"), grad_h[t], rtol=1e-12, atol=1e-14)
    closed = goodfellow_closed_forms(instance)
    for wrt in ("U", "W", "b", "V", "c"):
        gradient = factored_gradient(derive(m, steps, wrt=wrt, form="factored"), instance, "g")
        np.testing.assert_allclose(gradient, closed[wrt], rtol=1e-10, atol=1e-13)


def test_auto_lists_paths_when_few_and_factors_when_many():
    assert derive(get_model("elman"), 3).form == "paths"
    assert derive(get_model("elman"), 3, form="auto").form == "paths"
    assert count_paths(unroll(get_model("gru"), 4), "U_z", "o") > AUTO_PATHS
    assert derive(get_model("gru"), 4, form="auto").form == "factored"


def test_too_many_paths_names_the_count_and_the_factored_form():
    with pytest.raises(InputError, match=r"1398101 paths .* --form factored"):
        derive(get_model("gru"), 11, wrt="U_z", form="paths")


@pytest.mark.parametrize("name, layers", [("gru", None), ("lstm", None), ("stacked", 2), ("lstm-torch", None)])
def test_factored_latex_grows_linearly(name, layers):
    size = {n: len(render(document(name, n, form="factored", layers=layers), "latex", True)) for n in (10, 20, 40)}
    assert size[40] <= 2.2 * size[20] and size[20] <= 2.2 * size[10], size


def test_at_uses_the_factored_form_when_there_are_no_paths(tmp_path):
    values = str(Path(__file__).resolve().parent.parent / "examples" / "elman-values.json")
    paths = document("elman", 3, activation="tanh", values=values, form="paths").value.numbers
    factored = document("elman", 3, activation="tanh", values=values, form="factored").value.numbers
    np.testing.assert_allclose(factored, paths, rtol=1e-12)


def test_json_carries_the_factored_form():
    import json

    from symrnn.rendering import to_json
    data = json.loads(to_json(document("goodfellow", 2, wrt="W", form="factored")))
    assert data["form"] == "factored" and data["paths"] == [] and data["path_count"] == 3
    assert [r["gradient"] for r in data["factored"]["recursions"]] == [
        r"\nabla_{o^{(2)}} L", r"\nabla_{h^{(2)}} L", r"\nabla_{o^{(1)}} L", r"\nabla_{h^{(1)}} L"]
    assert len(data["factored"]["terms"]) == 2


def test_cli_form_factored_prints_the_recursion_and_checks_it():
    from click.testing import CliRunner

    from symrnn.cli import cli
    result = CliRunner().invoke(cli, ["derive", "-m", "lstm", "-n", "6", "--check", "-f", "markdown"])
    assert result.exit_code == 0, result.stderr
    assert "Backpropagation through time" in result.stdout and "factored form" in result.stdout
    assert "they are too many to list" in result.stdout and "symrnn" not in result.stdout


@pytest.mark.parametrize("name", ["goodfellow", "stacked-birnn"])
def test_long_sequences_evaluate_without_deep_recursion(name):
    """∇ chains 300 steps long (and backward states) are evaluated loss end first, not recursively."""
    m = get_model(name)
    d = derive(m, 300, form="factored")
    instance = random_instance(m, 300, np.random.default_rng(0))
    _, expected = torch_gradients(name, instance, _activation(name))
    np.testing.assert_allclose(factored_gradient(d, instance, _activation(name)), expected[d.wrt],
                               rtol=1e-9, atol=1e-12)
