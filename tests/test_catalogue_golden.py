"""Every built-in model's output, pinned: the digest of what ``symrnn derive`` prints for each model and variant
(--readout, --layers) under six sets of options, and the whole LaTeX of each model at n = 3.

The digests were taken from the catalogue as it was defined in Python, before the model files in catalogue/ became
its source; they keep every built-in's LaTeX, Markdown and JSON byte-identical. After an intended change, regenerate
and review the diff of the LaTeX files:

    SYMRNN_REGENERATE=1 python -m pytest tests/test_catalogue_golden.py -n 0
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from helpers import REGENERATE, ok

GOLDEN = Path(__file__).parent / "golden" / "catalogue"
DIGESTS = GOLDEN / "digests.json"

NAMES = ("elman", "goodfellow", "gru", "gru-torch", "lstm", "lstm-torch", "deng", "scalar", "birnn", "birnn-shared",
         "stacked", "stacked-residual", "stacked-birnn", "tagger", "leaky", "leaky-free")

BIAS = {"deng": "b", "goodfellow": "b", "lstm": "b", "gru-torch": "b_hz", "lstm-torch": "b_hf", "scalar": "b_h",
        "birnn-shared": "b", "leaky": "b", "leaky-free": "b",
        "stacked": "b_1", "stacked-residual": "b_2"}
FIXED_FUNCTIONS = ("goodfellow", "gru-torch", "lstm", "lstm-torch", "scalar")
"""Models whose functions their sources fix: no g to choose with -g."""

OPTIONS = {"latex": [], "markdown": ["-f", "markdown"], "json": ["-f", "json"],
           "all-json": ["--wrt", "all", "-f", "json"],
           "bias-check": ["-n", "5", "--wrt", "BIAS", "-g", "tanh", "--check", "-f", "json"],
           "standalone-both": ["--standalone", "--form", "both"]}

READOUT_CELLS = ("elman", "goodfellow", "gru", "gru-torch", "lstm", "leaky", "leaky-free")

VARIANTS = {name: [name] for name in NAMES} | {
    f"{name}--readout-{readout}": [name, "--readout", readout]
    for name in READOUT_CELLS for readout in ("final", "every")} | {
    f"{name}--layers-{layers}": [name, "--layers", str(layers)]
    for name in ("stacked", "stacked-residual") for layers in (1, 3)}


def options_for(variant: str, option: str) -> list[str]:
    name = VARIANTS[variant][0]
    options = [BIAS.get(name, "b_h") if word == "BIAS" else word for word in OPTIONS[option]]
    if name in FIXED_FUNCTIONS:
        options = [word for word in options if word not in ("-g", "tanh")]
    return ["derive", "-m", *VARIANTS[variant], "-n", "3", *options]


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


CASES = [(variant, option) for variant in VARIANTS for option in OPTIONS
         if variant in NAMES or option in ("latex", "all-json")]


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_built_in_and_variant_prints_its_pinned_output(variant):
    found = {option: digest(ok(*options_for(variant, option))) for option in OPTIONS
             if (variant, option) in CASES}
    pinned = json.loads(DIGESTS.read_text(encoding="utf-8")) if DIGESTS.exists() else {}
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        pinned[variant] = found
        DIGESTS.write_text(json.dumps(dict(sorted(pinned.items())), indent=1) + "\n", encoding="utf-8")
    assert pinned.get(variant) == found, (f"{variant}: output changed; if intended, regenerate (see this file's "
                                          f"docstring) and review the diff of tests/golden/catalogue/*.tex")


@pytest.mark.parametrize("name", NAMES)
def test_every_built_in_prints_its_golden_latex(name):
    text = ok("derive", "-m", name, "-n", "3")
    golden = GOLDEN / f"{name}-n3.tex"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_the_list_of_built_in_models_is_pinned(fmt):
    text = ok("models", "-f", fmt)
    golden = GOLDEN / f"models.{'txt' if fmt == 'text' else 'json'}"
    if REGENERATE:
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8")
