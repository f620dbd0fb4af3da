"""Pictures of the unrolled graph: the thick edges are exactly the edges of the paths, every writer names every node
it draws an edge to, TikZ compiles, dot renders, and documents carry the picture when asked (or by default)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers import compile_latex, error_line, ok, run
from symrnn.catalogue import MODELS, get_model
from symrnn.graph import unroll
from symrnn.paths import list_paths
from symrnn.picture import COLUMN_CM, ROW_CM, dot, layout, mermaid, tikz
from symrnn.picture import _name as tikz_name


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_thick_edges_are_the_edges_of_the_paths(name):
    model = get_model(name)
    graph = unroll(model, 3)
    picture = layout(graph, model.default_wrt, model.loss)
    on_paths = {(a, b) for path in list_paths(graph, model.default_wrt, model.loss) for a, b in zip(path, path[1:])}
    assert {(a.source, a.target) for a in picture.arrows if a.on_path} == on_paths
    assert {p.ident for p in picture.places if p.on_path} == {node for edge in on_paths for node in edge}
    text = mermaid(picture)
    declared = set(re.findall(r"^\s+(n_\w+)\[", text, re.M))
    linked = re.findall(r'^\s+(n_\w+) -->(?:\|"[\d, -]+"\|)? (n_\w+)$', text, re.M)
    assert len(linked) == len(picture.arrows) and {n for pair in linked for n in pair} <= declared
    styled = re.search(r"linkStyle ([\d,]+) ", text)
    assert styled is not None and len(styled.group(1).split(",")) == sum(a.on_path for a in picture.arrows)
    assert dot(picture).count("penwidth=2.5") == sum(a.on_path for a in picture.arrows)
    assert tikz(picture).count(r"\draw[->, on") == sum(a.on_path for a in picture.arrows)
    paths = list(list_paths(graph, model.default_wrt, model.loss))
    numbered = {number: arrow for arrow in picture.arrows for number in _numbers(arrow.numbers)}
    assert sorted(numbered) == list(range(1, len(paths) + 1))  # each path numbered once, on its first edge
    assert all(paths[n - 1][:2] == (arrow.source, arrow.target) for n, arrow in numbered.items())


@pytest.mark.parametrize("name", sorted(MODELS))
def test_no_straight_edge_runs_over_another_node(name):
    """A straight edge (no lane, bus or bend) between two nodes never passes over a third node's box, so no line
    crosses a label: a gated cell's h^{(t-1)} reaches its gates along a bus, a gate skipping rows along a lane."""
    model = get_model(name)
    picture = layout(unroll(model, 4), model.default_wrt, model.loss)
    straight = re.findall(r"\\draw\[->, (?:on|off)\] \((\w+)\) to(?: node[^(]*)? \((\w+)\);", tikz(picture))
    by_name = {tikz_name(place.ident): place for place in picture.places}
    assert straight, "some edges are straight"
    for source, target in straight:
        a, b = by_name[source], by_name[target]
        for place in picture.places:
            if place.ident not in (a.ident, b.ident) and place.column != 0:
                assert not _crosses(a, b, place), (name, a.ident, b.ident, place.ident)


def _crosses(a, b, box, half_width: float = 0.55 / COLUMN_CM, half_height: float = 0.3 / ROW_CM) -> bool:
    """Whether the segment from a's centre to b's passes through box's rectangle (in column/row units)."""
    for k in range(101):
        x = a.column + (b.column - a.column) * k / 100
        y = a.row + (b.row - a.row) * k / 100
        if abs(x - box.column) < half_width and abs(y - box.row) < half_height:
            return True
    return False


def test_the_steps_are_titled_as_the_model_counts_them():
    """Deng and Finlayson count from 0: the columns are t = 0, 1, not t = 1, 2."""
    picture = layout(unroll(get_model("deng"), 2), "W", "L")
    assert "$t = 0$" in tikz(picture) and "$t = 2$" not in tikz(picture)
    assert 'subgraph c1["t = 0"]' in mermaid(picture)
    assert "$t = 1$" in tikz(layout(unroll(get_model("elman"), 2), "W_hx", "o"))


def _numbers(text: str) -> list[int]:
    """1-4, 7 as [1, 2, 3, 4, 7]."""
    found = []
    for part in filter(None, text.split(", ")):
        first, _, last = part.partition("-")
        found += list(range(int(first), int(last or first) + 1))
    return found


