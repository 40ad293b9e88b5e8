"""pcf.core.files: every output file is created with mode 0o666 less the process's umask, as
``open()`` and the user's other tools create files (0644 under the usual umask 022), never
``tempfile.mkstemp``'s 0600 whatever the umask; no temporary file is left."""

from __future__ import annotations

import os
import stat

import pytest

from pcf.core.files import StagedFiles, read_private, temporary_file, write_atomic, write_new


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664), (0o027, 0o640)])
def test_every_way_of_writing_follows_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        write_atomic({tmp_path / "atomic.json": b"{}", tmp_path / "second.json": b"[]"})
        write_new(tmp_path / "new.json", b"{}")
        StagedFiles({tmp_path / "staged.pdf": b"%PDF"}).stage().commit()
        fd, path = temporary_file(tmp_path, ".part.")
        os.close(fd)
    finally:
        os.umask(old)
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()}
    assert modes.pop(os.path.basename(path)) == mode
    assert modes == dict.fromkeys(["atomic.json", "second.json", "new.json", "staged.pdf"], mode)


def test_a_temporary_file_is_new_hidden_and_named_after_its_target(tmp_path):
    names = set()
    for _ in range(50):
        fd, path = temporary_file(tmp_path, ".summary.csv.")
        os.close(fd)
        names.add(os.path.basename(path))
    assert len(names) == 50  # never an existing file: each is created, not opened
    assert all(n.startswith(".summary.csv.") and n.endswith(".tmp") and len(n) == len(".summary.csv.") + 8 + 4
               for n in names)
    with pytest.raises(FileNotFoundError):
        temporary_file(tmp_path / "missing", ".x.")


def test_files_only_pcf_reads_back_are_its_owners_alone(tmp_path):
    """The caches under PCF_HOME (pcf.lca.warmcache, pcf.lca.bgcache) pass mode 0o600: not readable,
    let alone writable, by the group under any umask (a pickle written by someone else runs code)."""
    old = os.umask(0o002)
    try:
        write_atomic({tmp_path / "cache.bin": b"x"}, mode=0o600)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "cache.bin").stat().st_mode) == 0o600


def test_a_cache_file_others_could_have_written_is_not_read(tmp_path):
    """read_private (the caches' reader): the bytes of a 0600 file of this user; None for one the group
    or others may write (a pickle put there by them would run code), a symbolic link, a missing file."""
    path = tmp_path / "entry.bin"
    write_atomic({path: b"cached"}, mode=0o600)
    assert read_private(path) == b"cached"
    (tmp_path / "link.bin").symlink_to(path)
    assert read_private(tmp_path / "link.bin") is None
    for mode in (0o620, 0o602, 0o666):
        os.chmod(path, mode)
        assert read_private(path) is None, oct(mode)
    os.chmod(path, 0o644)  # readable by others, written by this user alone: read
    assert read_private(path) == b"cached"
    assert read_private(tmp_path / "missing.bin") is None
