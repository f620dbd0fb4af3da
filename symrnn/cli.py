"""The command line: a thin click shell that parses, calls the library, prints, and maps errors.

Exit status (README, "Errors and limits"): 0 success; 1 a derivation or check failed; 2 bad
usage, bad input, or output that could not be written. Every error is one line on stderr; no
traceback, no partial output file.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import sys
from contextlib import contextmanager
from typing import Iterable, Iterator, Literal

import click

from . import __version__
from .activations import ACTIVATIONS
from .api import (
    DEFAULT_LIST,
    MAX_PICTURE_STEPS,
    ActivationName,
    Form,
    GraphFormat,
    Notation,
    ReadoutName,
    catalogue,
    catalogue_file,
    checked_model_file,
    document,
    failed,
    graph_picture,
    path_report,
)
from .catalogue import MODELS, READOUTS
from .derivation import AUTO_PATHS, FORMS
from .errors import CheckFailed, InputError, Interrupted, OutputError, SymrnnError
from .files import write_output
from .limits import (
    DIGITS,
    MAX_COUNT_STEPS,
    MAX_DIGITS,
    MAX_LIST,
    MAX_PATHS,
    MAX_PATHS_LIMIT,
    MAX_ROUND_SIZE,
    MAX_SEED,
    MAX_STEPS,
    ROUND_SIZE,
)
from .paths import exact_digits
from .rendering import FORMATS, HEADING_LEVEL, MAX_HEADING_LEVEL, render
from .report import TOLERANCE

STOPPING_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Signals that end a run: each raises Interrupted where the program is, so that a temporary file is removed,
and the run ends with one line and status 128 + the signal's number."""


class Shell(click.Group):
    """A click group that reports every error in one line on stderr, with the README's exit status."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            status = _run_quietly(super().main, args, prog_name, complete_var, **extra)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        except Interrupted as stopped:
            _fail(f"stopped by {signal.Signals(stopped.signum).name}; no output file was written", 128 + stopped.signum)
        except click.ClickException as error:
            _fail(_one_line(error), error.exit_code)
        except SymrnnError as error:
            _fail(str(error), error.exit_code)
        except Exception as error:  # noqa: BLE001 - a bug of symrnn's: still one line, never a traceback
            _fail(f"internal error ({type(error).__name__}: {' '.join(str(error).split())[:200]}); this is a bug in "
                  f"symrnn {__version__}: please report it with the command that caused it", 1)
        sys.exit(status if isinstance(status, int) else 0)


def _run_quietly(main, args, prog_name, complete_var, **extra) -> object:
    """click's main without its own exits, then standard output flushed: help, errors and a full stdout
    all come back as exceptions to report in one line."""
    try:
        with _writing_stdout():  # click's own output (--help, --version) too
            status = main(args, prog_name, complete_var, standalone_mode=False, **extra)
    except click.exceptions.NoArgsIsHelpError as error:
        _emit(error.ctx.get_help() + "\n")
        status = 0
    with _writing_stdout():
        sys.stdout.flush()
    return status


def _fail(message: str, status: int) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(status)


def _stop_on_signals() -> None:
    for signum in STOPPING_SIGNALS:
        signal.signal(signum, _interrupt)


def _interrupt(signum: int, frame: object) -> None:
    raise Interrupted(signum)


def _emit(text: str) -> None:
    """Print to standard output; a full disk or a closed pipe is one line on stderr (exit 2), not a traceback."""
    with _writing_stdout():
        sys.stdout.write(text)
        sys.stdout.flush()


WRITE_ERRORS = frozenset({errno.EPIPE, errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT, errno.EBADF})
"""What writing to standard output can fail with: a closed pipe, a full disk, a closed descriptor."""


@contextmanager
def _writing_stdout() -> Iterator[None]:
    """A failed write to standard output as an OutputError; standard output is then pointed at /dev/null, so that
    Python's last flush at exit finds nothing more to fail on."""
    try:
        yield
    except OSError as error:
        if error.errno not in WRITE_ERRORS:
            raise OutputError(f"input/output error: {error}") from None
        _silence_stdout()
        reason = ("the reader closed the pipe before everything was written" if isinstance(error, BrokenPipeError)
                  else error.strerror or str(error))
        raise OutputError(f"cannot write to standard output: {reason}") from None


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass


