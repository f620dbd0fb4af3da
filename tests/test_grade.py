"""symrnn grade: the derived answer, written back, is judged equivalent for every model; twenty wrong answers of
the common kinds are judged not equivalent with the right explanation; random rewritings of right answers stay
equivalent; a class's CSV gives a CSV of verdicts."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symrnn
from helpers import error_line, ok, run
from symrnn.catalogue import MODELS
from symrnn.grade import grade, parse, written_answer

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "keys"

R = "(softmax(l) - e_y)"


def elman_factors(k: int, n: int = 3) -> list[str]:
    """Path k's term of ∂o/∂W^{hx} in W^{hx}'s shape, as factors: diag(g'(a[k])) W_hh' ... V' R x[k]'."""
    factors = [f"diag(g'(a[{k}]))"]
    for t in range(k + 1, n + 1):
        factors += ["W_hh'", f"diag(g'(a[{t}]))"]
    return factors + ["V'", R, f"x[{k}]'"]


ELMAN = " + ".join(" ".join(elman_factors(k)) for k in (1, 2, 3))
P1, P2, P3 = (" ".join(elman_factors(k)) for k in (1, 2, 3))
D1 = "diag(g'(a[0])) C' 2 (o[0] - x[1]) x[0]'"
D2 = "diag(g'(a[0])) V' diag(g'(a[1])) C' 2 (o[1] - x[2]) x[0]'"
D3 = "diag(g'(a[1])) C' 2 (o[1] - x[2]) x[1]'"
DENG = f"{D1} + {D2} + {D3}"
P1_DIAG_RIGHT = " ".join([elman_factors(1)[1], elman_factors(1)[0]] + elman_factors(1)[2:])
"""Path 1's term with its first diag on the wrong side of W_hh'."""


@pytest.mark.parametrize("name", sorted(MODELS))
def test_the_derived_answer_written_back_is_equivalent(name):
    for steps in (1, 2, 3, 4):
        derivation = symrnn.derive(name, steps, form="paths", max_paths=5000)
        verdict = grade(written_answer(derivation), name, steps, trials=1)
        assert verdict.equivalent, (name, steps, verdict.explanation)


def test_hand_written_right_answers_are_equivalent():
    assert grade(ELMAN, "elman", 3).equivalent
    assert grade(DENG, "deng", 2).equivalent
    assert grade("-(1 - y[1]) * v * x_1[1]", "scalar", 1, loss="L[1]", activation="relu-active").equivalent


WRONG = [
    ("elman", f"{P2} + {P3}", "a missing path: the answer leaves out path 1"),
    ("elman", f"{P1} + {P3}", "a missing path: the answer leaves out path 2"),
    ("elman", f"{P1} + {P2}", "a missing path: the answer leaves out path 3"),
    ("elman", f"({ELMAN})'", "a missing transpose: the answer is the transpose of the gradient"),
    ("elman", f"{P1.replace(chr(39) + ' diag', ' diag').replace('W_hh', 'W_hh', 1)} + {P2} + {P3}",
     "a missing transpose on W_hh in term 1"),
    ("elman", f"{P1} + {P2} + {P3} + {P3}", "an extra term: path 3"),
    ("elman", f"2 ({ELMAN})", "a factor: the answer is 2 times the gradient"),
    ("elman", f"-({ELMAN})", "the sign"),
    ("elman", ELMAN.replace(R, "(e_y - softmax(l))"), "the sign"),
    ("elman", f"{P1.replace('x[1]', 'x[2]')} + {P2} + {P3}", "a step off by one: x[2] should be x[1]"),
    ("elman", f"{P1} + {P2} + {P3.replace('a[3]', 'a[2]')}", "a step off by one: a[2] should be a[3]"),
    ("elman", f"{P1_DIAG_RIGHT} + {P2} + {P3}", "factors in the wrong order: diag(g'(a[1])) belongs before W_hh'"),
    ("elman", f"{P1} + {P2} + diag(g'(a[3])) {R} V' x[3]'", "does not compute"),
    ("elman", f"{P1} + {P2} + diag(g'(a[4])) V' {R} x[3]'", "a[4] is not a value"),
    ("deng", f"{D1} + {D3}", "a missing path: the answer leaves out path 2"),
    ("deng", f"{D1} + {D2.replace(chr(39) + ' diag', ' diag', 1)} + {D3}", "a missing transpose on V"),
    ("deng", DENG.replace("(o[0] - x[1])", "(x[1] - o[0])").replace("(o[1] - x[2])", "(x[2] - o[1])"), "the sign"),
    ("deng", DENG.replace("C' 2 ", "C' "), "a factor: the answer is 0.5 times the gradient"),
    ("deng", f"{D1} + {D2} + {D3.replace('x[1]', 'x[0]')}", "a step off by one: x[0] should be x[1]"),
    ("deng", f"({DENG})'", "a missing transpose: the answer is the transpose of the gradient"),
]


@pytest.mark.parametrize("model, answer, needle", WRONG, ids=[f"{m}-{i}" for i, (m, _, _) in enumerate(WRONG)])
def test_a_wrong_answer_is_not_equivalent_and_the_mistake_is_named(model, answer, needle):
    verdict = grade(answer, model, 3 if model == "elman" else 2)
    assert not verdict.equivalent and needle in verdict.explanation, verdict.explanation


def test_the_wrong_answers_are_twenty():
    assert len(WRONG) == 20


TERM = st.integers(1, 3)


def _transposed_form(k: int) -> str:
    """(x[k] R' V diag(g'(a[n])) ... diag(g'(a[k])))': the same term with its transpose distributed."""
    reversed_factors = []
    for factor in reversed(elman_factors(k)):
        if factor.endswith("'") and not factor.startswith("diag"):
            reversed_factors.append(factor[:-1])
        elif factor == R:
            reversed_factors.append(R + "'")
        else:
            reversed_factors.append(factor)
    return "(" + " ".join(reversed_factors) + ")'"


@settings(max_examples=30)
@given(order=st.permutations([1, 2, 3]), forms=st.lists(st.sampled_from(["plain", "transposed", "halves"]),
                                                        min_size=3, max_size=3))
def test_random_rewritings_of_a_right_answer_stay_equivalent(order, forms):
    terms = []
    for k, form in zip(order, forms):
        plain = " ".join(elman_factors(k))
        terms.append({"plain": plain, "transposed": _transposed_form(k),
                      "halves": f"0.5 ({plain}) + 0.5 * {_transposed_form(k)}"}[form])
    verdict = grade(" + ".join(terms), "elman", 3, trials=1)
    assert verdict.equivalent, (" + ".join(terms), verdict.explanation)


@pytest.mark.parametrize("text, needle", [("", "empty"), ("W_hh $", "cannot read"), ("(W_hh", "expected ')'"),
                                          ("h[q]", "a step is a number or t"), ("D(W_hh)", "expected '->'")])
def test_an_unreadable_answer_is_one_line(text, needle):
    with pytest.raises(symrnn.InputError, match=needle.replace("(", r"\(").replace(")", r"\)").replace("$", r"\$")):
        parse(text)


def test_a_class_csv_gives_a_csv_of_verdicts(tmp_path):
    out = tmp_path / "verdicts.csv"
    result = run("grade", str(EXAMPLES / "answers.csv"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    verdicts = {row["student"]: (row["verdict"], row["explanation"]) for row in rows}
    assert verdicts["alice"][0] == verdicts["carol"][0] == verdicts["dave"][0] == verdicts["frank"][0] == "equivalent"
    assert verdicts["bob"] == ("not equivalent", "a missing path: the answer leaves out path 1, "
                                                 "W_hx → h[1] → h[2] → h[3] → l → q → o")
    assert verdicts["erin"][1].startswith("the sign") and verdicts["heidi"][1].startswith("a missing transpose")
    assert verdicts["ivan"][0] == "unreadable"
    assert "4 of 9 answers equivalent" in result.stderr


def test_one_answer_on_the_command_line():
    printed = ok("grade", "-m", "elman", "-n", "1", "--answer", "diag(g'(a[1])) V' (softmax(l) - e_y) x[1]'")
    assert printed.startswith("equivalent\n")
    wrong = ok("grade", "--sheet", str(EXAMPLES / "deng.yaml"), "--question", "2a", "--answer",
               "diag(g'(a[0])) C' 2 (x[1] - o[0]) x[0]'")
    assert wrong.startswith("not equivalent\nthe sign") and "counterexample: at" in wrong
    assert "give a CSV file" in error_line(run("grade"))
    assert "has parts" in error_line(run("grade", "--sheet", str(EXAMPLES / "deng.yaml"), "--question", "2",
                                         "--answer", "W"))


@pytest.mark.parametrize("name", ["gru", "lstm", "lstm-torch", "birnn", "stacked-birnn", "tagger", "leaky"])
def test_a_path_left_out_of_a_larger_network_is_named(name):
    derivation = symrnn.derive(name, 2, form="paths", max_paths=5000)
    terms = written_answer(derivation).split(" + ")
    last = len(terms)
    verdict = grade(" + ".join(terms[:-1]), name, 2, trials=1)
    assert not verdict.equivalent
    assert verdict.explanation.startswith(f"a missing path: the answer leaves out path {last}, "), verdict.explanation
