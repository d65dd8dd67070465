"""Parse EQL with Elastic's own parser (the `eql` package), in the Elasticsearch dialect Kibana's
EQL rules use (case-sensitive `==`, `~` operators, `with runs`). Unknown functions are errors;
field names are not checked (the package's schema is Elastic Endpoint's, not the integration's:
ecs.py is the one table of our field names)."""
from __future__ import annotations

import eql


def problems(query: str) -> list[str]:
    """Parser errors of one query; empty when it parses."""
    with eql.parser.elasticsearch_syntax, eql.parser.allow_runs:
        try:
            eql.parse_query(query)
        except eql.EqlError as exc:
            return [" ".join(str(exc).split())[:300]]
    return []
