"""The built-in models: the model files in ``catalogue/`` (shipped as ``symrnn.catalogue_files``), read by the same
reader as a user's file, and the two kinds of variant the command line offers:

- ``--layers L`` for a stacked model: its file for L layers, written by ``stacked_text`` (the shipped files are
  that text for two layers, byte for byte);
- ``--readout final|every`` for a model whose cell ends in a state: its file with the readout replaced by one of
  ``READOUTS``.

A file is read on first use, so importing symrnn reads none of them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache

from .errors import InputError
from .models import Model
from .resources import shipped_folder

NAMES = ("elman", "goodfellow", "gru", "gru-torch", "lstm", "lstm-torch", "deng", "scalar", "birnn", "birnn-shared",
         "stacked", "stacked-residual", "stacked-birnn", "tagger", "leaky", "leaky-free")
"""The built-in models, in the order ``symrnn models`` lists them."""

MAX_LAYERS = 8
"""Most layers a stacked model takes: each adds a factor of paths per step."""

LAYERED = {"stacked": False, "stacked-residual": True}
"""Models that take --layers (the shipped file has two), and whether the readout sums every layer (residual)."""


@dataclass(frozen=True)
class Readout:
    """A readout any cell ending in a state can take (written for a state h): its parameters, labels, the lines it
    adds to each step, its own equations, its loss. ``renames`` gives another name to a readout name the cell
    already uses."""

    description: str
    parameters: dict
    labels: dict
    step: str
    readout: str
    loss: str
    renames: dict


READOUTS = {
    "final": Readout(
        "a readout at the last step, l = V h^{(n)} + γ, q = LS(l), o = -q_y (Collins, Question 1)",
        {"V": {"shape": ["K", "m"], "description": "output weights"},
         "gamma": {"shape": ["K"], "description": "output bias"}},
        {"y": {"size": "K", "description": "the correct label, 1..K"}}, "",
        "l = V h[n] + gamma\nq = logsoftmax(l)\no = -q[y]\n", "o", {"q": "p"}),
    "every": Readout(
        "a softmax output and cross-entropy loss at every step, L = Σ_t L^{(t)} (Goodfellow 10.8-10.14)",
        {"V": {"shape": ["K", "m"], "description": "hidden-to-output weights"},
         "c": {"shape": ["K"], "description": "output bias"}},
        {"y": {"size": "K", "per_step": True, "description": "the correct label at each step, 1..K"}},
        "o = c + V h\nyhat = softmax(o)   # inline\nL = crossentropy(yhat, y[t])\n", "L = sum_t(L)\n", "L", {}),
}
"""Readouts a single-state model can take instead of its source's (``--readout``)."""

READOUT_MODELS = ("elman", "goodfellow", "gru", "gru-torch", "lstm", "leaky", "leaky-free")
"""The models whose cell ends in the state h that another readout can read."""


def catalogue_text(name: str) -> str:
    """The model file of the built-in model ``name``."""
    path = shipped_folder("symrnn.catalogue_files", "catalogue", "elman.yaml") / f"{name}.yaml"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot read the model file of {name}: {error.strerror or error}") from None


@lru_cache(maxsize=None)
def _read(name: str, layers: int | None = None, readout: str | None = None) -> Model:
    from .modelfile import model_from_data, yaml_mapping  # YAML and the grammar, only when a model is asked for

    text = stacked_text(layers, LAYERED[name]) if layers is not None else catalogue_text(name)
    data = yaml_mapping(text, f"{name}.yaml")
    if readout is not None:
        data = with_readout(data, READOUTS[readout])
    return model_from_data(data, text, f"{name}.yaml")


class Catalogue(Mapping[str, Model]):
    """The built-in models by name, each read from its file on first use."""

    def __getitem__(self, name: str) -> Model:
        if name not in NAMES:
            raise KeyError(name)
        return _read(name)

    def __iter__(self) -> Iterator[str]:
        return iter(NAMES)

    def __len__(self) -> int:
        return len(NAMES)


MODELS = Catalogue()


def get_model(name: str, layers: int | None = None, readout: str | None = None) -> Model:
    """The built-in model called ``name`` (with ``layers`` layers, for a stacked one; with another
    ``readout``, for a single-state one), or an InputError."""
    if name not in MODELS:
        raise InputError(f"unknown model {name!r}; choose one of {', '.join(MODELS)} (see 'symrnn models')")
    if layers is not None:
        if name not in LAYERED:
            raise InputError(f"model {name} has no layers to set; --layers is for {', '.join(LAYERED)}")
        if not 1 <= layers <= MAX_LAYERS:
            raise InputError(f"--layers must be between 1 and {MAX_LAYERS} (got {layers})")
    if readout is not None:
        if readout not in READOUTS:
            raise InputError(f"unknown readout {readout!r}; choose one of {', '.join(READOUTS)}")
        if name not in READOUT_MODELS:
            raise InputError(f"model {name} keeps its source's readout; --readout is for {', '.join(READOUT_MODELS)}")
    return _read(name, layers, readout)


