"""Atomic output ends with the permissions a plain open() or mkdir() gives under the umask."""

import os
import stat

import pytest

from mcunets._io import atomic_directory, atomic_write_bytes, atomic_write_text


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture(params=[0o022, 0o077, 0o002])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def test_files_and_folders_get_the_umask_permissions(tmp_path, umask):
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    atomic_write_text(tmp_path / "sub" / "b.txt", "y")
    with open(tmp_path / "plain", "w"):
        pass
    (tmp_path / "plain_dir").mkdir()
    with atomic_directory(tmp_path / "out") as d:
        (d / "c.txt").write_text("z")
    with atomic_directory(tmp_path / "out") as d:  # replacing an existing folder
        (d / "c.txt").write_text("z")
    assert _mode(tmp_path / "a.bin") == _mode(tmp_path / "sub" / "b.txt") == _mode(tmp_path / "plain")
    assert _mode(tmp_path / "plain") == 0o666 & ~umask
    assert _mode(tmp_path / "out") == _mode(tmp_path / "plain_dir") == 0o777 & ~umask
    assert (tmp_path / "out" / "c.txt").read_text() == "z"
    assert os.umask(umask) == umask  # the umask itself is unchanged


def test_rewriting_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "script.sh"
    atomic_write_text(path, "v1")
    os.chmod(path, 0o750)
    atomic_write_text(path, "v2")
    assert _mode(path) == 0o750 and path.read_text() == "v2"
