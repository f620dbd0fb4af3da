"""The model catalogue: every model derives, checks and matches an oracle it did not compute.

Oracles: finite differences of symrnn's forward pass; PyTorch autograd of each model written
again by hand (tests/model_oracles.py); PyTorch's own GRUCell and LSTMCell; Goodfellow's
closed forms 10.18-10.28.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st

from helpers import near_finite_differences
from symrnn.catalogue import MAX_LAYERS, MODELS, READOUT_MODELS, READOUTS, catalogue_text, get_model, stacked_text
from symrnn.checking import (
    KINK_MARGIN,
    check,
    derived_gradient,
    finite_difference,
    kink_distance,
    random_instance,
)
from symrnn.derivation import derive
from symrnn.errors import InputError
from symrnn.graph import unroll
from symrnn.numeric import Instance, forward
from symrnn.paths import count_paths

import model_oracles
from model_oracles import goodfellow_closed_forms, torch_gradients

GATED = ("gru", "gru-torch", "lstm", "lstm-torch")

CUT_OFF = {("deng", 1): ("V",), ("tagger", 1): ("W_by", "W_bb", "b_b")}
"""Parameters with no path to the loss: V multiplies h_{-1} = 0 (Deng and Finlayson); at n = 1 the tagger's readout
reads β^{(0)} = β^0, before any tag."""


@lru_cache(maxsize=None)
def derivation(name: str, steps: int, wrt: str, activation: str = "g"):
    return derive(get_model(name), steps, wrt=wrt, activation=activation)


@pytest.mark.parametrize("name, steps", [(name, steps) for name in sorted(MODELS)
                                         for steps in range(1, 5 if name in GATED else 6)])
def test_check_passes_for_every_parameter(name, steps):
    """Every parameter at n = 1..5 (1..4 for the gated models, whose n = 5 paths number in the thousands: their
    factored form at n = 5 is checked in test_factored and test_whole)."""
    for wrt in get_model(name).param_names:
        if count_paths(unroll(get_model(name), steps), wrt, get_model(name).loss) == 0:
            assert wrt in CUT_OFF.get((name, steps), ()), f"{wrt} has no path to the loss"
            continue
        report = check(derivation(name, steps, wrt), seed=steps)
        worst = max(max(r.path_sum_error, r.shaped_error) for r in report.results)
        assert report.passed, f"{name} n={steps} {wrt}: {worst:.2e}"


@st.composite
def problems(draw):
    """(derivation, instance, activation) for a random model, size, step count, parameter and values."""
    name = draw(st.sampled_from(sorted(MODELS)))
    m = get_model(name)
    steps = draw(st.integers(1, 3 if name in GATED else 5))
    wrt = draw(st.sampled_from(m.param_names))
    assume(count_paths(unroll(m, steps), wrt, m.loss) > 0)
    activation = draw(st.sampled_from(("tanh", "sigmoid", "relu", "identity"))) if "g" in m.functions else "g"
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    instance = random_instance(m, steps, rng)
    d = derivation(name, steps, wrt)
    assume(kink_distance(d.graph, instance, activation) > KINK_MARGIN)
    return d, instance, activation


@given(problems())
def test_derived_gradient_equals_pytorch_autograd_and_finite_differences(problem):
    d, instance, activation = problem
    _, expected = torch_gradients(d.model.name, instance, activation)
    derived = derived_gradient(d, instance, activation)
    assert derived.shape == np.shape(expected[d.wrt])
    assert np.max(np.abs(derived - expected[d.wrt])) <= 1e-9 * max(1.0, np.max(np.abs(expected[d.wrt])))
    assert near_finite_differences(derived, finite_difference(d, instance, activation))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_pass_equals_the_model_written_in_pytorch(name):
    m = get_model(name)
    instance = random_instance(m, 4, np.random.default_rng(7))
    activation = "tanh" if "g" in m.functions else "g"
    evaluator = forward(unroll(m, 4, activation), instance, activation)
    loss, _ = torch_gradients(name, instance, activation)
    assert abs(float(evaluator.env[unroll(m, 4).node(m.loss).value]) - loss) <= 1e-12 * max(1.0, abs(loss))


# ---------------------------------------------------------------- PyTorch's own cells

def _cell_case(name: str, steps: int, seed: int) -> tuple[Instance, dict]:
    m = get_model(name)
    instance = random_instance(m, steps, np.random.default_rng(seed))
    return instance, {wrt: derived_gradient(derivation(name, steps, wrt), instance, "g") for wrt in m.param_names}


def _readout(instance: Instance, h: torch.Tensor, V: torch.Tensor, gamma: torch.Tensor) -> torch.Tensor:
    return -torch.log_softmax(V @ h + gamma, dim=0)[instance.labels["y"] - 1]


def _tensors(instance: Instance, names) -> dict:
    return {n: torch.tensor(instance.arrays[n], dtype=torch.float64, requires_grad=True) for n in names}


def _copy_gates(cell: torch.nn.Module, a: dict, gates: str) -> None:
    """Copy symrnn's per-gate weights into a PyTorch cell, which stacks its gates in this order."""
    with torch.no_grad():
        cell.weight_ih.copy_(torch.tensor(np.vstack([a[f"W_i{g}"] for g in gates])))
        cell.weight_hh.copy_(torch.tensor(np.vstack([a[f"W_h{g}"] for g in gates])))
        cell.bias_ih.copy_(torch.tensor(np.concatenate([a[f"b_i{g}"] for g in gates])))
        cell.bias_hh.copy_(torch.tensor(np.concatenate([a[f"b_h{g}"] for g in gates])))


