import gzip
import io
import tarfile

from harness.formats.archive import tar_gz


def test_same_members_same_bytes_in_any_order():
    a = tar_gz({"app/b.conf": b"b", "app/a/x.txt": b"x"}, mtime=1_700_000_000)
    b = tar_gz({"app/a/x.txt": b"x", "app/b.conf": b"b"}, mtime=1_700_000_000)
    assert a == b
    assert a != tar_gz({"app/a/x.txt": b"x", "app/b.conf": b"b"}, mtime=1_700_000_001)


def test_members_are_sorted_root_owned_and_carry_the_fixed_mtime():
    data = tar_gz({"app/default/app.conf": b"[id]\n", "app/README.txt": b"hi"}, mtime=1234)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["app", "app/README.txt", "app/default", "app/default/app.conf"]
        assert {(m.uid, m.gid, m.uname, m.gname, m.mtime) for m in members} == {(0, 0, "", "", 1234)}
        assert [m.isdir() for m in members] == [True, False, True, False]
        assert tar.extractfile("app/README.txt").read() == b"hi"


def test_gzip_header_has_no_timestamp_and_no_file_name():
    data = tar_gz({"a": b"1"}, mtime=99)
    assert data[:2] == b"\x1f\x8b"
    flags, mtime = data[3], int.from_bytes(data[4:8], "little")
    assert mtime == 0
    assert not flags & 0x08, "FNAME flag set: the archive would embed a file name"
    assert gzip.decompress(data)  # still a valid gzip stream
