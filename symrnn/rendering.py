"""Renderers: a Document in, a string out (LaTeX fragment or document, Markdown, JSON).

One Jinja environment per template folder; a user's folder (``--template-dir``) is
searched before the built-in templates, so copying one file there overrides it.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, cast

import jinja2
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from . import validate
from .errors import InputError
from .limits import MAX_TEMPLATE_ITEMS
from .present import Document, Whole
from .report import CheckReport
from .resources import shipped_folder

FORMATS = ("latex", "markdown", "gfm", "json")
"""gfm: Markdown for GitHub, its displays in ```math fences and inline math as $`x`$ (GitHub's Markdown pass eats
backslashes inside $$, and ``\\,`` sits between almost every factor)."""

HEADING_LEVEL, MAX_HEADING_LEVEL = 2, 6
"""The Markdown heading level of a derivation (## by default; a page of its own puts its title one above)."""

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


DEFAULT = "default"
"""The shipped templates' folder inside ``templates/``: a user's template can ``((* extends "default/NAME" *))`` and
override one block."""


def builtin_templates() -> Path:
    """``templates/``, installed or in the checkout."""
    return shipped_folder("symrnn.templates", "templates", DEFAULT)


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


def sci(number: float | None) -> str:
    """A measured error, in two significant digits (a dash where none could be measured)."""
    return "--" if number is None else f"{number:.1e}"


def check_sentence(report: CheckReport, text: Callable[[str], str] = str) -> str:
    """One sentence that says what the check measured and whether it passed; its words pass through ``text``
    (``tex_text`` for LaTeX) and its numbers are math ($2.5 \\times 10^{-12}$, never 2.5e-12)."""
    sizes = "".join(f"{text(str(name))} = {size}, " for name, size in report.sizes)
    verdict = "passed" if report.passed else "FAILED"
    measured = (f"largest relative error {math_number(report.worst)}" if report.worst != float("inf")
                else text(report.describe()))
    return (f"Checked at random values ({sizes}random draw {report.seed}) against {reference_words(report)} in "
            f"float64: {measured}, tolerance {math_number(report.tolerance)}; {verdict}.")


def math_number(number: float, digits: int = 2) -> str:
    """A number for running text, as inline math: $0.25$, $1.6 \\times 10^{-16}$, $10^{-6}$."""
    if number == 0 or 1e-3 <= abs(number) < 1e4:
        return f"${number:.{digits}g}$"
    mantissa, exponent = f"{number:.{digits - 1}e}".split("e")
    power = f"10^{{{int(exponent)}}}"
    return f"${power}$" if float(mantissa) == 1 else f"${mantissa} \\times {power}$"


def reference_words(report: CheckReport) -> str:
    """What the derived gradient was compared with, in words."""
    if report.method == "reverse mode":
        return "reverse-mode differentiation of the forward pass"
    return f"complex-step derivatives of the forward pass (step ${math_number(report.step)[1:-1]}\\,i$)"


CHECK_COLUMNS = (("path_sum_error", "sum over paths"), ("shaped_error", "shaped gradient"),
                 ("factored_error", "factored form"))
"""The errors a check can report, and their column headings."""


def check_table(report: CheckReport) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The headings and rows of the check's table: only the forms that were checked."""
    shown = [(field, title) for field, title in CHECK_COLUMNS
             if any(getattr(r, field) is not None for r in report.results)]
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


_DIGITS_PER_BIT = math.log10(2)


class Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with the repetitions and powers that could exhaust memory refused: a template
    from ``--template-dir`` is input, and input must not run code or take the machine down."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        """``left operator right``, unless its result would exceed MAX_TEMPLATE_ITEMS."""
        if _result_size(operator, left, right) > MAX_TEMPLATE_ITEMS:
            raise SecurityError(f"{operator!r} would build more than {MAX_TEMPLATE_ITEMS:,} characters, items "
                                f"or digits")
        return super().call_binop(context, operator, left, right)


def _result_size(operator: str, left: Any, right: Any) -> float:
    """About the size of ``left operator right`` without computing it: characters or items of a repetition,
    decimal digits of an integer product or power; 0 for anything else (small by construction)."""
    if operator == "*":
        for sequence, count in ((left, right), (right, left)):
            if isinstance(sequence, (str, list, tuple)) and isinstance(count, int):
                return len(sequence) * count
        if isinstance(left, int) and isinstance(right, int):
            return (left.bit_length() + right.bit_length()) * _DIGITS_PER_BIT
    elif isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
        return right * math.log10(abs(left))
    return 0


class Loader(jinja2.FileSystemLoader):
    """Jinja's FileSystemLoader, except that a file it cannot read (not UTF-8, no permission, a folder named
    like a template) is an InputError naming the file, rather than an OSError or UnicodeDecodeError that names
    none, and it is not skipped in favour of the shipped template of that name."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        """The template's text, its path and a test that it has not changed since."""
        pieces = split_template_path(template)
        path = next((path for path in (Path(folder, *pieces) for folder in self.searchpath) if path.exists()), None)
        if path is None:
            raise jinja2.TemplateNotFound(template)
        try:
            data = path.read_bytes()
            mtime = path.stat().st_mtime
        except OSError as error:
            raise InputError(f"template {self.label(str(path))}: cannot read it ({type(error).__name__}: "
                             f"{error.strerror or error}); make it a readable file, or remove it to use the shipped "
                             f"one") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            line = data.count(b"\n", 0, error.start) + 1
            raise InputError(f"template {self.label(str(path))}, line {line}: not UTF-8 (byte "
                             f"0x{data[error.start]:02x}); save it as UTF-8") from None

        def uptodate() -> bool:
            try:
                return path.stat().st_mtime == mtime
            except OSError:
                return False

        return text, str(path), uptodate

    def label(self, filename: str) -> str:
        """A template file as its author knows it: its name in its folder, with "(shipped)" after one of
        symrnn's own (the last folder searched), so an error says whose file to fix."""
        path, shipped = Path(filename), self.searchpath[-1]
        if path.is_relative_to(shipped):
            return f"{path.relative_to(shipped).as_posix()} (shipped)"
        folder = next((folder for folder in self.searchpath if path.is_relative_to(folder)), None)
        return filename if folder is None else path.relative_to(folder).as_posix()


@lru_cache(maxsize=8)
def environment(template_dir: str | None = None) -> Sandbox:
    """The Jinja environment: ((* *)) statements and ((( ))) expressions, never TeX's braces; sandboxed for
    the shipped templates too, so that they are held to what a user's copy of them may do."""
    shipped = builtin_templates()
    folders = ([template_dir] if template_dir else []) + [str(shipped / DEFAULT), str(shipped)]
    env = Sandbox(
        loader=Loader(folders),
        block_start_string="((*", block_end_string="*))",
        variable_start_string="(((", variable_end_string=")))",
        comment_start_string="((#", comment_end_string="#))",
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined, autoescape=False,
    )
    env.filters.update(tex_text=tex_text, sci=sci, shape_phrase=shape_phrase, digits=digits)
    env.globals.update(check_sentence=check_sentence, check_table=check_table, tex_text=tex_text,
                       whole_check_table=whole_check_table, eol=eol, lead=lead, rows=rows)
    return env


def render(document: Document | Whole, fmt: str = "latex", standalone: bool = False,
           template_dir: str | None = None, heading_level: int = HEADING_LEVEL) -> str:
    """The document (one parameter's derivation, or the whole gradient) as LaTeX, Markdown (``markdown``, or
    ``gfm`` for GitHub) or JSON. ``standalone``: a LaTeX document for pdflatex, or a Markdown page with a title
    line one level above the derivation's heading (``heading_level``, 2 for ##)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    if not isinstance(standalone, bool):
        raise InputError(f"standalone must be True or False, not {standalone!r}")
    if standalone and fmt == "json":
        raise InputError("--standalone makes a LaTeX document or a Markdown page; JSON has no page to make")
    validate.whole_number("--heading-level", heading_level, 1, MAX_HEADING_LEVEL)
    if standalone and heading_level == 1 and fmt != "latex":
        raise InputError("--heading-level 1 leaves no level above for a Markdown page's title; use 2 or more, or "
                         "leave out --standalone")
    if fmt == "json":
        return whole_json(document) if isinstance(document, Whole) else to_json(document)
    markdown = fmt != "latex"
    body = BODIES[(type(document), "markdown" if markdown else "latex")]
    name = STANDALONE if standalone and not markdown else body
    first, whole = (document.first, document) if isinstance(document, Whole) else (document, None)
    env = environment(template_dir)
    try:
        text = env.get_template(name).render(doc=first, whole=whole, body=body, heading=heading_level,
                                             page=standalone)
    except InputError:
        raise
    except Exception as error:  # noqa: BLE001 - a template is input: whatever it raises is reported, in one line
        raise _template_error(error, name, cast(Loader, env.loader)) from None
    if not markdown:
        return text
    text = split_displays(text)
    return to_gfm(text) if fmt == "gfm" else text


INLINE_MARKDOWN = re.compile(r"\$([^$]+)\$|\*\*(.+?)\*\*|\*([^*]+)\*|`([^`]+)`")
"""The inline pieces of symrnn's Markdown and of a question's text: $math$, **strong**, *emphasis*, `code` (groups
1 to 4), for the renderers that take Markdown apart (keys' LaTeX, Sphinx's nodes)."""

_INLINE = re.compile(r"(?<![$`\\])\$(?![$`])([^$\n]+?)(?<![\\])\$(?!\$)")


def to_gfm(markdown: str) -> str:
    """Markdown with $$ math made GitHub's: each display a ```math fence, each inline $x$ written $`x`$, so that
    GitHub's Markdown pass leaves the backslashes alone; code fences (a Mermaid picture) untouched."""
    parts = re.split(r"(^```.*?^```$)", markdown, flags=re.S | re.M)
    for i in range(0, len(parts), 2):
        text = re.sub(r"^\$\$\n(.*?)\n\$\$$", lambda m: f"```math\n{m.group(1)}\n```", parts[i], flags=re.S | re.M)
        pieces = re.split(r"(^```math\n.*?^```$)", text, flags=re.S | re.M)
        parts[i] = "".join(piece if j % 2 else _INLINE.sub(r"$`\1`$", piece) for j, piece in enumerate(pieces))
    return "".join(parts)


_TEMPLATE_ADVICE: tuple[tuple[type[BaseException], str, str], ...] = (
    (jinja2.TemplateSyntaxError, "syntax error", "fix the statement at that line"),
    (jinja2.TemplateNotFound, "no such template", "check its name, or put the file in --template-dir"),
    (jinja2.UndefinedError, "undefined", "use only the fields the shipped templates use"),
    (SecurityError, "unsafe", "templates run in a sandbox: use the values symrnn passes them, not Python's "
                              "internals, and build nothing larger than the output"),
    (RecursionError, "recursion too deep",
     "a template includes or extends itself, or a macro calls itself without end"),
    (MemoryError, "out of memory", "build smaller strings and lists"),
)
"""Exception kind -> (what went wrong, the way forward) for a template that failed; anything else is named by
its type."""


def _template_error(error: Exception, name: str, loader: Loader) -> InputError:
    """One line for a template that failed to load or render: the file, the line where Jinja knows it (the
    innermost template frame of its rewritten traceback), what went wrong and what to do."""
    where, line = name, None
    if isinstance(error, jinja2.TemplateSyntaxError):
        where, line = error.filename or error.name or name, error.lineno
    else:
        tb = error.__traceback__
        while tb is not None:
            if "__jinja_exception__" in tb.tb_frame.f_globals:  # a frame jinja made to point at a template line
                where, line = tb.tb_frame.f_code.co_filename, tb.tb_lineno
            tb = tb.tb_next
    what, advice = next(((what, advice) for kind, what, advice in _TEMPLATE_ADVICE if isinstance(error, kind)),
                        (type(error).__name__, "fix the expression at that line"))
    detail = error.message if isinstance(error, jinja2.TemplateError) else str(error)
    detail = " ".join(str(detail or "").split()).rstrip(".")
    if isinstance(error, RecursionError):
        detail = ""
    elif len(detail) > 200:
        detail = detail[:200] + "..."
    at = f"template {loader.label(where)}" + (f", line {line}" if line else "")
    return InputError(f"{at}: {what}" + (f": {detail}" if detail else "") + f"; {advice}")


DISPLAY_BUDGET, DISPLAY_ROWS = 3000, 20
"""Most characters of TeX, and most rows, one Markdown display holds: KaTeX stops at 1,000 macro expansions per
formula (``\\,`` and ``\\operatorname`` each count) and MathJax 2 at a 5 KB buffer, and a display is one unbreakable
block in a PDF (Pandoc, MyST), so it must fit a page; 3,000 characters and 20 rows stay under all three (tested)."""

_DISPLAY = re.compile(r"^\$\$\n\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}\n\$\$$", re.S | re.M)
_ROW_END = " \\\\\n"
_CONTINUATION = r"&\qquad "


def split_displays(markdown: str, budget: int = DISPLAY_BUDGET) -> str:
    """Every ``$$ aligned $$`` display longer than ``budget`` characters split into several at row boundaries, so
    that every renderer can typeset each: a recursion node, a Jacobian or a sum's term is kept whole where it fits
    (rows are split only before a new left-hand side, a new term or a new line of a node's sum, never before a
    term's continuation line)."""
    return _DISPLAY.sub(lambda match: _split_display(match.group(1), budget), markdown)


def _split_display(body: str, budget: int) -> str:
    terms: list[list[str]] = []
    for row in body.split(_ROW_END):
        if terms and row.startswith(_CONTINUATION):
            terms[-1].append(row)
        else:
            terms.append([row])
    units: list[list[str]] = []  # a left-hand side and the terms after it, as many as fit
    for term in terms:
        if units and term[0].startswith("&") and _size(units[-1] + term) <= budget:
            units[-1] += term
        else:
            units.append(list(term))
    displays: list[list[str]] = []
    for unit in units:
        if displays and _size(displays[-1] + unit) <= budget:
            displays[-1] += unit
        else:
            displays.append(list(unit))
    return "\n\n".join(f"$$\n\\begin{{aligned}}\n{_ROW_END.join(rows)}\n\\end{{aligned}}\n$$" for rows in displays)


def _size(rows: list[str]) -> float:
    """Characters, or more than any budget past DISPLAY_ROWS rows."""
    return math.inf if len(rows) > DISPLAY_ROWS else sum(map(len, rows)) + len(_ROW_END) * (len(rows) - 1)


def to_json(document: Document) -> str:
    """The stable JSON form (README, "JSON output"); keys in a fixed order."""
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
        "path_count": document.path_count if document.path_count >= 0 else None,
        "path_formula": document.path_formula or None,
        "paths": [{"nodes": list(p.nodes), "chain": p.chain, "latex": p.named,
                   "expanded": list(p.expanded), "shaped": p.shaped} for p in document.paths],
        "shorthands": [{"name": s.symbol, "definition": s.definition, "latex": s.formula} for s in document.shorthands],
        "jacobians": [{"symbol": j.symbol, "latex": j.formula} for j in document.jacobians],
        "gradient": {
            "derivative": document.derivative,
            "latex": " + ".join(p.named for p in document.paths) or _zero(document),
            "shaped": " + ".join(p.shaped for p in document.paths) or _zero(document),
        },
        "form": document.form,
        "factored": None if not document.recursions else {
            "recursions": _recursions_json(document),
            "terms": [" ".join(lines) for lines in document.factored],
        },
        "notes": list(document.notes),
        "value": _value_json(document),
        **_worked_json(document),
        "entry": None if not document.entry else {
            "index": list(document.entry_index), "latex": document.entry,
            "value": None if document.value is None else document.value.entry_numbers},
        "depends_on": None if not document.depends_on else {
            "node": document.depends_on,
            "jacobians": [{"symbol": symbol, "changes": changes, "reads": list(reads)}
                          for (symbol, changes, _), reads in zip(document.sensitivities, document.sensitivity_reads)]},
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
        **_worked_json(first),
        "check": None if whole.check is None else {"passed": whole.check.passed},
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _zero(document: Document) -> str:
    """The gradient's LaTeX when no path leads from the variable to the loss (0), else none (the factored form)."""
    return "0" if document.path_count == 0 else ""


def _recursions_json(document: Document) -> list[dict]:
    return [{"gradient": r.symbol, "latex": r.definition, "expanded": r.formula} for r in document.recursions]


def _worked_json(document: Document) -> dict:
    """The values symrnn drew (--numbers), and the forward and backward passes at the given values: node id →
    numbers in the node's own shape (null without values)."""
    value = document.value
    if value is None:
        return {"given": None, "forward": None, "backward": None}
    return {"given": {v.ident: v.numbers for v in value.given} if value.given else None,
            "forward": {v.ident: v.numbers for v in value.forward},
            "backward": {v.ident: v.numbers for v in value.backward}}


def _value_json(document: Document) -> dict | None:
    value = document.value
    return None if value is None else {"shape": list(value.shape), "values": value.numbers}


def whole_check_table(whole: Whole) -> tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The check's table for the whole gradient: each parameter's rows, the parameter first."""
    checked = [(part, part.check) for part in whole.parts if part.check is not None]
    headings = ("parameter",) + check_table(checked[0][1])[0]
    rows = tuple((f"${part.wrt_latex}$",) + row for part, report in checked for row in check_table(report)[1])
    return headings, rows


def _check_json(report: CheckReport) -> dict:
    return {
        "passed": report.passed,
        "seed": report.seed,
        "sizes": dict(report.sizes),
        "tolerance": report.tolerance,
        "step": report.step,
        "method": f"{reference_words(report)}, float64",
        "results": [{k: v for k, v in asdict(r).items() if v is not None} for r in report.results],
    }
