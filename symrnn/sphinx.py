"""The Sphinx extension: ``extensions = ["symrnn.sphinx"]`` in ``conf.py``, then on a page::

    .. symrnn-derive::
       :model: elman
       :steps: 3
       :check:

The directive's options are ``symrnn derive``'s, spelled without the dashes (``:model:`` takes a built-in name or a
model file relative to the page, ``:at:`` a values file, flags such as ``:check:`` take no value). HTML builders get
docutils nodes: a rubric for the heading, paragraphs, lists, a table for the check, and one ``math_block`` per
display, so MathJax 3, MathJax 2 and imgmath each typeset the derivation; the LaTeX builder gets symrnn's LaTeX
fragment, with ``\\allowdisplaybreaks`` added to the preamble. A failing ``:check:`` fails the build with the
check's table. A derivation runs once per options, files and symrnn version; Sphinx rereads only the pages that
changed, so a rebuild with nothing changed derives nothing.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import click
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import only
from sphinx.errors import ExtensionError
from sphinx.util.docutils import SphinxDirective

from . import __version__
from .embed import EmbedError, arguments, run
from .rendering import INLINE_MARKDOWN

LEFT_TO_THE_BUILD = frozenset({"format", "standalone", "output", "heading-level", "help"})
"""derive's options a page does not choose: the builder picks the format, and the page is the document."""


def _derive_options() -> dict[str, Any]:
    """Every option of ``symrnn derive`` as a directive option: a flag takes no value, the rest one."""
    from .cli import derive

    found: dict[str, Any] = {}
    for param in derive.params:
        if not isinstance(param, click.Option):
            continue
        for name in param.opts + param.secondary_opts:
            key = name.lstrip("-")
            if name.startswith("--") and key not in LEFT_TO_THE_BUILD:
                found[key] = directives.flag if param.is_flag else directives.unchanged_required
    return found


class DeriveDirective(SphinxDirective):
    """``.. symrnn-derive::`` with derive's options: the derivation, checked when asked, typeset for the builder."""

    has_content = False
    option_spec = _derive_options()

    def run(self) -> list[nodes.Node]:
        folder = Path(self.env.doc2path(self.env.docname)).parent
        words = [word for key, value in self.options.items()
                 for word in ([f"--{key}"] if value is None else [f"--{key}", value])]
        where = f"{self.env.docname}, line {self.lineno}"
        try:
            markdown = run(arguments(words, folder, "markdown") + ("--heading-level", "3"), where)
            latex = run(arguments(words, folder, "latex"), where)
        except EmbedError as error:
            raise ExtensionError(str(error)) from None
        html = only(expr="not latex")
        html += markdown_nodes(markdown)
        printed = only(expr="latex")
        printed += nodes.raw("", latex, format="latex")
        return [html, printed]


def markdown_nodes(markdown: str) -> list[nodes.Node]:
    """symrnn's Markdown as docutils nodes: headings as rubrics, paragraphs, bullet and numbered lists, tables,
    $$ displays as math_block (one per display), code fences as literal blocks; inline $…$, **…**, *…*, `…`."""
    found: list[nodes.Node] = []
    for block in _blocks(markdown):
        first = block[0]
        if first.startswith("$$"):
            latex = "\n".join(block[1:-1])
            found.append(nodes.math_block(latex, latex, nowrap=False, number=None))
        elif first.startswith("```"):
            text = "\n".join(block[1:-1])
            found.append(nodes.literal_block(text, text, language=first[3:] or "text"))
        elif first.startswith("#"):
            found.append(nodes.rubric("", "", *_inline(first.lstrip("#").strip())))
        elif first.startswith("|"):
            found.append(_table(block))
        elif first.startswith("- ") or re.match(r"\d+\. ", first):
            found.append(_list(block))
        else:
            found.append(nodes.paragraph("", "", *_inline(" ".join(block))))
    return found


def _blocks(markdown: str) -> list[list[str]]:
    """Blank-line separated blocks, a display or a code fence kept whole."""
    blocks: list[list[str]] = []
    current: list[str] = []
    fence = ""
    for line in markdown.splitlines():
        if fence:
            current.append(line)
            if line == fence:
                blocks.append(current)
                current, fence = [], ""
            continue
        if line in ("$$", "```") or line.startswith("```"):
            if current:
                blocks.append(current)
            current, fence = [line], "$$" if line == "$$" else "```"
            continue
        if not line.strip():
            if current:
                blocks.append(current)
            current = []
        else:
            current.append(line)
    if current:
        blocks.append(current)
    return blocks


def _inline(text: str) -> list[nodes.Node]:
    found: list[nodes.Node] = []
    at = 0
    for match in INLINE_MARKDOWN.finditer(text):
        if match.start() > at:
            found.append(nodes.Text(text[at:match.start()]))
        math, strong, emphasis, literal = match.groups()
        if math is not None:
            found.append(nodes.math(math, math))
        elif strong is not None:
            found.append(nodes.strong("", "", *_inline(strong)))
        elif emphasis is not None:
            found.append(nodes.emphasis("", "", *_inline(emphasis)))
        else:
            found.append(nodes.literal(literal, literal))
        at = match.end()
    if at < len(text):
        found.append(nodes.Text(text[at:]))
    return found


def _list(block: list[str]) -> nodes.Element:
    numbered = not block[0].startswith("- ")
    listed: nodes.Element = nodes.enumerated_list(enumtype="arabic") if numbered else nodes.bullet_list(bullet="-")
    for line in block:
        text = re.sub(r"^(- |\d+\. )", "", line)
        listed += nodes.list_item("", nodes.paragraph("", "", *_inline(text)))
    return listed


def _table(block: list[str]) -> nodes.Element:
    rows = [[cell.strip() for cell in line.strip("|").split("|")] for line in block if not line.startswith("|-")]
    group = nodes.tgroup(cols=len(rows[0]))
    group += [nodes.colspec(colwidth=1) for _ in rows[0]]
    for part, lines in ((nodes.thead(), rows[:1]), (nodes.tbody(), rows[1:])):
        for cells in lines:
            row = nodes.row()
            row += [nodes.entry("", nodes.paragraph("", "", *_inline(cell))) for cell in cells]
            part += row
        group += part
    return nodes.table("", group)


def _preamble(app: Any, config: Any) -> None:
    """\\allowdisplaybreaks for the LaTeX builder: a long recursion may break across pages."""
    elements = dict(config.latex_elements or {})
    elements["preamble"] = elements.get("preamble", "") + "\n\\allowdisplaybreaks\n"
    config.latex_elements = elements


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("symrnn-derive", DeriveDirective)
    app.connect("config-inited", _preamble)
    return {"version": __version__, "parallel_read_safe": True, "parallel_write_safe": True}
