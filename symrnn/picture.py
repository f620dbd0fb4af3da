"""The unrolled computational graph as a picture: laid out by time step (columns) and role (rows), with the edges
of the paths from the variable to the loss highlighted.

``layout`` is pure data; ``tikz``, ``dot`` and ``mermaid`` write it in three languages (``svg`` runs Graphviz's dot
on the dot text). Rows, bottom to top: the inputs, then every state and per-step value in the order the model's step
defines them, then the readout; columns: the steps, with the readout after the last and the variable, when it is a
parameter, before the first (TikZ draws it instead as a short labelled arrow into each node that reads it).
Parameters other than the variable are left out: each would add an edge to every step.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass

from .errors import InputError
from .expr import Node, Param
from .graph import Graph
from .latex import NotationPrinter
from .paths import count_paths, list_paths

FORMATS = ("tikz", "dot", "mermaid", "svg")

HIGHLIGHT = "#c0392b"
"""The colour of the paths from the variable to the loss (a dark red that prints in grey scale as dark)."""


@dataclass(frozen=True)
class Place:
    """A node of the picture: its identifier, its LaTeX and plain labels, its column and row, and whether a path
    from the variable to the loss goes through it."""

    ident: str
    latex: str
    text: str
    column: int
    row: int
    on_path: bool


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    on_path: bool
    numbers: str = ""
    """On an edge leaving the variable: the numbers of the paths that begin with it, as the path form lists them
    (1-16, 20), when there are at most NUMBERED_PATHS paths."""


@dataclass(frozen=True)
class Picture:
    places: tuple[Place, ...]
    arrows: tuple[Arrow, ...]
    columns: int
    caption: str
    """What the picture shows and leaves out, with the model's symbols as LaTeX math."""
    first_step: int = 1
    """The time of the first column of steps, as the model counts (0 for a source that counts from 0)."""

    def step_title(self, column: int) -> str:
        return f"t = {column - 1 + self.first_step}"


def layout(graph: Graph, wrt: str, loss: str) -> Picture:
    """Where each node goes, and which edges lie on a path from ``wrt`` to ``loss``."""
    graph.node(wrt)
    graph.node(loss)
    model, printer = graph.model, NotationPrinter(graph)
    rows = _rows(graph)
    shown = [node for node in graph.nodes if not isinstance(node.value, Param) or node.ident == wrt]
    idents = {node.ident for node in shown}
    arrows = [(e.source, e.target) for e in graph.edges if e.source in idents and e.target in idents]
    reach, back = _reachable(arrows, wrt), _reachable([(b, a) for a, b in arrows], loss)
    on_path = {ident for ident in idents if ident in reach and ident in back}
    places = []
    for node in shown:
        value = node.value
        if isinstance(value, Param):
            column, row = 0, rows.get(_first_reader(graph, node.ident), 1)
        elif value.time is None:
            column, row = graph.steps + 1, rows[value.name]
        else:
            column, row = value.time, rows[value.name]
        latex = printer.symbol(value)
        places.append(Place(node.ident, latex, _plain(latex), column, row, node.ident in on_path))
    starts = _path_numbers(graph, wrt, loss)
    drawn = tuple(Arrow(a, b, a in on_path and b in on_path, starts.get((a, b), "")) for a, b in arrows)
    left_out = [p for p in model.param_names if p != wrt]
    math = lambda ident: f"${printer.ident(ident)}$"  # noqa: E731 - a local alias
    caption = (f"The graph unrolled for $n = {graph.steps}$; the paths from {math(wrt)} to {math(loss)} are drawn "
               f"thick" + (f"; the parameters {', '.join(map(math, left_out))} are not drawn." if left_out else "."))
    return Picture(tuple(places), drawn, graph.steps + 2, caption, 1 + model.time_offset)


NUMBERED_PATHS = 64
"""Up to this many paths (the path form's own bound) the edges leaving the variable carry the paths' numbers."""


def _path_numbers(graph: Graph, wrt: str, loss: str) -> dict[tuple[str, str], str]:
    """For each edge leaving ``wrt``, the numbers (in the path form's order) of the paths that begin with it."""
    if count_paths(graph, wrt, loss) > NUMBERED_PATHS:
        return {}
    starts: dict[tuple[str, str], list[int]] = {}
    for number, path in enumerate(list_paths(graph, wrt, loss), 1):
        starts.setdefault((path[0], path[1]), []).append(number)
    return {edge: _runs(numbers) for edge, numbers in starts.items()}


