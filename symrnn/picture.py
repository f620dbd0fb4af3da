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


def layout(graph: Graph, wrt: str, loss: str, highlight: bool = True) -> Picture:
    """Where each node goes, and which edges lie on a path from ``wrt`` to ``loss`` (none, for a student's sheet,
    without ``highlight``: the paths are the question)."""
    graph.node(wrt)
    graph.node(loss)
    model, printer = graph.model, NotationPrinter(graph)
    rows = _rows(graph)
    shown = [node for node in graph.nodes if not isinstance(node.value, Param) or node.ident == wrt]
    idents = {node.ident for node in shown}
    arrows = [(e.source, e.target) for e in graph.edges if e.source in idents and e.target in idents]
    reach, back = _reachable(arrows, wrt), _reachable([(b, a) for a, b in arrows], loss)
    on_path = {ident for ident in idents if ident in reach and ident in back} if highlight else set()
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
    starts = _path_numbers(graph, wrt, loss) if highlight else {}
    drawn = tuple(Arrow(a, b, a in on_path and b in on_path, starts.get((a, b), "")) for a, b in arrows)
    left_out = [p for p in model.param_names if p != wrt]
    math = lambda ident: f"${printer.ident(ident)}$"  # noqa: E731 - a local alias
    caption = (f"The graph unrolled for $n = {graph.steps}$" + (
        f"; the paths from {math(wrt)} to {math(loss)} are drawn thick" if highlight else "") +
        (f"; the parameters {', '.join(map(math, left_out))} are not drawn." if left_out else "."))
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
    routes = _routes(picture, parameters)
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
        bend, route = routes[arrow.source, arrow.target]
        label = rf" node[pos=0.75, above, font=\scriptsize] {{{_dashes(arrow.numbers)}}}" if arrow.numbers else ""
        lines.append(rf"  \draw[{style}{bend}] {route.format(label=label)};")
    bottom = min(place.row for place in picture.places) - 0.8
    for column in range(1, picture.columns - 1):
        at = f"({column * COLUMN_CM:.1f}, {bottom * ROW_CM:.1f})"
        lines.append(rf"  \node[text=black!50, font=\footnotesize] at {at} {{${picture.step_title(column)}$}};")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines) + "\n"


BUS_CM, BUS_GAP_CM, LANE_CM, LANE_GAP_CM = 0.45, 0.15, 0.15, 0.1
"""How far right of its node a bus runs, how far apart two buses leaving one step run; the same for lanes."""

HALF_WIDTH, HALF_HEIGHT = 0.6 / COLUMN_CM, 0.35 / ROW_CM
"""Half a node's box (with a margin), in columns and rows."""


def _routes(picture: Picture, parameters: set[str]) -> dict[tuple[str, str], tuple[str, str]]:
    """How each edge between two drawn nodes runs, as (extra style, path with a {label} slot), so that no edge
    crosses a label: straight where nothing lies between; to a later step along a bus (out to the right, along a
    vertical line of the source's own, into the target from the left: a gated cell's h^{(t-1)} reaching every gate);
    within a step along a lane on the right (a gate skipping rows into c^{(t)}; targets lower down take the inner
    lanes), or for an input feeding several rows one lane on its left; along a row, an arc over the steps between."""
    where = {place.ident: place for place in picture.places}
    drawn = [a for a in picture.arrows if a.source not in parameters]
    # each edge within a step: whether a node lies between its ends (worked out once)
    within = {(a.source, a.target): _blocked(where[a.source], where[a.target], picture.places)
              for a in drawn if where[a.source].column == where[a.target].column}
    lane_rows: dict[int, set[int]] = {}
    for (start, end), blocked in within.items():
        if blocked and where[start].row != 0:
            lane_rows.setdefault(where[end].column, set()).add(where[end].row)
    bus_sources: dict[int, list[str]] = {}
    routes = {}
    for arrow in drawn:
        source, target = where[arrow.source], where[arrow.target]
        a, b = _name(arrow.source), _name(arrow.target)
        if source.column == target.column:
            if not within[arrow.source, arrow.target]:
                routes[arrow.source, arrow.target] = ("", f"({a}) to{{label}} ({b})")
            elif source.row == 0:
                routes[arrow.source, arrow.target] = ("", rf"({a}.west) -- ++(-{LANE_CM:.2f}, 0) |-{{label}} "
                                                          rf"([yshift=-4pt]{b}.west)")
            else:
                lane = sum(1 for row in lane_rows[target.column] if row < target.row)
                routes[arrow.source, arrow.target] = ("", rf"({a}.east) -- ++({LANE_CM + lane * LANE_GAP_CM:.2f}, 0) "
                                                          rf"|-{{label}} ([yshift=-4pt]{b}.east)")
        elif source.row == target.row or _row_blocked(source, target, picture.places):
            routes[arrow.source, arrow.target] = (_bend(source, target, picture.places), f"({a}) to{{label}} ({b})")
        else:
            leaving = bus_sources.setdefault(source.column, [])
            if arrow.source not in leaving:
                leaving.append(arrow.source)
            out = (BUS_CM + leaving.index(arrow.source) * BUS_GAP_CM) * (1 if target.column > source.column else -1)
            side, entry = ("east", "west") if target.column > source.column else ("west", "east")
            routes[arrow.source, arrow.target] = ("", rf"({a}.{side}) -- ++({out:.2f}, 0) |-{{label}} ({b}.{entry})")
    return routes


def _blocked(a: Place, b: Place, places: tuple[Place, ...]) -> bool:
    """Whether the straight line from a's centre to b's passes over a third node's box."""
    steps = 40 * (abs(a.column - b.column) + abs(a.row - b.row))
    for place in places:
        if place.ident in (a.ident, b.ident) or place.column == 0:
            continue
        for k in range(steps + 1):
            x, y = a.column + (b.column - a.column) * k / steps, a.row + (b.row - a.row) * k / steps
            if abs(x - place.column) < HALF_WIDTH and abs(y - place.row) < HALF_HEIGHT:
                return True
    return False


def _row_blocked(source: Place, target: Place, places: tuple[Place, ...]) -> bool:
    """Whether a bus's last leg, along the target's row, would pass over a node between the two steps."""
    low, high = sorted((source.column, target.column))
    return any(p.row == target.row and low < p.column < high and p.column != 0 for p in places)


def _bend(source: Place, target: Place, places: tuple[Place, ...]) -> str:
    """An edge along a row that passes over other steps (L^{(1)} → L) arcs over the nodes between, higher the
    farther it goes; any other edge goes straight."""
    if source.row == target.row and _blocked(source, target, places):
        return f", bend left={min(12 * abs(source.column - target.column), 50)}"
    return ""


def _dashes(numbers: str) -> str:
    """1-16 with TeX's en dash, 1--16."""
    return numbers.replace("-", "--")


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
