"""``python -m symrnn``: the same as the ``symrnn`` command."""

from .cli import main

main()