def _one_line(error: click.ClickException) -> str:
    message = " ".join(error.format_message().split())
    ctx = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and ctx is not None:
        return f"{message} (see '{ctx.command_path} --help')"
    return message


class Failure(click.ClickException):
    """A library error on its way out, with the library's exit status."""

    def __init__(self, error: SymrnnError) -> None:
        super().__init__(str(error))
        self.exit_code = error.exit_code


@contextmanager
def reporting() -> Iterator[None]:
    """Turn the library's errors into one-line click errors."""
    try:
        yield
    except SymrnnError as error:
        raise Failure(error) from None


@click.group(cls=Shell, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="symrnn")
def cli() -> None:
    """Worked, checked, typeset derivations of the gradients of recurrent networks.

    \b
    symrnn derive --model elman --steps 3             the paths and dL/dW_hx, in LaTeX
    symrnn derive -n 3 --check                         ... proved numerically
    symrnn derive -n 3 --standalone -o elman.tex       ... as a document for pdflatex
    symrnn derive -n 3 -f markdown --wrt W_hh          ... in Markdown, for another parameter
    symrnn models                                      the built-in models and their notation
    symrnn graph -n 3 -f mermaid                       the unrolled graph, its paths drawn thick
    symrnn derive -m my-cell.yaml -n 3 --check         your own network, written as a model file (README)
    """


def model_options(max_steps: int, symbolic: bool = False):
    """The options that say which derivative of which unrolled model: shared by derive, paths and graph (derive
    also takes --steps N, a general number of steps)."""
    return lambda command: _with_options(command, _model_option_list(max_steps, symbolic))


class Steps(click.ParamType):
    """A number of steps from 1 to a bound, or N (a general number of steps)."""

    name = "steps"

    def __init__(self, maximum: int) -> None:
        self.maximum = maximum

    def convert(self, value, param, ctx):
        if value == "N" or isinstance(value, int):
            return value
        try:
            number = int(value)
        except ValueError:
            self.fail(f"{value!r} is not a number of steps (1 to {self.maximum}) or N", param, ctx)
        if not 1 <= number <= self.maximum:
            self.fail(f"{number} is not in the range 1<=x<={self.maximum} (or N)", param, ctx)
        return number


def _with_options(command, options: list):
    for option in reversed(options):
        command = option(command)
    return command


def _model_option_list(max_steps: int, symbolic: bool = False) -> list:
    steps_help = f"Time steps to unroll (1 to {max_steps})" + (
        "; N writes the factored form for a general number of steps N." if symbolic else ".")
    return [
        click.option("--model", "-m", metavar="NAME|FILE", default="elman", show_default=True,
                     help=f"A built-in model ({', '.join(MODELS)}; 'symrnn models' shows their equations) or a "
                          "model file, NAME.yaml (see the README's model files)."),
        click.option("--steps", "-n", type=Steps(max_steps) if symbolic else click.IntRange(1, max_steps), default=3,
                     show_default=True, help=steps_help),
        click.option("--wrt", metavar="NAME",
                     help="Differentiate with respect to a parameter (elman: W_hx, W_hh, b_h, h_0, V, gamma; "
                          "'symrnn models' lists every model's), one entry of it (W_hx[1,2]), an input x[t] or a "
                          "hidden node h[t]; 'all' "
                          "(derive only) gives every parameter's gradient with one shared recursion.  "
                          "[default: the model's default_wrt, W_hx for elman]"),
        click.option("--loss", metavar="NODE",
                     help="The value to differentiate, such as a per-step loss L[2]; a vector (o[0], l) gives its "
                          "Jacobian.  [default: the model's loss]"),
        click.option("--position", "-i", type=click.IntRange(1), metavar="I",
                     help="For a readout at a position (birnn): the step i it looks at.  [default: the last, n]"),
        click.option("--layers", "-L", type=click.IntRange(1), metavar="L",
                     help="For a stacked model: the number of layers.  [default: 2]"),
        click.option("--readout", type=click.Choice(list(READOUTS)),
                     help="Replace the model's readout: final (l = V h^(n) + gamma, o = -LS(l)_y, Collins's "
                          "questions) or "
                          "every (softmax and cross-entropy at every step, L = sum_t L^(t), Goodfellow).  "
                          "[default: the model's source]"),
    ]


