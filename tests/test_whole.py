"""The whole gradient (``symrnn derive --wrt all``): one recursion shared by every parameter."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import VALUES, compile_latex, error_line, near_finite_differences, ok, run
from symrnn.api import document
from symrnn.catalogue import MODELS, get_model
from symrnn.checking import factored_gradient, finite_difference, random_instance, relative_error
from symrnn.derivation import derive, derive_whole
from symrnn.graph import unroll
from symrnn.paths import count_paths
from symrnn.rendering import render


def _activation(name: str) -> str:
    return "tanh" if "g" in get_model(name).functions else "g"


@given(name=st.sampled_from(sorted(MODELS)), steps=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_every_parameter_equals_its_own_derivation_and_finite_differences(name, steps, seed):
    model = get_model(name)
    instance = random_instance(model, steps, np.random.default_rng(seed))
    act = _activation(name)
    whole = derive_whole(model, steps)
    assert [d.wrt for d in whole] == [p for p in model.param_names if count_paths(unroll(model, steps), p, model.loss)]
    for shared in whole:
        alone = derive(model, steps, wrt=shared.wrt, form="factored")
        gradient = factored_gradient(shared, instance, act)
        assert relative_error(gradient, factored_gradient(alone, instance, act)) <= 1e-12, shared.wrt
        assert near_finite_differences(gradient, finite_difference(shared, instance, act)), shared.wrt


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_parameters_share_one_recursion(name):
    whole = derive_whole(get_model(name), 3)
    recursions = {d.factored.recursions for d in whole}
    assert len(recursions) == 1
    nodes = {r.grad.node for r in next(iter(recursions))}
    for d in whole:  # every line a parameter needs alone is in the shared recursion
        alone = derive(get_model(name), 3, wrt=d.wrt, form="factored")
        assert {r.grad.node for r in alone.factored.recursions} <= nodes


@pytest.mark.parametrize("steps", [2, 5])
@pytest.mark.parametrize("name", sorted(MODELS))
def test_whole_gradient_compiles_with_its_check(tmp_path, name, steps):
    whole = document(name, steps, wrt="all", check=True)
    assert whole.check.passed
    compile_latex(tmp_path, render(whole, "latex", standalone=True))


def test_whole_gradient_with_values_compiles_and_matches_each_parameter(tmp_path):
    whole = document("elman", 3, wrt="all", activation="tanh", values=VALUES, check=True)
    compile_latex(tmp_path, render(whole, "latex", standalone=True))
    for part in whole.parts:
        alone = document("elman", 3, wrt=part.wrt, activation="tanh", values=VALUES)
        assert np.allclose(part.value.numbers, alone.value.numbers, rtol=1e-12, atol=0), part.wrt


def test_a_dozen_counts_of_over_a_hundred_digits_stay_inside_the_margin(tmp_path):
    whole = document("gru", 200, wrt="all")
    assert all(len(str(part.path_count)) > 100 for part in whole.parts if part.wrt.startswith("U"))
    compile_latex(tmp_path, render(whole, "latex", standalone=True))


_STEP = re.compile(r"(?<![A-Za-z\\])t(?:([+-])(\d+))?(?![A-Za-z])")


def _at(latex: str, step: int) -> str:
    """A line written with t, at one step: h^{(t-1)} at t = 3 is h^{(2)}."""
    return _STEP.sub(lambda m: str(step + int(m[1] + m[2]) if m[1] else step), latex)


def _steps(note: str) -> list[int]:
    """"t = 2, \\dots, 5" or "t = 1, 2, 3" as the steps it names; "" (a line of its own) as none."""
    if not note:
        return []
    numbers = [int(n) for n in re.findall(r"\d+", note)]
    return list(range(numbers[0], numbers[-1] + 1)) if r"\dots" in note else numbers


def _said(lines) -> list[tuple[str, str]]:
    """Every Jacobian the lines state, a line with t once for each of its steps."""
    return [(_at(line.lhs, step), _at(line.rhs, step)) for line in lines for step in _steps(line.note)] + [
        (line.lhs, line.rhs) for line in lines if not line.note]


@pytest.mark.parametrize("steps", range(1, 6))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_jacobians_written_with_t_state_exactly_the_jacobians_step_by_step(name, steps):
    whole = document(name, steps, wrt="all")
    alone = document(name, steps, wrt=get_model(name).param_names[0], form="factored")
    for concrete, lines in ((whole.jacobians, whole.jacobians_by_step), (alone.jacobians, alone.jacobians_by_step)):
        said = _said(lines)
        assert sorted(said) == sorted((j.symbol, j.formula) for j in concrete), (name, steps)
        assert len(set(said)) == len(said)
        if steps >= 3:
            assert len(lines) < len(concrete), "nothing was written with t"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_jacobians_take_as_many_lines_at_twelve_steps_as_at_three(name):
    """Past the first steps, a longer sequence adds steps to a line's range, never a line."""
    assert len(document(name, 12, wrt="all").jacobians_by_step) == len(document(name, 3, wrt="all").jacobians_by_step)


