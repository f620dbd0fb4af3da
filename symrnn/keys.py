"""Answer keys and student sheets from a problem set: every part derived, checked, and worked out at its numbers,
the numbers checked against central finite differences before anything is written; variants that draw their own.

``build`` plans and derives (pure data, one process); ``key_latex``, ``key_markdown`` render; ``compile_pdf`` runs
pdflatex. Variant k of a sheet draws, for every part, its round numbers and (where the part allows it) its number of
steps from the sheet's seed, k and the part's place, so the same sheet and seed give the same files.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import CheckFailed, InputError, OutputError
from .limits import ROUND_SIZE
from .problemset import Part, ProblemSet, Question

FD_STEP = 1e-6
FD_RTOL, FD_ATOL = 1e-6, 1e-8
"""Central differences in float64 with step 1e-6 carry about 1e-10 of error on numbers of order 1."""

PICTURE_STEPS = 6
"""Up to this many steps a part's picture is drawn (as ``symrnn derive --standalone`` does)."""


@dataclass(frozen=True)
class Answer:
    """One part, as a variant asks it: the options it was derived with, the document, and its picture (TikZ)."""

    part: Part
    options: tuple[tuple[str, Any], ...]
    document: Any
    picture: str
    """The unrolled graph in TikZ, for a student sheet whose part shows it; empty otherwise."""
    given: tuple[Any, ...] = ()
    """The numbers the part is worked out at (``worked.Numbered``), for the question as the student reads it."""


@dataclass(frozen=True)
class Variant:
    number: int
    """0 for the sheet itself (no variants asked for), else 1, 2, ..."""
    answers: tuple[tuple[Question, tuple[Answer, ...]], ...]

    @property
    def suffix(self) -> str:
        return f"-{self.number:02d}" if self.number else ""


def build(sheet: ProblemSet, variants: int = 0, seed: int | None = None,
          progress: Callable[[str], None] = lambda line: None) -> tuple[Variant, ...]:
    """Every variant of the sheet (just the sheet when ``variants`` is 0), each part derived, checked and, where it
    has numbers, checked again at them against finite differences; a failure names the question and variant."""
    base = sheet.seed if seed is None else seed
    numbers = range(1, variants + 1) if variants else (0,)
    found = []
    for number in numbers:
        answers = tuple((question, tuple(_answer(question, part, base, number) for part in question.parts))
                        for question in sheet.questions)
        found.append(Variant(number, answers))
        progress(f"{'variant ' + str(number) if number else 'the sheet'}: {len(sheet.questions)} questions "
                 f"derived and checked")
    return tuple(found)


def _answer(question: Question, part: Part, base: int, number: int) -> Answer:
    from .api import document

    where = f"question {question.number}{part.label}" + (f", variant {number}" if number else "")
    rng = np.random.default_rng([base, number, question.number, ord(part.label or "a")])
    options = part.options()
    if number and part.vary_steps:
        options["steps"] = int(rng.choice(part.vary_steps))
    if number and part.vary_size:
        options["size"] = int(rng.choice(part.vary_size))
    if options.get("numbers"):
        options["seed"] = int(rng.integers(0, 2**31)) if number else base
    steps = options["steps"]
    figure = part.figure != "none" and isinstance(steps, int) and steps <= PICTURE_STEPS and \
        options.get("wrt") != "all"
    options.setdefault("figure", figure)
    try:
        doc = document(check=isinstance(steps, int), **options)  # --steps N is checked at every N from 1 to 7
        if doc.check is not None and not doc.check.passed:
            raise CheckFailed(f"the derivation's check failed: largest relative error {doc.check.worst:.1e}")
        given = _check_numbers(options, doc) if _has_value(doc) else ()
    except (InputError, CheckFailed) as error:
        raise type(error)(f"{where}: {error}") from None
    picture = _picture(options) if part.figure == "student" and figure else ""
    return Answer(part, tuple(sorted(options.items())), doc, picture, given)


