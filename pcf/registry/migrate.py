"""``pcf registry migrate``: copy an SQLite registry into an empty PostgreSQL one, all or nothing.

Every table of the schema (:data:`pcf.registry.store._SCHEMA` and
:data:`~pcf.registry.store.ADDED_IN_PLACE`, in that order, which is the order their foreign
keys need) is copied row for row, the event log verbatim (each event's canonical JSON text,
hash, signer and signature as stored), keys in the order they were admitted. Labels are
inserted first as ``valid`` without their forward links (``renewed_by``, ``superseded_by``
name later labels), then given their stored status and links in the same transaction, which
the final-status triggers allow because the row is not yet revoked or superseded.

The source is checked (:func:`pcf.registry.check.check_registry`) before anything is written;
the copy is checked inside the target's transaction, before the commit, and must report the
same head hash, event, label and key counts; any problem rolls the whole copy back. A target
holding anything (a key, a label, an event, a case, a setting beyond the defaults) is refused.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Iterator

from .check import RegistryCheck, check_registry
from .errors import RegistryError
from .store import _SCHEMA, ADDED_IN_PLACE, FORMAT, SCHEMA_VERSION, Store, Tx

#: Label columns that name a later label, set in a second pass (module docstring).
_FORWARD = ("status", "status_at", "status_reason", "renewed_by", "superseded_by")


def schema_tables() -> list[str]:
    """The registry's tables in creation order (parents before the tables that reference them)."""
    names = []
    for statement in _SCHEMA + ADDED_IN_PLACE:
        m = re.search(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", statement)
        if m and m.group(1) not in names:
            names.append(m.group(1))
    return names


@dataclass
class Migration:
    """What :func:`migrate` copied: rows per table and the check of each side."""

    rows: dict
    source: RegistryCheck
    target: RegistryCheck


class _InTransaction(Store):
    """A store whose reads see one open write transaction (the copy, before its commit)."""

    def __init__(self, store: Store, tx: Tx):
        self.store, self.tx, self.location = store, tx, store.location

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        yield self.tx

    def write(self):  # pragma: no cover - the check only reads
        raise RegistryError("read-only view of a migration")

    def integrity_errors(self) -> list[str]:
        return self.store.integrity_errors()

    def close(self) -> None:  # pragma: no cover - the caller closes the real store
        pass


def _columns(tx: Tx, table: str) -> list[str]:
    """The column names of ``table`` as the source has them (an empty SELECT)."""
    return [d[0] for d in tx.run(f"SELECT * FROM {table} LIMIT 0").description]


def _target_is_empty(tx: Tx, tables: list[str]) -> list[str]:
    """What the target holds beyond an empty registry (``table: n rows``)."""
    held = []
    for table in tables:
        if table == "meta":
            extra = [r["name"] for r in tx.run("SELECT name FROM meta")
                     if r["name"] not in ("format", "schema", "prefix")]
            if extra:
                held.append(f"meta: {', '.join(sorted(extra))}")
            continue
        n = tx.run(f"SELECT COUNT(*) AS n FROM {table}").fetchone()["n"]
        if n:
            held.append(f"{table}: {n} rows")
    return held


def _copy_table(source: Tx, target: Tx, table: str) -> int:
    cols = _columns(source, table)
    order = {"labels": "seq", "events": "seq", "case_records": "case_number, seq"}.get(table, "rowid")
    rows = source.run(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}").fetchall()
    if table == "meta":
        for r in rows:
            target.run("INSERT INTO meta(name, value) VALUES (?, ?) "
                       "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (r["name"], r["value"]))
        return len(rows)
    first = [c for c in cols if not (table == "labels" and c in _FORWARD)]
    if table == "labels":  # first as valid without forward links (module docstring)
        first += ["status", "status_at"]
    sql = f"INSERT INTO {table}({', '.join(first)}) VALUES ({', '.join('?' * len(first))})"
    for r in rows:
        target.run(sql, [r[c] if not (table == "labels" and c == "status") else "valid" for c in first])
    if table == "labels":
        for r in rows:
            target.run("UPDATE labels SET status = ?, status_at = ?, status_reason = ?, renewed_by = ?, "
                       "superseded_by = ? WHERE number = ?", [r[c] for c in _FORWARD] + [r["number"]])
    return len(rows)


def migrate(source: Store, target: Store) -> Migration:
    """Copy the registry ``source`` into the empty registry ``target`` (module docstring).

    Parameters
    ----------
    source : Store
        The registry to copy (an SQLite file); it is only read.
    target : Store
        An empty registry (a PostgreSQL database: an empty one becomes a registry when opened).

    Returns
    -------
    Migration

    Raises
    ------
    RegistryError
        The source fails its check, the target is not empty, or the copy does not check out
        the same (nothing is written then).
    """
    before = check_registry(source)
    if not before.ok:
        raise RegistryError(f"the registry {source.location} fails its check ({len(before.problems)} problems, "
                            f"first: {before.problems[0]}); run `pcf registry check` and fix it first")
    tables = schema_tables()
    rows = {}
    with source.read() as src, target.write() as dst:
        if dst.setting("format") != FORMAT or dst.setting("schema") != SCHEMA_VERSION:
            raise RegistryError(f"{target.location} is not an empty pcf registry of schema {SCHEMA_VERSION}")
        held = _target_is_empty(dst, tables)
        if held:
            raise RegistryError(f"the target {target.location} is not empty ({'; '.join(held)}); migrate into an "
                                "empty database").about("to")
        for table in tables:
            try:
                rows[table] = _copy_table(src, dst, table)
            except Exception as exc:  # a database refusal (sqlite3 or psycopg): the message, not a traceback
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise RegistryError(f"copying table {table} into {target.location} failed ({first}); nothing was "
                                    "written") from None
        after = check_registry(_InTransaction(target, dst))
        same = (after.head, after.events, after.labels, after.keys) == (before.head, before.events, before.labels,
                                                                           before.keys)
        if not after.ok or not same:
            problem = after.problems[0] if after.problems else (
                f"head {after.head[:12]}, {after.events} events, {after.labels} labels against "
                f"{before.head[:12]}, {before.events}, {before.labels}")
            raise RegistryError(f"the copy in {target.location} does not check out ({problem}); nothing was written")
    final = check_registry(target)
    return Migration(rows=rows, source=before, target=final)