@cli.command()
@model_options(MAX_STEPS, symbolic=True)
@click.option("--activation", "-g", type=click.Choice(list(ACTIVATIONS)), default="g", show_default=True,
              help="Transfer function: the generic g of the exercise, or a concrete one; relu-active is ReLU "
                   "with every unit assumed active (ReLU' = 1), also for a model whose ReLU is fixed.")
@click.option("--format", "-f", "fmt", type=click.Choice(FORMATS), default="latex", show_default=True,
              help="LaTeX fragment (amsmath, amssymb); Markdown with $$ math (MkDocs, Jupyter, MyST, Pandoc; "
                   "each display small enough for KaTeX and MathJax); gfm, Markdown for GitHub (```math fences, "
                   "$`x`$ inline); or JSON.")
@click.option("--standalone", is_flag=True,
              help="A complete LaTeX document that compiles with pdflatex; in Markdown, a page of its own (a title "
                   "line one level above the derivation's heading).")
@click.option("--heading-level", type=click.IntRange(1, MAX_HEADING_LEVEL), default=HEADING_LEVEL,
              show_default=True, metavar="N",
              help="Markdown: the level of the derivation's heading (2 for ##), to fit the page it goes into.")
@click.option("--output", "-o", metavar="FILE",
              help="Write to FILE instead of standard output: a regular file is replaced atomically and keeps its "
                   "mode; a device or FIFO is written through. Written only when the run succeeds (exit 0).")
@click.option("--template-dir", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Look for templates in DIR first: copy one from symrnn's templates/default/ and edit it, or extend "
                   "it and override one block: ((* extends \"default/derivation.tex.j2\" *)).")
@click.option("--check", is_flag=True,
              help=f"Prove the result against complex-step derivatives (reverse mode for large graphs) of the "
                   f"forward pass at random values (relative error at most "
                   f"{TOLERANCE:g}); exit 1 on a mismatch. A generic g is checked with every activation.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=0, show_default=True,
              help="Random draw for --check's sizes and values, and for --numbers.")
@click.option("--at", "values", metavar="FILE",
              help="Work the derivation out at the values in a JSON or YAML file (see README): the forward pass, "
                   "the backward pass (the gradient with respect to every node on the way, last step first) and "
                   "the gradient, as numbers.")
@click.option("--notation", type=click.Choice(["jacobian", "leibniz"]), default="jacobian", show_default=True,
              help="How an edge's Jacobian is written: jacobian, D(a -> b) (Collins's questions); leibniz, the "
                   "fraction db/da of the chain rule, as most lecture notes write it.")
@click.option("--depends-on", metavar="NODE",
              help="Say which of the derivation's Jacobians change with the value of NODE (such as x[1]): those "
                   "whose formula reads it or a value computed from it.")
@click.option("--figure/--no-figure", default=None,
              help="Draw the unrolled graph with the paths from NAME to the loss thick: TikZ in LaTeX, a Mermaid "
                   "block in Markdown.  [default: on with --standalone for n <= 6, else off]")
