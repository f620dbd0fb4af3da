"""Rendered output: golden files, and every standalone document through a real pdflatex.

Regenerate the golden files after an intended change, then review the diff:

    SYMRNN_REGENERATE=1 python -m pytest tests/test_rendering.py
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import ELMAN_PARAMETERS, REGENERATE, VALUES, compile_latex
from symrnn.api import document
from symrnn.catalogue import MODELS, get_model
from symrnn.cli import cli
from symrnn.errors import InputError
from symrnn.graph import unroll
from symrnn.paths import count_paths
from symrnn.rendering import MAX_TEMPLATE_ITEMS, Sandbox, digits, render

GOLDEN = Path(__file__).parent / "golden"

GOLDEN_CASES = {
    "elman-n3.tex": dict(fmt="latex", standalone=False, options={}),
    "elman-n3-document.tex": dict(fmt="latex", standalone=True, options={}),
    "elman-n3.md": dict(fmt="markdown", standalone=False, options={}),
    "elman-n3.json": dict(fmt="json", standalone=False, options={}),
    "elman-n3-tanh-at.md": dict(fmt="markdown", standalone=False,
                                options={"activation": "tanh", "values": VALUES}),
    "elman-n5-W_hh-relu.md": dict(fmt="markdown", standalone=False,
                                  options={"steps": 5, "wrt": "W_hh", "activation": "relu"}),
    "elman-n3-all.tex": dict(fmt="latex", standalone=False, options={"wrt": "all"}),
    "elman-n3-all.json": dict(fmt="json", standalone=False, options={"wrt": "all"}),
}


def rendered(fmt: str, standalone: bool, options: dict) -> str:
    """What ``symrnn derive --model elman`` prints for these options."""
    settings = {"steps": 3, **options}
    return render(document("elman", **settings), fmt, standalone)


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_output_equals_golden_file(name):
    text = rendered(**GOLDEN_CASES[name])
    golden = GOLDEN / name
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {name}: run SYMRNN_REGENERATE=1 python -m pytest tests/test_rendering.py"
    assert text == golden.read_text(encoding="utf-8")


def test_json_carries_the_contract_keys():
    data = json.loads(rendered("json", False, {}))
    assert {"model", "steps", "wrt", "loss", "path_count", "paths", "gradient", "value", "check"} <= set(data)
    assert data["path_count"] == len(data["paths"]) == 3
    assert data["paths"][2]["nodes"] == ["W_hx", "h[3]", "l", "q", "o"]
    assert all(path["latex"] for path in data["paths"])
    assert data["gradient"]["latex"] and data["value"] is None and data["check"] is None


def test_output_names_no_sympy_internals():
    for wrt in ELMAN_PARAMETERS:
        text = rendered("latex", True, {"steps": 4, "wrt": wrt})
        for internal in ("PermuteDims", "ArrayDiagonal", "DiagMatrix", "ArrayContraction", "Dummy", "MatrixSymbol"):
            assert internal not in text


COMPILED = [
    (1, "W_hx", "g", False, False),
    (2, "h_0", "sigmoid", False, False),
    (3, "W_hx", "g", True, False),
    (3, "W_hh", "tanh", True, True),
    (3, "b_h", "relu", False, True),
    (4, "b_h", "relu", False, False),
    (5, "V", "identity", True, False),
    (6, "gamma", "tanh", False, False),
    (8, "W_hx", "relu", True, False),
    (8, "x[3]", "g", False, False),
    (12, "W_hh", "tanh", False, False),
]


@pytest.mark.parametrize("steps, wrt, activation, check, at", COMPILED)
def test_standalone_document_compiles(tmp_path, steps, wrt, activation, check, at):
    doc = document("elman", steps, wrt=wrt, activation=activation, check=check, values=VALUES if at else None)
    compile_latex(tmp_path, render(doc, "latex", standalone=True))


@pytest.mark.parametrize("steps", range(1, 6))
@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_model_compiles_up_to_five_steps(tmp_path, name, steps):
    compile_latex(tmp_path, render(document(name, steps), "latex", standalone=True))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_every_parameter_of_every_model_compiles_with_its_check(tmp_path, name):
    for wrt in get_model(name).param_names:
        if count_paths(unroll(get_model(name), 2), wrt, get_model(name).loss):
            compile_latex(tmp_path, render(document(name, 2, wrt=wrt, check=True), "latex", standalone=True))


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_shaped_gradient_reads_in_formulas_and_defined_letters_with_no_lone_factor(name):
    """In the variable's shape every factor is a formula or a shorthand the Jacobians section defines, never a
    transposed D(a → b) beside an expanded diag (the two-level bidirectional RNN mixed them), and no broken line
    holds a factor alone (a lone x^{(1)⊤})."""
    model = get_model(name)
    wrt = next((p.name for p in model.params if len(p.shape) == 2), model.default_wrt)
    markdown = render(document(name, 3, wrt=wrt, position=2 if "birnn" in name or name == "tagger" else None),
                      "markdown")
    if model.scalar:  # a scalar network's gradient has no shape to put it in
        assert "In the shape of" not in markdown
        return
    shaped = markdown.split("**In the shape of")[1].split("$$")[1]
    assert r"\rightarrow" not in shaped, shaped
    for line in shaped.splitlines():
        if line.startswith(r"&\qquad"):
            assert r"\, " in line, line


def test_long_counts_are_grouped_in_threes_and_may_break():
    assert digits(7) == "7" and digits(4096) == "4096"
    assert digits(1234567).split(r"\hspace{0.16667em plus 0.16667em}") == ["1", "234", "567"]
    assert digits(123456).split(r"\hspace{0.16667em plus 0.16667em}") == ["123", "456"]


def test_a_count_of_over_a_hundred_digits_stays_inside_the_margin(tmp_path):
    doc = document("gru", 200)
    assert len(str(doc.path_count)) > 100
    compile_latex(tmp_path, render(doc, "latex", standalone=True))


# ---------------------------------------------------------------- user templates are input: sandboxed, one-line errors


def template_error(folder: Path, *args: str) -> str:
    """The one error line of ``symrnn derive -n 2 --template-dir FOLDER ARGS``, after checking the contract:
    status 2, nothing on stdout, one line on stderr that names a template, no traceback."""
    result = CliRunner().invoke(cli, ["derive", "-n", "2", "--template-dir", str(folder), *args], prog_name="symrnn")
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: template "), result.stderr
    return lines[0]


def write(folder: Path, files: dict[str, str | bytes]) -> None:
    for name, content in files.items():
        (folder / name).write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))


BAD_TEMPLATES = [
    # (id, files in --template-dir, words the error line must contain)
    ("syntax", {"derivation.tex.j2": "ok\n((* for x in *))\n"}, ["derivation.tex.j2, line 2", "syntax error"]),
    ("undefined", {"derivation.tex.j2": "((( doc.no_such_field )))"}, ["derivation.tex.j2, line 1", "no_such_field"]),
    ("missing-include", {"derivation.tex.j2": "\n((* include 'absent.j2' *))"},
     ["derivation.tex.j2, line 2", "no such template", "absent.j2", "--template-dir"]),
    ("zero-division", {"derivation.tex.j2": "x\n((( 1 // 0 )))\n"}, ["derivation.tex.j2, line 2", "ZeroDivisionError"]),
    ("type-error", {"derivation.tex.j2": "((( '%d' % 'x' )))"}, ["derivation.tex.j2, line 1", "TypeError"]),
    ("error-in-include", {"derivation.tex.j2": "((* include 'part.j2' *))", "part.j2": "\n\n((( 1 / 0 )))"},
     ["part.j2, line 3", "ZeroDivisionError"]),
    ("self-include", {"derivation.tex.j2": "((* include 'derivation.tex.j2' *))"},
     ["derivation.tex.j2, line 1", "recursion too deep", "includes or extends itself"]),
    ("self-extends", {"derivation.tex.j2": "((* extends 'derivation.tex.j2' *))"},
     ["derivation.tex.j2", "recursion too deep"]),
    ("recursive-macro", {"derivation.tex.j2": "((* macro f() *))((( f() )))((* endmacro *))\n((( f() )))"},
     ["derivation.tex.j2, line 1", "recursion too deep", "macro calls itself"]),
    ("not-utf-8", {"derivation.tex.j2": b"fine\nlatin-1 \xe9\n"},
     ["derivation.tex.j2, line 2", "not UTF-8", "0xe9", "save it as UTF-8"]),
    ("included-not-utf-8", {"derivation.tex.j2": "((* include 'part.j2' *))", "part.j2": b"\n\n\xff"},
     ["part.j2, line 3", "not UTF-8"]),
    ("repetition", {"derivation.tex.j2": "((( 'a' * 10**10 )))"}, ["derivation.tex.j2, line 1", "unsafe", "'*'"]),
    ("list-repetition", {"derivation.tex.j2": "((( [0] * 10**8 )))"}, ["unsafe", "10,000,000"]),
    ("power", {"derivation.tex.j2": "((( (9**9) ** (9**9) )))"}, ["derivation.tex.j2, line 1", "unsafe", "'**'"]),
    ("product", {"derivation.tex.j2": "((* set x = 2**20000000 *))((( x * x )))"}, ["unsafe", "'*'"]),
    ("mutation", {"derivation.tex.j2": "((( [1].append(2) )))"}, ["unsafe", "'append'"]),
    ("range", {"derivation.tex.j2": "((( range(10**6) | list )))"}, ["OverflowError", "MAX_RANGE"]),
]


@pytest.mark.parametrize("files, needles", [case[1:] for case in BAD_TEMPLATES],
                         ids=[case[0] for case in BAD_TEMPLATES])
def test_a_bad_template_is_one_error_line_with_status_2(tmp_path, files, needles):
    write(tmp_path, files)
    line = template_error(tmp_path)
    assert all(needle in line for needle in needles), line


@pytest.mark.parametrize("escape", [
    "cycler.__init__.__globals__.os.popen('touch {marker}').read()",
    "lipsum.__globals__['os'].mkdir('{marker}')",
    "self._TemplateReference__context.cycler.__init__.__globals__.os.mkdir('{marker}')",
])
def test_the_sandbox_stops_a_template_from_running_code(tmp_path, escape):
    marker = tmp_path / "escaped"
    write(tmp_path, {"derivation.tex.j2": "before\n((( " + escape.format(marker=marker) + " )))\n"})
    line = template_error(tmp_path)
    assert "derivation.tex.j2, line 2: unsafe" in line and "sandbox" in line, line
    assert not marker.exists()


def test_repetition_up_to_the_limit_is_allowed_and_one_more_is_not(tmp_path):
    write(tmp_path, {"derivation.tex.j2": f"((( ('ab' * {MAX_TEMPLATE_ITEMS // 2}) | length ))) ((( 2 ** 64 )))"})
    assert CliRunner().invoke(cli, ["derive", "--template-dir", str(tmp_path)]).stdout == \
        f"{MAX_TEMPLATE_ITEMS} 18446744073709551616"
    write(tmp_path, {"derivation.tex.j2": f"((( 'ab' * {MAX_TEMPLATE_ITEMS // 2 + 1} )))"})
    assert "unsafe" in template_error(tmp_path)


def test_a_file_that_cannot_be_read_is_named(tmp_path, monkeypatch):
    write(tmp_path, {"derivation.tex.j2": "mine"})
    read_bytes = Path.read_bytes

    def denied(path: Path) -> bytes:
        if path.parent == tmp_path:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", denied)
    line = template_error(tmp_path)
    assert "derivation.tex.j2: cannot read it (PermissionError: Permission denied)" in line, line


def test_a_folder_named_like_a_template_is_an_error_not_a_silent_fallback(tmp_path):
    (tmp_path / "derivation.tex.j2").mkdir()
    line = template_error(tmp_path)
    assert "derivation.tex.j2: cannot read it (IsADirectoryError" in line, line


def test_running_out_of_memory_in_a_template_is_one_line(tmp_path, monkeypatch):
    def exhausted(*args):
        raise MemoryError()

    monkeypatch.setattr(Sandbox, "call_binop", exhausted)
    write(tmp_path, {"derivation.tex.j2": "\n((( 2 * 3 )))"})
    assert "derivation.tex.j2, line 2: out of memory" in template_error(tmp_path)


def test_a_bad_template_is_an_input_error_at_the_api(tmp_path):
    write(tmp_path, {"derivation.md.j2": "((( 1 // 0 )))"})
    with pytest.raises(InputError) as caught:
        render(document("elman", 2), "markdown", template_dir=str(tmp_path))
    assert caught.value.exit_code == 2 and "\n" not in str(caught.value)
    assert "derivation.md.j2, line 1: ZeroDivisionError" in str(caught.value)


@pytest.mark.parametrize("fmt, standalone, needles", [
    ("docx", False, ["'docx'", "latex, markdown, gfm, json"]),
    (None, False, ["None", "latex, markdown, gfm, json"]),
    ("latex", "yes", ["standalone", "'yes'"]),
    ("json", True, ["JSON has no page"]),
])
def test_render_refuses_an_unknown_format_or_a_standalone_that_is_not_a_bool(fmt, standalone, needles):
    with pytest.raises(InputError) as caught:
        render(document("elman", 2), fmt, standalone)
    assert caught.value.exit_code == 2 and all(needle in str(caught.value) for needle in needles), caught.value


def test_a_user_template_may_extend_and_override_blocks(tmp_path):
    write(tmp_path, {
        "base.j2": "head\n((* block body *))shipped body\n((* endblock *))tail ((( doc.steps )))\n",
        "derivation.md.j2": "((* extends 'base.j2' *))((* block body *))((( doc.path_count ))) paths, "
                            "((( super() | trim )))\n((* endblock *))",
        # a user's file may extend the shipped template of another name
        "derivation.tex.j2": "((* extends 'derivation.md.j2' *))",
    })
    def run(*args: str):
        return CliRunner().invoke(cli, ["derive", "-n", "3", "--template-dir", str(tmp_path), *args])
    assert run("-f", "markdown").stdout == "head\n3 paths, shipped body\ntail 3\n"
    assert run().stdout == run("-f", "markdown").stdout
    shipped = CliRunner().invoke(cli, ["derive", "-n", "3", "-f", "markdown"]).stdout
    (tmp_path / "derivation.md.j2").unlink()
    assert run().stdout == shipped and run().exit_code == 0


def test_a_user_template_extends_a_shipped_one_and_overrides_one_block(tmp_path):
    """templates/default/ is searched as default/…: a user's derivation.tex.j2 that extends the shipped one and
    replaces its check block gives the shipped output with only that block changed."""
    write(tmp_path, {"derivation.tex.j2": "((* extends 'default/derivation.tex.j2' *))"
                                          "((* block check *))\\paragraph{Checked.} See the appendix.\n"
                                          "((* endblock *))"})
    args = ["derive", "-n", "3", "--check"]
    shipped = CliRunner().invoke(cli, args).stdout
    mine = CliRunner().invoke(cli, args + ["--template-dir", str(tmp_path)]).stdout
    head = shipped[:shipped.index("\n\\paragraph{Check.}")]  # the block starts with the blank line before it
    assert mine == head + "\\paragraph{Checked.} See the appendix.\n"


def test_a_standalone_document_takes_a_preamble_of_ones_own(tmp_path):
    write(tmp_path, {"document.tex.j2": "((* extends 'default/document.tex.j2' *))((* block preamble *))"
                                        "((( super() )))\\usepackage{bm}\n((* endblock *))"})
    shipped = CliRunner().invoke(cli, ["derive", "-n", "2", "--standalone"]).stdout
    mine = CliRunner().invoke(cli, ["derive", "-n", "2", "--standalone", "--template-dir", str(tmp_path)]).stdout
    assert mine == shipped.replace("\\date{}\n", "\\date{}\n\\usepackage{bm}\n")


def test_the_shipped_templates_are_found_from_a_checkout_that_is_not_installed(monkeypatch):
    """``python -m symrnn`` at the root of a checkout imports the checkout's package, which has no
    symrnn.templates: the templates are then read from the checkout's templates/."""
    import symrnn.rendering as render_module
    import symrnn.resources

    def missing(name: str):
        raise ModuleNotFoundError(name)

    monkeypatch.setattr(symrnn.resources, "files", missing)
    root = render_module.builtin_templates()
    assert root == Path(__file__).resolve().parent.parent / "templates"
    assert (root / "default" / "derivation.tex.j2").is_file()


