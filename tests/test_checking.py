"""``--check`` at every size the command line accepts: its references (complex steps, reverse mode), the values it
draws, and how it reports what it could not measure.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from helpers import near_finite_differences
from symrnn.activations import numeric
from symrnn.catalogue import MODELS, get_model
from symrnn.checking import (
    COMPLEX,
    REVERSE,
    VALUE_BOUND,
    _check_one,
    _checked_activations,
    check_many,
    complex_step,
    derived_gradient,
    draw_instance,
    finite_difference,
    largest_value,
    relative_error,
)
from symrnn.cli import cli
from symrnn.derivation import derive, derive_whole
from symrnn.reverse import reverse_gradients


def strict_json(text: str) -> dict:
    """JSON as the standard defines it: NaN and Infinity are refused."""
    def refuse(name: str) -> None:
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


def checked(*args: str) -> dict:
    """``symrnn derive ARGS --check -f json``: must pass with nothing on stderr."""
    result = CliRunner().invoke(cli, ["derive", *args, "--check", "-f", "json"], prog_name="symrnn")
    assert (result.exit_code, result.stderr) == (0, ""), (result.stderr, result.exception)
    data = strict_json(result.stdout)
    assert data["check"]["passed"] is True
    return data


# ------------------------------------------------------------ the cases finite differences got wrong

@pytest.mark.parametrize("args", [
    ("-m", "stacked", "--layers", "8", "-n", "50", "--wrt", "gamma"),  # loss near 1e12 for identity: FD lost all digits
    ("-m", "leaky-free", "-n", "100"),                                  # sigmoid overflowed to NaN, hidden by max
    ("-m", "stacked-birnn", "-n", "50"),
    ("-m", "tagger", "-n", "200"),                                      # thousands of ReLU inputs to keep off the kink
    ("-m", "leaky", "-n", "200"),
    ("-m", "leaky-free", "-n", "200"),
    ("-m", "elman", "-n", "200", "-g", "relu-active"),                  # every unit active over 200 steps
], ids=lambda args: " ".join(args))
def test_the_check_passes_on_right_answers_at_sizes_it_accepts(args):
    data = checked(*args)
    assert all(r["passed"] for r in data["check"]["results"])


def test_the_whole_gradient_at_200_steps_is_checked_by_reverse_mode():
    data = checked("-m", "stacked-birnn", "-n", "200", "--wrt", "all")
    assert all(g["check"]["passed"] for g in data["gradients"])
    assert all(g["check"]["method"].startswith("reverse-mode") for g in data["gradients"])


def test_a_small_derivation_is_checked_by_complex_steps():
    data = checked("-m", "elman", "-n", "3")
    assert data["check"]["method"].startswith("complex-step") and data["check"]["step"] == 1e-20


def test_no_numpy_warning_reaches_stderr():
    process = subprocess.run([sys.executable, "-W", "error", "-m", "symrnn", "derive", "-m", "leaky-free", "-n", "100",
                              "--check", "-f", "json"], capture_output=True, timeout=300)
    assert (process.returncode, process.stderr) == (0, b"")
    strict_json(process.stdout.decode())


# ------------------------------------------------------------ the references

@st.composite
def problems(draw):
    name = draw(st.sampled_from(sorted(MODELS)))
    return name, draw(st.integers(1, 6)), draw(st.integers(0, 2**32 - 1))


@given(problems())
def test_reverse_mode_equals_complex_steps_and_finite_differences(problem):
    name, steps, seed = problem
    derivations = derive_whole(get_model(name), steps)
    graph = derivations[0].graph
    activations = _checked_activations(graph)
    instance = draw_instance(graph, activations, np.random.default_rng(seed), margin=1e-2)
    for act in activations:
        reverse = reverse_gradients(graph, instance, act, derivations[0].loss, tuple(d.wrt for d in derivations))
        for d in derivations:
            stepped = complex_step(d, instance, act)
            assert relative_error(reverse[d.wrt], stepped) <= 1e-10, (name, steps, act, d.wrt)
            assert near_finite_differences(stepped, finite_difference(d, instance, act)), (name, steps, act, d.wrt)


def test_check_many_picks_reverse_mode_for_large_graphs_and_agrees():
    derivations = derive_whole(get_model("stacked", 8), 60)
    reports = check_many(derivations)
    assert {r.method for r in reports} == {REVERSE} and all(r.passed for r in reports)
    small = check_many(derive_whole(get_model("elman"), 3))
    assert {r.method for r in small} == {COMPLEX} and all(r.passed for r in small)


def test_the_drawn_values_keep_the_forward_pass_well_conditioned():
    graph = derive(get_model("stacked", 8), 50, wrt="gamma", form="factored").graph
    activations = _checked_activations(graph)
    instance = draw_instance(graph, activations, np.random.default_rng(0))
    assert all(largest_value(graph, instance, act) <= VALUE_BOUND for act in activations)


# ------------------------------------------------------------ what cannot be measured

def test_a_value_that_is_not_finite_is_a_failure_with_its_own_message():
    d = derive(get_model("elman"), 2, activation="tanh")
    instance = draw_instance(d.graph, ("tanh",), np.random.default_rng(0))
    nan = np.full(derived_gradient(d, instance, "tanh").shape, np.nan)
    result = _check_one(d, instance, "tanh", 1e-6, nan)
    assert not result.passed and result.problem == "the forward pass is not finite at the drawn values"
    assert result.worst == float("inf") and result.path_sum_error is None


def test_sigmoid_and_its_derivative_are_finite_and_accurate_far_from_zero():
    sigma, derivative = numeric("sigmoid")
    u = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    tail = 1 / (1 + np.exp(40.0))
    with np.errstate(all="ignore"):
        values, slopes = sigma(u), derivative(u)
    assert np.all(np.isfinite(values)) and np.all(np.isfinite(slopes))
    assert np.allclose(values[1:], [tail, 0.5, 1 - tail, 1.0], rtol=1e-14, atol=0) and values[0] < 1e-300
    assert np.allclose(slopes, [0.0, tail * (1 - tail), 0.25, tail * (1 - tail), 0.0], rtol=1e-14, atol=1e-300)


def test_at_with_a_sigmoid_unit_far_in_saturation_is_finite(tmp_path):
    values = {"W_hx": [[0.5, -0.3], [0.1, 0.8]], "W_hh": [[0.2, -0.4], [0.6, 0.1]], "b_h": [-1000, -1000],
              "h_0": [0.0, 0.0], "V": [[1.0, -0.5], [0.3, 0.7], [-0.6, 0.2]], "gamma": [0.1, 0.0, -0.1],
              "x": [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]], "y": 2}
    path = tmp_path / "values.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    result = CliRunner().invoke(cli, ["derive", "-n", "3", "-g", "sigmoid", "--wrt", "b_h", "--at", str(path),
                                      "-f", "json"], prog_name="symrnn")
    assert (result.exit_code, result.stderr) == (0, "")
    value = np.array(strict_json(result.stdout)["value"]["values"])
    assert np.all(np.isfinite(value)) and np.all(np.abs(value) < 1e-300)  # σ'(≈ -1000) underflows to 0, never NaN
