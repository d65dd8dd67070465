"""Mark a generator that passes its extra keyword arguments on to another one.

The harness fills a generator's role defaults (`src: str = "$IOT_NET"`) from its signature; for a
wrapper such as ``http.basic_auth(**kw) -> http.request`` it needs to know whose defaults `kw` holds.
"""
from __future__ import annotations

from typing import Callable


def forwards_to(target: Callable) -> Callable[[Callable], Callable]:
    def mark(func: Callable) -> Callable:
        func.forwards_to = target
        return func
    return mark
