"""Markdown every renderer accepts: every formula symrnn's Markdown holds typesets with KaTeX (default settings),
MathJax 3 and MathJax 2 (run from Node, tests/mathjs), including the largest outputs; long displays are split at
row boundaries; gfm writes GitHub's math; headings are plain text; a Markdown page compiles through Pandoc."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import error_line, ok, run
from symrnn.api import document
from symrnn.catalogue import MODELS
from symrnn.rendering import DISPLAY_BUDGET, DISPLAY_ROWS, render, split_displays, to_gfm

HERE = Path(__file__).resolve().parent
MATHJS = HERE / "mathjs"
GOLDEN = HERE / "golden"
REQUIRE_MATHJS = os.environ.get("SYMRNN_REQUIRE_MATHJS") == "1"

LARGEST = (("lstm", 50, {}), ("gru", 50, {}), ("goodfellow", 20, {"form": "paths", "max_paths": 1000}),
           ("elman", 15, {"form": "paths", "max_paths": 1000}), ("stacked-birnn", 4, {"position": 2}))
"""The benchmark's largest outputs, and the paths whose single displays used to break KaTeX."""


def formulas(markdown: str) -> list[dict]:
    """Every display ($$ … $$) and every inline formula ($…$) of a Markdown text."""
    found = [{"tex": m.group(1), "display": True} for m in re.finditer(r"^\$\$\n(.*?)\n\$\$$", markdown, re.S | re.M)]
    text = re.sub(r"^\$\$\n.*?\n\$\$$", "", markdown, flags=re.S | re.M)
    text = re.sub(r"^```.*?^```$", "", text, flags=re.S | re.M)
    found += [{"tex": m.group(1), "display": False} for m in re.finditer(r"(?<!\$)\$([^$\n]+)\$", text)]
    return found


@cache
def every_markdown() -> dict[str, str]:
    """The golden Markdown files, every built-in model at n = 3 (with a check and worked numbers for one), and the
    largest outputs."""
    found = {path.name: path.read_text(encoding="utf-8") for path in sorted(GOLDEN.glob("*.md"))}
    for name in sorted(MODELS):
        found[f"{name}-n3"] = render(document(name, 3, figure=True), "markdown")
    found["elman-whole-checked"] = render(document("elman", 3, wrt="all", check=True, numbers=True,
                                                   activation="tanh"), "markdown")
    for name, steps, options in LARGEST:
        found[f"{name}-n{steps}"] = render(document(name, steps, **options), "markdown")
    return found


@pytest.fixture(scope="module")
def formula_file(tmp_path_factory) -> Path:
    unique = sorted({(f["tex"], f["display"]) for text in every_markdown().values() for f in formulas(text)})
    everything = [{"tex": tex, "display": display} for tex, display in unique]
    path = tmp_path_factory.mktemp("math") / "formulas.json"
    path.write_text(json.dumps(everything), encoding="utf-8")
    return path


@pytest.mark.parametrize("engine", ["katex", "mathjax3", "mathjax2"])
def test_every_formula_typesets_in_every_engine(engine, formula_file):
    node = shutil.which("node")
    if node is None or not (MATHJS / "node_modules" / "katex").is_dir():
        if REQUIRE_MATHJS:
            pytest.fail("SYMRNN_REQUIRE_MATHJS=1 but no node or no tests/mathjs/node_modules (npm ci there)")
        pytest.skip("KaTeX and MathJax are not installed (node, and npm ci in tests/mathjs)")
    count = len(json.loads(formula_file.read_text(encoding="utf-8")))
    assert count > 800
    done = subprocess.run([node, str(MATHJS / "typeset.mjs"), engine, str(formula_file)], capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:]
    assert f"{engine}: {count} of {count} typeset" in done.stdout