@click.option("--numbers", is_flag=True,
              help="Work the derivation out at round values drawn from --seed (every size --size, every number a "
                   "multiple of 0.1), easy to check by hand; the document lists them. Instead of --at.")
@click.option("--size", type=click.IntRange(1, MAX_ROUND_SIZE), default=ROUND_SIZE, show_default=True, metavar="N",
              help="With --numbers: every dimension of the values drawn.")
@click.option("--digits", type=click.IntRange(1, MAX_DIGITS), default=DIGITS, show_default=True,
              help="Significant digits shown for --at's numbers (computed in float64 whatever this is).")
@click.option("--form", type=click.Choice(FORMS), default="auto", show_default=True,
              help=f"paths: the sum over paths (what an exercise asks for); factored: back-propagation through "
                   f"time as a recursion for each gradient, linear in n; both; auto: paths when there are at "
                   f"most {AUTO_PATHS}, else factored.")
@click.option("--max-paths", type=click.IntRange(1, MAX_PATHS_LIMIT), default=MAX_PATHS, show_default=True,
              help=f"Refuse to list more paths than this (at most {MAX_PATHS_LIMIT:,}).")
def derive(model: str, steps: int | Literal["N"], wrt: str | None, loss: str | None, position: int | None,
           layers: int | None, readout: ReadoutName | None, activation: ActivationName,
           fmt: str, standalone: bool, heading_level: int, output: str | None, template_dir: str | None,
           check: bool, seed: int, values: str | None, notation: Notation, depends_on: str | None,
           figure: bool | None, numbers: bool, size: int, digits: int, form: Form, max_paths: int) -> None:
    """Derive d(loss)/d(NAME) on the unrolled graph, and typeset it.

    The path form lists every directed path from NAME to the loss, writes the gradient as
    the sum over paths of products of Jacobians D(a -> b) (with shorthands A, B^t, as exercise
    sheets write them), gives each Jacobian's formula, the expanded terms, and the gradient in
    NAME's own shape. The factored form writes back-propagation through time as a recursion, one line
    per node, linear in n. --wrt all gives every parameter's gradient from one recursion.

    \b
    symrnn derive -m elman -n 3                     Collins's Question 1, path by path
    symrnn derive -m gru -n 5 --wrt all --check     the whole gradient, checked
    symrnn derive -m elman -n 2 -g tanh --numbers   worked out at round numbers
    symrnn derive -m deng -n N                      for any number of steps N
    """
    with reporting():
        doc = document(model, steps, wrt=wrt, loss=loss, activation=activation, form=form, position=position,
                       layers=layers, readout=readout, max_paths=max_paths, check=check, seed=seed, values=values,
                       digits=digits, numbers=numbers, figure=_figure(figure, standalone, steps, wrt, fmt),
                       depends_on=depends_on, notation=notation, size=size)
        text = render(doc, fmt, standalone, template_dir, heading_level)
        problem = _check_failure(doc, output)
        if output is None:
            _emit(text)
        elif problem is None:
            write_output(output, text)
        if problem is not None:
            raise problem


def _check_failure(doc, output: str | None) -> CheckFailed | None:
    """A failed --check: the document still goes to standard output (its table shows FAIL), but -o writes nothing."""
    if not failed(doc.check):
        return None
    where = f"; {output} was not written" if output is not None else ""
    return CheckFailed(f"check failed: {doc.check.describe()}{where}")


@cli.command()
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text for people, JSON for programs.")
@click.option("--show", "show", metavar="NAME",
              help="Print a built-in model as a model file (YAML), to read or to copy and change.")
@click.option("--check", "check_file", metavar="FILE",
              help="Read a model file, describe it, and prove every parameter's gradient at n = 2 numerically; "
                   "exit 2 with the file, line and column of the first error, 1 if a gradient fails its check.")
