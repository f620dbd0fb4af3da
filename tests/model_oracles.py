"""Every built-in model written out again, directly in PyTorch, from its source's equations.

These forward passes share nothing with symrnn but the parameter names: autograd of
them is the independent oracle the derived gradients are compared with.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import torch

from symrnn.catalogue import get_model
from symrnn.numeric import Instance

G = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda a: a}
sigma = torch.sigmoid


def log_softmax_readout(p: dict, h: torch.Tensor, y: int, log_probabilities: str = "q") -> torch.Tensor:
    """Collins, Question 1: l = V h^{(n)} + γ, q = LS(l), o = -q_y."""
    return -torch.log_softmax(p["V"] @ h + p["gamma"], dim=0)[y - 1]


def elman(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    h = p["h_0"]
    for xt in x:
        h = g(p["W_hx"] @ xt + p["W_hh"] @ h + p["b_h"])
    return log_softmax_readout(p, h, y)


def goodfellow(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """Eq. 10.8-10.14, L = Σ_t -log softmax(o^{(t)})_{y^{(t)}}."""
    h, total = p["h_0"], torch.zeros((), dtype=torch.float64)
    for xt, yt in zip(x, y):
        h = torch.tanh(p["b"] + p["W"] @ h + p["U"] @ xt)
        o = p["c"] + p["V"] @ h
        total = total - torch.log(torch.softmax(o, dim=0)[yt - 1])
    return total


def gru(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """Collins, Question 3."""
    h = p["h_0"]
    for xt in x:
        z = sigma(p["W_z"] @ xt + p["U_z"] @ h + p["b_z"])
        r = sigma(p["W_r"] @ xt + p["U_r"] @ h + p["b_r"])
        h = (1 - z) * h + z * g(p["W_h"] @ xt + p["U_h"] @ (r * h) + p["b_h"])
    return log_softmax_readout(p, h, y)


def gru_torch(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """The equations in the documentation of torch.nn.GRUCell."""
    h = p["h_0"]
    for xt in x:
        r = sigma(p["W_ir"] @ xt + p["b_ir"] + p["W_hr"] @ h + p["b_hr"])
        z = sigma(p["W_iz"] @ xt + p["b_iz"] + p["W_hz"] @ h + p["b_hz"])
        n = torch.tanh(p["W_in"] @ xt + p["b_in"] + r * (p["W_hn"] @ h + p["b_hn"]))
        h = (1 - z) * n + z * h
    return log_softmax_readout(p, h, y)


def lstm(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """Goodfellow eq. 10.40-10.44."""
    h, s = p["h_0"], p["s_0"]
    for xt in x:
        f = sigma(p["b_f"] + p["U_f"] @ xt + p["W_f"] @ h)
        gate = sigma(p["b_g"] + p["U_g"] @ xt + p["W_g"] @ h)
        q = sigma(p["b_o"] + p["U_o"] @ xt + p["W_o"] @ h)
        s = f * s + gate * sigma(p["b"] + p["U"] @ xt + p["W"] @ h)
        h = torch.tanh(s) * q
    return log_softmax_readout(p, h, y)


def lstm_torch(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """The equations in the documentation of torch.nn.LSTMCell."""
    h, c = p["h_0"], p["c_0"]
    for xt in x:
        i = sigma(p["W_ii"] @ xt + p["b_ii"] + p["W_hi"] @ h + p["b_hi"])
        f = sigma(p["W_if"] @ xt + p["b_if"] + p["W_hf"] @ h + p["b_hf"])
        gg = torch.tanh(p["W_ig"] @ xt + p["b_ig"] + p["W_hg"] @ h + p["b_hg"])
        o = sigma(p["W_io"] @ xt + p["b_io"] + p["W_ho"] @ h + p["b_ho"])
        c = f * c + i * gg
        h = o * torch.tanh(c)
    return log_softmax_readout(p, h, y)


def leaky(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """Goodfellow §10.9 in the book's letters: u = α u^{(t-1)} + (1 - α) g(U x^{(t)} + W u^{(t-1)} + b),
    L = -log softmax(V u^{(n)} + c)_y."""
    u = p["u_0"]
    for xt in x:
        u = p["alpha"] * u + (1 - p["alpha"]) * g(p["b"] + p["W"] @ u + p["U"] @ xt)
    return -torch.log_softmax(p["c"] + p["V"] @ u, dim=0)[y - 1]


def leaky_free(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """Study questions on Deep Learning ch. 10, 10.9.3: u = α u^{(t-1)} + β g(a^{(t)})."""
    u = p["u_0"]
    for xt in x:
        u = p["alpha"] * u + p["beta"] * g(p["b"] + p["W"] @ u + p["U"] @ xt)
    return -torch.log_softmax(p["c"] + p["V"] @ u, dim=0)[y - 1]


def deng(p: dict, x: torch.Tensor, y, g: Callable) -> torch.Tensor:
    """Deng and Finlayson: h_t = σ(W x_t + V h_{t-1} + b), o_t = C h_t, h_{-1} = 0, L = Σ_t ‖x_{t+1} - o_t‖²."""
    h = torch.zeros(p["b"].shape, dtype=torch.float64)
    total = torch.zeros((), dtype=torch.float64)
    for t in range(len(x) - 1):
        h = g(p["W"] @ x[t] + p["V"] @ h + p["b"])
        total = total + torch.sum((x[t + 1] - p["C"] @ h) ** 2)
    return total


def scalar(p: dict, x: dict, y, g: Callable) -> torch.Tensor:
    """The graded homework, Q1.1: h = ReLU(w_1 x_1 + w_2 x_2 + u h + b_h), y = σ(v h + b_y), L = Σ_t -ln y^{(t)}."""
    h, total = p["h_0"], torch.zeros((), dtype=torch.float64)
    for x1, x2 in zip(x["x_1"], x["x_2"]):
        h = torch.relu(p["w_1"] * x1 + p["w_2"] * x2 + p["u"] * h + p["b_h"])
        total = total - torch.log(torch.sigmoid(p["v"] * h + p["b_y"]))
    return total


def _both_directions(p: dict, x: torch.Tensor, g: Callable, forward: tuple[str, ...], backward: tuple[str, ...]):
    """The forward states 0..n and the backward states n+1..1 of a bidirectional RNN; each of ``forward`` and
    ``backward`` names (input weights, recurrent weights, bias, initial state)."""
    n = len(x)
    ahead = [p[forward[3]]]
    for xt in x:
        ahead.append(g(p[forward[0]] @ xt + p[forward[1]] @ ahead[-1] + p[forward[2]]))
    behind = {n + 1: p[backward[3]]}
    for t in range(n, 0, -1):
        behind[t] = g(p[backward[0]] @ x[t - 1] + p[backward[1]] @ behind[t + 1] + p[backward[2]])
    return ahead, behind


def birnn(p: dict, x: torch.Tensor, y, g: Callable, position: int | None = None) -> torch.Tensor:
    """Collins, Question 2: forward h, backward η, l = V CONCAT(h^{(i)}, η^{(i)}) + γ."""
    h, eta = _both_directions(p, x, g, ("W_hx", "W_hh", "b_h", "h_0"), ("W_bhx", "W_bhh", "b_bh", "eta_0"))
    i = position or len(x)
    return -torch.log_softmax(p["V"] @ torch.cat([h[i], eta[i]]) + p["gamma"], dim=0)[y - 1]


def birnn_shared(p: dict, x: torch.Tensor, y, g: Callable, position: int | None = None) -> torch.Tensor:
    """The graded homework's Q1.4: h→_t = f_h(W x_t + U h→_{t-1} + b), h←_t = f_h(W x_t + U h←_{t+1} + b), the
    output V CONCAT(h→_i, h←_i) (no bias), its log-softmax loss."""
    ahead, behind = _both_directions(p, x, g, ("W", "U", "b", "hf_0"), ("W", "U", "b", "hb_0"))
    i = position or len(x)
    return -torch.log_softmax(p["V"] @ torch.cat([ahead[i], behind[i]]), dim=0)[y - 1]


def stacked(p: dict, x: torch.Tensor, y, g: Callable, residual: bool = False) -> torch.Tensor:
    """The graded homework, Q1.3: h_l = g(W_l (layer below) + U_l h_l^{(t-1)} + b_l); readout from the top
    (or the sum)."""
    layers = sum(1 for name in p if name.startswith("U_"))
    h = [p[f"h{k}_0"] for k in range(1, layers + 1)]
    for xt in x:
        below = xt
        for k in range(layers):
            h[k] = g(p[f"W_{k + 1}"] @ below + p[f"U_{k + 1}"] @ h[k] + p[f"b_{k + 1}"])
            below = h[k]
    if residual:  # the sheet's y = f_y(V (h_1 + h_2)): no output bias
        return -torch.log_softmax(p["V"] @ sum(h), dim=0)[y - 1]
    return -torch.log_softmax(p["V"] @ h[-1] + p["gamma"], dim=0)[y - 1]


def stacked_birnn(p: dict, x: torch.Tensor, y, g: Callable, position: int | None = None) -> torch.Tensor:
    """Collins, Question 2a: two bidirectional levels, the second reading CONCAT(h^{(t)}, η^{(t)})."""
    n, i = len(x), position or len(x)
    h, eta = {0: p["h_0"]}, {n + 1: p["eta_0"]}
    for t in range(1, n + 1):
        h[t] = g(p["W_hx"] @ x[t - 1] + p["W_hh"] @ h[t - 1] + p["b_h"])
    for t in range(n, 0, -1):
        eta[t] = g(p["W_bhx"] @ x[t - 1] + p["W_bhh"] @ eta[t + 1] + p["b_bh"])
    below = {t: torch.cat([h[t], eta[t]]) for t in range(1, n + 1)}
    h2, eta2 = {0: p["h2_0"]}, {n + 1: p["eta2_0"]}
    for t in range(1, n + 1):
        h2[t] = g(p["W_2hx"] @ below[t] + p["W_2hh"] @ h2[t - 1] + p["b_2h"])
    for t in range(n, 0, -1):
        eta2[t] = g(p["W_2bhx"] @ below[t] + p["W_2bhh"] @ eta2[t + 1] + p["b_2bh"])
    return -torch.log_softmax(p["V"] @ torch.cat([h2[i], eta2[i]]) + p["gamma"], dim=0)[y - 1]


def tagger(p: dict, x: torch.Tensor, labels: dict, g: Callable, position: int | None = None) -> torch.Tensor:
    """Collins, Question 2b: h, η as in Q2, β^{(t)} = g(W^{βy} e_{y_t} + W^{ββ} β^{(t-1)} + b^β),
    l = V CONCAT(h, η, β^{(i-1)}) + γ."""
    n, i = len(x), position or len(x)
    h, eta, beta = {0: p["h_0"]}, {n + 1: p["eta_0"]}, {0: p["beta_0"]}
    for t in range(1, n + 1):
        h[t] = g(p["W_hx"] @ x[t - 1] + p["W_hh"] @ h[t - 1] + p["b_h"])
        beta[t] = g(p["W_by"][:, labels["tags"][t - 1] - 1] + p["W_bb"] @ beta[t - 1] + p["b_b"])
    for t in range(n, 0, -1):
        eta[t] = g(p["W_bhx"] @ x[t - 1] + p["W_bhh"] @ eta[t + 1] + p["b_bh"])
    logits = p["V"] @ torch.cat([h[i], eta[i], beta[i - 1]]) + p["gamma"]
    return -torch.log_softmax(logits, dim=0)[labels["y"] - 1]


FORWARD: dict[str, Callable] = {
    "tagger": tagger,
    "stacked-birnn": stacked_birnn,
    "stacked": stacked,
    "stacked-residual": lambda p, x, y, g: stacked(p, x, y, g, residual=True),
    "birnn": birnn,
    "birnn-shared": birnn_shared,
    "scalar": scalar,
    "deng": deng,
    "elman": elman, "goodfellow": goodfellow, "gru": gru, "gru-torch": gru_torch, "lstm": lstm,
    "lstm-torch": lstm_torch, "leaky": leaky, "leaky-free": leaky_free,
}


def torch_gradients(model: str, instance: Instance, activation: str) -> tuple[float, dict]:
    """The loss and the gradient of every parameter, by autograd of the model written directly."""
    inputs = {i.name for i in get_model(model).inputs}
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in instance.arrays.items() if name not in inputs}
    xs = {name: torch.tensor(instance.arrays[name], dtype=torch.float64) for name in sorted(inputs)}
    x = xs["x"] if "x" in xs else xs
    labels = instance.labels if model == "tagger" else instance.labels.get("y")
    loss = FORWARD[model](params, x, labels, G.get(activation, torch.tanh))
    loss.backward()
    return float(loss.detach()), {name: torch.zeros_like(tensor).numpy() if tensor.grad is None else tensor.grad.numpy()
                                  for name, tensor in params.items()}


def goodfellow_closed_forms(instance: Instance) -> dict:
    """Eq. 10.18-10.28 of Deep Learning, with 10.21's factors in the order that type-checks."""
    p, x, y = instance.arrays, instance.arrays["x"], instance.labels["y"]
    n = len(x)
    h = [p["h_0"]]
    grad_o = []
    for t in range(n):
        h.append(np.tanh(p["b"] + p["W"] @ h[-1] + p["U"] @ x[t]))
        o = p["c"] + p["V"] @ h[-1]
        yhat = np.exp(o - o.max()) / np.exp(o - o.max()).sum()
        grad_o.append(yhat - np.eye(len(o))[y[t] - 1])  # 10.18
    grad_h = [None] * (n + 1)
    grad_h[n] = p["V"].T @ grad_o[n - 1]  # 10.19
    for t in range(n - 1, 0, -1):  # 10.21: W^T diag(1 - h^{(t+1)2}) ∇_{h^{(t+1)}} L + V^T ∇_{o^{(t)}} L
        grad_h[t] = p["W"].T @ np.diag(1 - h[t + 1] ** 2) @ grad_h[t + 1] + p["V"].T @ grad_o[t - 1]
    local = [None] + [np.diag(1 - h[t] ** 2) @ grad_h[t] for t in range(1, n + 1)]
    return {
        "c": sum(grad_o),  # 10.22
        "b": sum(local[1:]),  # 10.23
        "V": sum(np.outer(grad_o[t - 1], h[t]) for t in range(1, n + 1)),  # 10.24
        "W": sum(np.outer(local[t], h[t - 1]) for t in range(1, n + 1)),  # 10.26
        "U": sum(np.outer(local[t], x[t - 1]) for t in range(1, n + 1)),  # 10.28
    }