def _has_value(doc: Any) -> bool:
    return (doc.parts[0] if hasattr(doc, "parts") else doc).value is not None


def _check_numbers(options: dict[str, Any], doc: Any) -> tuple[Any, ...]:
    """The gradient the document shows at its numbers equals central finite differences of the forward pass; the
    numbers, for the question's text."""
    from .api import Gradient, _entry, _model, derive
    from .worked import given_values

    model = _model(options["model"], options.get("layers"), options.get("readout"))
    wrt = options.get("wrt")
    if isinstance(wrt, str) and wrt != "all":
        wrt = _entry(model, wrt)[0]
    keys = ("loss", "activation", "position")
    found = derive(model, options["steps"], wrt=wrt, form=options.get("form", "auto"),
                   **{k: options[k] for k in keys if k in options})
    pairs = zip(found.parts, doc.parts) if isinstance(found, Gradient) else ((found, doc),)
    for derivation, shown in pairs:
        instance = _instance(options, derivation)
        _compare(derivation, shown.value, instance)
    digits = options.get("digits", 4)
    return given_values(derivation, {**instance.arrays, **instance.labels}, digits)


def _instance(options: dict[str, Any], derivation: Any) -> Any:
    from .values import load_values, values_from
    from .worked import round_values

    if options.get("numbers"):
        drawn = round_values(derivation, options["seed"], options.get("size", ROUND_SIZE))
        return values_from(drawn, derivation.model, derivation.steps)
    return load_values(options["values"], derivation.model, derivation.steps)


def _compare(derivation: Any, value: Any, instance: Any) -> None:
    from .checking import value_shape
    from .numeric import forward

    graph, activation = derivation.graph, derivation.graph.activation
    shape = value_shape(derivation, instance)
    loss = graph.node(derivation.loss).value

    def at(delta: np.ndarray) -> np.ndarray:
        return np.asarray(forward(graph, instance, activation, (derivation.wrt, delta)).env[loss], dtype=float)

    columns = []
    for index in (tuple(reversed(i)) for i in np.ndindex(*reversed(shape))):  # vec order: columns stacked
        delta = np.zeros(shape)
        delta[index] = FD_STEP
        columns.append((at(delta) - at(-delta)) / (2 * FD_STEP))
    if derivation.vector_loss:
        reference = np.stack(columns, axis=-1)
    else:
        reference = np.zeros(shape)
        for index, column in zip((tuple(reversed(i)) for i in np.ndindex(*reversed(shape))), columns):
            reference[index] = column
    shown = np.asarray(value.numbers, dtype=float).reshape(reference.shape)
    if not np.allclose(shown, reference, rtol=FD_RTOL, atol=FD_ATOL):
        worst = float(np.max(np.abs(shown - reference)))
        raise CheckFailed(f"the gradient at the numbers differs from central finite differences by {worst:.1e}")


def _picture(options: dict[str, Any]) -> str:
    from .api import graph_picture

    keys = ("wrt", "loss", "position", "layers", "readout")
    wrt = options.get("wrt")
    if isinstance(wrt, str) and re.fullmatch(r"\w+\[\d+(,\d+)*\]", wrt) and "," in wrt:
        options = {**options, "wrt": wrt.split("[")[0]}
    return graph_picture(options["model"], options["steps"], highlight=False,
                         **{k: options[k] for k in keys if k in options})


# ---------------------------------------------------------------- rendering