def models(fmt: str, show: str | None, check_file: str | None) -> None:
    """List the built-in models (source, equations, parameters, inputs and labels), or check a model file.

    \b
    symrnn models                              every built-in model
    symrnn models --show gru > my-gru.yaml         a built-in model as a file, to change
    symrnn models --check examples/models/mgu.yaml
    """
    with reporting():
        if show is not None:
            _emit(catalogue_file(show))
            return
        if check_file is not None:
            entry, reports = checked_model_file(check_file)
            _emit(json.dumps({**entry, "check": [{"wrt": wrt, "passed": r.passed} for wrt, r in reports]},
                             indent=2, ensure_ascii=False) + "\n" if fmt == "json" else
                  _describe_text(entry) + _check_lines(reports))
            if not all(r.passed for _, r in reports):
                raise CheckFailed(f"{check_file}: a gradient failed its check")
            return
        entries = catalogue()
        if fmt == "json":
            _emit(json.dumps(entries, indent=2, ensure_ascii=False) + "\n")
            return
        for entry in entries:
            _emit(_describe_text(entry) + "\n")


def _check_lines(reports) -> str:
    verdicts = ", ".join(f"{wrt} {'passed' if report.passed else 'FAILED'}" for wrt, report in reports)
    return f"  checked at n = 2 ({reports[0][1].method}): {verdicts}\n"


def _describe_text(entry: dict) -> str:
    symbols = lambda items: ", ".join(f"{s['name']} ({' x '.join(s['shape']) or 'scalar'})" for s in items)  # noqa: E731
    lines = [f"{entry['name']}: {entry['title']}", f"  source: {entry['source']}", "  equations (LaTeX):"]
    lines += [f"    {eq}" for eq in entry["equations"]]
    lines += [f"  parameters: {symbols(entry['parameters'])}", f"  inputs (per step): {symbols(entry['inputs'])}",
              f"  labels: {', '.join(label['name'] for label in entry['labels']) or 'none'}",
              f"  loss: {entry['loss']}; default --wrt: {entry['default_wrt']}", ""]
    return "\n".join(lines)


@cli.command()
@model_options(MAX_COUNT_STEPS)
@click.option("--count", "count_only", is_flag=True, help="Print only the exact number of paths.")
@click.option("--limit", type=click.IntRange(0, MAX_LIST), default=DEFAULT_LIST, show_default=True,
              help=f"List at most this many paths (in the order derive lists them; at most {MAX_LIST:,}); "
                   "0 lists none.")
