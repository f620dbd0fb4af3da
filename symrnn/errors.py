"""One exception hierarchy; the CLI maps each kind to an exit status (README, "Errors and limits").

Every error is one line that names the bad value and the way forward.
"""


class SymrnnError(Exception):
    """Anything symrnn reports to a user: one line that says what is wrong and how to fix it."""

    exit_code = 1


class InputError(SymrnnError):
    """Bad usage or bad input (unknown model, bad values file, bad template ...): exit status 2."""

    exit_code = 2


class OutputError(SymrnnError):
    """The output could not be written (``-o`` target, full disk, closed standard output): exit status 2."""

    exit_code = 2


class CheckFailed(SymrnnError):
    """A derived gradient disagreed with the reference, or could not be checked: exit status 1."""

    exit_code = 1


class Interrupted(BaseException):
    """SIGTERM or SIGHUP: raised where the program is, so that a half-written temporary file is removed.

    A BaseException, like KeyboardInterrupt, so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


class MissingRule(SymrnnError):
    """An expression that one of symrnn's tables (value, Jacobian, reverse mode, LaTeX) has no rule for: a model
    uses an operation where symrnn cannot yet take it. Exit status 2, since the model is the input."""

    exit_code = 2

    def __init__(self, table: str, node: object) -> None:
        name = type(node).__name__
        super().__init__(f"symrnn has no {table} rule for {name} ({_brief(node)}); this operation cannot be used "
                         f"there yet: write the equation with the operations the README lists")


def _brief(node: object) -> str:
    text = repr(node)
    return text if len(text) <= 80 else text[:77] + "..."