def text_latex(markdown: str) -> str:
    """A question's text (Markdown with $…$ math) as LaTeX: paragraphs, - and 1. lists, **bold**, *emphasis*,
    `code`; math kept as written, everything else escaped."""
    from .rendering import INLINE_MARKDOWN, tex_text

    def inline(text: str) -> str:
        out, at = [], 0
        for match in INLINE_MARKDOWN.finditer(text):
            out.append(tex_text(text[at:match.start()]))
            math, strong, emphasis, code = match.groups()
            out.append(f"${math}$" if math else rf"\textbf{{{inline(strong)}}}" if strong else
                       rf"\emph{{{inline(emphasis)}}}" if emphasis else rf"\texttt{{{tex_text(code)}}}")
            at = match.end()
        out.append(tex_text(text[at:]))
        return "".join(out)

    blocks = []
    for block in re.split(r"\n\s*\n", markdown.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(re.match(r"(- |\d+\. )", line) for line in lines):
            kind = "itemize" if lines[0].startswith("- ") else "enumerate"
            items = "\n".join(r"  \item " + inline(re.sub(r"^(- |\d+\. )", "", line)) for line in lines)
            blocks.append(f"\\begin{{{kind}}}\n{items}\n\\end{{{kind}}}")
        elif lines:
            blocks.append(inline(" ".join(lines)))
    return "\n\n".join(blocks)


def _context(sheet: ProblemSet, variant: Variant, student: bool, fmt: str,
             template_dir: str | None = None) -> dict[str, Any]:
    from .rendering import render

    questions = []
    for question, answers in variant.answers:
        parts = []
        for answer in answers:
            parts.append({
                "label": answer.part.label, "points": _points(answer.part.points),
                "text": _text(answer.part.text.replace(STEPS_MARK, str(dict(answer.options)["steps"])), fmt),
                "answer": "" if student else render(answer.document, fmt, False, template_dir, 4),
                "picture": answer.picture if student else "", "space": answer.part.space_cm,
                "given": answer.given,
                "steps": dict(answer.options)["steps"],
            })
        questions.append({"number": question.number, "title": question.title, "points": _points(question.points),
                          "text": _text(question.text, fmt), "parts": parts})
    return {"sheet": sheet, "variant": variant.number, "student": student, "questions": questions,
            "total": _points(sum(q.points for q in sheet.questions))}


STEPS_MARK = "{steps}"
"""Written in a part's text, the number of steps the variant asks for."""


def _text(markdown: str, fmt: str) -> str:
    return text_latex(markdown) if fmt == "latex" else markdown


def _points(points: float) -> str:
    return f"{points:g}"


def key_text(sheet: ProblemSet, variant: Variant, student: bool = False, fmt: str = "latex",
             template_dir: str | None = None) -> str:
    """The key (or, with ``student``, the questions alone with space to answer) as a LaTeX document or Markdown."""
    from .rendering import environment

    name = "key.tex.j2" if fmt == "latex" else "key.md.j2"
    return environment(template_dir).get_template(name).render(**_context(sheet, variant, student, fmt, template_dir))


def compile_pdf(latex: str, where: str) -> bytes:
    """pdflatex on a document, twice-free and reproducible (SOURCE_DATE_EPOCH, no trailer ID); its PDF's bytes."""
    engine = shutil.which("pdflatex")
    if engine is None:
        raise OutputError("pdflatex is not installed; install it (Debian: apt-get install texlive-latex-extra) or "
                          "write .tex files (-o DIR/ writes them beside the PDFs)")
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "key.tex")
        with open(source, "w", encoding="utf-8") as stream:
            stream.write(latex)
        done = subprocess.run([engine, "-interaction=nonstopmode", "-halt-on-error", "key.tex"], cwd=folder,
                              capture_output=True, text=True, timeout=600,
                              env={**os.environ, "SOURCE_DATE_EPOCH": "0", "FORCE_SOURCE_DATE": "1"})
        if done.returncode != 0:
            log = open(os.path.join(folder, "key.log"), encoding="utf-8", errors="replace").read()
            error = next((line for line in log.splitlines() if line.startswith("!")), "see the .tex file")
            raise OutputError(f"{where}: pdflatex failed: {error}")
        with open(os.path.join(folder, "key.pdf"), "rb") as stream:
            return stream.read()
