"""Renderers: a Document in, a string out (LaTeX fragment or document, Markdown, JSON).

One Jinja environment per template folder; a user's folder (``--template-dir``) is
searched before the built-in templates, so copying one file there overrides it.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import jinja2

from .report import CheckReport
from .errors import InputError
from .present import Document, Whole

FORMATS = ("latex", "markdown", "json")

BODIES = {
    (Document, "latex"): "derivation.tex.j2",
    (Document, "markdown"): "derivation.md.j2",
    (Whole, "latex"): "gradient.tex.j2",
    (Whole, "markdown"): "gradient.md.j2",
}
"""(what is rendered, format) → template name: one parameter's derivation, or the whole gradient (--wrt all)."""

STANDALONE = "document.tex.j2"
"""The complete LaTeX document (--standalone) around a LaTeX body."""

_TEX_SPECIALS = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}


def builtin_templates() -> Path:
    """The folder of the templates shipped with symrnn (``templates/`` in the repository)."""
    return Path(str(files("symrnn.templates")))


def tex_text(text: str) -> str:
    """Plain text made safe for LaTeX."""
    return "".join(_TEX_SPECIALS.get(char, char) for char in str(text))


def shape_phrase(shape: str) -> str:
    """The shape of the variable in words for the text: ($m \\times d$), or (a scalar)."""
    return "(a scalar)" if shape == "1" else f"(${shape}$)"


def digits(count: int) -> str:
    """An exact count for running LaTeX text: groups of three digits split by a thin space that may stretch
    a little and may break the line (a count of paths at n = 200 has over a hundred digits; a line of bare
    digits has no glue to justify it)."""
    text = str(count)
    if len(text) <= 4:
        return text
    head = len(text) % 3 or 3
    groups = [text[:head]] + [text[i:i + 3] for i in range(head, len(text), 3)]
    return r"\hspace{0.16667em plus 0.16667em}".join(groups)


def sci(number: float) -> str:
    """A measured error, in two significant digits."""
    return f"{number:.1e}"


def check_sentence(report: CheckReport) -> str:
    """One sentence that says what the check measured and whether it passed."""
    sizes = "".join(f"; {name} = {size}" for name, size in report.sizes)
    worst = max(r.worst for r in report.results)
    verdict = "passed" if report.passed else "FAILED"
    return (f"Checked at random values (seed {report.seed}{sizes}) against five-point central finite "
            f"differences in float64 (step {report.step:g}): largest relative error {worst:.1e}, "
            f"tolerance {report.tolerance:g}; {verdict}.")


CHECK_COLUMNS = (("path_sum_error", "sum over paths"), ("shaped_error", "shaped gradient"),
                 ("factored_error", "factored form"))
"""The errors a check can report, and their column headings."""


def check_table(report: CheckReport) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The headings and rows of the check's table: only the forms that were checked."""
    shown = [(field, title) for field, title in CHECK_COLUMNS if getattr(report.results[0], field) is not None]
    headings = ("activation",) + tuple(title for _, title in shown) + ("result",)
    rows = tuple((r.activation,) + tuple(sci(getattr(r, field)) for field, _ in shown)
                 + ("pass" if r.passed else "FAIL",) for r in report.results)
    return headings, rows


def eol(loop) -> str:
    """The row separator of an align environment: \\\\ after every row but the last."""
    return "" if loop.last else r" \\"


def lead(loop, derivative: str) -> str:
    """The start of a row of a multi-line sum: the left-hand side, then a + on each later row."""
    return rf"{derivative} &= " if loop.first else r"&\quad + "


def rows(lines, loop, derivative: str, indent: str = "") -> str:
    """One term of a multi-line sum, its continuation lines indented further (``indent`` is the
    source indentation of the template's lines)."""
    head = lines[0]
    if not loop.first and head.startswith("-"):  # + -x reads as - x
        first = r"&\quad - " + head[1:]
    else:
        first = lead(loop, derivative) + head
    rest = [indent + r"&\qquad " + line for line in lines[1:]]
    return " \\\\\n".join([first] + rest) + eol(loop)