def _runs(numbers: list[int]) -> str:
    """1, 2, 3, 4, 7 as 1-4, 7 (a run of three or more joined)."""
    runs: list[list[int]] = []
    for number in numbers:
        if runs and number == runs[-1][-1] + 1:
            runs[-1].append(number)
        else:
            runs.append([number])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 2 else ", ".join(map(str, run)) for run in runs)


def _rows(graph: Graph) -> dict[str, int]:
    """Row of each name: inputs 0, then the step's values (not abbreviations) in order, then the readout."""
    model = graph.model
    names = [i.name for i in model.inputs] + [d.name for d in model.step if not d.inline]
    names += [d.name for d in model.readout if d.name not in names]
    return {name: row for row, name in enumerate(names)}


def _first_reader(graph: Graph, ident: str) -> str:
    """The name of the first node a parameter feeds (its row)."""
    for edge in graph.successors[ident]:
        target = graph.by_ident[edge.target].value
        return target.name if isinstance(target, Node) else ident
    return ident


def _reachable(arrows: list[tuple[str, str]], start: str) -> set[str]:
    following: dict[str, list[str]] = {}
    for a, b in arrows:
        following.setdefault(a, []).append(b)
    seen, pending = {start}, [start]
    while pending:
        for b in following.get(pending.pop(), ()):
            if b not in seen:
                seen.add(b)
                pending.append(b)
    return seen


def _plain(latex: str) -> str:
    """A label without TeX for Mermaid and dot: h^{(2)} as h(2), W^{hx} as W^hx, \\eta as η."""
    text = latex
    for command, letter in _GREEK.items():
        text = text.replace(command, letter)
    for accent, mark in _ACCENTS.items():
        text = re.sub(rf"\\{accent}\{{([^{{}}]*)\}}", mark.format(r"\1"), text)
    text = text.replace("^{(", "(").replace(")}", ")").replace("_{", "_").replace("^{", "^")
    return re.sub(r"[{}\\]", "", text)


_ACCENTS = {"overrightarrow": "→{}", "overleftarrow": "←{}", "tilde": "{}\u0303", "hat": "{}\u0302",
            "bar": "{}\u0304", "mathrm": "{}", "operatorname": "{}"}
"""How an accent over a letter is written without TeX: h̃, ŷ, ā, →h, ←h."""

_GREEK = {r"\alpha": "α", r"\beta": "β", r"\gamma": "γ", r"\eta": "η", r"\sigma": "σ", r"\mu": "μ"}


# ---------------------------------------------------------------- writers

COLUMN_CM, ROW_CM = 2.4, 1.4