@click.option("--format", "-f", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Text for people, JSON for programs.")
def paths(model: str, steps: int, wrt: str | None, loss: str | None, position: int | None, layers: int | None,
          readout: ReadoutName | None, count_only: bool, limit: int, fmt: str) -> None:
    """Count the paths from NAME to the loss exactly (no enumeration), and list the first few.

    The list is printed as it is made, one path at a time, so memory does not grow with --limit.

    \b
    symrnn paths -m gru -n 1000 --wrt U_z --count     a 602-digit integer, in well under a second
    symrnn paths -m lstm -n 4 --limit 5                the first five paths from W_f to o
    """
    with reporting(), exact_digits():
        report = path_report(model, steps, wrt=wrt, loss=loss, position=position, layers=layers, readout=readout,
                             limit=0 if count_only else limit)
        lines = _paths_json(report, count_only) if fmt == "json" else _paths_text(report, count_only)
        for line in lines:
            _emit(line)


FIGURE_STEPS = 6
"""Up to this many steps a standalone LaTeX document draws the unrolled graph unless told not to."""


def _figure(asked: bool | None, standalone: bool, steps: int | Literal["N"], wrt: str | None, fmt: str) -> bool:
    """--figure as given, or by default: on for a standalone LaTeX document or Markdown page of one variable and
    n <= 6 (not for --steps N, which has no graph to draw)."""
    if asked is not None:
        return asked
    return standalone and fmt != "json" and isinstance(steps, int) and steps <= FIGURE_STEPS and wrt != "all"


def _paths_text(report: dict, count_only: bool) -> Iterator[str]:
    count = report["path_count"]
    if count_only:
        yield f"{count}\n"
        return
    head = (f"{count} path{'' if count == 1 else 's'} from {report['wrt']} to {report['loss']} "
            f"({report['model']}, n = {report['steps']})")
    listed = 0
    for listed, path in enumerate(report["paths"], 1):
        yield f"{head}:\n" if listed == 1 else ""
        yield f"{listed}. {' -> '.join(path)}\n"
    if listed == 0:
        yield f"{head}\n"
    elif listed < count:
        yield f"... {count - listed} more (raise --limit to list them)\n"


def _paths_json(report: dict, count_only: bool) -> Iterator[str]:
    """The report as JSON, each path written as it is made (the same text json.dumps(indent=2) gives)."""
    head = {k: v for k, v in report.items() if k != "paths"}
    if count_only:
        yield json.dumps(head, indent=2) + "\n"
        return
    yield json.dumps(head, indent=2)[:-2] + ',\n  "paths": ['
    yield from _json_items(report["paths"])
    yield "\n}\n"


def _json_items(paths: Iterable) -> Iterator[str]:
    first = True
    for path in paths:
        body = ",\n".join(f"      {json.dumps(node)}" for node in path)
        yield f"{'' if first else ','}\n    [\n{body}\n    ]"
        first = False
    yield "]" if first else "\n  ]"


@cli.command()
@model_options(MAX_PICTURE_STEPS)
@click.option("--format", "-f", "fmt", type=click.Choice(["tikz", "dot", "mermaid", "svg"]), default="tikz",
              show_default=True,
              help="tikz for LaTeX, dot for Graphviz, mermaid for GitHub, MkDocs and Jupyter Markdown, svg through "
                   "Graphviz's dot (installed separately).")
@click.option("--standalone", is_flag=True, help="With tikz: a complete document (the standalone class) to compile.")
@click.option("--output", "-o", metavar="FILE", help="Write to FILE (atomically) instead of standard output.")
def graph(model: str, steps: int, wrt: str | None, loss: str | None, position: int | None, layers: int | None,
          readout: ReadoutName | None, fmt: GraphFormat, standalone: bool, output: str | None) -> None:
    """Draw the unrolled graph: a column per time step, a row per role (inputs, states, readout), the
    paths from NAME to the loss thick and coloured.

    \b
    symrnn graph -m elman -n 3 --standalone -o graph.tex     a picture pdflatex compiles
    symrnn graph -m gru -n 2 --wrt U_z -f mermaid           for a Markdown page
    """
    with reporting():
        text = graph_picture(model, steps, wrt=wrt, loss=loss, position=position, layers=layers, readout=readout,
                             fmt=fmt, standalone=standalone)
        if output is None:
            _emit(text)
        else:
            write_output(output, text)


MAX_VARIANTS = 99
"""Most variants one run makes (their files are numbered with two digits)."""


@cli.command()
@click.argument("sheet", metavar="SHEET")
@click.option("--output", "-o", metavar="FILE|DIR/",
              help="FILE.pdf (compiled with pdflatex), FILE.tex or FILE.md: the key (the student sheet with "
                   "--student). DIR/: key.pdf, key.tex and key.md there (and sheet.* with --student; key-01.* and "
                   "sheet-01.* ... with --variants). Nothing is written unless every part of every variant checks "
                   "and compiles.  [default: the key's LaTeX on standard output]")
@click.option("--student", is_flag=True,
              help="The questions alone, with space to answer (and the graph where a part shows it to students).")
@click.option("--variants", type=click.IntRange(0, MAX_VARIANTS), default=0, show_default=True, metavar="N",
              help="Make N versions whose numbers (and, where a part allows it, steps and sizes) differ, each "
                   "with its own key; needs -o DIR/.")
@click.option("--seed", type=click.IntRange(0, MAX_SEED), default=None,
              help="The draw the numbers come from.  [default: the sheet's seed]")
@click.option("--format", "-f", "fmt", type=click.Choice(["latex", "markdown"]), default="latex", show_default=True,
              help="For standard output: the LaTeX document or Markdown.")
@click.option("--template-dir", type=click.Path(exists=True, file_okay=False), metavar="DIR",
              help="Look for templates in DIR first (key.tex.j2, key.md.j2, and the derivations' own).")
def key(sheet: str, output: str | None, student: bool, variants: int, seed: int | None, fmt: str,
        template_dir: str | None) -> None:
    """Answer key (and student sheets, and variants) for a problem-set file.

    Every part of every question is derived, checked against complex-step derivatives, and where it has numbers
    worked out there and checked again against central finite differences, before anything is written. The same
    sheet and seed give byte-identical files.

    \b
    symrnn key examples/keys/collins.yaml -o key.pdf
    symrnn key examples/keys/collins.yaml --student --variants 3 -o out/
    """
    from .keys import build, key_text
    from .problemset import read_problem_set

    with reporting():
        folder = output is not None and (output.endswith(("/", os.sep)) or os.path.isdir(output))
        if variants and not folder:
            raise InputError("--variants makes a key per variant: give a folder, -o DIR/")
        if output is not None and not folder and os.path.splitext(output)[1] not in KEY_SUFFIXES:
            raise InputError(f"-o {output}: give a .pdf, .tex or .md file, or a folder ending in /")
        problems = read_problem_set(sheet)
        made = build(problems, variants, seed, progress=lambda line: click.echo(line, err=True))
        if output is None:
            _emit(key_text(problems, made[0], student, fmt, template_dir))
            return
        files = _key_files(problems, made, output, folder, student, template_dir)
        if folder:
            os.makedirs(output, exist_ok=True)
        for path, data in files:
            write_output(path, data)


@cli.command()
@click.argument("answers", required=False, metavar="[ANSWERS.csv]")
@click.option("--output", "-o", metavar="VERDICTS.csv",
              help="Write the verdicts here (atomically).  [default: standard output]")
@click.option("--answer", "text", metavar="TEXT", help="One answer to judge, instead of a CSV file.")
@click.option("--sheet", metavar="FILE", help="With --answer: the problem set whose --question it answers.")
@click.option("--question", metavar="Q", help="With --sheet: the question, 2, or 2b for a part.")
@click.option("--model", "-m", metavar="NAME|FILE", help="With --answer, instead of --sheet: the model.")
@click.option("--steps", "-n", type=click.IntRange(1, MAX_STEPS), metavar="N", help="With --model: the steps.")
@click.option("--wrt", metavar="NAME", help="With --model: the parameter.  [default: the model's]")
@click.option("--loss", metavar="NODE", help="With --model: the loss.  [default: the model's]")
@click.option("--activation", "-g", type=click.Choice(list(ACTIVATIONS)), default="g", show_default=True,
              help="With --model: the transfer function; g must hold for every one.")
@click.option("--position", "-i", type=click.IntRange(1), metavar="I", help="With --model: the readout's step.")
def grade(answers: str | None, output: str | None, text: str | None, sheet: str | None, question: str | None,
          model: str | None, steps: int | None, wrt: str | None, loss: str | None, activation: str,
          position: int | None) -> None:
    """Judge students' answers: is each equal to the derived gradient for all values?

    An answer is written over the model's names: W_hh, x[1], h[2], a[3], l, e_y; products by juxtaposition,
    * elementwise, + and -; A' or A.T a transpose (a vector is a column, u v' an outer product); diag, g, g',
    tanh, sigmoid, softmax, exp, log; D(h[1] -> h[2]) a Jacobian; sum_t(...) over the steps (h[t-1]). It is
    either the gradient in the parameter's shape or the sum over paths of Jacobians (a row). Each answer is
    evaluated at random values and sizes (for g, with tanh and sigmoid); the verdict says "equivalent", or
    "not equivalent" with a counterexample and the mistake where one is recognised (a missing transpose, a
    missing path, a sign, a factor, a step off by one, factors out of order).

    \b
    symrnn grade examples/keys/answers.csv -o verdicts.csv
    symrnn grade -m elman -n 1 --answer "diag(g'(a[1])) V' (softmax(l) - e_y) x[1]'"
    """
    import csv
    import io

    from .grade import CSV_COLUMNS, VERDICT_COLUMNS, grade_rows, part_options
    from .grade import grade as judge

    with reporting():
        if (answers is None) == (text is None):
            raise InputError("give a CSV file of answers, or one answer with --answer TEXT")
        if text is not None:
            if sheet is not None and question is not None:
                options = part_options(sheet, question)
            elif model is not None and steps is not None:
                options = {"model": model, "steps": steps, "wrt": wrt, "loss": loss, "activation": activation,
                           "position": position}
            else:
                raise InputError("--answer needs --sheet FILE --question Q, or --model NAME --steps N")
            verdict = judge(text, options.pop("model"), options.pop("steps"), **options)
            lines = ["equivalent" if verdict.equivalent else "not equivalent", verdict.explanation]
            lines += [f"counterexample: {verdict.counterexample}"] if verdict.counterexample else []
            result = "\n".join(lines) + "\n"
        else:
            answers = answers or ""
            try:
                with open(answers, encoding="utf-8", newline="") as stream:
                    rows = list(csv.DictReader(stream))
            except (OSError, UnicodeDecodeError, csv.Error) as error:
                raise InputError(f"cannot read {answers}: {getattr(error, 'strerror', None) or error}") from None
            missing = [c for c in CSV_COLUMNS if rows and c not in rows[0]]
            if missing or not rows:
                raise InputError(f"{answers}: needs a header line and rows with the columns {', '.join(CSV_COLUMNS)}"
                                 + (f" (missing: {', '.join(missing)})" if missing else ""))
            verdicts = grade_rows(rows, os.path.dirname(os.path.abspath(answers)))
            buffer = io.StringIO()
            writer = csv.DictWriter(buffer, fieldnames=VERDICT_COLUMNS, lineterminator="\n")
            writer.writeheader()
            writer.writerows(verdicts)
            result = buffer.getvalue()
            click.echo(f"{sum(v['verdict'] == 'equivalent' for v in verdicts)} of {len(verdicts)} answers "
                       f"equivalent", err=True)
        if output is None:
            _emit(result)
        else:
            write_output(output, result)


KEY_SUFFIXES = (".pdf", ".tex", ".md")


def _key_files(problems, made, output: str, folder: bool, student: bool,
               template_dir: str | None) -> list[tuple[str, str | bytes]]:
    """Every file ``symrnn key -o`` writes, made (and every PDF compiled) before any is written."""
    from .keys import compile_pdf, key_text

    suffix = os.path.splitext(output)[1]
    kinds = (("key", False), ("sheet", True)) if folder and student else (("key", False),) if folder else \
        (("", student),)
    files: list[tuple[str, str | bytes]] = []
    for variant in made:
        for stem, is_student in kinds:
            stem = os.path.join(output, f"{stem}{variant.suffix}") if folder else os.path.splitext(output)[0]
            latex = key_text(problems, variant, is_student, "latex", template_dir)
            for ext in KEY_SUFFIXES if folder else (suffix,):
                data = latex if ext == ".tex" else key_text(problems, variant, is_student, "markdown", template_dir) \
                    if ext == ".md" else compile_pdf(latex, stem + ext)
                files.append((stem + ext, data))
            click.echo(f"made {os.path.basename(stem)}", err=True)
    return files


def main() -> None:
    """The console script (and ``python -m symrnn``): a stopping signal ends the run cleanly."""
    _stop_on_signals()
    cli(prog_name="symrnn")