@pytest.mark.parametrize("name, wrt", [("gru", "U_z"), ("stacked-birnn", "W_hx"), ("tagger", "W_by"),
                                       ("lstm-torch", "W_hf"), ("deng", "W"), ("scalar", "w_1")])
def test_a_standalone_picture_compiles(tmp_path, name, wrt):
    compile_latex(tmp_path, ok("graph", "-m", name, "-n", "4", "--wrt", wrt, "--standalone"))


def test_svg_goes_through_graphviz_or_names_the_package(monkeypatch):
    if shutil.which("dot"):
        svg = ok("graph", "-m", "gru", "-n", "2", "-f", "svg")
        assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    import symrnn.picture

    monkeypatch.setattr(symrnn.picture.shutil, "which", lambda name: None)
    line = error_line(run("graph", "-m", "gru", "-n", "2", "-f", "svg"))
    assert "needs Graphviz's dot" in line and "apt-get install graphviz" in line


def test_documents_carry_the_picture_when_asked_and_by_default_when_standalone(tmp_path):
    standalone = ok("derive", "-m", "elman", "-n", "3", "--standalone")
    assert r"\begin{tikzpicture}" in standalone and r"\usepackage{tikz,adjustbox}" in standalone
    compile_latex(tmp_path, standalone)
    assert r"\begin{tikzpicture}" not in ok("derive", "-m", "elman", "-n", "7", "--standalone")
    assert r"\begin{tikzpicture}" not in ok("derive", "-m", "elman", "-n", "3", "--standalone", "--no-figure")
    assert r"\begin{tikzpicture}" not in ok("derive", "-m", "elman", "-n", "3")
    assert r"\begin{tikzpicture}" in ok("derive", "-m", "elman", "-n", "3", "--figure")
    markdown = ok("derive", "-m", "gru", "-n", "2", "--figure", "-f", "markdown")
    assert "```mermaid\nflowchart LR\n" in markdown and "the paths from $U^{z}$ to $o$ are drawn thick" in markdown
    assert "--figure draws the paths of one --wrt NAME" in error_line(
        run("derive", "-m", "elman", "-n", "3", "--wrt", "all", "--figure"))
    assert "--standalone wraps TikZ" in error_line(run("graph", "-f", "dot", "--standalone"))


MERMAID = Path(__file__).resolve().parent / "mermaid"
REQUIRE_MERMAID = os.environ.get("SYMRNN_REQUIRE_MERMAID") == "1"
"""CI installs Mermaid's parser (npm ci in tests/mermaid) and sets this: missing, it is a failure, not a skip."""


def test_every_mermaid_flowchart_parses_with_mermaids_own_parser(tmp_path):
    node = shutil.which("node")
    if node is None or not (MERMAID / "node_modules" / "mermaid").is_dir():
        if REQUIRE_MERMAID:
            pytest.fail("SYMRNN_REQUIRE_MERMAID=1 but no node or no tests/mermaid/node_modules (npm ci there)")
        pytest.skip("Mermaid's parser is not installed (node, and npm ci in tests/mermaid)")
    files = []
    for name in sorted(MODELS):
        path = tmp_path / f"{name}.mmd"
        path.write_text(ok("graph", "-m", name, "-n", "3", "-f", "mermaid"), encoding="utf-8")
        files.append(path)
    markdown = ok("derive", "-m", "stacked-birnn", "-n", "2", "--figure", "-f", "markdown")
    block = markdown.split("```mermaid\n")[1].split("```")[0]
    (tmp_path / "figure.mmd").write_text(block, encoding="utf-8")
    files.append(tmp_path / "figure.mmd")
    parsed = subprocess.run([node, str(MERMAID / "parse.mjs"), *map(str, files)], capture_output=True, text=True,
                            timeout=300)
    assert parsed.returncode == 0, parsed.stderr
    (tmp_path / "broken.mmd").write_text("flowchart LR\n  a -->\n", encoding="utf-8")
    broken = subprocess.run([node, str(MERMAID / "parse.mjs"), str(tmp_path / "broken.mmd")], capture_output=True,
                            text=True, timeout=300)
    assert broken.returncode == 1 and "Parse error" in broken.stderr
