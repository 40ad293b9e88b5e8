"""A registry that cannot be written serves the commands that only read it, and ``pcf verify``
prints long fields shortened (issue 19 part 7).

Reproducers: "a registry on a read-only mount is reported as corrupt" (a WAL SQLite file in a
folder nobody may write cannot be opened read-write, nor ``mode=ro`` without its ``-shm``
file); "``pcf verify`` of a declaration with a 100 MB product name runs past 120 s" (the
terminal printer laid out all 100 MB).

The read-only folder is a read-only bind mount when the tests run as root and may mount
(chmod does not stop root), else the folder and file lose their write permission.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import subprocess

import pytest
from typer.testing import CliRunner

import cli
from pcf.registry import RegistryError, issue, open_store
from tests.registry_util import make_declaration, new_registry
from tests.conftest import flat

runner = CliRunner()


def run(*args):
    return runner.invoke(cli.app, [str(a) for a in args])


@contextlib.contextmanager
def read_only(folder):
    """``folder`` read-only while inside; yields True when writes really fail there (a mount,
    or permissions for a user other than root), False for root without mount rights."""
    if os.geteuid() == 0:
        mounted = subprocess.run(["mount", "--bind", "-o", "ro", str(folder), str(folder)],
                                 capture_output=True).returncode == 0
        if mounted:
            try:
                yield True
            finally:
                subprocess.run(["umount", str(folder)], check=True)
            return
    modes = {p: p.stat().st_mode for p in [folder, *folder.iterdir()]}
    for path, mode in modes.items():
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        yield os.geteuid() != 0
    finally:
        for path, mode in modes.items():
            path.chmod(mode)


@pytest.fixture
def registry(tmp_path):
    """A registry with one issued label in ``tmp_path/ro`` (closed: no -wal or -shm file left),
    the label number and the declaration file (outside that folder)."""
    folder = tmp_path / "ro"
    folder.mkdir()
    store, key, _, _ = new_registry(folder)
    issued = issue(store, make_declaration(), key, 730, tmp_path / "labels", render=False)
    store.close()
    assert sorted(p.name for p in folder.iterdir()) == ["keys", "registry.db", "root"]
    return folder / "registry.db", issued.number, issued.files["declaration.json"]


def test_a_read_only_registry_serves_the_reading_commands(registry):
    path, number, _ = registry
    before = path.read_bytes()
    names = sorted(p.name for p in path.parent.iterdir())
    with read_only(path.parent) as enforced:
        r = run("registry", "list", "--registry", path)
        assert r.exit_code == 0 and number in r.output, r.output
        r = run("verify", number, "--registry", path)
        assert r.exit_code == 0 and "VALID" in r.output and "corrupt" not in r.output, r.output
        r = run("keys", "list", "--registry", path)
        assert r.exit_code == 0 and "cb-test" in r.output, r.output
        r = run("registry", "check", "--registry", path)
        assert r.exit_code == 0 and "registry check passed" in flat(r.output), r.output
        if enforced:  # a command that writes gets a clear error, not "corrupt"
            r = run("suspend", number, "--reason", "audit", "--key", path.parent / "keys" / "cb-test.key",
                    "--registry", path)
            assert r.exit_code == 2 and f"registry {path} cannot be written" in flat(r.output), r.output
            assert "not a usable pcf registry" not in flat(r.output)
            assert sorted(p.name for p in path.parent.iterdir()) == names  # no -wal / -shm could be made
    assert path.read_bytes() == before


def test_a_store_opened_read_only_refuses_to_write(registry):
    path, number, _ = registry
    with open_store(path, create=False, readonly=True) as store:
        with store.read() as tx:
            assert [label.number for label in tx.labels()] == [number]
        with pytest.raises(RegistryError, match="opened read-only; this command writes"):
            with store.write():
                pass
    with pytest.raises(RegistryError, match="no registry at"):  # read-only never creates one
        open_store(path.parent / "missing.db", readonly=True)
    assert not (path.parent / "missing.db").exists()


def test_verify_prints_a_100_mb_product_name_shortened(registry, tmp_path):
    # reproducer: pcf verify of a declaration with a 100 MB product name ran past 120 s
    _, _, declaration = registry
    document = json.loads(declaration.read_text(encoding="utf-8"))
    document["declaration"]["product"]["name"] = "N" * 100_000_000
    big = tmp_path / "big.declaration.json"
    big.write_text(json.dumps(document), encoding="utf-8")
    r = run("verify", big, "--offline")
    assert r.exit_code == 1, r.output[:2000]  # altered: the hash and the signature fail
    assert len(r.output) < 5000
    assert "… (99,999,700 more characters)" in flat(r.output)
    assert "the declaration does not match its SHA-256" in flat(r.output)
