"""Problem-set files: a course's questions, each with what symrnn derives for it, read from YAML.

    title: Recurrent networks, exercise sheet 3
    course: Deep learning
    date: 2026-12-02
    seed: 7                       # the numbers a key works with (variants draw from it)
    questions:
      - title: Paths in an Elman RNN
        text: |
          Unroll the network for three steps and list every path from $W^{hx}$ to $o$ ...
        points: 10
        derive: {model: elman, steps: 3}
        figure: student           # the picture of the graph on the student sheet too
        space: 8                  # centimetres left to answer on the student sheet
      - text: A forward and a backward pass by hand.
        parts:
          - text: Work out $\\partial L / \\partial W$ at the given numbers.
            points: 5
            derive: {model: deng, steps: 2, activation: relu, numbers: true}
            vary: {steps: [2, 3]}  # a variant may take any of these

A question's ``derive`` holds ``symrnn derive``'s options (model name or model file relative to the sheet,
steps, wrt, loss, activation, form, position, layers, readout, notation, figure, numbers, values, depends_on,
digits); a question may instead have ``parts``, each with its own text, points and derive. ``{steps}`` in a part's
text is the number of steps its variant asks for. The file is read as
values files are (``yaml.safe_load`` semantics, aliases, depth and size bounded); an unknown key is an error.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError

DERIVE_KEYS = ("model", "steps", "wrt", "loss", "activation", "form", "position", "layers", "readout", "notation",
               "figure", "numbers", "size", "values", "depends_on", "digits")
"""What a question may ask symrnn to derive with: ``symrnn derive``'s options, as keyword arguments of
``symrnn.document`` (``values`` a file relative to the sheet)."""

VARY_KEYS = ("steps", "size")
"""What a variant may change besides the numbers: the number of steps, and every dimension of the numbers it
draws (``size``, with ``numbers: true``), each from a list the question gives."""

SHEET_KEYS = ("title", "course", "date", "seed", "questions")
QUESTION_KEYS = ("title", "text", "points", "derive", "parts", "figure", "space", "vary")
PART_KEYS = ("text", "points", "derive", "figure", "space", "vary")
FIGURE_CHOICES = ("key", "student", "none")
"""Where a question's picture of the unrolled graph goes: the key only (the default for n <= 6), the student sheet
too, or nowhere."""

DEFAULT_SPACE_CM = 6.0


@dataclass(frozen=True)
class Part:
    """One derivation a question asks for: its text, points, symrnn's options, and what a variant may change."""

    label: str
    text: str
    points: float
    derive: tuple[tuple[str, Any], ...]
    figure: str
    space_cm: float
    vary_steps: tuple[int, ...]
    vary_size: tuple[int, ...] = ()

    def options(self) -> dict[str, Any]:
        return dict(self.derive)


@dataclass(frozen=True)
class Question:
    number: int
    title: str
    text: str
    parts: tuple[Part, ...]

    @property
    def points(self) -> float:
        return sum(part.points for part in self.parts)


@dataclass(frozen=True)
class ProblemSet:
    title: str
    course: str
    date: str
    seed: int
    questions: tuple[Question, ...]
    folder: str
    """The sheet's folder: model files and values files are found relative to it."""


def read_problem_set(path: str) -> ProblemSet:
    """A problem-set file, checked: every key known, every derive option one that ``symrnn derive`` takes."""
    from .bounded import bounded_yaml

    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read problem set {path}: {getattr(error, 'strerror', None) or error}") from None
    data = bounded_yaml(text, path)
    where = f"problem set {path}"
    sheet = _mapping(data, where, SHEET_KEYS)
    questions = sheet.get("questions")
    if not isinstance(questions, list) or not questions:
        raise InputError(f"{where}: 'questions' must be a list of at least one question")
    folder = str(Path(path).resolve().parent)
    return ProblemSet(_text(sheet, "title", where, required=True), _text(sheet, "course", where),
                      _date(sheet.get("date"), where), _seed(sheet.get("seed", 0), where),
                      tuple(_question(q, i, f"{where}, question {i}", folder) for i, q in enumerate(questions, 1)),
                      folder)


