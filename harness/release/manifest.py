"""SHA256SUMS over a release tree, an optional openssl detached signature, and verification."""
from __future__ import annotations

import hashlib
import subprocess
from dataclasses import dataclass
from pathlib import Path

from harness.rules.errors import EnvironmentFailure

SUMS = "SHA256SUMS"
SIGNATURE = "SHA256SUMS.sig"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_sums(folder: Path) -> Path:
    """`sha256sum -c` compatible: '<hex>  <relative path>' for every file, sorted by path."""
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.name not in (SUMS, SIGNATURE))
    lines = [f"{sha256(p)}  {p.relative_to(folder).as_posix()}" for p in files]
    path = folder / SUMS
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def sign(folder: Path, private_key: Path) -> Path:
    """Detached signature over SHA256SUMS. RSA (PKCS#1 v1.5) signatures are deterministic."""
    out = folder / SIGNATURE
    result = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(private_key), "-out", str(out),
                             str(folder / SUMS)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        out.unlink(missing_ok=True)
        # openssl's message names the key file and the failure, never key material.
        raise EnvironmentFailure(f"signing failed: {result.stderr.strip()}")
    return out


@dataclass(frozen=True)
class Verification:
    problems: list[str]
    files: int
    signature: str   # "valid", "invalid", "absent" or "not checked (no public key given)"

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(folder: Path, public_key: Path | None = None) -> Verification:
    sums = folder / SUMS
    if not sums.is_file():
        return Verification([f"{SUMS} is missing"], 0, "absent")
    problems, listed = [], set()
    for number, line in enumerate(sums.read_text(encoding="utf-8").splitlines(), 1):
        digest, sep, name = line.partition("  ")
        if not sep or len(digest) != 64:
            problems.append(f"{SUMS}:{number}: malformed line")
            continue
        listed.add(name)
        target = folder / name
        if ".." in Path(name).parts or Path(name).is_absolute():
            problems.append(f"{name}: path escapes the release folder")
        elif not target.is_file():
            problems.append(f"{name}: missing")
        elif sha256(target) != digest:
            problems.append(f"{name}: hash differs")
    for path in sorted(folder.rglob("*")):
        name = path.relative_to(folder).as_posix()
        if path.is_file() and name not in listed and name not in (SUMS, SIGNATURE):
            problems.append(f"{name}: not listed in {SUMS}")
    signature = _check_signature(folder, public_key, problems)
    return Verification(problems, len(listed), signature)


def _check_signature(folder: Path, public_key: Path | None, problems: list[str]) -> str:
    sig = folder / SIGNATURE
    if public_key is None:
        return "not checked (no public key given)" if sig.exists() else "absent"
    if not sig.exists():
        problems.append(f"{SIGNATURE} is missing but a public key was given")
        return "absent"
    result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", str(public_key), "-signature", str(sig),
                             str(folder / SUMS)], capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        problems.append(f"{SIGNATURE} does not verify with {public_key.name}")
        return "invalid"
    return "valid"
