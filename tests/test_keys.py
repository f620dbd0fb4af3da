"""symrnn key: problem-set files in, keys, student sheets and variants out; every PDF compiles, the variants'
numbers differ and equal PyTorch's, the same sheet and seed give the same bytes, and nothing is written when a
check fails."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml

from helpers import error_line, run
from symrnn import keys
from symrnn.keys import build
from symrnn.problemset import read_problem_set

import model_oracles

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "keys"

TEN_QUESTIONS = {
    "title": "Ten questions", "course": "A test course", "date": "2026-12-02", "seed": 4,
    "questions": [
        {"title": "Paths", "text": "List the paths.", "points": 2, "derive": {"model": "elman", "steps": 3},
         "figure": "student"},
        {"text": "Numbers, elman.", "points": 3,
         "derive": {"model": "elman", "steps": 2, "activation": "tanh", "numbers": True},
         "vary": {"steps": [2, 3], "size": [2, 3]}},
        {"text": "Numbers, gru.", "points": 3, "derive": {"model": "gru", "steps": 2, "activation": "tanh",
                                                          "wrt": "U_z", "numbers": True}},
        {"text": "Numbers, lstm-torch.", "points": 3, "derive": {"model": "lstm-torch", "steps": 2, "wrt": "W_hf",
                                                                 "numbers": True}},
        {"text": "Numbers, deng.", "points": 3, "derive": {"model": "deng", "steps": 2, "activation": "relu",
                                                           "numbers": True}, "vary": {"steps": [2, 3]}},
        {"text": "Numbers, goodfellow.", "points": 3, "derive": {"model": "goodfellow", "steps": 2, "wrt": "W",
                                                                 "numbers": True}},
        {"text": "Two parts.", "parts": [
            {"text": "Factored.", "points": 2, "derive": {"model": "gru", "steps": 3, "form": "factored"}},
            {"text": "General $N$.", "points": 2, "derive": {"model": "deng", "steps": "N"}}]},
        {"text": "Leibniz.", "points": 1, "derive": {"model": "elman", "steps": 2, "notation": "leibniz"}},
        {"text": "Depends on.", "points": 1, "derive": {"model": "elman", "steps": 3, "depends_on": "x[1]"}},
        {"text": "One entry.", "points": 1, "derive": {"model": "deng", "steps": 1, "activation": "relu",
                                                       "wrt": "W[0,0]", "loss": "o[0]", "numbers": True}},
    ],
}

NUMBERED = {2: "elman", 3: "gru", 4: "lstm-torch", 5: "deng", 6: "goodfellow"}
"""Question number → model, for the questions worked out at numbers, whose values PyTorch checks."""


@pytest.fixture(scope="module")
def sheet_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("sheet") / "ten.yaml"
    path.write_text(yaml.safe_dump(TEN_QUESTIONS, sort_keys=False), encoding="utf-8")
    return path


def test_ten_questions_give_a_key_a_student_sheet_and_five_variants_that_compile(sheet_file, tmp_path):
    out = tmp_path / "out"
    result = run("key", str(sheet_file), "--student", "--variants", "5", "-o", f"{out}/")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{kind}-{k:02d}{ext}" for kind in ("key", "sheet") for k in range(1, 6)
                           for ext in (".tex", ".md", ".pdf"))
    for pdf in out.glob("*.pdf"):
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000
    assert "variant 5: 10 questions derived and checked" in result.stderr
    sheet = (out / "sheet-03.tex").read_text(encoding="utf-8")
    assert "Version 3" in sheet and "\\vspace*{6.0cm}" in sheet and "Model." not in sheet
    assert "\\begin{tikzpicture}" in sheet and "var, on" not in sheet, "the picture, without the paths marked"
    key = (out / "key-03.tex").read_text(encoding="utf-8")
    assert key.count("\\section*{Question") == 10 and "Checked at random values" in key


def test_the_variants_numbers_differ_and_each_equals_pytorchs(sheet_file):
    sheet = read_problem_set(str(sheet_file))
    variants = build(sheet, 5)
    for number, model in NUMBERED.items():
        seen = set()
        for variant in variants:
            question, answers = variant.answers[number - 1]
            answer = answers[0]
            options = dict(answer.options)
            given = {v.ident: np.asarray(v.numbers).tolist() for v in answer.given}
            seen.add(json.dumps(given, sort_keys=True))
            instance = _instance(model, options, answer)
            loss, grads = model_oracles.torch_gradients(model, instance, options.get("activation", "g"))
            wrt = options.get("wrt", {"elman": "W_hx", "deng": "W"}.get(model))
            shown = np.asarray(answer.document.value.numbers)
            assert np.allclose(shown, grads[wrt], rtol=1e-9, atol=1e-12), (number, variant.number)
        assert len(seen) == 5, f"question {number}: every variant draws its own numbers"
    sizes = {np.shape(next(v.numbers for v in variant.answers[1][1][0].given if v.ident == "W_hh"))
             for variant in variants}
    assert sizes == {(2, 2), (3, 3)}, "question 2 varies its size"


def _instance(model: str, options: dict, answer):
    """The variant's numbers as an Instance, from the derivation's round values."""
    import symrnn
    from symrnn.values import values_from
    from symrnn.worked import round_values

    derivation = symrnn.derive(model, options["steps"], wrt=options.get("wrt"),
                               activation=options.get("activation", "g"))
    return values_from(round_values(derivation, options["seed"], options.get("size", 2)), derivation.model,
                       derivation.steps)


def test_the_same_sheet_and_seed_give_the_same_bytes(sheet_file, tmp_path):
    for folder in ("a", "b"):
        assert run("key", str(sheet_file), "--variants", "2", "--seed", "9", "-o",
                   f"{tmp_path / folder}/").exit_code == 0
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name
    assert run("key", str(sheet_file), "--seed", "10", "-o", str(tmp_path / "c.tex")).exit_code == 0
    assert run("key", str(sheet_file), "--seed", "9", "-o", str(tmp_path / "d.tex")).exit_code == 0
    assert (tmp_path / "c.tex").read_bytes() != (tmp_path / "d.tex").read_bytes(), "another seed, other numbers"


def test_a_failing_check_names_the_question_and_variant_and_writes_nothing(sheet_file, tmp_path, monkeypatch):
    monkeypatch.setattr(keys, "FD_ATOL", -1.0)  # no difference can pass: the check must stop the run
    out = tmp_path / "out"
    message = error_line(run("key", str(sheet_file), "--variants", "2", "-o", f"{out}/"), 1)
    assert "question 2, variant 1" in message and "central finite differences" in message
    assert not out.exists()


def test_one_file_and_standard_output(sheet_file, tmp_path):
    pdf = tmp_path / "key.pdf"
    assert run("key", str(sheet_file), "-o", str(pdf)).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")
    printed = run("key", str(sheet_file), "--student", "-f", "markdown")
    assert printed.exit_code == 0 and printed.stderr == "the sheet: 10 questions derived and checked\n"
    student = printed.stdout
    assert student.startswith("# Ten questions\n") and "## Question 10" in student and "**Model**" not in student
    latex = run("key", str(sheet_file)).stdout
    assert latex.startswith("\\documentclass") and "answer key" in latex
    assert "give a folder" in error_line(run("key", str(sheet_file), "--variants", "2", "-o", str(pdf)))
    assert ".pdf, .tex or .md" in error_line(run("key", str(sheet_file), "-o", str(tmp_path / "key.docx")))


@pytest.mark.parametrize("change, needle", [
    (lambda s: s["questions"][0].update(colour="red"), "question 1: unknown key 'colour'"),
    (lambda s: s["questions"][0].pop("derive"), "give either 'derive'"),
    (lambda s: s["questions"][0]["derive"].pop("steps"), "give at least 'model' and 'steps'"),
    (lambda s: s["questions"][0]["derive"].update(format="json"), "unknown key 'format'"),
    (lambda s: s["questions"][1].update(points=-1), "'points' must be a number of at least 0"),
    (lambda s: s["questions"][1].update(vary={"steps": [0]}), "whole numbers of at least 1"),
    (lambda s: s["questions"][0].update(vary={"size": [3]}), "give it 'numbers: true'"),
    (lambda s: s.pop("title"), "give a 'title'"),
    (lambda s: s.update(questions=[]), "at least one question"),
    (lambda s: s["questions"][0]["derive"].update(model="nosuchmodel"), "question 1: "),
])
def test_a_bad_problem_set_is_one_line(tmp_path, change, needle):
    data = json.loads(json.dumps(TEN_QUESTIONS))
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert needle in error_line(run("key", str(path)))


@pytest.mark.parametrize("name", sorted(p.stem for p in EXAMPLES.glob("*.yaml")))
def test_every_example_sheet_builds_a_key_and_a_student_sheet(name, tmp_path):
    result = run("key", str(EXAMPLES / f"{name}.yaml"), "--student", "-o", f"{tmp_path}/")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "key.pdf").stat().st_size > 20_000 and (tmp_path / "sheet.pdf").stat().st_size > 10_000


def test_question_text_becomes_latex_with_its_math_kept():
    latex = keys.text_latex("Find **the** $\\partial L / \\partial W$ for 50% of `x_1`.\n\n- one\n- two $a_b$")
    assert latex == ("Find \\textbf{the} $\\partial L / \\partial W$ for 50\\% of \\texttt{x\\_1}.\n\n"
                     "\\begin{itemize}\n  \\item one\n  \\item two $a_b$\n\\end{itemize}")


def test_a_key_template_can_be_overridden(sheet_file, tmp_path):
    (tmp_path / "key.tex.j2").write_text('((* extends "default/key.tex.j2" *))((* block title *))Our own title'
                                         '((* endblock *))', encoding="utf-8")
    latex = run("key", str(sheet_file), "--template-dir", str(tmp_path)).stdout
    assert "Our own title" in latex and "answer key" not in latex
