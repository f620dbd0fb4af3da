"""The MkDocs plugin: a fenced ``symrnn`` block on a page becomes the derivation it asks for, as Markdown.

In ``mkdocs.yml``::

    plugins:
      - search
      - symrnn
    markdown_extensions:
      - pymdownx.arithmatex: {generic: true}   # $$ … $$ and $…$ for KaTeX or MathJax

and on a page::

    ```symrnn
    -m elman -n 3 --check
    ```

The block holds ``symrnn derive``'s arguments (``derive`` may be left out); a model file or ``--at`` values file is
found relative to the page. A derivation that fails, or a ``--check`` that fails, stops the build with symrnn's
error (and the check's table). The plugin's ``heading_level`` option (default 3) sets the derivation's heading.
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


class SymrnnPlugin(BasePlugin):  # type: ignore[type-arg, no-untyped-call]
    """``plugins: [symrnn]``: every ```symrnn block replaced by its derivation."""

    config_scheme = (("heading_level", config_options.Type(int, default=3)),)

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
