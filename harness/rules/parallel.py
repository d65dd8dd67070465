"""Per-rule work split over the machine's cores by fork (the 2-core CI machines: halves the wall
time of what pays). fork, not spawn: a worker inherits the imported modules, the loaded rule set
(never pickled to it) and a test's monkeypatches; it returns only its answers."""
from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import pickle
import signal
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


def fork_chunks(count: int, func: Callable[[int, int], list], min_chunk: int) -> list:
    """func(start, stop) over [0, count) split in one chunk per core, results concatenated in order;
    this process computes the first chunk while forked children compute the others. Only answers
    travel (pickled through a pipe), so func may close over anything, such as the rule set. A child
    that fails for any reason has its chunk recomputed here, where the error then surfaces as it
    would without the split."""
    workers = min(os.cpu_count() or 1, count // max(min_chunk, 1))
    if workers < 2:
        return func(0, count)
    size = -(-count // workers)
    bounds = [(start, min(start + size, count)) for start in range(0, count, size)]
    children = []
    for start, stop in bounds[1:]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:   # the child: answer, write, leave without running any cleanup of the parent's
            os.close(read_end)
            status = 1
            try:
                data = pickle.dumps(func(start, stop), protocol=pickle.HIGHEST_PROTOCOL)
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(data)
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        children.append((pid, read_end, start, stop))
    try:
        results = [func(*bounds[0])]
    except BaseException:   # no child outlives the error, blocked on a pipe nobody reads
        for pid, read_end, _, _ in children:
            os.kill(pid, signal.SIGKILL)
            os.close(read_end)
            os.waitpid(pid, 0)
        raise
    for pid, read_end, start, stop in children:
        with os.fdopen(read_end, "rb") as pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        results.append(pickle.loads(data) if status == 0 and data else func(start, stop))
    return [answer for part in results for answer in part]
