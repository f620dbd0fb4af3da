"""One exception hierarchy; the CLI maps each kind to an exit status (design.md, "Contracts")."""


class SymrnnError(Exception):
    """Anything symrnn reports to a user: one line that says what is wrong and how to fix it."""

    exit_code = 1


class InputError(SymrnnError):
    """Bad usage or bad input (unknown model, bad values file, ...): exit status 2."""

    exit_code = 2


class CheckFailed(SymrnnError):
    """A derived gradient disagreed with finite differences: exit status 1."""

    exit_code = 1