def test_a_jacobian_at_one_step_or_at_a_boundary_keeps_its_own_line():
    lines = {(line.lhs, line.note) for line in document("elman", 5, wrt="all").jacobians_by_step}
    assert (r"D(h^{(t-1)} \rightarrow h^{(t)})", r"t = 2, \dots, 5") in lines
    assert (r"D(W^{hh} \rightarrow h^{(1)})", "") in lines  # h^{0}, not h^{(0)}
    assert (r"D(h^{(5)} \rightarrow l)", "") in lines
    assert (r"D(W^{hx} \rightarrow h^{(t)})", "t = 1, 2, 3") in {
        (line.lhs, line.note) for line in document("elman", 3, wrt="all").jacobians_by_step}


def test_the_recursion_is_written_once():
    text = render(document("lstm", 4, wrt="all"), "latex")
    assert text.count(r"\nabla_{h^{(3)}} o &") == 1
    assert text.count(r"\paragraph{Backpropagation through time.}") == 1
    assert text.count(r"\frac{\partial o}{\partial ") == len(get_model("lstm").param_names) == 16


def test_whole_gradient_is_smaller_than_its_parameters_one_by_one():
    whole = len(render(document("gru", 5, wrt="all"), "latex"))
    alone = sum(len(render(document("gru", 5, wrt=p, form="factored"), "latex")) for p in get_model("gru").param_names)
    assert whole < alone / 4


def test_json_lists_every_parameter_with_its_check():
    data = json.loads(ok("derive", "-m", "gru", "-n", "2", "--wrt", "all", "--check", "-f", "json"))
    assert data["wrt"] == "all" and data["form"] == "factored" and data["check"] == {"passed": True}
    assert [g["wrt"] for g in data["gradients"]] == list(get_model("gru").param_names)
    assert all(g["check"]["passed"] and g["terms"] and g["path_count"] >= 1 for g in data["gradients"])
    assert data["recursions"][0]["gradient"] == r"\nabla_{h^{(2)}} o"
    assert data["independent"] == []


def test_parameters_the_loss_does_not_read_are_named_with_a_zero_gradient():
    whole = document("scalar", 2, wrt="all", loss="h[2]")
    assert [p.wrt for p in whole.parts] == [p for p in get_model("scalar").param_names if p not in ("v", "b_y")]
    assert len(whole.independent) == 2
    markdown = render(whole, "markdown")
    assert f"does not depend on ${whole.independent[0]}$, ${whole.independent[1]}$" in markdown
    assert "their gradient is $0$" in markdown


def test_markdown_has_every_parameter_and_one_check_table():
    text = ok("derive", "-m", "leaky", "-n", "3", "--wrt", "all", "--check", "-f", "markdown")
    assert text.count("**Check.**") == 1
    for part in document("leaky", 3, wrt="all").parts:
        assert f"${part.wrt_latex}$ (" in text and f"| ${part.wrt_latex}$ |" in text


@pytest.mark.parametrize("form", ["paths", "both"])
def test_wrt_all_refuses_the_path_form(form):
    line = error_line(run("derive", "--wrt", "all", "--form", form))
    assert "--wrt all gives the factored form" in line and "--wrt NAME" in line


def test_paths_command_wants_one_parameter():
    line = error_line(run("paths", "--wrt", "all"))
    assert "one --wrt NAME" in line and "derive --wrt all" in line
