"""The registry on a PostgreSQL server (psycopg 3): the same :class:`~pcf.registry.store.Store`
and :class:`~pcf.registry.store.Tx` as the SQLite file, the same guarantees.

- **Transactions.** A write is one ``READ COMMITTED`` transaction that first takes a
  transaction-scoped advisory lock (``pg_advisory_xact_lock``, :data:`WRITE_LOCK`): writers
  queue one after the other as they do behind SQLite's ``BEGIN IMMEDIATE`` (waiting up to
  :data:`~pcf.registry.store.BUSY_TIMEOUT_S`, ``lock_timeout``), and every statement after the
  lock sees what the previous writer committed, so ``MAX(seq) + 1`` gives gap-free label and
  case numbers under any number of concurrent processes. Readers are never blocked: a read is
  one ``REPEATABLE READ READ ONLY`` transaction (one consistent snapshot). A connection lost
  mid-transaction commits nothing (the server rolls it back).
- **The signed event log and the other fixed records** are guarded by PL/pgSQL triggers, one
  for each SQLite trigger of :mod:`pcf.registry.store` (:data:`PG_TRIGGERS`, same names, same
  messages): the log is append-only, the root key fixed, labels never deleted, a label's
  signed content fixed, revoked and superseded labels final, case records append-only,
  signed cases final, evidence kept as recorded.
- **Schema.** The tables are the SQLite store's (:data:`pcf.registry.store._SCHEMA`,
  :data:`~pcf.registry.store.ADDED_IN_PLACE`), written in SQL both engines read; this module
  only turns ``BLOB`` into ``BYTEA``, ``INTEGER`` into ``BIGINT`` and adds
  ``issuer_keys.added_order`` (SQLite's ``rowid``).
  The SQL of every :class:`SQLTx` method is shared (``?`` placeholders become ``%s``).

The database must exist (``createdb``); an empty database becomes a registry when opened with
``create`` (``pcf registry init --url postgresql://...``). psycopg is imported here only, so
SQLite users never load it.
"""

from __future__ import annotations

import contextlib
import re
from typing import Iterator
from urllib.parse import unquote, urlsplit, urlunsplit

from ..core.extras import require
from .errors import RegistryCorrupt, RegistryError
from .store import (_SCHEMA, ADDED_IN_PLACE, BUSY_TIMEOUT_S, FORMAT, OLDER_SCHEMAS, SCHEMA_VERSION, SQLTx, Store)

#: The advisory-lock key every write transaction takes first (any fixed 64-bit number; "pcf-reg").
WRITE_LOCK = 0x7063662D726567


def _refuse(name: str, message: str, when: str = "TRUE") -> str:
    """A PL/pgSQL function raising ``message`` (SQLSTATE 23000 integrity violation) when ``when``."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {when} THEN
        RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
    RETURN NEW;
END $$;
"""


def _trigger(name: str, timing: str, table: str, message: str, when: str = "TRUE") -> str:
    return _refuse(name, message, when) + (f"CREATE TRIGGER {name} {timing} ON {table} "
                                           f"FOR EACH ROW EXECUTE FUNCTION {name}();")


_LABEL_SIGNED = ("number", "seq", "issuer", "key_id", "product_id", "product_name", "issued_at", "valid_from",
                 "valid_until", "renews", "supersedes", "result_sha256", "pcr_id", "declared_unit", "label_type",
                 "declaration_sha256", "document", "token")

