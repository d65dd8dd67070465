"""Parse EQL with Elastic's own parser (the `eql` package), in the Elasticsearch dialect Kibana's
EQL rules use (case-sensitive `==`, `~` operators, `with runs`). Unknown functions are errors;
field names are not checked (the package's schema is Elastic Endpoint's, not the integration's:
ecs.py is the one table of our field names)."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

from harness.rules.answers import answered, cache_file, digest
from harness.rules.parallel import fork_map

PARALLEL_QUERIES = 300   # below this, forking a second parser costs more than it saves


def problems(query: str) -> list[str]:
    """Parser errors of one query; empty when it parses."""
    import eql   # ~0.5 s to import; a warm validate answers every query from the cache
    with eql.parser.elasticsearch_syntax, eql.parser.allow_runs:
        try:
            eql.parse_query(query)
        except eql.EqlError as exc:
            return [" ".join(str(exc).split())[:300]]
    return []


def _problems_of(queries: list[str]) -> list[list[str]]:
    return [problems(query) for query in queries]


def fingerprint() -> str:
    """What every cached answer depends on besides its query: the eql version and this module."""
    return digest(metadata.version("eql"), Path(__file__).read_bytes())[:16]


def check_all(queries: list[str], root: Path, *, cache: bool = True) -> list[list[str]]:
    """problems() of every query. The parser (lark, pure Python) takes ~2 ms a query and a 10k-rule
    library emits ~17k: answers are cached per query in root/.iotdetect-cache/ (keyed by the eql
    version and this module's source, which sets the dialect), the rest parsed one process per core."""
    return answered(queries, cache_file(root, f"eql-{fingerprint()}.json"),
                    lambda todo: fork_map(_problems_of, todo, PARALLEL_QUERIES), cache=cache)
