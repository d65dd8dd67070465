"""Run by bench/e2e.py (with the `sigma` extra installed): convert every Sigma rule in a folder with one
pySigma backend (no pipeline: the generic field names, as iotdetect's own EVE names are generic).

    .venv/bin/python bench/sigma_convert.py splunk|kusto FOLDER
"""
import sys
from pathlib import Path

from sigma.collection import SigmaCollection


def main() -> None:
    backend_name, folder = sys.argv[1], Path(sys.argv[2])
    if backend_name == "splunk":
        from sigma.backends.splunk import SplunkBackend as Backend
    else:
        from sigma.backends.kusto import KustoBackend as Backend
    collection = SigmaCollection.load_ruleset([folder])
    queries = Backend().convert(collection)
    print(f"{len(queries)} queries from {len(collection.rules)} rules")


if __name__ == "__main__":
    main()
