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
