"""Worked numbers (--at): the forward pass equals PyTorch's (every built-in model written again in PyTorch, and its
own RNNCell, GRUCell and LSTMCell), every backward value equals the derivative of the loss with respect to that node
(complex steps, and PyTorch's retained .grad), and the documents show both passes and compile."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import symrnn
from helpers import EXAMPLES, VALUES, compile_latex, ok
from symrnn.catalogue import MODELS, get_model
from symrnn.checking import COMPLEX_STEP, _loss, random_instance
from symrnn.models import ZERO
from symrnn.worked import latex_numbers, worked

import model_oracles

GATED = ("gru", "gru-torch", "lstm", "lstm-torch")


def complex_step_at(derivation, instance, ident: str) -> np.ndarray:
    """∂loss/∂(the value of node ``ident``), one entry at a time, by complex steps of the forward pass."""
    graph = derivation.graph
    shape = np.shape(instance_value(derivation, instance, ident))
    grad = np.zeros(shape)
    for index in np.ndindex(*shape):
        delta = np.zeros(shape, dtype=complex)
        delta[index] = 1j * COMPLEX_STEP
        grad[index] = _loss(graph, instance, graph.activation, derivation.loss, (ident, delta)).imag / COMPLEX_STEP
    return grad


def instance_value(derivation, instance, ident: str):
    forward, _ = worked(derivation, instance)
    return next(v.numbers for v in forward if v.ident == ident)


@settings(max_examples=30)
@given(name=st.sampled_from(sorted(MODELS)), steps=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_every_backward_value_is_the_derivative_of_the_loss_at_that_node(name, steps, seed):
    model = get_model(name)
    steps = min(steps, 3) if name in GATED else steps
    activation = "tanh" if "g" in model.functions else "g"
    derivation = symrnn.derive(model, steps, activation=activation, form="factored")
    instance = random_instance(model, steps, np.random.default_rng(seed))
    forward, backward = worked(derivation, instance)
    assert backward, "a derivation has at least one node between its variable and the loss"
    for value in backward:
        reference = complex_step_at(derivation, instance, value.ident)
        assert np.allclose(value.numbers, reference, rtol=1e-9, atol=1e-12), (name, steps, value.ident)
    assert derivation.loss in [v.ident for v in forward]


def torch_gru_pass(instance, steps: int):
    """PyTorch's own GRUCell with gru-torch's weights copied in, then the readout: every h^{(t)} and o, with
    each h^{(t)}'s gradient retained."""
    a = {k: torch.tensor(v, dtype=torch.float64) for k, v in instance.arrays.items()}
    cell = torch.nn.GRUCell(instance.sizes["d"], instance.sizes["m"]).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([a["W_ir"], a["W_iz"], a["W_in"]]))
        cell.weight_hh.copy_(torch.cat([a["W_hr"], a["W_hz"], a["W_hn"]]))
        cell.bias_ih.copy_(torch.cat([a["b_ir"], a["b_iz"], a["b_in"]]))
        cell.bias_hh.copy_(torch.cat([a["b_hr"], a["b_hz"], a["b_hn"]]))
    states, h = [], a["h_0"]
    for t in range(steps):
        h = cell(a["x"][t][None, :], h[None, :])[0]
        h.retain_grad()
        states.append(h)
    l = a["V"] @ h + a["gamma"]  # noqa: E741 - Collins's name
    o = -torch.log_softmax(l, dim=0)[instance.labels["y"] - 1]
    o.backward()
    return states, l, o


