"""Model definitions: data, not code paths.

A model names its dimensions, parameters, inputs and labels, the equations of one
time step, the readout and the loss, and the source whose notation it keeps. The
built-in catalogue is a table of such definitions; a user's model will be the same
kind of data.
"""

from __future__ import annotations

from dataclasses import dataclass

from .expr import Apply, Expr, walk


@dataclass(frozen=True)
class Dim:
    """A symbolic dimension such as m (hidden units)."""

    name: str
    description: str
    times: tuple[int, str] | None = None
    """(k, base) for a dimension that is k times another (2*m for a CONCAT of two states)."""


@dataclass(frozen=True)
class Symbol:
    """A parameter, an input sequence or a label: its ASCII name, shape, LaTeX and meaning.

    ``shape`` names dimensions; an input's shape is that of one time step, and a
    label's single entry is the size of the set it ranges over (y in {1..K}).
    A ``per_step`` label is a sequence, one y^{(t)} per step.
    """

    name: str
    shape: tuple[str, ...]
    latex: str
    description: str
    per_step: bool = False
    lookahead: int = 0
    """An input sequence read this many steps beyond the last (a next-step target x_{N})."""


@dataclass(frozen=True)
class Definition:
    """``name = expr``: one equation of a step (for t = 1..n) or of the readout.

    An ``inline`` definition is an abbreviation (a^{(t)} for the pre-activation):
    it is printed by name but is not a node of the graph, so paths go through it.
    """

    name: str
    shape: tuple[str, ...]
    latex: str
    expr: Expr
    inline: bool = False
    backward: bool = False
    """Computed for t = n down to 1 (a backward state η^{(t)} reading η^{(t+1)})."""


ZERO = "0"
"""An initial state fixed at zero rather than given by a parameter."""


@dataclass(frozen=True)
class Model:
    """A recurrent network, its loss, and the notation of the source it follows."""

    name: str
    title: str
    source: str
    dims: tuple[Dim, ...]
    params: tuple[Symbol, ...]
    inputs: tuple[Symbol, ...]
    labels: tuple[Symbol, ...]
    initial: tuple[tuple[str, str], ...]
    step: tuple[Definition, ...]
    readout: tuple[Definition, ...]
    loss: str
    default_wrt: str
    suffix_letter: str = "A"
    transition_letter: str = "B"
    time_offset: int = 0
    """-1 when the source counts steps from 0 (h_0, ..., h_{N-1})."""
    time_style: str = "superscript"
    """How a time is written: "superscript" h^{(t)}, or "subscript" h_t."""
    generic_latex: str = "g"
    """How the source writes its generic transfer function (g, or σ)."""
    scalar: bool = False
    """Every value is a number (the graded homework's scalar network): no diag, no transposes, no ⊙ in the notation."""

    def symbol(self, name: str) -> Symbol | Definition:
        """The parameter, input, label or definition called ``name``."""
        for entry in self.params + self.inputs + self.labels + self.step + self.readout:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def initial_param(self, state: str) -> str | None:
        """The parameter that holds a state's value before the first step (h_0 for h), or ZERO, if any."""
        return dict(self.initial).get(state)

    def first_time(self) -> int:
        """The time of the first step, as the source writes it."""
        return 1 + self.time_offset

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.params)

    @property
    def functions(self) -> tuple[str, ...]:
        """The transfer functions its equations apply, in order of first use ("g" is the generic one)."""
        found: list[str] = []
        for item in walk(self.step + self.readout):
            if isinstance(item, Apply) and item.fn not in found:
                found.append(item.fn)
        return tuple(found)