def test_the_engines_reject_what_they_should(tmp_path):
    """The harness can fail: one display of the whole LSTM recursion at n = 10, as symrnn used to write it, is
    too much for KaTeX and for MathJax 2; an undefined macro fails MathJax 3."""
    node = shutil.which("node")
    if node is None or not (MATHJS / "node_modules" / "katex").is_dir():
        pytest.skip("KaTeX and MathJax are not installed (node, and npm ci in tests/mathjs)")
    markdown = render(document("lstm", 10), "markdown")
    rows = [f["tex"].removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}")
            for f in formulas(markdown) if f["display"]]
    whole = "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"tex": whole, "display": True}, {"tex": r"\nosuchmacro x", "display": False}]))
    for engine, needle in (("katex", "Too many expansions"), ("mathjax2", "buffer size exceeded"),
                           ("mathjax3", "Undefined control sequence")):
        done = subprocess.run([node, str(MATHJS / "typeset.mjs"), engine, str(path)], capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 1 and needle in done.stdout, (engine, done.stdout)


def test_every_display_fits_the_budget():
    for name, text in every_markdown().items():
        for formula in formulas(text):
            if formula["display"] and formula["tex"].startswith("\\begin{aligned}"):
                rows = formula["tex"].count(" \\\\\n") + 1
                assert len(formula["tex"]) <= DISPLAY_BUDGET + 40 and rows <= DISPLAY_ROWS, (name, len(formula["tex"]))


ROW = st.sampled_from(["a", "b^{2}", r"\nabla_{h} L", r"D(a \rightarrow b)"]).map(lambda x: x * 3)


@given(st.lists(st.tuples(st.sampled_from(["lhs", "term", "continuation"]), ROW), min_size=1, max_size=60),
       st.integers(40, 400))
def test_splitting_keeps_every_row_in_order_and_never_opens_on_a_continuation(rows, budget):
    lines = []
    for kind, text in rows:
        if kind == "continuation" and lines:
            lines.append(r"&\qquad " + text)
        elif kind == "term" and lines:
            lines.append(r"&\quad + " + text)
        else:
            lines.append(text + " &= " + text)
    markdown = "Before.\n\n$$\n\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}\n$$\n\nAfter.\n"
    split = split_displays(markdown, budget)
    shown = [f["tex"] for f in formulas(split) if f["display"]]
    got = [row for tex in shown for row in tex.removeprefix("\\begin{aligned}\n").removesuffix("\n\\end{aligned}")
           .split(" \\\\\n")]
    assert got == lines
    assert all(not tex.startswith("\\begin{aligned}\n&\\qquad") for tex in shown)
    assert split.startswith("Before.\n\n$$\n") and split.endswith("$$\n\nAfter.\n")
    if len(markdown) < budget:
        assert split == markdown


def test_gfm_writes_githubs_math_and_leaves_code_alone():
    markdown = render(document("stacked-birnn", 2, figure=True, check=True), "markdown")
    gfm = render(document("stacked-birnn", 2, figure=True, check=True), "gfm")
    assert "$$" not in gfm and gfm.count("```math\n") == sum(f["display"] for f in formulas(markdown))
    inline = re.findall(r"(?<![`$])\$(?![`$])", gfm)
    assert inline == [], "every inline formula is $`…`$"
    assert "```mermaid\nflowchart LR\n" in gfm
    assert markdown.split("```mermaid")[1].split("```")[0] == gfm.split("```mermaid")[1].split("```")[0]
    assert to_gfm("Costs $x$ and $y^{2}$.\n\n$$\na\n$$\n") == "Costs $`x`$ and $`y^{2}`$.\n\n```math\na\n```\n"


def test_headings_are_plain_text_at_the_level_asked_and_a_page_has_a_title():
    markdown = ok("derive", "-m", "elman", "-n", "3", "-f", "markdown")
    heading = markdown.splitlines()[0]
    assert heading == "## Elman RNN (simple recurrent network): the derivative of o with respect to W_hx, n = 3"
    assert markdown.splitlines()[2] == r"$\frac{\partial o}{\partial W^{hx}}$ for $n = 3$."
    for text in every_markdown().values():
        for line in text.splitlines():
            if line.startswith("#"):
                assert "$" not in line and "\\" not in line, line
    third = ok("derive", "-m", "gru", "-n", "2", "--wrt", "all", "-f", "gfm", "--heading-level", "3")
    assert third.startswith("### Gated recurrent unit: the gradient of o, n = 2\n")
    page = ok("derive", "-m", "elman", "-n", "2", "-f", "markdown", "--standalone")
    assert page.startswith("# Elman RNN (simple recurrent network): gradients by backpropagation through time\n\n## ")
    assert "```mermaid" in page, "a page of n <= 6 carries its picture, as a standalone LaTeX document does"
    assert "no level above" in error_line(run("derive", "-m", "elman", "-n", "2", "-f", "markdown", "--standalone",
                                              "--heading-level", "1"))
    assert "JSON has no page" in error_line(run("derive", "-m", "elman", "-n", "2", "-f", "json", "--standalone"))


@pytest.mark.parametrize("name, steps, options", [("lstm", 20, {}), ("goodfellow", 8, {"form": "paths"}),
                                                  ("elman", 3, {"check": True, "numbers": True,
                                                                "activation": "tanh"})])
def test_a_markdown_page_compiles_through_pandoc_with_nothing_off_the_page(tmp_path, name, steps, options):
    pandoc = shutil.which("pandoc")
    if pandoc is None:
        if os.environ.get("SYMRNN_REQUIRE_PDFLATEX") == "1":
            pytest.fail("SYMRNN_REQUIRE_PDFLATEX=1 but no pandoc (apt-get install pandoc)")
        pytest.skip("pandoc is not installed")
    (tmp_path / "page.md").write_text(render(document(name, steps, **options), "markdown", standalone=True),
                                      encoding="utf-8")
    done = subprocess.run([pandoc, "page.md", "-s", "-o", "page.tex"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    latex = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "page.tex"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=300)
    log = (tmp_path / "page.log").read_text(errors="replace")
    assert latex.returncode == 0, log[-2000:]
    assert "Overfull \\vbox" not in log, "a display taller than the page"