def test_the_wheel_ships_the_templates(tmp_path):
    built = subprocess.run(["pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path),
                            str(Path(__file__).resolve().parent.parent)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr
    import zipfile

    names = zipfile.ZipFile(next(tmp_path.glob("symrnn-*.whl"))).namelist()
    shipped = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "templates" / "default").glob("*.j2"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("symrnn/templates/default/")) == shipped
    models = sorted(p.name for p in (Path(__file__).resolve().parent.parent / "catalogue").glob("*.yaml"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.startswith("symrnn/catalogue_files/")
                  and n.endswith(".yaml")) == models


@pytest.mark.parametrize("name", sorted(MODELS))
def test_no_document_holds_a_command_line_or_a_seed(name):
    """A document is read by students: no command lines and no "seed" (the check names its random draw), in every
    form and format; the only mention of symrnn is the generating comment or the author line."""
    texts = [render(document(name, 2, form=form, check=True), fmt, standalone)
             for form in ("paths", "factored") for fmt in ("latex", "markdown") for standalone in (False, True)
             if fmt == "latex" or not standalone]
    texts.append(render(document(name, 2, wrt="all", check=True), "latex", True))
    for text in texts:
        assert "seed" not in text.lower()
        for line in text.splitlines():
            if "symrnn" in line:
                assert line.startswith(r"% Generated by symrnn") or line.startswith(r"\author{symrnn"), line


GLITCHES = [
    # (id, symrnn derive arguments, what the document must hold, what it must not)
    ("scalar-factor-first", ["-m", "deng", "-n", "6", "--form", "factored"], r"&= 2\, (o_{5} - x_{6})",
     r"(o_{5} - x_{6})\, 2"),
    ("power", ["-m", "scalar", "-n", "3", "-g", "relu-active"], r"v\, u^{2}\, x_{1}^{(1)}", r"u\, u"),
    ("scalar-multiple-first", ["-m", "leaky", "-n", "4", "--wrt", "u[1]", "--form", "factored"],
     r"(\alpha I_{m} + (1 - \alpha)\, W^{\top}", r"\, (1 - \alpha))"),
    ("gradient-heading", ["-m", "scalar", "-n", "3", "--wrt", "all", "-g", "relu-active", "--standalone"],
     r"\paragraph{The gradient.} One parameter at a time: one", "The gradient}, one"),
    ("one-step-sum", ["-m", "deng", "-n", "1"], r"L &= \lVert x_{1} - o_{0} \rVert^{2}", r"\sum_{t=0}^{0}"),
    ("numbers-in-text", ["-m", "elman", "-n", "2", "--check"], r"tolerance $10^{-6}$; passed", "e-0"),
    ("scalar-words", ["-m", "scalar", "-n", "2", "--check"], r"$z\,(1 - z)$", "elementwise"),
    ("scalar-shape", ["-m", "scalar", "-n", "2"], r"\paragraph{Expanded.}", "In the shape of"),
]


@pytest.mark.parametrize("arguments, holds, lacks", [g[1:] for g in GLITCHES], ids=[g[0] for g in GLITCHES])
def test_a_glitch_of_the_worked_solutions_stays_fixed(arguments, holds, lacks):
    from helpers import ok

    text = ok("derive", *arguments)
    assert holds in text and lacks not in text.split(r"\begin{tabular}")[0]


def test_no_factor_stands_alone_on_the_last_line_of_a_term():
    from helpers import ok

    text = ok("derive", "-m", "stacked-birnn", "-n", "3", "--position", "2")
    lines = [line.strip() for line in text.splitlines()]
    alone = [line for line in lines if line.startswith(r"&\qquad") and r"\, " not in line]
    assert alone == []


@pytest.mark.parametrize("name, options", [("deng", ["-n", "3"]), ("gru", ["-n", "3", "--form", "both"]),
                                           ("stacked-birnn", ["-n", "3", "--wrt", "all"])])
def test_the_leibniz_notation_writes_every_edge_as_a_fraction_and_compiles(tmp_path, name, options):
    """Deng and Finlayson §3 write the chain rule with ∂ fractions: --notation leibniz does, everywhere an edge's
    Jacobian appears; the derivation itself is the same (its check passes the same)."""
    from helpers import ok

    text = ok("derive", "-m", name, *options, "--notation", "leibniz", "--check", "--standalone")
    assert "D(" not in text.replace(r"\operatorname{diag}(", "") and r"\frac{\partial" in text
    compile_latex(tmp_path, text)


@pytest.mark.parametrize("name, options", [("lstm", ["-n", "5", "--figure"]), ("gru", ["-n", "4", "--wrt", "all"])])
def test_a_fragment_compiles_with_just_the_packages_its_header_names(tmp_path, name, options):
    """The fragment's header comment is enough to include it: a document with only the packages it names and
    \\allowdisplaybreaks compiles it."""
    fragment = CliRunner().invoke(cli, ["derive", "-m", name, *options]).stdout
    header = "\n".join(line for line in fragment.splitlines()[:5] if line.startswith("%"))
    assert "\\allowdisplaybreaks" in header
    packages = re.findall(r"\\usepackage(?:\[[^]]*\])?\{[^}]*\}", header)
    assert packages[0] == "\\usepackage{amsmath,amssymb}" and "\\usepackage[margin=2cm]{geometry}" in packages
    assert ("\\usepackage{tikz,adjustbox}" in packages) == ("--figure" in options)
    compile_latex(tmp_path, "\\documentclass{article}\n" + "\n".join(packages) + "\n\\allowdisplaybreaks\n"
                  "\\begin{document}\n" + fragment + "\\end{document}\n")
