"""The one Jinja environment every backend renders with: StrictUndefined, no autoescape surprises."""
from __future__ import annotations

import functools

import jinja2


@functools.cache   # one environment per process: Jinja caches compiled templates on it
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("harness", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,          # targets are not HTML; each backend escapes values for its language
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        # No process edits its own templates: without this, every get_template() stats the file
        # (60k times in a 10k-rule build).
        auto_reload=False,
    )