def _assert_gate_gradients(derived: dict, cell: torch.nn.Module, gates: str, m: int) -> None:
    """Each gate's derived gradients equal its rows of the PyTorch cell's stacked gradients."""
    for i, gate in enumerate(gates):
        rows = slice(i * m, (i + 1) * m)
        for name, tensor in ((f"W_i{gate}", cell.weight_ih), (f"W_h{gate}", cell.weight_hh),
                             (f"b_i{gate}", cell.bias_ih), (f"b_h{gate}", cell.bias_hh)):
            np.testing.assert_allclose(derived[name], tensor.grad[rows].numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_gru_torch_equals_torch_nn_grucell(steps):
    instance, derived = _cell_case("gru-torch", steps, seed=steps)
    a = instance.arrays
    cell = torch.nn.GRUCell(instance.sizes["d"], instance.sizes["m"]).double()
    _copy_gates(cell, a, "rzn")
    extra = _tensors(instance, ("h_0", "V", "gamma"))
    h = extra["h_0"]
    for x in torch.tensor(a["x"]):
        h = cell(x[None, :], h[None, :])[0]
    _readout(instance, h, extra["V"], extra["gamma"]).backward()
    _assert_gate_gradients(derived, cell, "rzn", instance.sizes["m"])
    for name in ("h_0", "V", "gamma"):
        np.testing.assert_allclose(derived[name], extra[name].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("steps", [1, 2, 4])
def test_lstm_torch_equals_torch_nn_lstmcell(steps):
    instance, derived = _cell_case("lstm-torch", steps, seed=10 + steps)
    a = instance.arrays
    cell = torch.nn.LSTMCell(instance.sizes["d"], instance.sizes["m"]).double()
    _copy_gates(cell, a, "ifgo")
    extra = _tensors(instance, ("h_0", "c_0", "V", "gamma"))
    h, c = extra["h_0"][None, :], extra["c_0"][None, :]
    for x in torch.tensor(a["x"]):
        h, c = cell(x[None, :], (h, c))
    evaluator = forward(unroll(get_model("lstm-torch"), steps), instance, "g")
    np.testing.assert_allclose(evaluator.value(unroll(get_model("lstm-torch"), steps).node(f"h[{steps}]").value),
                               h[0].detach().numpy(), rtol=1e-12)
    _readout(instance, h[0], extra["V"], extra["gamma"]).backward()
    _assert_gate_gradients(derived, cell, "ifgo", instance.sizes["m"])
    for name in ("h_0", "c_0", "V", "gamma"):
        np.testing.assert_allclose(derived[name], extra[name].grad.numpy(), rtol=1e-9, atol=1e-12)


# ---------------------------------------------------------------- Goodfellow's closed forms

@pytest.mark.parametrize("steps", [1, 2, 3, 5])
def test_goodfellow_equals_the_books_closed_forms(steps):
    m = get_model("goodfellow")
    instance = random_instance(m, steps, np.random.default_rng(steps))
    expected = goodfellow_closed_forms(instance)
    for name, value in expected.items():
        np.testing.assert_allclose(derived_gradient(derivation("goodfellow", steps, name), instance, "g"), value,
                                   rtol=1e-10, atol=1e-13)


# ---------------------------------------------------------------- structure

@pytest.mark.parametrize("steps, paths", [(1, 1), (2, 5), (3, 21), (4, 85)])
def test_gru_paths_from_u_z_grow_about_fourfold(steps, paths):
    assert count_paths(unroll(get_model("gru"), steps), "U_z", "o") == paths


@pytest.mark.parametrize("steps, paths", [(1, 1), (2, 3), (3, 6), (4, 10)])
def test_deng_path_sums_have_1_3_6_terms(steps, paths):
    """Deng and Finlayson §3.1-3.4: lengths 1, 2, 3 give 1, 3 and 6 terms; length N gives N(N+1)/2."""
    assert count_paths(unroll(get_model("deng"), steps), "W", "L") == paths


def test_deng_without_h_minus_1_v_has_no_path_at_one_step_and_its_gradient_is_zero(tmp_path):
    """Deng and Finlayson §3.1: V multiplies h_{-1} = 0, so at N = 1 the answer is 0: a short document that says
    why (exit 0), a check that passes against the forward pass, a zero value at given numbers."""
    from helpers import compile_latex, ok

    d = derive(get_model("deng"), 1, wrt="V")
    assert d.path_count == 0 and d.paths == ()
    assert check(d, seed=1).passed
    text = ok("derive", "-m", "deng", "-n", "1", "--wrt", "V", "--check", "--standalone")
    assert r"\paragraph{The gradient is $0$.} No path leads from $V$ to $L$" in text
    assert r"\frac{\partial L}{\partial V} = 0." in text
    compile_latex(tmp_path, text)
    data = json.loads(ok("derive", "-m", "deng", "-n", "1", "--wrt", "V", "-f", "json", "-g", "relu", "--at",
                         str(Path(__file__).resolve().parent.parent / "examples" / "deng-002.json")))
    assert data["path_count"] == 0 and data["gradient"]["latex"] == "0"
    assert data["value"]["values"] == [[0.0, 0.0], [0.0, 0.0]] and data["backward"] == {}


@pytest.mark.parametrize("steps", [1, 2, 3, 6])
def test_goodfellow_has_a_path_per_pair_of_steps(steps):
    assert count_paths(unroll(get_model("goodfellow"), steps), "W", "L") == steps * (steps + 1) // 2


def test_goodfellow_sums_a_loss_per_step():
    d = derive(get_model("goodfellow"), 3, wrt="c")
    assert [p.nodes for p in d.paths] == [("c", f"o[{t}]", f"L[{t}]", "L") for t in (1, 2, 3)]


def test_a_per_step_loss_can_be_the_loss():
    d = derive(get_model("goodfellow"), 3, wrt="W", loss="L[2]")
    assert d.path_count == 2


def test_leaky_gradient_with_respect_to_an_earlier_state():
    """Study questions on Deep Learning ch. 10, 10.9.1: the loss at step t with respect to u^{(t-3)} is one
    path through three transitions."""
    d = derive(get_model("leaky"), 4, wrt="u[1]")
    assert [p.nodes for p in d.paths] == [("u[1]", "u[2]", "u[3]", "u[4]", "o", "L")]


@pytest.mark.parametrize("name", ("gru-torch", "lstm", "lstm-torch", "goodfellow"))
def test_a_model_without_g_refuses_an_activation(name):
    with pytest.raises(InputError, match="no transfer function g"):
        derive(get_model(name), 2, activation="relu")


@pytest.mark.parametrize("name", READOUT_MODELS)
@pytest.mark.parametrize("readout", sorted(READOUTS))
def test_every_readout_variant_checks_and_keeps_its_cell(name, readout):
    base, variant = get_model(name), get_model(name, readout=readout)
    cell = [d for d in base.step if d.name not in ("o", "yhat", "L")]
    assert list(variant.step[:len(cell)]) == cell
    assert variant.loss == READOUTS[readout].loss and variant.title.startswith(base.title + ", with ")
    assert set(variant.param_names) <= set(base.param_names) | set(READOUTS[readout].parameters)
    assert check(derive(variant, 2, wrt=variant.default_wrt), seed=2).passed


def test_a_readout_name_the_cell_uses_is_renamed():
    lstm = get_model("lstm", readout="final")  # the output gate is q: the log-probabilities are p
    assert [d.name for d in lstm.readout] == ["l", "p", "o"]
    assert [d.name for d in get_model("gru", readout="final").readout] == ["l", "q", "o"]


@pytest.mark.parametrize("residual", [False, True])
def test_the_stacked_files_are_the_generator_at_two_layers(residual):
    name = "stacked-residual" if residual else "stacked"
    assert stacked_text(2, residual) == catalogue_text(name)
    assert get_model(name, layers=2) == get_model(name)
    deep = get_model(name, layers=MAX_LAYERS)
    assert [s for s, _ in deep.initial] == [f"h{k}" for k in range(1, MAX_LAYERS + 1)]


def test_importing_symrnn_reads_no_model_file():
    code = ("import symrnn, symrnn.cli, sys; from symrnn.catalogue import _read; "
            "assert _read.cache_info().currsize == 0; assert 'yaml' not in sys.modules; "
            "assert list(symrnn.MODELS)[:2] == ['elman', 'goodfellow']; assert _read.cache_info().currsize == 0")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


# ---------------------------------------------------------------- the exercise sheets' questions

def expanded(name: str, steps: int, wrt: str, loss: str, activation: str = "g") -> list[str]:
    """Each path's expanded term as the document prints it."""
    from symrnn.present import present
    doc = present(derive(get_model(name), steps, wrt=wrt, loss=loss, activation=activation))
    return [" ".join(path.expanded) for path in doc.paths]


def test_seed_004_q1_1_first_loss():
    """∂L(y^{(1)})/∂w_1 with every ReLU unit active: -(1 - y^{(1)}) v x_1^{(1)}, as the seed simplifies."""
    assert expanded("scalar", 1, "w_1", "L[1]", "relu-active") == [r"-(1 - y^{(1)})\, v\, x_{1}^{(1)}"]


def test_seed_004_q1_1_two_paths_to_the_second_loss():
    assert expanded("scalar", 2, "w_1", "L[2]", "relu-active") == [
        r"-(1 - y^{(2)})\, v\, u\, x_{1}^{(1)}",
        r"-(1 - y^{(2)})\, v\, x_{1}^{(2)}",
    ]


def test_seed_004_q1_1_without_the_assumption_keeps_the_relu_factors():
    assert expanded("scalar", 1, "w_1", "L[1]") == [r"-(1 - y^{(1)})\, v\, [a^{(1)} > 0]\, x_{1}^{(1)}"]


def test_seed_004_q1_1_sgd_updates_over_three_steps():
    """Updating after each L(y^{(t)}) touches w_1 once per path into it: 1 + 2 + 3 = 6."""
    graph = unroll(get_model("scalar"), 3)
    assert [count_paths(graph, "w_1", f"L[{t}]") for t in (1, 2, 3)] == [1, 2, 3]
    assert count_paths(graph, "w_1", "L") == 6


def test_relu_active_check_draws_values_where_every_unit_is_active():
    d = derive(get_model("scalar"), 3, wrt="u", activation="relu-active")
    report = check(d, seed=4)
    assert report.passed
    assert report.results[0].activation == "relu-active, sigmoid"


# ---------------------------------------------------------------- bidirectional

POSITIONAL = {
    "birnn": lambda p, x, y, g, i: model_oracles.birnn(p, x, y, g, i),
    "birnn-shared": model_oracles.birnn_shared,
    "stacked-birnn": lambda p, x, y, g, i: model_oracles.stacked_birnn(p, x, y, g, i),
}
POSITIONAL["tagger"] = lambda p, x, labels, g, i: model_oracles.tagger(p, x, labels, g, i)


@pytest.mark.parametrize("name", sorted(POSITIONAL))
@pytest.mark.parametrize("steps, position", [(1, 1), (3, 1), (3, 2), (4, 4), (5, 3)])
def test_readout_at_a_position_equals_pytorch(name, steps, position):
    m = get_model(name)
    instance = random_instance(m, steps, np.random.default_rng(steps * 10 + position))
    params = {k: torch.tensor(v, requires_grad=True) for k, v in instance.arrays.items() if k != "x"}
    labels = instance.labels if name == "tagger" else instance.labels["y"]
    POSITIONAL[name](params, torch.tensor(instance.arrays["x"]), labels, model_oracles.G["tanh"], position).backward()
    for wrt in m.param_names:
        if count_paths(unroll(m, steps, "tanh", position), wrt, "o") == 0:
            grad = params[wrt].grad
            assert grad is None or np.all(grad.numpy() == 0), f"{wrt} has no path but a gradient"
            continue
        d = derive(m, steps, wrt=wrt, activation="tanh", position=position)
        np.testing.assert_allclose(derived_gradient(d, instance, "tanh"), params[wrt].grad.numpy(),
                                   rtol=1e-9, atol=1e-12)


def test_birnn_position_outside_the_sequence_is_an_input_error():
    with pytest.raises(InputError, match="--position 4 is outside"):
        derive(get_model("birnn"), 3, position=4)


def test_position_on_a_model_without_a_positional_readout_is_an_input_error():
    with pytest.raises(InputError, match="no readout at a position"):
        derive(get_model("elman"), 3, position=2)


# ---------------------------------------------------------------- stacked

@pytest.mark.parametrize("residual", [False, True])
@pytest.mark.parametrize("layers, steps", [(1, 3), (2, 1), (2, 3), (3, 2)])
def test_stacked_equals_pytorch(layers, steps, residual):
    name = "stacked-residual" if residual else "stacked"
    m = get_model(name, layers)
    instance = random_instance(m, steps, np.random.default_rng(layers * 7 + steps))
    _, expected = torch_gradients(name, instance, "tanh")
    for wrt in m.param_names:
        d = derive(m, steps, wrt=wrt, activation="tanh")
        np.testing.assert_allclose(derived_gradient(d, instance, "tanh"), expected[wrt], rtol=1e-9, atol=1e-12)


def test_two_recurrent_states_get_two_transition_letters():
    d = derive(get_model("stacked", 2), 3, wrt="W_1")
    letters = {s.name.letter for s in d.shorthands if s.name.index is not None}
    assert letters == {"B", "C"}


@pytest.mark.parametrize("layers, message", [(0, "between 1 and"), (9, "between 1 and")])
def test_layers_out_of_range_is_an_input_error(layers, message):
    with pytest.raises(InputError, match=message):
        get_model("stacked", layers)


def test_layers_on_a_model_without_layers_is_an_input_error():
    with pytest.raises(InputError, match="no layers"):
        get_model("elman", 2)


# ---------------------------------------------------------------- readouts as parts

@pytest.mark.parametrize("readout", ["final", "every"])
@pytest.mark.parametrize("name", ["elman", "goodfellow", "gru", "gru-torch", "lstm", "leaky", "leaky-free"])
def test_every_single_state_model_takes_either_readout(name, readout):
    m = get_model(name, readout=readout)
    assert m.loss == ("L" if readout == "every" else "o")
    for steps in (1, 3):
        for wrt in m.param_names:
            assert check(derive(m, steps, wrt=wrt), seed=steps).passed, (name, readout, steps, wrt)


def test_elman_with_a_readout_at_every_step_equals_pytorch():
    m = get_model("elman", readout="every")
    instance = random_instance(m, 3, np.random.default_rng(5))
    p = {k: torch.tensor(v, requires_grad=True) for k, v in instance.arrays.items() if k != "x"}
    h, loss = p["h_0"], torch.zeros((), dtype=torch.float64)
    for xt, yt in zip(torch.tensor(instance.arrays["x"]), instance.labels["y"]):
        h = torch.tanh(p["W_hx"] @ xt + p["W_hh"] @ h + p["b_h"])
        loss = loss - torch.log_softmax(p["c"] + p["V"] @ h, dim=0)[yt - 1]
    loss.backward()
    for wrt in m.param_names:
        np.testing.assert_allclose(derived_gradient(derive(m, 3, wrt=wrt, activation="tanh"), instance, "tanh"),
                                   p[wrt].grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("name", ["deng", "scalar", "birnn", "tagger", "stacked", "lstm-torch"])
def test_models_that_keep_their_readout_refuse_another(name):
    with pytest.raises(InputError, match="keeps its source's readout"):
        get_model(name, readout="every")