def torch_lstm_pass(instance, steps: int):
    """PyTorch's own LSTMCell with lstm-torch's weights copied in: every h^{(t)} and c^{(t)} (gradients retained)."""
    a = {k: torch.tensor(v, dtype=torch.float64) for k, v in instance.arrays.items()}
    cell = torch.nn.LSTMCell(instance.sizes["d"], instance.sizes["m"]).double()
    with torch.no_grad():
        cell.weight_ih.copy_(torch.cat([a[f"W_i{g}"] for g in "ifgo"]))
        cell.weight_hh.copy_(torch.cat([a[f"W_h{g}"] for g in "ifgo"]))
        cell.bias_ih.copy_(torch.cat([a[f"b_i{g}"] for g in "ifgo"]))
        cell.bias_hh.copy_(torch.cat([a[f"b_h{g}"] for g in "ifgo"]))
    states, h, c = {}, a["h_0"][None, :], a["c_0"][None, :]
    for t in range(steps):
        h, c = cell(a["x"][t][None, :], (h, c))
        h.retain_grad()
        c.retain_grad()
        states[f"h[{t + 1}]"], states[f"c[{t + 1}]"] = h, c
    loss = -torch.log_softmax(a["V"] @ h[0] + a["gamma"], dim=0)[instance.labels["y"] - 1]
    loss.backward()
    return states, loss


def torch_elman_pass(instance, steps: int):
    """PyTorch's own RNNCell (tanh) with elman's weights copied in: every h^{(t)} (gradients retained)."""
    a = {k: torch.tensor(v, dtype=torch.float64) for k, v in instance.arrays.items()}
    cell = torch.nn.RNNCell(instance.sizes["d"], instance.sizes["m"], dtype=torch.float64)
    with torch.no_grad():
        cell.weight_ih.copy_(a["W_hx"])
        cell.weight_hh.copy_(a["W_hh"])
        cell.bias_ih.copy_(a["b_h"])
        cell.bias_hh.zero_()
    states, h = {}, a["h_0"]
    for t in range(steps):
        h = cell(a["x"][t], h)
        h.retain_grad()
        states[f"h[{t + 1}]"] = h
    loss = -torch.log_softmax(a["V"] @ h + a["gamma"], dim=0)[instance.labels["y"] - 1]
    loss.backward()
    return states, loss


@pytest.mark.parametrize("name, wrt, activation, run_torch", [("lstm-torch", "W_hf", "g", torch_lstm_pass),
                                                               ("elman", "W_hh", "tanh", torch_elman_pass)])
@pytest.mark.parametrize("steps", [1, 3, 5])
def test_forward_and_backward_equal_pytorchs_own_cells(name, wrt, activation, run_torch, steps):
    """Every state PyTorch's cell computes, and its retained .grad, equal the forward and backward values."""
    model = get_model(name)
    instance = random_instance(model, steps, np.random.default_rng(20 + steps))
    forward, backward = worked(symrnn.derive(model, steps, wrt=wrt, activation=activation, form="factored"),
                               instance)
    states, loss = run_torch(instance, steps)
    by_ident, grads = {v.ident: np.asarray(v.numbers) for v in forward}, {v.ident: v.numbers for v in backward}
    for ident, tensor in states.items():
        assert np.allclose(by_ident[ident], tensor.detach().numpy().ravel(), rtol=1e-12, atol=1e-14), ident
        assert ident in grads, ident
        assert np.allclose(grads[ident], tensor.grad.numpy().ravel(), rtol=1e-9, atol=1e-12), ident
    assert np.isclose(by_ident[model.loss], loss.item(), rtol=1e-12)


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_gru_torch_forward_and_backward_equal_pytorchs_own_cell(steps):
    model = get_model("gru-torch")
    instance = random_instance(model, steps, np.random.default_rng(steps))
    forward, backward = worked(symrnn.derive(model, steps, wrt="W_hz", form="factored"), instance)
    states, logits, o = torch_gru_pass(instance, steps)
    by_ident = {v.ident: np.asarray(v.numbers) for v in forward}
    for t, h in enumerate(states, 1):
        assert np.allclose(by_ident[f"h[{t}]"], h.detach().numpy(), rtol=1e-12, atol=1e-14)
    assert np.allclose(by_ident["l"], logits.detach().numpy(), rtol=1e-12) and np.isclose(by_ident["o"], o.item())
    grads = {v.ident: np.asarray(v.numbers) for v in backward}
    for t, h in enumerate(states, 1):
        assert np.allclose(grads[f"h[{t}]"], h.grad.numpy(), rtol=1e-9, atol=1e-12), t