_DEFINED = re.compile(r"\s*([A-Za-z_]\w*)\s*=")


def with_readout(data: dict, readout: Readout) -> dict:
    """A model file's data with its readout replaced: the cell is its step up to the last line that defines a
    state, with the parameters that cell reads; the readout reads that state (h in READOUTS), and its names the
    cell already uses are renamed."""
    lines = data["step"].splitlines(keepends=True)
    defined = [match.group(1) if (match := _DEFINED.match(line)) else "" for line in lines]
    last = max(i for i, name in enumerate(defined) if name in data["states"])
    cell = lines[:last + 1]
    words = set(re.findall(r"[A-Za-z_]\w*", "".join(line.split("#")[0] for line in cell)))
    words |= {str(start) for start in data["states"].values()}
    taken = {match.group(1) for line in cell if (match := _DEFINED.match(line))} & set(readout.renames)
    step, equations = (re.sub(r"\bh\b", defined[last], text) for text in (readout.step, readout.readout))
    for old in sorted(taken):
        step, equations = (re.sub(rf"\b{old}\b", readout.renames[old], text) for text in (step, equations))
    title = f"{data['title']}, with {readout.description.split(',')[0]}"
    return data | {
        "title": title, "labels": readout.labels, "step": "".join(cell) + step, "readout": equations,
        "loss": readout.loss,
        "parameters": {name: spec for name, spec in data["parameters"].items() if name in words} | readout.parameters,
    }


def stacked_text(layers: int, residual: bool) -> str:
    """The model file of a stacked RNN of ``layers`` layers (the graded homework on recurrent neural networks,
    Q1.3), each reading the layer below at the same step; with ``residual``, the readout sums every layer's last
    state and, as the sheet's y = f_y(V (h_1 + h_2)), has no output bias. For two layers it is
    catalogue/stacked.yaml (or stacked-residual.yaml), byte for byte."""
    ks = range(1, layers + 1)
    parameters = "".join(
        f"  W_{k}: {{shape: [m, {'d' if k == 1 else 'm'}], description: input weights of layer {k}}}\n"
        f"  U_{k}: {{shape: [m, m], description: recurrent weights of layer {k}}}\n"
        f"  b_{k}: {{shape: [m], description: bias of layer {k}}}\n"
        f"  h{k}_0: {{shape: [m], latex: 'h_{{{k},0}}', description: initial state of layer {k}}}\n" for k in ks)
    step = "".join(f"  a{k} = W_{k} {'x' if k == 1 else f'h{k - 1}'} + U_{k} h{k}[t-1] + b_{k}   # inline\n"
                   f"  h{k} = g(a{k})\n" for k in ks)
    top = f"({' + '.join(f'h{k}[n]' for k in ks)})" if residual and layers > 1 else f"h{layers}[n]"
    return _STACKED.format(
        bias="" if residual else "  gamma: {shape: [K], description: output bias}\n",
        plus_bias="" if residual else " + gamma",
        name="stacked-residual" if residual else "stacked", layers=layers,
        layer_word="layer" if layers == 1 else "layers", parameters=parameters, step=step, top=top,
        title="Stacked RNN with a residual readout" if residual else "Stacked (deep) RNN",
        states=", ".join(f"h{k}: h{k}_0" for k in ks),
        latex=", ".join(f"a{k}: 'a_{{{k}}}', h{k}: 'h_{{{k}}}'" for k in ks))


_STACKED = """\
name: {name}
title: {title}, {layers} {layer_word}
source: a graded homework on recurrent neural networks (Q1, week 13), Q1.3
dimensions:
  d: input size
  m: hidden units
  K: number of labels
parameters:
{parameters}  V: {{shape: [K, m], description: output weights}}
{bias}inputs:
  x: {{shape: [d], description: 'input sequence x^{{(1)}} ... x^{{(n)}}'}}
labels:
  y: {{size: K, description: 'the correct label, 1..K'}}
states: {{{states}}}
latex: {{{latex}}}
step: |
{step}readout: |
  l = V {top}{plus_bias}
  q = logsoftmax(l)
  o = -q[y]
loss: o
wrt: W_1
"""
