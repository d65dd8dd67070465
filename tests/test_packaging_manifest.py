import subprocess
from pathlib import Path

import pytest

from harness.release import manifest


def _tree(root: Path) -> Path:
    (root / "suricata").mkdir(parents=True)
    (root / "suricata" / "iotdetect.rules").write_text("alert ip any any -> any any (sid:1;)\n")
    (root / "report.md").write_text("# report\n")
    manifest.write_sums(root)
    return root


def _keypair(folder: Path, name: str) -> tuple[Path, Path]:
    private, public = folder / f"{name}.pem", folder / f"{name}.pub"
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", str(private)],
                   check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(private), "-pubout", "-out", str(public)], check=True, capture_output=True)
    return private, public


def test_sums_are_sha256sum_compatible(tmp_path):
    root = _tree(tmp_path / "rel")
    result = subprocess.run(["sha256sum", "-c", manifest.SUMS], cwd=root, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "suricata/iotdetect.rules: OK" in result.stdout


def test_verify_accepts_a_good_tree_and_rejects_tampering(tmp_path):
    root = _tree(tmp_path / "rel")
    assert manifest.verify(root).ok
    (root / "report.md").write_text("# report, edited\n")
    result = manifest.verify(root)
    assert not result.ok and result.problems == ["report.md: hash differs"]


def test_verify_rejects_missing_and_unlisted_files(tmp_path):
    root = _tree(tmp_path / "rel")
    (root / "report.md").unlink()
    (root / "extra.rules").write_text("alert\n")
    problems = manifest.verify(root).problems
    assert "report.md: missing" in problems and "extra.rules: not listed in SHA256SUMS" in problems


def test_signature_verifies_with_the_right_key_only(tmp_path):
    root = _tree(tmp_path / "rel")
    private, public = _keypair(tmp_path, "release")
    _, other_public = _keypair(tmp_path, "other")
    manifest.sign(root, private)
    assert manifest.verify(root, public).signature == "valid"
    wrong = manifest.verify(root, other_public)
    assert not wrong.ok and wrong.signature == "invalid"
    # Editing a file and re-writing SHA256SUMS (without the key) breaks the signature.
    (root / "report.md").write_text("# forged\n")
    manifest.write_sums(root)
    forged = manifest.verify(root, public)
    assert not forged.ok and forged.signature == "invalid"


def test_signing_is_deterministic_with_rsa(tmp_path):
    root = _tree(tmp_path / "rel")
    private, _ = _keypair(tmp_path, "release")
    first = manifest.sign(root, private).read_bytes()
    assert manifest.sign(root, private).read_bytes() == first


def test_a_public_key_without_a_signature_fails(tmp_path):
    root = _tree(tmp_path / "rel")
    _, public = _keypair(tmp_path, "release")
    assert not manifest.verify(root, public).ok


def test_bad_key_reports_without_leaking(tmp_path):
    root = _tree(tmp_path / "rel")
    bogus = tmp_path / "bogus.pem"
    bogus.write_text("-----BEGIN PRIVATE KEY-----\nc2VjcmV0LXNlY3JldA==\n-----END PRIVATE KEY-----\n")
    with pytest.raises(RuntimeError) as info:
        manifest.sign(root, bogus)
    assert "c2VjcmV0" not in str(info.value)
    assert not (root / manifest.SIGNATURE).exists()