@lru_cache(maxsize=8)
def environment(template_dir: str | None = None) -> jinja2.Environment:
    """The Jinja environment: ((* *)) statements and ((( ))) expressions, never TeX's braces."""
    folders = ([template_dir] if template_dir else []) + [str(builtin_templates())]
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(folders),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((#", comment_end_string="#))",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )
    env.filters.update(tex_text=tex_text, sci=sci, shape_phrase=shape_phrase, digits=digits)
    env.globals.update(check_sentence=check_sentence, check_table=check_table,
                       whole_check_table=whole_check_table, eol=eol, lead=lead, rows=rows)
    return env


def render(document: Document | Whole, fmt: str = "latex", standalone: bool = False,
           template_dir: str | None = None) -> str:
    """The document (one parameter's derivation, or the whole gradient) as LaTeX, Markdown or JSON."""
    if standalone and fmt != "latex":
        raise InputError(f"--standalone makes a LaTeX document; use it with --format latex, not {fmt}")
    if fmt == "json":
        return whole_json(document) if isinstance(document, Whole) else to_json(document)
    body = BODIES[(type(document), fmt)]
    name = STANDALONE if standalone else body
    first, whole = (document.first, document) if isinstance(document, Whole) else (document, None)
    try:
        return environment(template_dir).get_template(name).render(doc=first, whole=whole, body=body)
    except jinja2.TemplateSyntaxError as error:
        raise InputError(f"template {error.filename or error.name}, line {error.lineno}: {error.message}") from None
    except jinja2.TemplateError as error:
        raise InputError(f"template {name}: {error}") from None


def to_json(document: Document) -> str:
    """The stable JSON form (design.md, "Contracts"); keys in a fixed order."""
    data = {
        "symrnn": document.version,
        "model": document.model,
        "title": document.title,
        "source": document.source,
        "steps": document.steps,
        "wrt": document.wrt,
        "loss": document.loss,
        "activation": document.activation,
        "shape": document.shape,
        "equations": [asdict(eq) for eq in document.equations],
        "path_count": document.path_count,
        "paths": [{"nodes": list(p.nodes), "chain": p.chain, "latex": p.named,
                   "expanded": list(p.expanded), "shaped": p.shaped} for p in document.paths],
        "shorthands": [{"name": s.symbol, "definition": s.definition, "latex": s.formula} for s in document.shorthands],
        "jacobians": [{"symbol": j.symbol, "latex": j.formula} for j in document.jacobians],
        "gradient": {
            "derivative": document.derivative,
            "latex": " + ".join(p.named for p in document.paths),
            "shaped": " + ".join(p.shaped for p in document.paths),
        },
        "form": document.form,
        "factored": None if not document.recursions else {
            "recursions": _recursions_json(document),
            "terms": [" ".join(lines) for lines in document.factored],
        },
        "notes": list(document.notes),
        "value": _value_json(document),
        "check": None if document.check is None else _check_json(document.check),
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def whole_json(whole: Whole) -> str:
    """The whole gradient (--wrt all) as JSON: what the parameters share once, then one entry per parameter."""
    first = whole.first
    data = {
        "symrnn": first.version,
        "model": first.model,
        "title": first.title,
        "source": first.source,
        "steps": first.steps,
        "wrt": "all",
        "loss": first.loss,
        "activation": first.activation,
        "equations": [asdict(eq) for eq in first.equations],
        "form": "factored",
        "recursions": _recursions_json(first),
        "jacobians": [{"symbol": j.symbol, "latex": j.formula} for j in whole.jacobians],
        "notes": list(whole.notes),
        "independent": list(whole.independent),
        "gradients": [{"wrt": part.wrt, "shape": part.shape, "path_count": part.path_count,
                       "derivative": part.derivative, "terms": [" ".join(lines) for lines in part.factored],
                       "value": _value_json(part), "check": _check_json(part.check) if part.check else None}
                      for part in whole.parts],
        "check": None if whole.check is None else {"passed": whole.check.passed},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _recursions_json(document: Document) -> list[dict]:
    return [{"gradient": r.symbol, "latex": r.definition, "expanded": r.formula} for r in document.recursions]


def _value_json(document: Document) -> dict | None:
    value = document.value
    return None if value is None else {"shape": list(value.shape), "values": value.numbers}


def whole_check_table(whole: Whole) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The check's table for the whole gradient: each parameter's rows, the parameter first."""
    headings = ("parameter",) + check_table(whole.first.check)[0]
    rows = tuple((f"${part.wrt_latex}$",) + row for part in whole.parts for row in check_table(part.check)[1])
    return headings, rows


def _check_json(report: CheckReport) -> dict:
    return {
        "passed": report.passed,
        "seed": report.seed,
        "sizes": dict(report.sizes),
        "tolerance": report.tolerance,
        "step": report.step,
        "method": "five-point central finite differences, float64",
        "results": [{k: v for k, v in asdict(r).items() if v is not None} for r in report.results],
    }
