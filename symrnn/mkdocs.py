"""The MkDocs plugin: a fenced ``symrnn`` block on a page becomes the derivation it asks for, as Markdown.

In ``mkdocs.yml`` one line, under ``plugins:``, ``- symrnn``; and on a page::

    ```symrnn
    -m elman -n 3 --check
    ```

The block holds ``symrnn derive``'s arguments (``derive`` may be left out); a model file or ``--at`` values file is
found relative to the page. A derivation that fails, or a ``--check`` that fails, stops the build with symrnn's
error (and the check's table). The plugin's ``heading_level`` option (default 3) sets the derivation's heading.

The math: unless the site already uses ``pymdownx.arithmatex``, the plugin turns it on (``generic: true``) and adds
a math engine to the pages, by its ``math`` option: ``mathjax`` (MathJax 3, the default), ``katex`` (KaTeX, with its
auto-render), or ``none`` (the site brings its own, as MkDocs Material's documented setups do).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from mkdocs.config import config_options
from mkdocs.exceptions import PluginError
from mkdocs.plugins import BasePlugin

from .embed import EmbedError, arguments, run

FENCE = re.compile(r"^(?P<indent>[ \t]*)```symrnn[ \t]*\n(?P<body>.*?)^(?P=indent)```[ \t]*$", re.S | re.M)
"""A fenced block whose language is symrnn, its arguments on one or more lines."""


ARITHMATEX = "pymdownx.arithmatex"

ENGINES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "mathjax": (("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js",), ()),
    "katex": (("https://cdn.jsdelivr.net/npm/katex@0.16/dist/katex.min.js",
               "https://cdn.jsdelivr.net/npm/katex@0.16/dist/contrib/auto-render.min.js", "assets/symrnn-katex.js"),
              ("https://cdn.jsdelivr.net/npm/katex@0.16/dist/katex.min.css",)),
    "none": ((), ()),
}
"""The scripts and style sheets each ``math`` choice adds to every page."""

KATEX_START = """document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll(".arithmatex").forEach(function (element) {
    renderMathInElement(element, {delimiters: [{left: "\\\\(", right: "\\\\)", display: false},
                                               {left: "\\\\[", right: "\\\\]", display: true}]});
  });
});
"""
"""assets/symrnn-katex.js: KaTeX (default settings) over arithmatex's math once a page has loaded."""


class SymrnnPlugin(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """``plugins: [symrnn]``: every ```symrnn block replaced by its derivation, and the math typeset."""

    config_scheme = (("heading_level", config_options.Type(int, default=3)),
                     ("math", config_options.Choice(tuple(ENGINES), default="mathjax")))

    def on_config(self, config: Any, **kwargs: Any) -> Any:
        if self.config["math"] == "none" or ARITHMATEX in config["markdown_extensions"]:
            return config
        config["markdown_extensions"].append(ARITHMATEX)
        config["mdx_configs"][ARITHMATEX] = {"generic": True}
        scripts, sheets = ENGINES[self.config["math"]]
        config["extra_javascript"].extend(scripts)
        config["extra_css"].extend(sheets)
        return config

    def on_post_build(self, config: Any, **kwargs: Any) -> None:
        if "assets/symrnn-katex.js" in ENGINES[self.config["math"]][0]:
            target = Path(config["site_dir"]) / "assets" / "symrnn-katex.js"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(KATEX_START, encoding="utf-8")

    def on_page_markdown(self, markdown: str, page: Any, config: Any, files: Any, **kwargs: Any) -> str:
        folder = Path(page.file.abs_src_path).parent
        return expand(markdown, folder, page.file.src_path, self.config["heading_level"])


def expand(markdown: str, folder: Path, where: str, heading_level: int = 3) -> str:
    """A page's Markdown with each ```symrnn block replaced by the derivation it asks for."""

    def derived(match: re.Match[str]) -> str:
        words = arguments(" ".join(match.group("body").split()), folder)
        if "--heading-level" not in words:
            words += ("--heading-level", str(heading_level))
        try:
            return run(words, where).rstrip("\n")
        except EmbedError as error:
            raise PluginError(str(error)) from None

    return FENCE.sub(derived, markdown)
