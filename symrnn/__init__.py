"""symrnn: worked, checked, typeset derivations of the gradients of recurrent networks.

The pipeline: ``derive`` unrolls a model and writes ∂loss/∂wrt as a sum over paths of products of Jacobians (and
as the factored recursion); ``check`` proves it numerically; ``evaluate`` gives its value at given numbers;
``render`` typesets it as LaTeX, Markdown or JSON; ``document`` does all of it, as ``symrnn derive`` does. A model
is a built-in name, a model file (``load_model``), or SymPy matrix expressions (``from_sympy``).
Every option after the model and the steps is keyword-only.
"""

__version__ = "0.1.0"

from .api import (  # noqa: E402 - the modules below read __version__
    ActivationName,
    Form,
    Format,
    Gradient,
    ReadoutName,
    Result,
    check,
    derive,
    document,
    evaluate,
    load_model,
    path_report,
    render,
)
from .catalogue import MODELS, get_model  # noqa: E402
from .derivation import Derivation  # noqa: E402
from .errors import CheckFailed, InputError, OutputError, SymrnnError  # noqa: E402
from .fromsympy import from_sympy, model_file_from_sympy  # noqa: E402
from .models import Model  # noqa: E402
from .present import Document, Value, Whole  # noqa: E402
from .report import CheckReport  # noqa: E402


def load_ipython_extension(ipython: object) -> None:
    """``%load_ext symrnn`` in IPython or Jupyter: the ``%symrnn`` magic, which runs the command line in the kernel
    (``%symrnn derive -m elman -n 3 --check``) and shows its output."""
    from .notebook import load_ipython_extension as load

    load(ipython)


__all__ = [
    "ActivationName", "CheckFailed", "CheckReport", "Derivation", "Document", "Form", "Format", "Gradient",
    "InputError", "MODELS", "Model", "OutputError", "ReadoutName", "Result", "SymrnnError", "Value", "Whole",
    "__version__", "check", "derive", "document", "evaluate", "from_sympy", "get_model", "load_model",
    "model_file_from_sympy", "path_report", "render",
]
