"""--steps N: the factored form for a general N. Substituting N = 2..6 (and each step t a line holds at) into its
recursion and its Jacobians gives back exactly the lines of the concrete derivation; the path counts' formulas
predict the exact counts; what cannot be written for every N is refused."""

from __future__ import annotations

import re

import pytest

import symrnn
from helpers import compile_latex, error_line, ok, run
from symrnn.catalogue import MODELS, get_model
from symrnn.general import path_formula
from symrnn.graph import unroll
from symrnn.paths import count_paths

NOTE = re.compile(r"\s*&&\s*t = (.*)$")


def _value(expression: str, n: int) -> int:
    """0, 3, N, N-1, N+1 at N = n."""
    match = re.fullmatch(r"N([+-]\d+)?", expression.strip())
    if match is None:
        return int(expression)
    return n + int(match.group(1) or 0)


def _steps(note: str, n: int) -> list[int]:
    """The steps a note names at N = n: "0, \\dots, N-1" or "N" or "1, 2, 3" (notes run upwards)."""
    if r"\dots" in note:
        first, last = (part.strip(" ,") for part in note.split(r"\dots"))
        return list(range(_value(first, n), _value(last, n) + 1))  # "3, \dots, N-1" names no step at N = 2
    return [_value(part, n) for part in note.split(",")]


def _at(text: str, t: int | None, n: int) -> str:
    """The line with t and N replaced by numbers wherever they stand as a step."""
    def number(match: re.Match, base: int) -> str:
        return str(base + int(match.group(2) or 0))

    text = re.sub(r"(?<=[{(,])(N)([+-]\d+)?(?=[})\]])", lambda m: number(m, n), text)
    if t is not None:
        text = re.sub(r"(?<=[{(,])(t)([+-]\d+)?(?=[})\],])", lambda m: number(m, t), text)
    return text


def expanded_recursions(document, n: int) -> set[tuple[str, tuple[str, ...]]]:
    found = set()
    for named, lines in zip(document.recursions, document.recursion_lines):
        note = NOTE.search(lines[-1])
        body = lines[:-1] + (NOTE.sub("", lines[-1]),)
        for t in _steps(note.group(1), n) if note else [None]:
            found.add((_at(named.symbol, t, n), tuple(_at(line, t, n) for line in body)))
    return found


def expanded_jacobians(document, n: int) -> set[tuple[str, str]]:
    found = set()
    for equation in document.jacobians_by_step:
        steps = _steps(equation.note[len("t = "):], n) if equation.note else [None]
        found |= {(_at(equation.lhs, t, n), _at(equation.rhs, t, n)) for t in steps}
    return found


def concrete(name: str, n: int):
    return symrnn.document(name, n, form="factored")


def concrete_jacobians(document) -> set[tuple[str, str]]:
    found = set()
    for equation in document.jacobians_by_step:
        if not equation.note:
            found.add((equation.lhs, equation.rhs))
            continue
        steps = [int(s) for s in equation.note[len("t = "):].replace(r"\dots,", "").split(",")] \
            if r"\dots" not in equation.note else None
        if steps is None:
            first, last = (int(p.strip(" ,")) for p in equation.note[len("t = "):].split(r"\dots"))
            steps = list(range(first, last + 1))
        found |= {(_at(equation.lhs, t, 0), _at(equation.rhs, t, 0)) for t in steps}
    return found


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("n", [1, 2, 3, 4, 5, 6])
def test_substituting_n_gives_back_the_concrete_derivation(name, n):
    """Written with this test's own reading of the notes, apart from symrnn/general.py's."""
    general = symrnn.document(name, "N")
    if n < general.holds_from:
        pytest.skip(f"the document says it holds from N = {general.holds_from}")
    exact = concrete(name, n)
    assert expanded_recursions(general, n) == {(r.symbol, lines) for r, lines in zip(exact.recursions,
                                                                                      exact.recursion_lines)}
    assert expanded_jacobians(general, n) == concrete_jacobians(exact)


@pytest.mark.parametrize("name, wrt, formula, closed", [
    ("deng", "W", r"\frac{N^{2} + N}{2}", lambda n: n * (n + 1) // 2), ("elman", "W_hx", "N", lambda n: n),
    ("gru", "U_z", r"\frac{4^{N} - 1}{3}", lambda n: (4**n - 1) // 3),
    ("goodfellow", "W", r"\frac{N^{2} + N}{2}", lambda n: n * (n + 1) // 2),
    ("stacked-residual", "W_1", r"\frac{N^{2} + 3N}{2}", lambda n: n * (n + 3) // 2)])
def test_the_path_count_formula_is_the_closed_form_of_the_exact_counts(name, wrt, formula, closed):
    model = get_model(name)
    assert path_formula(model, wrt, model.loss) == formula
    assert all(closed(n) == count_paths(unroll(model, n), wrt, model.loss) for n in (1, 2, 10, 20, 50))
    assert path_formula(get_model("lstm"), "W_f", "o") == ""  # no polynomial or geometric series fits


def test_the_general_document_compiles_and_refuses_what_needs_a_number(tmp_path):
    text = ok("derive", "-m", "deng", "-n", "N", "--standalone")
    assert r"t = 0, \dots, N-1" in text and r"\sum_{t=0}^{N-1}" in text
    compile_latex(tmp_path, text)
    for options, words in ((["--check"], "--check works at a number of steps"),
                           (["--wrt", "all"], "--steps N gives the factored form of one --wrt NAME"),
                           (["--form", "paths"], "--steps N gives the factored form"),
                           (["-n", "x"], "is not a number of steps (1 to 200) or N")):
        assert words in error_line(run("derive", "-m", "deng", "-n", "N", *options))


@pytest.mark.parametrize("name", ["goodfellow", "gru", "stacked-birnn"])
def test_general_documents_of_other_models_compile(tmp_path, name):
    text = ok("derive", "-m", name, "-n", "N", "--standalone")
    assert r"^{N} " in text and r"\sum_{t=" in text and "for every $N" in text  # gru: t = 1 reads h^0 on its own
    compile_latex(tmp_path, text)
