"""Folders shipped inside the package (the templates, the catalogue's model files), found where they are."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped_folder(package: str, checkout: str, holds: str) -> Path:
    """The package data ``package`` of an installed symrnn, or, run from a checkout that is not installed
    (``python -m symrnn`` at its root, which imports the checkout's symrnn without its data), the checkout's
    folder ``checkout``; ``holds`` names an entry the right folder has."""
    try:
        found: Path | None = Path(str(files(package)))
    except ModuleNotFoundError:
        found = None
    if found is not None and (found / holds).exists():
        return found
    return Path(__file__).resolve().parent.parent / checkout
