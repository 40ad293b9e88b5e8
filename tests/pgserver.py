"""A real, throw-away PostgreSQL cluster for the tests (not a test module; never a mock).

:func:`start` finds Debian's server binaries (``/usr/lib/postgresql/*/bin``, the newest), runs
``initdb`` in a temporary folder, starts ``postgres`` on a free loopback port with its unix
socket in that folder (``pg_ctl start -w``) and returns a :class:`Cluster`;
:meth:`Cluster.stop` stops it (``pg_ctl stop -m immediate``) and deletes the folder.
``initdb`` refuses to run as root: when the tests run as root the server runs as the
``postgres`` system user (created by Debian's ``postgresql`` package) through ``runuser``, and
the folder is handed to that user. Without PostgreSQL :func:`start` raises (the registry tests
then fail with the message: install Debian's ``postgresql``, which ``make test`` does).

Each test gets its own database (:meth:`Cluster.new_database`, ``CREATE DATABASE`` from the
empty ``template0``: a few milliseconds), so tests never see each other's registries; they are
dropped after each test module (:meth:`Cluster.drop_databases`) to keep the disk use small.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "pcf"


def binaries(pattern: str = "/usr/lib/postgresql/*/bin/initdb", path: str | None = None) -> Path:
    """The folder of the newest server binaries: Debian's (``pattern``), else ``initdb`` on the
    ``PATH`` (``path``: another search path). Raises RuntimeError naming the package to install."""
    found = sorted(glob.glob(pattern), key=lambda p: int(Path(p).parent.parent.name))
    if not found:
        found = [p for p in (shutil.which("initdb", path=path),) if p]
    if not found:
        raise RuntimeError("PostgreSQL is not installed: the registry tests need a real server (initdb, pg_ctl, "
                           "postgres). Install Debian's `postgresql` package (`make test` does: Makefile DEBS).")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    """A running throw-away cluster: ``url(database)`` gives a libpq URL (unix socket)."""

    def __init__(self, folder: Path, port: int, runas: list[str], bindir: Path):
        self.folder, self.port, self.runas, self.bindir = folder, port, runas, bindir
        self.socket_dir = folder / "socket"
        self._names = itertools.count(1)
        self.databases: list[str] = []

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    def admin(self, sql: str) -> None:
        """Run one statement in the ``postgres`` database (autocommit)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            db.execute(sql)

    def new_database(self, prefix: str = "t", template: str = "template0") -> str:
        """A fresh empty database (or a copy of the database ``template``, which nobody may be
        connected to); returns its URL."""
        name = f"{prefix}{os.getpid()}_{next(self._names)}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
        self.databases.append(name)
        return self.url(name)

    def drop_databases(self) -> None:
        """Drop the databases made so far (each is ~7 MB on disk: a session makes hundreds)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as db:
            while self.databases:
                db.execute(f"DROP DATABASE IF EXISTS {self.databases.pop()} WITH (FORCE)")

    def stop(self) -> None:
        subprocess.run([*self.runas, str(self.bindir / "pg_ctl"), "stop", "-D", str(self.folder / "data"),
                        "-m", "immediate", "-w"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start() -> Cluster:
    """Start a throw-away cluster (module docstring).

    Raises
    ------
    RuntimeError
        PostgreSQL is not installed, or the server does not start (with its log).
    """
    bindir = binaries()
    # /tmp: the postgres user can reach it (a root-only TMPDIR would not do) and the socket's path
    # stays under the 107 characters a unix socket allows
    folder = Path(tempfile.mkdtemp(prefix="pcf-pg-", dir="/tmp" if os.path.isdir("/tmp") else None))
    runas: list[str] = []
    if os.geteuid() == 0:
        import pwd

        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root, the test server needs the `postgres` system user (Debian's "
                               "`postgresql` package creates it)") from None
        os.chown(folder, user.pw_uid, user.pw_gid)
        runas = ["runuser", "-u", "postgres", "--"]
    os.chmod(folder, 0o755)
    data, log = folder / "data", folder / "server.log"
    run = lambda *a: subprocess.run([*runas, *a], capture_output=True, text=True, timeout=120)  # noqa: E731
    # the unix socket (in the private folder) trusts; TCP asks for a password (the auth-failure tests)
    r = run(str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER, "--auth-local=trust",
            "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
    if r.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"initdb failed: {r.stderr or r.stdout}")
    run("mkdir", str(folder / "socket"))
    port = _free_port()
    options = (f"-p {port} -k {folder / 'socket'} -c listen_addresses=127.0.0.1 -c fsync=off "
               "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
    r = run(str(bindir / "pg_ctl"), "start", "-D", str(data), "-l", str(log), "-w", "-t", "60", "-o", options)
    if r.returncode != 0:
        text = log.read_text(errors="replace") if log.exists() else ""
        shutil.rmtree(folder, ignore_errors=True)
        raise RuntimeError(f"the test PostgreSQL server did not start: {r.stderr or r.stdout}\n{text}")
    return Cluster(folder, port, runas, bindir)