def tikz(picture: Picture) -> str:
    """A tikzpicture (needs \\usepackage{tikz}): explicit coordinates, the paths thick and coloured. A parameter is
    drawn where it is read, as a short labelled arrow into each node that reads it (one box at the side with an
    arc to every step would cross the whole picture)."""
    lines = [r"\begin{tikzpicture}[>=stealth, every node/.style={inner sep=2pt, font=\small},",
             r"  var/.style={draw, rounded corners=2pt, minimum width=1.1cm, minimum height=0.6cm},",
             rf"  on/.style={{draw={_tikz_colour()}, very thick}}, off/.style={{draw=black!35}}]"]
    parameters = {place.ident for place in picture.places if place.column == 0}
    for place in picture.places:
        if place.ident in parameters:
            continue
        style = "var, on" if place.on_path else "var, off"
        lines.append(rf"  \node[{style}] ({_name(place.ident)}) at ({place.column * COLUMN_CM:.1f}, "
                     rf"{place.row * ROW_CM:.1f}) {{${place.latex}$}};")
    where = {place.ident: place for place in picture.places}
    buses, lanes = _buses(picture, parameters), _lanes(picture)
    for arrow in sorted(picture.arrows, key=lambda a: a.on_path):  # the paths drawn last, over the rest
        style = "->, on" if arrow.on_path else "->, off"
        if arrow.source in parameters:
            label = rf"node[pos=0, left, inner sep=1pt, font=\footnotesize] {{${where[arrow.source].latex}$}}"
            if arrow.numbers:
                label += (rf" node[pos=0.45, above, sloped, inner sep=1pt, font=\scriptsize] "
                          rf"{{{_dashes(arrow.numbers)}}}")
            lines.append(rf"  \draw[{style}] ([xshift=-0.75cm, yshift=-0.25cm]{_name(arrow.target)}.south west) "
                         rf"-- ({_name(arrow.target)}.south west) {label};")
            continue
        source, target = _name(arrow.source), _name(arrow.target)
        if arrow.source in buses and where[arrow.source].row != where[arrow.target].row:
            label = rf" node[pos=0.75, above, font=\scriptsize] {{{_dashes(arrow.numbers)}}}" if arrow.numbers else ""
            lines.append(rf"  \draw[{style}] {buses[arrow.source]}{label} ({target}.west);")
            continue
        if (arrow.source, arrow.target) in lanes:
            lines.append(rf"  \draw[{style}] {lanes[arrow.source, arrow.target]};")
            continue
        style += _bend(where[arrow.source], where[arrow.target])
        label = rf" node[midway, above, sloped, font=\scriptsize] {{{_dashes(arrow.numbers)}}}" if arrow.numbers else ""
        lines.append(rf"  \draw[{style}] ({source}) to{label} ({target});")
    bottom = min(place.row for place in picture.places) - 0.8
    for column in range(1, picture.columns - 1):
        at = f"({column * COLUMN_CM:.1f}, {bottom * ROW_CM:.1f})"
        lines.append(rf"  \node[text=black!50, font=\footnotesize] at {at} {{${picture.step_title(column)}$}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"


BUS_CM, BUS_GAP_CM = 0.45, 0.15
"""How far right of its node a bus runs down, and how far apart two buses leaving one step run."""


def _buses(picture: Picture, parameters: set[str]) -> dict[str, str]:
    """The start of the path of each node that feeds nodes of the next step in other rows (a gated cell's h^{(t-1)}
    feeds every gate of step t): out to the right, then down or up a vertical line of its own (a bus) and into
    each reader from the left, so no edge crosses a label. The path ends in ``|-``, ready for the target."""
    where = {place.ident: place for place in picture.places}
    sources = sorted({a.source for a in picture.arrows if a.source not in parameters
                      and where[a.target].column == where[a.source].column + 1
                      and where[a.target].row != where[a.source].row}, key=lambda i: (where[i].column, -where[i].row))
    found: dict[str, str] = {}
    for ident in sources:
        shared = sum(1 for other in found if where[other].column == where[ident].column)
        found[ident] = rf"({_name(ident)}.east) -- ++({BUS_CM + shared * BUS_GAP_CM:.2f}, 0) |-"
    return found


LANE_CM, LANE_GAP_CM = 0.15, 0.1
"""How far right of a step's nodes its first lane runs, and how far apart its lanes run."""


def _lanes(picture: Picture) -> dict[tuple[str, str], str]:
    """The path of each edge within a step that passes over nodes between (an LSTM's gate i^{(t)} into c^{(t)}):
    out to the right, along a vertical lane of its target's, and into the target's right side a little low, so it
    crosses no label. Targets lower down take the inner lanes, so no lane crosses another's end. An input that
    feeds several rows (x^{(t)} into every gate) runs up one lane on the left instead, into each reader's left side."""
    where = {place.ident: place for place in picture.places}
    skipping = [a for a in picture.arrows if where[a.source].column == where[a.target].column
                and abs(where[a.source].row - where[a.target].row) > 1 and where[a.source].column > 0]
    found = {(a.source, a.target): rf"({_name(a.source)}.west) -- ++(-{LANE_CM:.2f}, 0) |- "
                                   rf"([yshift=-4pt]{_name(a.target)}.west)"
             for a in skipping if where[a.source].row == 0}
    skipping = [a for a in skipping if where[a.source].row != 0]
    for arrow in skipping:
        column, row = where[arrow.target].column, where[arrow.target].row
        lane = len({where[a.target].row for a in skipping if where[a.target].column == column
                    and where[a.target].row < row})
        out = LANE_CM + lane * LANE_GAP_CM
        found[arrow.source, arrow.target] = (rf"({_name(arrow.source)}.east) -- ++({out:.2f}, 0) |- "
                                             rf"([yshift=-4pt]{_name(arrow.target)}.east)")
    return found


def _dashes(numbers: str) -> str:
    """1-16 with TeX's en dash, 1--16."""
    return numbers.replace("-", "--")


def _bend(source: Place, target: Place) -> str:
    """Curves that keep edges off one another: an edge to another row and step bends a little; one along a row
    that passes over other steps (L^{(1)} → L) arcs over the nodes between, higher the farther it goes."""
    if source.row != target.row and source.column != target.column:
        return ", bend left=8"
    if abs(source.column - target.column) > 1:
        return f", bend left={min(12 * abs(source.column - target.column), 50)}"
    return ""


def _tikz_colour() -> str:
    red, green, blue = (int(HIGHLIGHT[i:i + 2], 16) for i in (1, 3, 5))
    return f"{{rgb,255:red,{red};green,{green};blue,{blue}}}"


def dot(picture: Picture) -> str:
    """Graphviz dot: one rank per step, left to right; the paths thick and coloured."""
    lines = ["digraph unrolled {", "  rankdir=LR; node [shape=box, style=rounded, fontname=Helvetica];",
             "  edge [color=gray60];"]
    for column in range(picture.columns):
        members = [p for p in picture.places if p.column == column]
        if members:
            lines.append("  { rank=same; " + " ".join(_name(p.ident) for p in members) + " }")
    for place in picture.places:
        colour = f', color="{HIGHLIGHT}", penwidth=2' if place.on_path else ""
        lines.append(f'  {_name(place.ident)} [label="{place.text}"{colour}];')
    for arrow in picture.arrows:
        attributes = ([f'color="{HIGHLIGHT}", penwidth=2.5'] if arrow.on_path else []) + (
            [f'label="{arrow.numbers}", fontsize=9'] if arrow.numbers else [])
        lines.append(f"  {_name(arrow.source)} -> {_name(arrow.target)}"
                     + (f" [{', '.join(attributes)}]" if attributes else "") + ";")
    lines.append("}")
    return "\n".join(lines) + "\n"


def mermaid(picture: Picture) -> str:
    """A Mermaid flowchart (GitHub, MkDocs Material and JupyterLab render it): a box per step, left to right."""
    lines = ["flowchart LR"]
    for column in range(picture.columns):
        members = [p for p in picture.places if p.column == column]
        if not members:
            continue
        title = ("parameter" if column == 0 else "readout" if column == picture.columns - 1
                 else picture.step_title(column))
        lines.append(f'  subgraph c{column}["{title}"]')
        lines += [f'    {_name(p.ident)}["{p.text}"]' for p in sorted(members, key=lambda p: -p.row)]
        lines.append("  end")
    lines += [f"  {_name(a.source)} -->{f'|{_mermaid_text(a.numbers)}|' if a.numbers else ''} {_name(a.target)}"
              for a in picture.arrows]
    highlighted = [str(i) for i, arrow in enumerate(picture.arrows) if arrow.on_path]
    if highlighted:
        lines.append(f"  linkStyle {','.join(highlighted)} stroke:{HIGHLIGHT},stroke-width:3px")
    on = [_name(p.ident) for p in picture.places if p.on_path]
    if on:
        lines.append(f"  classDef onpath stroke:{HIGHLIGHT},stroke-width:3px")
        lines.append(f"  class {','.join(on)} onpath")
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    """A link label Mermaid reads as text (numbers with commas, quoted)."""
    return f'"{text}"'


def svg(picture: Picture) -> str:
    """The picture as SVG, through Graphviz's dot, or an InputError naming the package to install."""
    found = shutil.which("dot")
    if found is None:
        raise InputError("-f svg needs Graphviz's dot, which is not installed (Debian: apt-get install graphviz; "
                         "macOS: brew install graphviz); -f dot writes the file dot reads")
    done = subprocess.run([found, "-Tsvg"], input=dot(picture), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise InputError(f"Graphviz's dot failed: {' '.join(done.stderr.split())[:300]}")
    return done.stdout


WRITERS = {"tikz": tikz, "dot": dot, "mermaid": mermaid, "svg": svg}


def _name(ident: str) -> str:
    """An identifier every language accepts: h[2] as h_2_, W_hx as W_hx."""
    return "n_" + re.sub(r"[^A-Za-z0-9_]", "_", ident)