def _question(data: object, number: int, where: str, folder: str) -> Question:
    question = _mapping(data, where, QUESTION_KEYS)
    if ("parts" in question) == ("derive" in question):
        raise InputError(f"{where}: give either 'derive' (one derivation) or 'parts' (several), not "
                         f"{'both' if 'parts' in question else 'neither'}")
    if "parts" in question:
        parts = question["parts"]
        if not isinstance(parts, list) or not parts:
            raise InputError(f"{where}: 'parts' must be a list of at least one part")
        found = tuple(_part(p, chr(ord("a") + i), f"{where}, part {chr(ord('a') + i)}", folder)
                      for i, p in enumerate(parts))
        text = _text(question, "text", where)
    else:
        found = (_part({k: v for k, v in question.items() if k in PART_KEYS}, "", where, folder),)
        text = ""
    return Question(number, _text(question, "title", where), text, found)


def _part(data: object, label: str, where: str, folder: str) -> Part:
    part = _mapping(data, where, PART_KEYS)
    derive = _mapping(part.get("derive"), f"{where}, derive", DERIVE_KEYS)
    if "model" not in derive or "steps" not in derive:
        raise InputError(f"{where}, derive: give at least 'model' and 'steps'")
    for key in ("model", "values"):
        if isinstance(derive.get(key), str) and (Path(folder) / derive[key]).exists():
            derive[key] = str(Path(folder) / derive[key])
    points = part.get("points", 0)
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise InputError(f"{where}: 'points' must be a number of at least 0, not {points!r}")
    figure = part.get("figure", "key")
    if figure not in FIGURE_CHOICES:
        raise InputError(f"{where}: 'figure' must be one of {', '.join(FIGURE_CHOICES)}, not {figure!r}")
    space = part.get("space", DEFAULT_SPACE_CM)
    if isinstance(space, bool) or not isinstance(space, (int, float)) or not 0 <= space <= 25:
        raise InputError(f"{where}: 'space' must be a number of centimetres from 0 to 25, not {space!r}")
    vary = _mapping(part.get("vary", {}), f"{where}, vary", VARY_KEYS)
    steps, sizes = (_whole_numbers(vary.get(key, []), f"{where}, vary: '{key}'") for key in VARY_KEYS)
    if sizes and not derive.get("numbers"):
        raise InputError(f"{where}, vary: 'size' is the size of the numbers a part draws; give it 'numbers: true'")
    return Part(label, _text(part, "text", where), float(points), tuple(sorted(derive.items())), figure, float(space),
                steps, sizes)


def _whole_numbers(value: object, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 1
                                              for v in value):
        raise InputError(f"{where} must be a list of whole numbers of at least 1, not {value!r}")
    return tuple(value)


def _mapping(data: object, where: str, known: tuple[str, ...]) -> dict:
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of keys ({', '.join(known)}), not {type(data).__name__}")
    unknown = [str(key) for key in data if key not in known]
    if unknown:
        raise InputError(f"{where}: unknown key {unknown[0]!r}; the keys are {', '.join(known)}")
    return dict(data)


def _text(data: dict, key: str, where: str, required: bool = False) -> str:
    value = data.get(key, "")
    if required and not value:
        raise InputError(f"{where}: give a '{key}'")
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise InputError(f"{where}: '{key}' must be text, not {type(value).__name__}")
    return str(value).strip()


def _date(value: object, where: str) -> str:
    if value is None:
        return ""
    if isinstance(value, (datetime.date, str)):
        return str(value)
    raise InputError(f"{where}: 'date' must be a date (2026-12-02) or text, not {type(value).__name__}")


def _seed(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**32:
        raise InputError(f"{where}: 'seed' must be a whole number from 0 to {2**32 - 1}, not {value!r}")
    return value
