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

Keep = Callable[[str, torch.Tensor], torch.Tensor]
"""Called with a node's name as symrnn writes it (``h[2]``, ``l``) and the tensor computed for it; returns it."""


def untaped(ident: str, tensor: torch.Tensor) -> torch.Tensor:
    return tensor


class Tape(dict):
    """A ``keep`` that records every named intermediate tensor of a forward pass, its gradient retained."""

    def __call__(self, ident: str, tensor: torch.Tensor) -> torch.Tensor:
        if tensor.requires_grad:
            tensor.retain_grad()
        self[ident] = tensor
        return tensor


G = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu, "identity": lambda a: a}
sigma = torch.sigmoid


def log_softmax_readout(p: dict, h: torch.Tensor, y: int, keep: Keep = untaped,
                        names: tuple[str, str, str] = ("l", "q", "o")) -> torch.Tensor:
    """Collins, Question 1: l = V h^{(n)} + γ, q = LS(l), o = -q_y (``names`` are symrnn's for l, q and o)."""
    logits = keep(names[0], p["V"] @ h + p["gamma"])
    return keep(names[2], -keep(names[1], torch.log_softmax(logits, dim=0))[y - 1])


def elman(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    h = p["h_0"]
    for t, xt in enumerate(x, 1):
        h = keep(f"h[{t}]", g(keep(f"a[{t}]", p["W_hx"] @ xt + p["W_hh"] @ h + p["b_h"])))
    return log_softmax_readout(p, h, y, keep)


def goodfellow(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """Eq. 10.8-10.14, L = Σ_t -log softmax(o^{(t)})_{y^{(t)}}."""
    h, total = p["h_0"], torch.zeros((), dtype=torch.float64)
    for t, (xt, yt) in enumerate(zip(x, y), 1):
        h = keep(f"h[{t}]", torch.tanh(keep(f"a[{t}]", p["b"] + p["W"] @ h + p["U"] @ xt)))
        o = keep(f"o[{t}]", p["c"] + p["V"] @ h)
        total = total + keep(f"L[{t}]", -torch.log(keep(f"yhat[{t}]", torch.softmax(o, dim=0))[yt - 1]))
    return keep("L", total)


def gru(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """Collins, Question 3."""
    h = p["h_0"]
    for t, xt in enumerate(x, 1):
        z = keep(f"z[{t}]", sigma(p["W_z"] @ xt + p["U_z"] @ h + p["b_z"]))
        r = keep(f"r[{t}]", sigma(p["W_r"] @ xt + p["U_r"] @ h + p["b_r"]))
        candidate = keep(f"htilde[{t}]", g(keep(f"a[{t}]", p["W_h"] @ xt + p["U_h"] @ (r * h) + p["b_h"])))
        h = keep(f"h[{t}]", (1 - z) * h + z * candidate)
    return log_softmax_readout(p, h, y, keep)


def gru_torch(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """The equations in the documentation of torch.nn.GRUCell."""
    h = p["h_0"]
    for t, xt in enumerate(x, 1):
        r = keep(f"r[{t}]", sigma(p["W_ir"] @ xt + p["b_ir"] + p["W_hr"] @ h + p["b_hr"]))
        z = keep(f"z[{t}]", sigma(p["W_iz"] @ xt + p["b_iz"] + p["W_hz"] @ h + p["b_hz"]))
        n = keep(f"n[{t}]", torch.tanh(p["W_in"] @ xt + p["b_in"] + r * (p["W_hn"] @ h + p["b_hn"])))
        h = keep(f"h[{t}]", (1 - z) * n + z * h)
    return log_softmax_readout(p, h, y, keep)


def lstm(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """Goodfellow eq. 10.40-10.44."""
    h, s = p["h_0"], p["s_0"]
    for t, xt in enumerate(x, 1):
        f = keep(f"f[{t}]", sigma(p["b_f"] + p["U_f"] @ xt + p["W_f"] @ h))
        gate = keep(f"g[{t}]", sigma(p["b_g"] + p["U_g"] @ xt + p["W_g"] @ h))
        q = keep(f"q[{t}]", sigma(p["b_o"] + p["U_o"] @ xt + p["W_o"] @ h))
        s = keep(f"s[{t}]", f * s + gate * sigma(keep(f"a[{t}]", p["b"] + p["U"] @ xt + p["W"] @ h)))
        h = keep(f"h[{t}]", torch.tanh(s) * q)
    return log_softmax_readout(p, h, y, keep, ("l", "p", "o"))


def lstm_torch(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """The equations in the documentation of torch.nn.LSTMCell."""
    h, c = p["h_0"], p["c_0"]
    for t, xt in enumerate(x, 1):
        i = keep(f"i[{t}]", sigma(p["W_ii"] @ xt + p["b_ii"] + p["W_hi"] @ h + p["b_hi"]))
        f = keep(f"f[{t}]", sigma(p["W_if"] @ xt + p["b_if"] + p["W_hf"] @ h + p["b_hf"]))
        gg = keep(f"g[{t}]", torch.tanh(p["W_ig"] @ xt + p["b_ig"] + p["W_hg"] @ h + p["b_hg"]))
        o = keep(f"o[{t}]", sigma(p["W_io"] @ xt + p["b_io"] + p["W_ho"] @ h + p["b_ho"]))
        c = keep(f"c[{t}]", f * c + i * gg)
        h = keep(f"h[{t}]", o * torch.tanh(c))
    return log_softmax_readout(p, h, y, keep, ("l", "q", "L"))


def leaky(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """Goodfellow §10.9 in the book's letters: u = α u^{(t-1)} + (1 - α) g(U x^{(t)} + W u^{(t-1)} + b),
    L = -log softmax(V u^{(n)} + c)_y."""
    return _leaky(p, x, y, g, keep, 1 - p["alpha"])


def leaky_free(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """Study questions on Deep Learning ch. 10, 10.9.3: u = α u^{(t-1)} + β g(a^{(t)})."""
    return _leaky(p, x, y, g, keep, p["beta"])


def _leaky(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep, beta: torch.Tensor) -> torch.Tensor:
    u = p["u_0"]
    for t, xt in enumerate(x, 1):
        v = keep(f"v[{t}]", g(keep(f"a[{t}]", p["b"] + p["W"] @ u + p["U"] @ xt)))
        u = keep(f"u[{t}]", p["alpha"] * u + beta * v)
    return keep("L", -torch.log_softmax(keep("o", p["c"] + p["V"] @ u), dim=0)[y - 1])


def deng(p: dict, x: torch.Tensor, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """Deng and Finlayson: h_t = σ(W x_t + V h_{t-1} + b), o_t = C h_t, h_{-1} = 0, L = Σ_t ‖x_{t+1} - o_t‖²."""
    h = torch.zeros(p["b"].shape, dtype=torch.float64)
    total = torch.zeros((), dtype=torch.float64)
    for t in range(len(x) - 1):
        h = keep(f"h[{t}]", g(keep(f"a[{t}]", p["W"] @ x[t] + p["V"] @ h + p["b"])))
        total = total + torch.sum((x[t + 1] - keep(f"o[{t}]", p["C"] @ h)) ** 2)
    return keep("L", total)


def scalar(p: dict, x: dict, y, g: Callable, keep: Keep = untaped) -> torch.Tensor:
    """The graded homework, Q1.1: h = ReLU(w_1 x_1 + w_2 x_2 + u h + b_h), y = σ(v h + b_y), L = Σ_t -ln y^{(t)}."""
    h, total = p["h_0"], torch.zeros((), dtype=torch.float64)
    for t, (x1, x2) in enumerate(zip(x["x_1"], x["x_2"]), 1):
        h = keep(f"h[{t}]", torch.relu(keep(f"a[{t}]", p["w_1"] * x1 + p["w_2"] * x2 + p["u"] * h + p["b_h"])))
        output = keep(f"y[{t}]", torch.sigmoid(keep(f"f[{t}]", p["v"] * h + p["b_y"])))
        total = total + keep(f"L[{t}]", -torch.log(output))
    return keep("L", total)


def _both_directions(p: dict, x: torch.Tensor, g: Callable, forward: tuple[str, ...], backward: tuple[str, ...],
                     keep: Keep = untaped):
    """The forward states 0..n and the backward states n+1..1 of a bidirectional RNN; each of ``forward`` and
    ``backward`` names (input weights, recurrent weights, bias, initial state, pre-activation, state as symrnn
    names them)."""
    n = len(x)
    ahead = [p[forward[3]]]
    for t, xt in enumerate(x, 1):
        pre = keep(f"{forward[4]}[{t}]", p[forward[0]] @ xt + p[forward[1]] @ ahead[-1] + p[forward[2]])
        ahead.append(keep(f"{forward[5]}[{t}]", g(pre)))
    behind = {n + 1: p[backward[3]]}
    for t in range(n, 0, -1):
        pre = keep(f"{backward[4]}[{t}]", p[backward[0]] @ x[t - 1] + p[backward[1]] @ behind[t + 1] + p[backward[2]])
        behind[t] = keep(f"{backward[5]}[{t}]", g(pre))
    return ahead, behind


def birnn(p: dict, x: torch.Tensor, y, g: Callable, position: int | None = None,
          keep: Keep = untaped) -> torch.Tensor:
    """Collins, Question 2: forward h, backward η, l = V CONCAT(h^{(i)}, η^{(i)}) + γ."""
    h, eta = _both_directions(p, x, g, ("W_hx", "W_hh", "b_h", "h_0", "a", "h"),
                              ("W_bhx", "W_bhh", "b_bh", "eta_0", "alpha", "eta"), keep)
    i = position or len(x)
    return log_softmax_readout({"V": p["V"], "gamma": p["gamma"]}, torch.cat([h[i], eta[i]]), y, keep)


def birnn_shared(p: dict, x: torch.Tensor, y, g: Callable, position: int | None = None,
                 keep: Keep = untaped) -> torch.Tensor:
    """The graded homework's Q1.4: h→_t = f_h(W x_t + U h→_{t-1} + b), h←_t = f_h(W x_t + U h←_{t+1} + b), the
    output V CONCAT(h→_i, h←_i) (no bias), its log-softmax loss."""
    ahead, behind = _both_directions(p, x, g, ("W", "U", "b", "hf_0", "a", "hf"), ("W", "U", "b", "hb_0", "abar", "hb"),
                                     keep)
    i = position or len(x)
    return log_softmax_readout({"V": p["V"], "gamma": 0}, torch.cat([ahead[i], behind[i]]), y, keep)


def stacked(p: dict, x: torch.Tensor, y, g: Callable, residual: bool = False, keep: Keep = untaped) -> torch.Tensor:
    """The graded homework, Q1.3: h_l = g(W_l (layer below) + U_l h_l^{(t-1)} + b_l); readout from the top
    (or the sum)."""
    layers = sum(1 for name in p if name.startswith("U_"))
    h = [p[f"h{k}_0"] for k in range(1, layers + 1)]
    for t, xt in enumerate(x, 1):
        below = xt
        for k in range(layers):
            pre = keep(f"a{k + 1}[{t}]", p[f"W_{k + 1}"] @ below + p[f"U_{k + 1}"] @ h[k] + p[f"b_{k + 1}"])
            h[k] = keep(f"h{k + 1}[{t}]", g(pre))
            below = h[k]
    if residual:  # the sheet's y = f_y(V (h_1 + h_2)): no output bias
        return log_softmax_readout({"V": p["V"], "gamma": 0}, sum(h), y, keep)
    return log_softmax_readout(p, h[-1], y, keep)


def stacked_birnn(p: dict, x: torch.Tensor, y, g: Callable, position: int | None = None,
                  keep: Keep = untaped) -> torch.Tensor:
    """Collins, Question 2a: two bidirectional levels, the second reading CONCAT(h^{(t)}, η^{(t)})."""
    n, i = len(x), position or len(x)
    h, eta = _both_directions(p, x, g, ("W_hx", "W_hh", "b_h", "h_0", "a", "h"),
                              ("W_bhx", "W_bhh", "b_bh", "eta_0", "alpha", "eta"), keep)
    below = torch.stack([torch.cat([h[t], eta[t]]) for t in range(1, n + 1)])
    h2, eta2 = _both_directions(p, below, g, ("W_2hx", "W_2hh", "b_2h", "h2_0", "a_h2", "h2"),
                                ("W_2bhx", "W_2bhh", "b_2bh", "eta2_0", "a_eta2", "eta2"), keep)
    return log_softmax_readout(p, torch.cat([h2[i], eta2[i]]), y, keep)


def tagger(p: dict, x: torch.Tensor, labels: dict, g: Callable, position: int | None = None,
           keep: Keep = untaped) -> torch.Tensor:
    """Collins, Question 2b: h, η as in Q2, β^{(t)} = g(W^{βy} e_{y_t} + W^{ββ} β^{(t-1)} + b^β),
    l = V CONCAT(h, η, β^{(i-1)}) + γ."""
    n, i = len(x), position or len(x)
    h, eta = _both_directions(p, x, g, ("W_hx", "W_hh", "b_h", "h_0", "a", "h"),
                              ("W_bhx", "W_bhh", "b_bh", "eta_0", "alpha", "eta"), keep)
    beta = {0: p["beta_0"]}
    for t in range(1, n + 1):
        beta[t] = keep(f"beta[{t}]", g(p["W_by"][:, labels["tags"][t - 1] - 1] + p["W_bb"] @ beta[t - 1] + p["b_b"]))
    return log_softmax_readout(p, torch.cat([h[i], eta[i], beta[i - 1]]), labels["y"], keep)


FORWARD: dict[str, Callable] = {
    "tagger": tagger,
    "stacked-birnn": stacked_birnn,
    "stacked": stacked,
    "stacked-residual": lambda p, x, y, g, keep=untaped: stacked(p, x, y, g, residual=True, keep=keep),
    "birnn": birnn,
    "birnn-shared": birnn_shared,
    "scalar": scalar,
    "deng": deng,
    "elman": elman, "goodfellow": goodfellow, "gru": gru, "gru-torch": gru_torch, "lstm": lstm,
    "lstm-torch": lstm_torch, "leaky": leaky, "leaky-free": leaky_free,
}


def torch_gradients(model: str, instance: Instance, activation: str, keep: Keep = untaped) -> tuple[float, dict]:
    """The loss and the gradient of every parameter, by autograd of the model written directly; ``keep`` sees every
    named intermediate tensor."""
    inputs = {i.name for i in get_model(model).inputs}
    params = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
              for name, value in instance.arrays.items() if name not in inputs}
    xs = {name: torch.tensor(instance.arrays[name], dtype=torch.float64) for name in sorted(inputs)}
    x = xs["x"] if "x" in xs else xs
    labels = instance.labels if model == "tagger" else instance.labels.get("y")
    loss = FORWARD[model](params, x, labels, G.get(activation, torch.tanh), keep=keep)
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
