"""Jupyter: results display themselves (Markdown, display math only, a one-line repr), the %symrnn magic runs the
command line in the kernel, and the example notebook executes through nbconvert with every formula in its HTML."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import symrnn
from helpers import ok
from symrnn.notebook import display_math

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("make", [lambda: symrnn.derive("elman", 3), lambda: symrnn.document("elman", 3, check=True),
                                  lambda: symrnn.derive("gru", 2, wrt="all"),
                                  lambda: symrnn.document("gru", 2, wrt="all", check=True)],
                         ids=["derivation", "document", "gradient", "whole"])
def test_a_result_shows_itself_as_markdown_and_as_display_math_with_a_one_line_repr(make):
    result = make()
    assert len(repr(result)) < 100 and "\n" not in repr(result) and repr(result).startswith("<")
    markdown = result._repr_markdown_()
    assert markdown == symrnn.render(result, "markdown")
    latex = result._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.endswith("$$")
    outside = re.sub(r"\$\$.*?\$\$", "", latex, flags=re.S)
    assert outside.strip() == "", "display math only: no headings, lists or prose"
    assert latex.count("$$") == markdown.count("$$\n")


def test_display_math_keeps_only_the_displays():
    assert display_math("## T\n\nText $x$.\n\n$$\na\n$$\n\n- item\n\n$$\nb\n$$\n") == "$$a$$\n\n$$b$$"


@pytest.fixture
def shell():
    pytest.importorskip("IPython")
    from IPython.core.interactiveshell import InteractiveShell

    ipython = InteractiveShell.instance()
    ipython.run_line_magic("load_ext", "symrnn")
    yield ipython
    InteractiveShell.clear_instance()


def test_the_magic_shows_a_derivation_as_markdown(shell):
    from IPython.display import Markdown

    shown = shell.run_line_magic("symrnn", "derive -m elman -n 3 --check")
    assert isinstance(shown, Markdown)
    assert shown.data == ok("derive", "-m", "elman", "-n", "3", "--check", "-f", "markdown")
    gfm = shell.run_line_magic("symrnn", "derive -m elman -n 2 -f gfm")
    assert isinstance(gfm, Markdown) and "```math" in gfm.data


def test_the_magic_shows_pictures_and_prints_other_formats(shell, capsys):
    from IPython.display import SVG, Markdown

    picture = shell.run_line_magic("symrnn", "graph -m elman -n 2 -f mermaid")
    assert isinstance(picture, Markdown) and picture.data.startswith("```mermaid\nflowchart LR\n")
    assert shell.run_line_magic("symrnn", "derive -m elman -n 2 -f json") is None
    assert '"model": "elman"' in capsys.readouterr().out
    if shutil.which("dot"):
        assert isinstance(shell.run_line_magic("symrnn", "graph -m elman -n 2 -f svg"), SVG)


def test_the_magic_reports_an_error_in_one_line(shell, capsys):
    assert shell.run_line_magic("symrnn", "derive -m nosuchmodel -n 2") is None
    err = capsys.readouterr().err
    assert err.startswith("Error: ") and err.count("\n") == 1 and "nosuchmodel" in err


def test_the_example_notebook_executes_to_html_with_its_formulas(tmp_path):
    pytest.importorskip("nbconvert")
    pytest.importorskip("ipykernel")
    notebook = tmp_path / "derivations.ipynb"
    notebook.write_bytes((ROOT / "examples" / "notebook" / "derivations.ipynb").read_bytes())
    done = subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--execute", "--to", "html", notebook.name],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    html = (tmp_path / "derivations.html").read_text(encoding="utf-8")
    assert html.count(r"\frac{\partial o}{\partial W^{hx}}") >= 2  # the document's heading line and its sums
    assert r"\nabla_{h^{(2)}} o" in html, "the magic's factored GRU recursion"
    assert "flowchart LR" in html and "passed" in html
    assert "Traceback" not in html and "ename" not in html and "application/vnd.jupyter.stderr" not in \
        html.split("</style>")[-1]
