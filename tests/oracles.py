"""Independent oracles: the Elman RNN written directly in PyTorch, from the equations of Collins's Question 1."""

from __future__ import annotations

import numpy as np
import torch

from symrnn.numeric import Instance

TORCH_ACTIVATIONS = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "identity": lambda a: a,
}


def torch_elman_gradient(instance: Instance, activation: str, wrt: str) -> np.ndarray:
    """∂o/∂wrt by PyTorch autograd of h^{(t)} = g(W^{hx}x^{(t)} + W^{hh}h^{(t-1)} + b^h), o = -LS(Vh^{(n)} + γ)_y."""
    tensors = {name: torch.tensor(value, dtype=torch.float64, requires_grad=True)
               for name, value in instance.arrays.items()}
    g = TORCH_ACTIVATIONS[activation]
    hidden = [tensors["h_0"]]
    for x in tensors["x"]:
        hidden.append(g(tensors["W_hx"] @ x + tensors["W_hh"] @ hidden[-1] + tensors["b_h"]))
        hidden[-1].retain_grad()
    logits = tensors["V"] @ hidden[-1] + tensors["gamma"]
    loss = -torch.log_softmax(logits, dim=0)[instance.labels["y"] - 1]
    loss.backward()
    return _pick_gradient(wrt, tensors, hidden)


def _pick_gradient(wrt: str, tensors: dict, hidden: list) -> np.ndarray:
    if wrt.startswith("x["):
        return tensors["x"].grad[int(wrt[2:-1]) - 1].numpy()
    if wrt.startswith("h["):
        return hidden[int(wrt[2:-1])].grad.numpy()
    return tensors[wrt].grad.numpy()


def instance_from(rng: np.random.Generator, sizes: dict, steps: int) -> Instance:
    """Random elman values of the given sizes (parameters N(0, 0.6²), inputs N(0, 1))."""
    d, m, k = sizes["d"], sizes["m"], sizes["K"]
    shapes = {"W_hx": (m, d), "W_hh": (m, m), "b_h": (m,), "h_0": (m,), "V": (k, m), "gamma": (k,)}
    arrays = {name: rng.normal(0.0, 0.6, shape) for name, shape in shapes.items()}
    arrays["x"] = rng.normal(0.0, 1.0, (steps, d))
    return Instance(dict(sizes), arrays, {"y": int(rng.integers(1, k + 1))})