def _backward_everywhere(model, steps: int, activation: str, instance) -> dict:
    """∇_v L for every recursion node v: the union of the backward passes from the default variable and from every
    initial state (together they reach every state of every step)."""
    starts = [model.default_wrt] + [initial for _, initial in model.initial if initial != ZERO]
    found = {}
    for wrt in starts:
        _, backward = worked(symrnn.derive(model, steps, wrt=wrt, activation=activation, form="factored"), instance)
        found.update({v.ident: np.asarray(v.numbers) for v in backward})
    return found


@settings(max_examples=40)
@given(name=st.sampled_from(sorted(MODELS)), steps=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_forward_and_backward_equal_pytorchs_intermediate_tensors(name, steps, seed):
    """Every model written again in PyTorch (tests/model_oracles.py) names its intermediate tensors as symrnn does:
    each one symrnn's forward pass shows equals PyTorch's, and each backward value equals the retained .grad."""
    model = get_model(name)
    activation = "tanh" if "g" in model.functions else "g"
    instance = random_instance(model, steps, np.random.default_rng(seed))
    forward, _ = worked(symrnn.derive(model, steps, activation=activation, form="factored"), instance)
    tape = model_oracles.Tape()
    loss, _ = model_oracles.torch_gradients(name, instance, activation, keep=tape)
    shown = {v.ident: np.asarray(v.numbers) for v in forward}
    assert set(tape) <= set(shown), sorted(set(tape) - set(shown))
    for ident, tensor in tape.items():
        assert np.allclose(shown[ident], tensor.detach().numpy(), rtol=1e-12, atol=1e-13), (name, ident)
    assert np.isclose(shown[model.loss], loss, rtol=1e-12)
    backward = _backward_everywhere(model, steps, activation, instance)
    assert backward and set(backward) <= set(tape), sorted(set(backward) - set(tape))
    for ident, grad in backward.items():
        assert tape[ident].grad is not None, (name, ident)
        assert np.allclose(grad, tape[ident].grad.numpy(), rtol=1e-9, atol=1e-12), (name, ident)


def test_the_documents_show_both_passes_and_the_json_gives_them_in_each_nodes_shape(tmp_path):
    markdown = ok("derive", "-m", "elman", "-n", "3", "-g", "tanh", "--at", VALUES, "-f", "markdown")
    forward_at, backward_at = markdown.index("**Forward pass**"), markdown.index("**Backward pass**")
    assert forward_at < backward_at < markdown.index("**Value**")
    assert r"h^{(1)} &= \begin{bmatrix} 0.5005 & 0 \end{bmatrix}^{\top}" in markdown
    data = json.loads(ok("derive", "-m", "elman", "-n", "3", "-g", "tanh", "--at", VALUES, "-f", "json"))
    assert list(data["forward"]) == ["a[1]", "h[1]", "a[2]", "h[2]", "a[3]", "h[3]", "l", "q", "o"]
    assert list(data["backward"]) == ["h[3]", "h[2]", "h[1]"]
    assert np.shape(data["forward"]["l"]) == (3,) and np.shape(data["forward"]["o"]) == ()
    assert json.loads(ok("derive", "-m", "elman", "-n", "3", "-f", "json"))["forward"] is None
    whole = json.loads(ok("derive", "-m", "elman", "-n", "3", "-g", "tanh", "--at", VALUES, "--wrt", "all",
                          "-f", "json"))
    assert whole["forward"] == data["forward"] and set(data["backward"]) <= set(whole["backward"])
    compile_latex(tmp_path, ok("derive", "-m", "gru", "-n", "3", "-g", "tanh", "--wrt", "all", "--standalone",
                               "--at", str(_values_file(tmp_path, "gru", 3))))


def _values_file(folder, name: str, steps: int):
    model = get_model(name)
    instance = random_instance(model, steps, np.random.default_rng(0))
    data = {k: np.asarray(v).tolist() for k, v in instance.arrays.items()} | dict(instance.labels)
    path = folder / f"{name}.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize("digits, shown", [(4, r"1.235 \times 10^{-8}"), (2, r"1.2 \times 10^{-8}")])
def test_digits_round_the_display_only(digits, shown):
    text = latex_numbers(np.array([1.2345678e-8, 0.5, -0.0]), digits)
    assert text.startswith(r"\begin{bmatrix}") and text.endswith(r"\end{bmatrix}^{\top}") and r" & 0 \end" in text
    assert shown in text
    two = ok("derive", "-m", "elman", "-n", "3", "-g", "tanh", "--at", VALUES, "-f", "json", "--digits", "2")
    assert json.loads(two)["forward"] == json.loads(ok("derive", "-m", "elman", "-n", "3", "-g", "tanh", "--at",
                                                         VALUES, "-f", "json"))["forward"]


def test_the_forward_step_of_deng_and_finlayson_section_1():
    """Deng and Finlayson's §1 with its stated x_{t+1} = [0, 1]: o_1 = [0.434, 1.162] (its printed solution used
    [1, 0]); examples/README.md says so."""
    from helpers import EXAMPLES

    data = json.loads(ok("derive", "-m", "deng", "-n", "2", "-g", "relu", "--at", str(EXAMPLES / "deng-forward.json"),
                         "-f", "json"))["forward"]
    assert np.allclose(data["h[0]"], [0.7, 0.7]) and np.allclose(data["o[0]"], [0.21, 0.49])
    assert np.allclose(data["h[1]"], [1.26, 1.82]) and np.allclose(data["o[1]"], [0.434, 1.162])
    assert "o_1 = [0.434, 1.162]" in (EXAMPLES / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_numbers_work_every_built_in_model_out(name):
    """Every model, including those with a label per step (goodfellow, tagger) and ReLU (here as g)."""
    activation = ["-g", "relu"] if "g" in get_model(name).functions else []
    data = json.loads(ok("derive", "-m", name, "-n", "3", *activation, "--numbers", "-f", "json"))
    assert data["given"] and data["forward"] and data["value"]["values"] is not None


@pytest.mark.parametrize("name, activation", [("elman", "relu"), ("gru", "tanh"), ("birnn", "tanh"),
                                              ("scalar", "g"), ("deng", "relu"), ("goodfellow", "g"),
                                              ("tagger", "tanh")])
def test_numbers_are_round_reproducible_and_the_same_as_at_with_them(tmp_path, name, activation):
    base = ["derive", "-m", name, "-n", "3", "-f", "json"] + ([] if activation == "g" else ["-g", activation])
    options = base + ["--numbers", "--seed", "5"]
    data = json.loads(ok(*options))
    given = data["given"]
    labels = {label.name for label in get_model(name).labels}
    for value in (v for k, v in given.items() if k not in labels):
        tenths = np.asarray(value, dtype=float) * 10
        assert np.allclose(tenths, np.round(tenths)) and np.all(np.abs(tenths) <= 9 + 1e-9)
    assert ok(*options) == json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    assert json.loads(ok(*base, "--numbers", "--seed", "6"))["given"] != given
    values = {k: v for k, v in given.items() if "[" not in k}
    for entry in get_model(name).inputs:
        values[entry.name] = [given[k] for k in given if k.startswith(f"{entry.name}[")]
    path = tmp_path / "given.json"
    path.write_text(json.dumps(values), encoding="utf-8")
    at = json.loads(ok(*base, "--at", str(path)))
    assert at["value"] == data["value"] and at["forward"] == data["forward"] and at["given"] is None


def test_numbers_are_listed_in_the_document_and_refuse_at_and_a_generic_g():
    from helpers import error_line, run

    text = ok("derive", "-m", "elman", "-n", "2", "-g", "tanh", "--numbers")
    assert r"\paragraph{Values.} Drawn to be worked by hand" in text and r"x^{(2)} &= \begin{bmatrix}" in text
    assert "--numbers needs numbers for g" in error_line(run("derive", "-m", "elman", "-n", "2", "--numbers"))
    assert "give one of them" in error_line(run("derive", "-n", "3", "-g", "tanh", "--numbers", "--at", VALUES))


@pytest.mark.parametrize("name, activation, node", [("elman", "tanh", "x[1]"), ("elman", "identity", "x[1]"),
                                                    ("gru", "tanh", "x[2]"), ("stacked-birnn", "tanh", "x[2]"),
                                                    ("goodfellow", "g", "x[2]"), ("lstm", "g", "x[1]")])
def test_depends_on_says_exactly_which_jacobians_move_with_the_node(name, activation, node):
    """Collins's Question 1c: a Jacobian said not to change keeps its numbers when the node's value moves; one said
    to change moves (at random values)."""
    from symrnn.numeric import forward
    from symrnn.present import _all_jacobians
    from symrnn.sensitivity import sensitivities

    model = get_model(name)
    derivation = symrnn.derive(model, 3, activation=activation, form="both")
    instance = random_instance(model, 3, np.random.default_rng(7))
    answers = sensitivities(derivation, _all_jacobians(derivation), node)
    assert any(a.changes for a in answers) and any(not a.changes for a in answers)
    first = forward(derivation.graph, instance, derivation.graph.activation)
    shift = np.full(np.shape(first.env[derivation.graph.node(node).value]), 0.3)
    second = forward(derivation.graph, instance, derivation.graph.activation, nudge=(node, shift))
    formulas = derivation.formulas
    for answer, (edge, formula) in zip(answers, _all_jacobians(derivation)):
        before, after = first.matrix(formula, formulas), second.matrix(formula, formulas)
        assert np.allclose(before, after) != answer.changes, (edge, answer.reads)


def test_depends_on_in_the_document_and_json():
    from helpers import error_line, run

    text = ok("derive", "-m", "elman", "-n", "3", "--depends-on", "x[1]", "-f", "markdown")
    assert "**Which Jacobians change with $x^{(1)}$.**" in text
    assert r"- $D(h^{(3)} \rightarrow l)$ does not change." in text and "for a concrete one the answer" in text
    data = json.loads(ok("derive", "-m", "elman", "-n", "3", "-g", "identity", "--depends-on", "x[1]", "-f", "json"))
    changing = [j["symbol"] for j in data["depends_on"]["jacobians"] if j["changes"]]
    assert changing == [r"D(l \rightarrow q)", r"D(W^{hx} \rightarrow h^{(1)})"]
    assert "no node 'x[9]'" in error_line(run("derive", "-m", "elman", "-n", "3", "--depends-on", "x[9]"))
    assert json.loads(ok("derive", "-m", "elman", "-n", "3", "-f", "json"))["depends_on"] is None


@pytest.mark.parametrize("name, loss, wrt", [("deng", "o[0]", "W"), ("elman", "l", "W_hh"), ("gru", "h[2]", "U_z"),
                                             ("birnn", "q", "W_bhx")])
def test_a_vector_loss_gives_its_jacobian_checked_and_typeset(tmp_path, name, loss, wrt):
    """Deng and Finlayson §3.5 asks for ∂o_0/∂W_{0,0}, the derivative of a vector: the answer is the Jacobian (a row
    per entry of o_0, a column per entry of vec(W)), checked against complex steps; no shaped form, no recursion."""
    model = get_model(name)
    derivation = symrnn.derive(model, 3, wrt=wrt, loss=loss, activation="tanh" if "g" in model.functions else "g")
    assert derivation.vector_loss and symrnn.check(derivation, seed=3).passed
    text = ok("derive", "-m", name, "-n", "3", "--wrt", wrt, "--loss", loss, "--check", "--standalone")
    assert r"\paragraph{A Jacobian.}" in text and "In the shape of" not in text
    compile_latex(tmp_path, text)
    from helpers import error_line, run

    assert "is a vector: its derivative is a Jacobian" in error_line(
        run("derive", "-m", name, "-n", "3", "--wrt", wrt, "--loss", loss, "--form", "factored"))
    whole = run("derive", "-m", name, "-n", "3", "--wrt", "all", "--loss", loss)
    assert "--wrt all needs a number" in error_line(whole)


def test_the_jacobian_of_a_vector_equals_pytorchs():
    model = get_model("elman")
    instance = random_instance(model, 3, np.random.default_rng(4))
    derivation = symrnn.derive(model, 3, wrt="W_hh", loss="l", activation="tanh")
    from symrnn.checking import derived_gradient

    ours = derived_gradient(derivation, instance, "tanh")
    a = {k: torch.tensor(v, dtype=torch.float64) for k, v in instance.arrays.items()}

    def logits(w_hh_vec):
        w_hh = w_hh_vec.reshape(a["W_hh"].shape[1], a["W_hh"].shape[0]).T  # vec stacks columns
        h = a["h_0"]
        for xt in a["x"]:
            h = torch.tanh(a["W_hx"] @ xt + w_hh @ h + a["b_h"])
        return a["V"] @ h + a["gamma"]

    theirs = torch.autograd.functional.jacobian(logits, a["W_hh"].T.reshape(-1))
    assert ours.shape == tuple(theirs.shape) and np.allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-13)


def test_deng_and_finlayson_3_5_the_column_of_w00_is_zero():
    data = json.loads(ok("derive", "-m", "deng", "-n", "1", "--loss", "o[0]", "-g", "relu", "--at",
                         str(EXAMPLES / "deng-002.json"), "-f", "json"))
    jacobian = np.array(data["value"]["values"])
    assert jacobian.shape == (2, 4) and np.allclose(jacobian[:, 0], 0) and not np.allclose(jacobian[:, 2], 0)


def test_one_entry_of_a_parameter(tmp_path):
    """--wrt W[i,j], counted as the model counts: Collins's from 1, Deng and Finlayson's from 0 (their §3.5 asks
    for ∂o_0/∂W_{0,0}, a column of a Jacobian)."""
    from helpers import error_line, run

    args = ["derive", "-m", "elman", "-n", "3", "-g", "tanh", "--at", VALUES, "-f", "json"]
    whole = json.loads(ok(*args))["value"]["values"]
    entry = json.loads(ok(*args, "--wrt", "W_hx[2,1]"))["entry"]
    assert entry["index"] == [2, 1] and entry["value"] == whole[1][0] and entry["latex"] == "W^{hx}_{2,1}"
    assert json.loads(ok(*args, "--wrt", "b_h[2]"))["entry"]["value"] == \
        json.loads(ok(*args, "--wrt", "b_h"))["value"]["values"][1]
    deng = json.loads(ok("derive", "-m", "deng", "-n", "1", "--wrt", "W[0,1]", "--loss", "o[0]", "-g", "relu",
                         "--at", str(EXAMPLES / "deng-002.json"), "-f", "json"))
    assert deng["entry"]["value"] == [row[2] for row in deng["value"]["values"]]  # vec order: W[0,1] is third
    assert "give W_hx[i,j]" in error_line(run(*args, "--wrt", "W_hx[1]"))
    assert "is outside W_hx, which is 2 x 2" in error_line(run(*args, "--wrt", "W_hx[3,1]"))
    assert "counts entries from 1" in error_line(run(*args, "--wrt", "W_hx[0,1]"))
    text = ok("derive", "-m", "elman", "-n", "3", "--wrt", "W_hh[1,2]", "-g", "tanh", "--at", VALUES, "--standalone")
    assert r"\paragraph{One entry.} $\frac{\partial o}{\partial W^{hh}_{1,2}}$ is the entry" in text
    compile_latex(tmp_path, text)


def test_numbers_take_a_size():
    data = json.loads(ok("derive", "-m", "elman", "-n", "2", "-g", "tanh", "--numbers", "--size", "3", "-f", "json"))
    assert np.shape(data["value"]["values"]) == (3, 3)
    markdown = ok("derive", "-m", "elman", "-n", "2", "-g", "tanh", "--numbers", "--size", "3", "-f", "markdown")
    assert "every size 3" in markdown
    from helpers import error_line, run

    assert "add --numbers" in error_line(run("derive", "-m", "elman", "-n", "2", "--size", "3"))
