"""`suricata -T` of a whole workspace, answered from the cache when exactly these inputs loaded
before: on 10k rules the load test costs Suricata ~3 s of CPU, and validate and build each run it.

The key is every file of the workspace (rules, config, classification/reference files, side files
such as datasets) with the workspace's own temporary folder name taken out, the arguments, and the
binary's path, size and mtime (an upgraded Suricata misses). A sensor's own config (which may
include files elsewhere) is never cached. Only a clean load (exit 0, every rule loaded) is stored, with its output,
so a cached answer yields the same warnings for validate; a failing load always runs again and
reports as before."""
from __future__ import annotations

import os
from pathlib import Path

from harness.rules.answers import cache_file, digest, read_json, write_json
from harness.suricata.engine import Workspace, check_rules, suricata_args, suricata_binary

KEEP = 8   # rule sets remembered (a few branches or site plans)
NAME = "suricata-load.json"


def _key(workspace: Workspace, binary: str) -> str:
    folder = str(workspace.folder).encode()
    parts: list[str | bytes] = []
    for path in sorted(workspace.folder.iterdir()):   # config, rules, classification, side files
        if path.is_file():
            parts += [path.name, path.read_bytes().replace(folder, b"<workspace>")]
    info = os.stat(binary)
    args = suricata_args("<config>", "<rules>", "<log>", test=True)
    return digest(*parts, binary, f"{info.st_size}:{info.st_mtime_ns}", "\0".join(args))


def check_rules_cached(workspace: Workspace, binary: str | None = None, cache: bool = True) -> str:
    """What engine.check_rules returns (Suricata's output) or raises; a repeat of a clean load of
    the same inputs is read from the project's .iotdetect-cache/."""
    binary = binary or suricata_binary()
    if not cache or workspace.config_file is not None:   # a sensor's config may include other files
        return check_rules(workspace, binary=binary)
    key = _key(workspace, binary)
    path = cache_file(workspace.project_root, NAME)
    known = read_json(path)
    if isinstance(known.get(key), str):
        return known[key]
    output = check_rules(workspace, binary=binary)
    kept = {key: output} | {k: v for k, v in known.items() if k != key}
    write_json(path, dict(list(kept.items())[:KEEP]))
    return output
