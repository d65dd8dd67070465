"""Per-rule work split over the machine's cores by fork (the 2-core CI machines: halves the wall
time of what pays: the external parsers and linters, ~1-30 ms an item). fork, not spawn: a worker
inherits the imported modules and a test's monkeypatches; it returns only its answers.

Compiling the SIEM searches (~0.3 ms a rule) does not pay: measured on 10k rules (load average
~4.5), one process 3.3-3.6 s wall, split over two forked halves 4.4-5.5 s (the parent unpickling the
child's answers costs about what the child saved), so it runs in one process (and a warm run
compiles only the rule files its memo has not seen)."""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
from typing import Callable


def fork_map(func: Callable[..., list], items: list, min_batch: int, *args) -> list:
    """func(part, *args) over parts of items, one forked process per core, results in order. func
    answers a list with a list of the same length. Below 2 x min_batch items, one call here: a
    forked worker costs more than it saves. fork: the workers inherit the imported checker (and a
    test's monkeypatches) and return only the answers."""
    workers = min(os.cpu_count() or 1, len(items) // max(min_batch, 1))
    if workers < 2:
        return func(items, *args) if items else []
    size = -(-len(items) // workers)
    parts = [items[i:i + size] for i in range(0, len(items), size)]
    with concurrent.futures.ProcessPoolExecutor(len(parts), mp_context=multiprocessing.get_context("fork")) as pool:
        return [answer for part in pool.map(func, parts, *([arg] * len(parts) for arg in args)) for answer in part]
