"""The derived gradient, proved two ways: finite differences and PyTorch.

Hypothesis draws sizes, steps, values, the variable and the activation; every
derivation symrnn can produce for the elman model is evaluated from its own
expressions (never autodiff) and compared.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import ELMAN_PARAMETERS, elman, near_finite_differences
from symrnn.checking import (
    KINK_MARGIN,
    derived_gradient,
    finite_difference,
    kink_distance,
    path_sum_gradient,
)
from symrnn.expr import Node
from symrnn.numeric import forward

from oracles import instance_from, torch_elman_gradient

ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")


@st.composite
def problems(draw, max_steps: int = 6):
    """(derivation, instance, activation): a random elman gradient question with random values."""
    steps = draw(st.integers(1, max_steps))
    sizes = {"d": draw(st.integers(1, 4)), "m": draw(st.integers(1, 4)), "K": draw(st.integers(2, 4))}
    time = draw(st.integers(1, steps))
    wrt = draw(st.sampled_from(ELMAN_PARAMETERS + (f"x[{time}]", f"h[{time}]")))
    activation = draw(st.sampled_from(ACTIVATIONS))
    generic = draw(st.booleans())
    derivation = elman(steps, wrt, "g" if generic else activation)
    instance = instance_from(np.random.default_rng(draw(st.integers(0, 2**32 - 1))), sizes, steps)
    assume(kink_distance(derivation.graph, instance, activation) > KINK_MARGIN)
    return derivation, instance, activation


@given(problems())
def test_derived_gradient_matches_finite_differences(problem):
    derivation, instance, activation = problem
    reference = finite_difference(derivation, instance, activation)
    assert near_finite_differences(derived_gradient(derivation, instance, activation), reference)
    assert near_finite_differences(path_sum_gradient(derivation, instance, activation), reference)


@given(problems())
def test_derived_gradient_matches_pytorch_autograd(problem):
    derivation, instance, activation = problem
    expected = torch_elman_gradient(instance, activation, derivation.wrt)
    derived = derived_gradient(derivation, instance, activation)
    assert derived.shape == expected.shape
    assert np.max(np.abs(derived - expected)) <= 1e-9 * max(1.0, np.max(np.abs(expected)))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("steps", [1, 2, 5])
def test_elman_equals_pytorch_rnn_cell(nonlinearity, steps):
    """torch.nn.RNNCell with the weights copied in: same hidden state, same gradients."""
    instance = instance_from(np.random.default_rng(steps), {"d": 3, "m": 4, "K": 3}, steps)
    values = instance.arrays
    cell = torch.nn.RNNCell(3, 4, nonlinearity=nonlinearity, dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(values["W_hx"]))
        cell.weight_hh.copy_(torch.tensor(values["W_hh"]))
        cell.bias_ih.copy_(torch.tensor(values["b_h"]))
        cell.bias_hh.zero_()
    h0 = torch.tensor(values["h_0"], requires_grad=True)
    hidden = h0
    for x in torch.tensor(values["x"]):
        hidden = cell(x, hidden)
    logits = torch.tensor(values["V"]) @ hidden + torch.tensor(values["gamma"])
    (-torch.log_softmax(logits, 0)[instance.labels["y"] - 1]).backward()
    ours = forward(elman(steps, activation=nonlinearity).graph, instance, nonlinearity)
    np.testing.assert_allclose(ours.env[Node("h", steps)], hidden.detach().numpy(), rtol=0, atol=1e-12)
    torch_grads = {"W_hx": cell.weight_ih.grad, "W_hh": cell.weight_hh.grad, "b_h": cell.bias_ih.grad, "h_0": h0.grad}
    for wrt, expected in torch_grads.items():
        derived = derived_gradient(elman(steps, wrt, nonlinearity), instance, nonlinearity)
        np.testing.assert_allclose(derived, expected.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("wrt", ELMAN_PARAMETERS)
@pytest.mark.parametrize("steps", range(1, 9))
def test_check_passes_for_every_parameter_up_to_eight_steps(wrt, steps):
    """The issue's bar: --check passes for every parameter of elman at n = 1..8."""
    from symrnn.checking import check

    report = check(elman(steps, wrt), seed=steps)
    assert report.passed, report
    assert {r.activation for r in report.results} == set(ACTIVATIONS)


def test_a_wrong_gradient_is_caught():
    """The check can fail: a derivation missing one path disagrees with finite differences."""
    from dataclasses import replace

    from symrnn.checking import check

    derivation = elman(3)
    broken = replace(derivation, paths=derivation.paths[1:])
    assert not check(broken).passed