#: SQLite trigger name -> the PostgreSQL trigger doing the same (a function and a row trigger).
PG_TRIGGERS = {
    "events_append_only_update": _trigger("events_append_only_update", "BEFORE UPDATE", "events",
                                          "the event log is append-only"),
    "events_append_only_delete": _trigger("events_append_only_delete", "BEFORE DELETE", "events",
                                          "the event log is append-only"),
    "root_key_fixed": _trigger("root_key_fixed", "BEFORE UPDATE", "meta",
                               "the root key of a registry never changes", "OLD.name = 'root_key'"),
    "root_key_kept": _trigger("root_key_kept", "BEFORE DELETE", "meta",
                              "the root key of a registry never changes", "OLD.name = 'root_key'"),
    "labels_never_deleted": _trigger("labels_never_deleted", "BEFORE DELETE", "labels",
                                     "labels are never deleted; revoke them"),
    "labels_signed_content_fixed": _trigger(
        "labels_signed_content_fixed", "BEFORE UPDATE", "labels",
        "the signed content of a label cannot change; renew it",
        " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in _LABEL_SIGNED)),
    "labels_revoked_final": _trigger("labels_revoked_final", "BEFORE UPDATE", "labels",
                                     "a revoked label stays revoked",
                                     "OLD.status = 'revoked' AND NEW.status IS DISTINCT FROM OLD.status"),
    "labels_superseded_final": _trigger(
        "labels_superseded_final", "BEFORE UPDATE", "labels", "a superseded label stays superseded",
        "OLD.status = 'superseded' AND (NEW.status IS DISTINCT FROM OLD.status "
        "OR NEW.superseded_by IS DISTINCT FROM OLD.superseded_by)"),
    "case_records_append_only_update": _trigger("case_records_append_only_update", "BEFORE UPDATE", "case_records",
                                                 "case records are append-only; record the item again"),
    "case_records_append_only_delete": _trigger("case_records_append_only_delete", "BEFORE DELETE", "case_records",
                                                 "case records are append-only; record the item again"),
    "cases_never_deleted": _trigger("cases_never_deleted", "BEFORE DELETE", "cases",
                                    "verification cases are never deleted"),
    "cases_signed_final": _trigger("cases_signed_final", "BEFORE UPDATE", "cases",
                                   "a signed verification case cannot change; open a new one",
                                   "OLD.status = 'signed'"),
    "evidence_fixed_update": _trigger("evidence_fixed_update", "BEFORE UPDATE", "evidence",
                                      "evidence is kept as recorded"),
    "evidence_fixed_delete": _trigger("evidence_fixed_delete", "BEFORE DELETE", "evidence",
                                      "evidence is kept as recorded"),
}

_TRIGGER_NAME = re.compile(r"CREATE TRIGGER (?:IF NOT EXISTS )?(\w+)")


def sqlite_trigger_names(statements) -> list[str]:
    """The names of the SQLite triggers among ``statements`` (each needs a :data:`PG_TRIGGERS` twin)."""
    return [m.group(1) for s in statements if (m := _TRIGGER_NAME.search(s))]


def pg_statements(statements, existing_triggers: set[str] = frozenset()) -> list[str]:
    """The PostgreSQL form of SQLite schema ``statements``: tables and indexes as written (``BLOB``
    as ``BYTEA``, ``INTEGER`` as ``BIGINT``: SQLite's integers have 64 bits), each SQLite trigger
    replaced by its :data:`PG_TRIGGERS` twin unless it exists.

    Raises
    ------
    RegistryError
        A SQLite trigger without a PostgreSQL twin (a guarantee the PostgreSQL store would miss).
    """
    out = []
    for statement in statements:
        m = _TRIGGER_NAME.search(statement)
        if m is None:
            out.append(re.sub(r"\bINTEGER\b", "BIGINT", re.sub(r"\bBLOB\b", "BYTEA", statement)))
        elif m.group(1) not in PG_TRIGGERS:
            raise RegistryError(f"the SQLite trigger {m.group(1)} has no PostgreSQL twin in pcf.registry.pgstore")
        elif m.group(1) not in existing_triggers:
            out.append(PG_TRIGGERS[m.group(1)])
    return out


def redact(url: str) -> str:
    """``url`` with its password (user info or a ``password=`` parameter) replaced by ``***``
    (for messages; a password is never printed)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://***"
    if parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)
        parts = parts._replace(netloc=f"{netloc[0].split(':', 1)[0]}:***@{netloc[1]}")
    query = re.sub(r"(^|&)password=[^&]*", r"\1password=***", parts.query)
    return urlunsplit(parts._replace(query=query))


def _secrets(url: str) -> list[str]:
    """The password(s) written in ``url`` (to be blotted out of any message)."""
    found = re.findall(r"^[a-z]+://[^/@:?]*:([^/?]*)@", url)  # read without a URL parser: it may refuse the URL
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = urlsplit("")
    found += [parts.password] if parts.password else []
    found += [unquote(v) for v in re.findall(r"(?:^|&)password=([^&]*)", parts.query) if v]
    return sorted({*found, *(unquote(p) for p in found)}, key=len, reverse=True)


def _psycopg():
    """The psycopg module; ``MissingExtra`` (extra ``postgres``) when it is not installed."""
    return require("postgres", "psycopg", "a registry on PostgreSQL is reached")


def _connect_error(exc: Exception, url: str) -> RegistryError:
    """A clear message for a failed connection (no password, no traceback)."""
    text = str(exc).replace(url, redact(url))
    for secret in _secrets(url):
        text = text.replace(secret, "***")
    where = redact(url)
    low = text.lower()
    if "password authentication failed" in low or "authentication failed" in low or "no password supplied" in low:
        why = "authentication failed: check the user name and password"
    elif "database" in low and "does not exist" in low:
        why = "the database does not exist: create it first (e.g. `createdb`), then run `pcf registry init`"
    elif "invalid" in low or "missing" in low or "unknown" in low:
        why = "not a usable PostgreSQL URL (postgresql://user@host:port/database)"
    elif "role" in low and "does not exist" in low:
        why = "the user does not exist on the server"
    elif "connection refused" in low or "could not connect" in low or "no such file" in low or "timeout" in low \
            or "could not translate host name" in low or "failed" in low:
        why = "the server cannot be reached: is PostgreSQL running at that host and port?"
    else:
        why = "the connection failed"
    first = " ".join(text.strip().splitlines()[0].split()) if text.strip() else type(exc).__name__
    return RegistryError(f"registry {where}: {why} ({first})").about("registry")


class PgTx(SQLTx):
    """:class:`SQLTx` over a psycopg connection (``?`` placeholders turned into ``%s``)."""

    ROW_ORDER = "added_order"

    def run(self, sql, args=()):
        args = tuple(args)
        if any(isinstance(a, str) and "\x00" in a for a in args):
            # PostgreSQL's text cannot hold NUL (SQLite's can): refused here, not as a driver error
            raise RegistryError("a text with a NUL character (\\u0000) cannot be stored in or looked up in a "
                                "PostgreSQL registry; remove it from the input")
        return self.db.execute(sql.replace("%", "%%").replace("?", "%s"), args)


class PgStore(Store):
    """The registry in a PostgreSQL database (module docstring).

    Parameters
    ----------
    url : str
        ``postgresql://user:password@host:port/database`` (libpq URL; ``?host=/socket/dir``
        for a unix socket). The database must exist.
    create : bool
        Turn an empty database into a registry [default True].

    Raises
    ------
    RegistryError
        Server unreachable, authentication failed, database missing, or an empty database
        with ``create`` false.
    RegistryCorrupt
        The database holds tables but is not a pcf registry, or of another schema version.
    """

    def __init__(self, url: str, create: bool = True):
        psycopg = _psycopg()
        dict_row = require("postgres", "psycopg.rows", "a registry on PostgreSQL is reached").dict_row

        self.url = url
        self.location = redact(url)
        try:
            self.db = psycopg.connect(url, autocommit=True, row_factory=dict_row, connect_timeout=10)
        except Exception as exc:  # psycopg.Error, or a malformed URL
            raise _connect_error(exc, url) from None
        try:
            self.db.execute(f"SET lock_timeout = '{int(BUSY_TIMEOUT_S * 1000)}ms'")
            self._ensure_schema(create)
        except BaseException:
            self.db.close()
            raise

    def _tables(self) -> set[str]:
        rows = self.db.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return {r["tablename"] for r in rows}

    def _triggers(self) -> set[str]:
        rows = self.db.execute("SELECT tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                               "JOIN pg_namespace n ON n.oid = c.relnamespace "
                               "WHERE n.nspname = current_schema() AND NOT t.tgisinternal")
        return {r["tgname"] for r in rows}

    def _ensure_schema(self, create: bool) -> None:
        if not self._tables():
            if not create:
                raise RegistryError(f"no registry at {self.location} (an empty database): create one with "
                                    "`pcf registry init`").about("registry")
            with self._locked():
                if not self._tables():  # nobody else created it meanwhile
                    for statement in pg_statements(_SCHEMA):
                        self.db.execute(statement)
                    self.db.execute("ALTER TABLE issuer_keys ADD COLUMN added_order BIGSERIAL")
                    for name, value in (("format", FORMAT), ("schema", SCHEMA_VERSION), ("prefix", "PCF")):
                        self.db.execute("INSERT INTO meta(name, value) VALUES (%s, %s)", (name, value))
        meta = {}
        if "meta" in self._tables():
            meta = {r["name"]: r["value"] for r in self.db.execute("SELECT name, value FROM meta")}
        if meta.get("format") != FORMAT:
            raise RegistryCorrupt(f"{self.location} is a PostgreSQL database but not a pcf registry; choose "
                                  "another database (an empty one becomes a registry)").about("registry")
        if meta.get("schema") in OLDER_SCHEMAS:
            raise RegistryCorrupt(f"{self.location} was made by an earlier pcf (registry schema {meta['schema']}: "
                                  f"{OLDER_SCHEMAS[meta['schema']]}); re-init a new registry").about("registry")
        if meta.get("schema") != SCHEMA_VERSION:
            raise RegistryCorrupt(f"{self.location}: registry schema {meta.get('schema')!r}, this pcf reads "
                                  f"{SCHEMA_VERSION!r}; upgrade pcf").about("registry")
        self._add_tables()

    def _add_tables(self) -> None:
        """Create the tables added in place since schema 4 (:data:`~pcf.registry.store.ADDED_IN_PLACE`:
        verification cases, received PACT events, ...) when missing."""
        added = list(ADDED_IN_PLACE)
        if {n for s in added if (n := _created_table(s))} <= self._tables():
            return  # a dropped trigger is not put back silently: integrity_errors reports it
        with self._locked():
            for statement in pg_statements(added, self._triggers()):
                self.db.execute(statement)

    @contextlib.contextmanager
    def _locked(self):
        """One transaction holding the write lock (committed at the end, rolled back on error)."""
        psycopg = _psycopg()
        try:
            self.db.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
            self.db.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except psycopg.errors.LockNotAvailable:
            self.db.execute("ROLLBACK")
            raise RegistryError(f"registry {self.location} is busy after {BUSY_TIMEOUT_S:.0f} s; try again") from None
        except psycopg.OperationalError as exc:
            raise _connect_error(exc, self.url) from None
        try:
            yield
        except BaseException:
            self._rollback()
            raise
        try:
            self.db.execute("COMMIT")
        except psycopg.Error as exc:
            self._rollback()
            raise RegistryError(f"registry {self.location}: commit failed ({exc}); nothing was changed") from None

    def _rollback(self) -> None:
        if not self.db.closed:
            with contextlib.suppress(Exception):
                self.db.execute("ROLLBACK")

    @contextlib.contextmanager
    def write(self) -> Iterator[PgTx]:
        with self._locked():
            yield PgTx(self.db)

    @contextlib.contextmanager
    def read(self) -> Iterator[PgTx]:
        self.db.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
        try:
            yield PgTx(self.db)
        finally:
            self._rollback()

    def integrity_errors(self) -> list[str]:
        """Empty: the server keeps its own files consistent and enforces foreign keys and checks
        on every write (there is no file to check as SQLite's ``PRAGMA integrity_check`` does)."""
        return []

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "PgStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _created_table(statement: str) -> str | None:
    m = re.search(r"CREATE TABLE (?:IF NOT EXISTS )?(\w+)", statement)
    return m.group(1) if m else None
