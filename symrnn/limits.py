"""Every bound symrnn puts on its inputs, in one table, so that the README's figures have one source.

Each bound keeps the worst accepted input within seconds and a few hundred MB on a 2-core machine
(bench/limits.py measures them).
"""

MAX_STEPS = 200
"""Largest --steps of a derivation: the factored form grows linearly in n, so larger n is a typo, not a question."""

MAX_COUNT_STEPS = 10_000
"""Largest --steps for counting paths, which costs time linear in n."""

MAX_PATHS = 10_000
"""Default bound on how many paths a derivation lists (--max-paths)."""

MAX_PATHS_LIMIT = 25_000
"""Largest --max-paths: gru at n = 8 has 21,845 paths from U_z."""

MAX_LIST = 100_000
"""Largest --limit of ``symrnn paths``: the listing is streamed, one path in memory at a time."""

MAX_SEED = 2**32 - 1
"""Largest --seed (NumPy's seeds are non-negative)."""

MAX_VALUES_BYTES = 16 * 2**20
"""Largest values file read, 16 MiB: elman at n = 200 with 1000-wide inputs is about 5 MB of JSON."""

MAX_YAML_BYTES = 2**20
"""Largest YAML values file, 1 MiB: PyYAML's pure-Python SafeLoader reads that in about 4 s and 80 MB."""

MAX_VALUES_DEPTH = 32
"""Deepest nesting of lists and mappings; values need 3 (the mapping, rows, entries)."""

MAX_VALUES_ENTRIES = MAX_VALUES_BYTES // 4
"""Most entries (numbers, lists, keys) a YAML file may expand to through its aliases: 4 Mi, about what
a 16 MiB JSON file of short numbers ("0.5, ") holds, so aliases buy nothing a plain file could not."""

MAX_TEMPLATE_ITEMS = 10_000_000
"""Largest string or list (characters, items) a template may build with one ``*``, and largest integer (decimal
digits) with one ``*`` or ``**``: 60 times the whole of ``derive -m lstm -n 50 --wrt all`` (165 KB), yet
``'a' * 10**10`` (10 GB) is refused before it is allocated. It bounds memory, not time (``10**9999999`` is allowed
and takes seconds); Jinja's sandbox bounds ``range`` (100 000 items)."""

MAX_MODEL_BYTES = 2**20
"""Largest model file: 1 MiB (a model of a hundred equations is a few KB)."""

MAX_NESTING = 100
"""Deepest nesting of parentheses and calls an equation of a model file may have."""

MAX_DIGITS = 15
"""Most significant digits --digits shows (float64 holds about 16)."""

ROUND_SIZE, MAX_ROUND_SIZE = 2, 4
"""Every dimension --numbers draws by default, and the most --size allows (a 4 × 4 matrix is still a hand's work)."""

DIGITS = 4
"""Significant digits shown by default in worked numbers; the numbers themselves stay float64."""
