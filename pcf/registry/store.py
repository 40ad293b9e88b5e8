"""Registry storage: one small interface (:class:`Store`, :class:`Tx`), the SQL of every
operation (:class:`SQLTx`) and the SQLite store.

Everything the registry keeps goes through :class:`Tx`, the operations of one transaction;
the rest of :mod:`pcf.registry` never writes SQL. :class:`SQLTx` writes each operation once,
in SQL that SQLite and PostgreSQL both accept; the PostgreSQL store
(:mod:`pcf.registry.pgstore`) runs the same methods with ``%s`` placeholders, the same tables
(``BLOB`` as ``BYTEA``) and a PL/pgSQL twin of each trigger below. :func:`pcf.registry.location.open_store`
chooses the back end from the location (a file path or a ``postgresql://`` URL).

Adding a table or a query: a method on :class:`SQLTx` (``?`` placeholders, rows read by
column name, ``ON CONFLICT DO NOTHING``), a ``CREATE TABLE IF NOT EXISTS`` in a tuple like
:data:`_CASE_SCHEMA`, listed in :data:`ADDED_IN_PLACE`, that both stores run when they open (a
registry made before gains it),
and for each SQLite trigger its twin in :data:`pcf.registry.pgstore.PG_TRIGGERS` (a test
fails until it exists).

SQLite: ``PCF_HOME/registry.db``, write-ahead log (readers never block the writer),
``synchronous=FULL`` (a committed label survives a power cut), and every change inside
``BEGIN IMMEDIATE`` ... ``COMMIT``, so concurrent issuers queue for the write lock (up to
:data:`BUSY_TIMEOUT_S`) and a process killed mid-transaction leaves nothing: SQLite rolls
the uncommitted pages back when the database is next opened.

Tables (schema version 4): ``meta`` (settings), ``issuers``, ``issuer_keys``, ``labels``,
``events`` (the hash-chained log of signed events; triggers refuse UPDATE and DELETE). Triggers also refuse
changing a label's signed content and moving a revoked label out of ``revoked`` or a
superseded one out of ``superseded``. A label row also keeps its scope (product id, PCR id,
declared unit, label type: one current label each) and its result's SHA-256 (one label per result).
Verification cases (issue 15): ``cases``, ``case_records`` (append-only) and ``evidence``
(files by SHA-256); added in place to a registry made before them (:data:`_CASE_SCHEMA`).
PACT events received by ``pcf serve`` (issue 16): ``pact_events``, bounded, outside the signed
log (:data:`_PACT_EVENT_SCHEMA`, added in place likewise).
The PACT host's document cache (``pact_documents``, ``pact_terms``: :mod:`pcf.registry.pactstore`)
is added the same way.
The PACT host's access tokens (``access_tokens``: :mod:`pcf.registry.tokenstore`) are added
the same way.
"""

from __future__ import annotations

from ..core import numbers

import contextlib
import dataclasses
import json
import os
import sqlite3
import uuid
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from .errors import RegistryCorrupt, RegistryError
from .pactstore import PACT_SCHEMA, PACT_TABLES, PactCacheTx
from .tokenstore import TOKEN_SCHEMA, TOKEN_TABLES, TokenTx

SCHEMA_VERSION = "4"

#: Schema versions of registries made by earlier pcf versions, and what changed since
#: (they are refused with a "re-init" message: their keys have no role and their events no
#: signature, which no migration can add after the fact).
OLDER_SCHEMAS = {"1": "keys without roles, an unsigned event log",
                 "2": "an unsigned event log and no root key",
                 "3": "labels without the product scope, result SHA-256 and supersession columns"}
FORMAT = "pcf-registry"

#: How long a writer waits for another one to finish [s].
BUSY_TIMEOUT_S = 120.0

STATUSES = ("valid", "suspended", "revoked", "superseded")

_SCHEMA = (
    """
CREATE TABLE meta (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
""",
    """
CREATE TABLE issuers (
    name       TEXT PRIMARY KEY,
    created_at TEXT NOT NULL
);
""",
    """
CREATE TABLE issuer_keys (
    key_id     TEXT PRIMARY KEY,
    issuer     TEXT NOT NULL REFERENCES issuers(name),
    public_key TEXT NOT NULL,            -- base64url of the 32 raw Ed25519 bytes
    role       TEXT NOT NULL DEFAULT 'issuer' CHECK (role IN ('admin', 'verifier', 'issuer')),
    added_at   TEXT NOT NULL,
    retired_at TEXT                      -- no new labels after this; old ones stay verifiable
);
""",
    """
CREATE TABLE labels (
    number             TEXT PRIMARY KEY,
    seq                INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
    issuer             TEXT NOT NULL REFERENCES issuers(name),
    key_id             TEXT NOT NULL REFERENCES issuer_keys(key_id),
    product_id         TEXT NOT NULL,
    product_name       TEXT NOT NULL,
    issued_at          TEXT NOT NULL,
    valid_from         TEXT NOT NULL,
    valid_until        TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('valid', 'suspended', 'revoked', 'superseded')),
    status_at          TEXT NOT NULL,
    status_reason      TEXT,
    renews             TEXT REFERENCES labels(number),
    renewed_by         TEXT REFERENCES labels(number),
    supersedes         TEXT REFERENCES labels(number),   -- the label this one replaced (issue 15 part 3)
    superseded_by      TEXT REFERENCES labels(number),
    result_sha256      TEXT NOT NULL,    -- the signed declaration's: one label per result
    pcr_id             TEXT NOT NULL,    -- product id + PCR + declared unit: one current label
    declared_unit      TEXT NOT NULL,
    label_type         TEXT NOT NULL,    -- footprint | reduction (pcf.registry.labeltype)
    declaration_sha256 TEXT NOT NULL,
    document           TEXT NOT NULL,    -- the signed declaration (JSON)
    token              TEXT NOT NULL     -- the compact signed token (pcf.registry.token)
);
""",
    """
CREATE TABLE events (
    seq       INTEGER PRIMARY KEY CHECK (seq >= 1),
    at        TEXT NOT NULL,
    kind      TEXT NOT NULL,
    label     TEXT,
    data      TEXT NOT NULL,             -- canonical JSON (RFC 8785)
    prev_hash TEXT NOT NULL,
    signer    TEXT NOT NULL,             -- key id of the actor's key (the root key or a registered key)
    signature TEXT NOT NULL,             -- Ed25519 over the canonical event body (base64url)
    hash      TEXT NOT NULL UNIQUE
);
""",
    """
CREATE INDEX events_label ON events(label);
""",
    """
CREATE INDEX labels_product ON labels(product_id);
""",
    """
CREATE INDEX labels_result ON labels(result_sha256);
""",
    """
CREATE UNIQUE INDEX one_current_key ON issuer_keys(issuer) WHERE retired_at IS NULL;
""",
    """
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
""",
    """
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
""",
    """
CREATE TRIGGER root_key_fixed BEFORE UPDATE ON meta WHEN OLD.name = 'root_key'
BEGIN SELECT RAISE(ABORT, 'the root key of a registry never changes'); END;
""",
    """
CREATE TRIGGER root_key_kept BEFORE DELETE ON meta WHEN OLD.name = 'root_key'
BEGIN SELECT RAISE(ABORT, 'the root key of a registry never changes'); END;
""",
    """
CREATE TRIGGER labels_never_deleted BEFORE DELETE ON labels
BEGIN SELECT RAISE(ABORT, 'labels are never deleted; revoke them'); END;
""",
    """
CREATE TRIGGER labels_signed_content_fixed
BEFORE UPDATE OF number, seq, issuer, key_id, product_id, product_name, issued_at, valid_from,
                 valid_until, renews, supersedes, result_sha256, pcr_id, declared_unit, label_type, declaration_sha256,
                 document, token ON labels
BEGIN SELECT RAISE(ABORT, 'the signed content of a label cannot change; renew it'); END;
""",
    """
CREATE TRIGGER labels_revoked_final BEFORE UPDATE OF status ON labels
WHEN OLD.status = 'revoked'
BEGIN SELECT RAISE(ABORT, 'a revoked label stays revoked'); END;
""",
    """
CREATE TRIGGER labels_superseded_final BEFORE UPDATE OF status, superseded_by ON labels
WHEN OLD.status = 'superseded'
BEGIN SELECT RAISE(ABORT, 'a superseded label stays superseded'); END;
""",
)


#: Verification cases (issue 15 part 1), created with ``IF NOT EXISTS`` so that a registry made
#: before them gains them when it is next opened (they are new tables: nothing existing changes).
_CASE_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS evidence (
    sha256   TEXT PRIMARY KEY,
    size     INTEGER NOT NULL CHECK (size >= 0),
    content  BLOB NOT NULL,
    added_at TEXT NOT NULL
);
""",
    """
CREATE TABLE IF NOT EXISTS cases (
    number        TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE CHECK (seq >= 1),
    result_sha256 TEXT NOT NULL,
    product_id    TEXT NOT NULL,
    product_name  TEXT NOT NULL,
    pcr           TEXT NOT NULL,
    verifier      TEXT NOT NULL,
    opened_at     TEXT NOT NULL,
    checklist     TEXT NOT NULL,            -- JSON list of the items (fixed at opening)
    status        TEXT NOT NULL CHECK (status IN ('open', 'signed')),
    signed_at     TEXT,
    key_id        TEXT REFERENCES issuer_keys(key_id),
    opinion       TEXT CHECK (opinion IS NULL OR opinion IN ('reasonable', 'limited')),
    case_sha256   TEXT,
    document      TEXT                      -- the signed verification (JSON)
);
""",
    """
CREATE INDEX IF NOT EXISTS cases_result ON cases(result_sha256);
""",
    """
CREATE TABLE IF NOT EXISTS case_records (
    case_number     TEXT NOT NULL REFERENCES cases(number),
    seq             INTEGER NOT NULL CHECK (seq >= 1),
    item            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('ok', 'finding')),
    note            TEXT NOT NULL,
    evidence_sha256 TEXT REFERENCES evidence(sha256),
    evidence_name   TEXT,
    recorded_at     TEXT NOT NULL,
    PRIMARY KEY (case_number, seq)
);
""",
    """
CREATE TRIGGER IF NOT EXISTS case_records_append_only_update BEFORE UPDATE ON case_records
BEGIN SELECT RAISE(ABORT, 'case records are append-only; record the item again'); END;
""",
    """
CREATE TRIGGER IF NOT EXISTS case_records_append_only_delete BEFORE DELETE ON case_records
BEGIN SELECT RAISE(ABORT, 'case records are append-only; record the item again'); END;
""",
    """
CREATE TRIGGER IF NOT EXISTS cases_never_deleted BEFORE DELETE ON cases
BEGIN SELECT RAISE(ABORT, 'verification cases are never deleted'); END;
""",
    """
CREATE TRIGGER IF NOT EXISTS cases_signed_final BEFORE UPDATE ON cases
WHEN OLD.status = 'signed'
BEGIN SELECT RAISE(ABORT, 'a signed verification case cannot change; open a new one'); END;
""",
    """
CREATE TRIGGER IF NOT EXISTS evidence_fixed_update BEFORE UPDATE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence is kept as recorded'); END;
""",
    """
CREATE TRIGGER IF NOT EXISTS evidence_fixed_delete BEFORE DELETE ON evidence
BEGIN SELECT RAISE(ABORT, 'evidence is kept as recorded'); END;
""",
)


#: PACT events received by ``pcf serve`` (issue 16, :mod:`pcf.serve.events`): a bounded
#: operational record, not part of the signed log (no trigger: the oldest rows are dropped
#: beyond the cap). ``IF NOT EXISTS``, like :data:`_CASE_SCHEMA`, so older registries gain it.
_PACT_EVENT_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS pact_events (
    seq          INTEGER PRIMARY KEY CHECK (seq >= 1),
    received_at  TEXT NOT NULL,
    client_id    TEXT NOT NULL,            -- the API client whose token sent it
    api          TEXT NOT NULL,            -- v3 | v2 (the endpoint it came to)
    type         TEXT NOT NULL,            -- the CloudEvent type
    event_id     TEXT NOT NULL,
    source       TEXT NOT NULL,
    body         TEXT NOT NULL,            -- the CloudEvent as received (JSON)
    answer       TEXT,                     -- request events: pending | sent | failed
    answer_note  TEXT,
    UNIQUE (source, event_id)              -- CloudEvents 1.0: source + id identify an event
);
""",
)


#: The tables (and their triggers) added to registries of schema 4 in place, when a store opens
#: one made before them; both stores run them (PostgreSQL: :mod:`pcf.registry.pgstore`). Add a new
#: ``CREATE TABLE IF NOT EXISTS`` tuple here.
ADDED_IN_PLACE = _CASE_SCHEMA + _PACT_EVENT_SCHEMA + PACT_SCHEMA + TOKEN_SCHEMA


@dataclass
class KeyRecord:
    """A public key in the registry (timestamps ISO 8601 UTC).

    ``issuer`` is the key holder's name (an issuer, a verifier or an administrator);
    ``role`` one of ``admin``, ``verifier``, ``issuer`` (:mod:`pcf.registry.roles`).
    """

    key_id: str
    issuer: str
    public_key: str
    added_at: str
    retired_at: str | None = None
    role: str = "issuer"


@dataclass
class LabelRecord:
    """A label in the registry.

    ``document`` is the signed declaration as JSON text (:mod:`pcf.registry.declaration`),
    ``token`` the compact signed token (:mod:`pcf.registry.token`); the other columns repeat what the registry searches and shows. Timestamps are ISO 8601
    UTC (``2026-05-01T08:00:00Z``); ``valid_until`` is exclusive.
    """

    number: str
    seq: int
    issuer: str
    key_id: str
    product_id: str
    product_name: str
    issued_at: str
    valid_from: str
    valid_until: str
    status: str
    status_at: str
    declaration_sha256: str
    document: str
    token: str
    status_reason: str | None = None
    renews: str | None = None
    renewed_by: str | None = None
    supersedes: str | None = None
    superseded_by: str | None = None
    result_sha256: str = ""
    pcr_id: str = ""
    declared_unit: str = ""
    label_type: str = "footprint"

    @property
    def scope(self) -> tuple[str, str, str, str]:
        """``(product id, PCR id, declared unit, label type)``: a product has one current label per scope."""
        return (self.product_id, self.pcr_id, self.declared_unit, self.label_type)

    def current(self, at: str) -> bool:
        """True when the label is the current one of its scope at ``at`` (ISO 8601 UTC): valid
        or suspended, not superseded nor renewed, and ``at`` before ``valid_until``."""
        return (self.status in ("valid", "suspended") and self.superseded_by is None and self.renewed_by is None
                and _instant(at) < _instant(self.valid_until))


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.astimezone(timezone.utc)


def label_scope(declaration: dict) -> tuple[str, str, str, str]:
    """``(product id, PCR id, declared unit, label type)`` of a label document (``pcf-declaration/1``).

    The declared unit is the product's ``declared_unit.unit`` (e.g. ``kWh``), else its
    reference flow (e.g. ``1 item``); the label type ``footprint``, or the ``type`` of its
    ``claim`` (``reduction``, :mod:`pcf.registry.labeltype`).
    """
    product = declaration["product"]
    du = product.get("declared_unit")
    if du:
        unit = str(du["unit"])
    else:
        ref = product["reference_flow"]
        unit = f"{numbers.amount(ref['amount'])} {ref['unit']}"
    claim = declaration.get("claim")
    kind = claim.get("type") if isinstance(claim, dict) else None
    return (product["id"], declaration["pcr"]["id"], unit, kind if isinstance(kind, str) else "footprint")


@dataclass
class EventRecord:
    """One entry of the hash-chained, signed event log (:mod:`pcf.registry.chain`)."""

    seq: int
    at: str
    kind: str
    label: str | None
    data: dict = field(default_factory=dict)
    prev_hash: str = ""
    hash: str = ""
    signer: str = ""
    signature: str = ""


@dataclass
class CaseRecord:
    """A verification case (:mod:`pcf.registry.cases`); ``checklist`` is the JSON list of its items,
    ``document`` the signed verification (JSON) once signed. Timestamps ISO 8601 UTC."""

    number: str
    seq: int
    result_sha256: str
    product_id: str
    product_name: str
    pcr: str
    verifier: str
    opened_at: str
    checklist: str
    status: str = "open"
    signed_at: str | None = None
    key_id: str | None = None
    opinion: str | None = None
    case_sha256: str | None = None
    document: str | None = None


@dataclass
class ItemRecord:
    """One record of a checklist item in a case (the latest record of an item counts)."""

    case_number: str
    seq: int
    item: str
    status: str
    note: str
    recorded_at: str
    evidence_sha256: str | None = None
    evidence_name: str | None = None


@dataclass
class PactEventRecord:
    """A PACT event received by ``pcf serve`` (:mod:`pcf.serve.events`). ``body`` is the
    CloudEvent's JSON text; ``answer`` the state of the reply a request event gets (``pending``,
    ``sent``, ``failed``; None for other events) with ``answer_note`` saying what happened."""

    seq: int
    received_at: str
    client_id: str
    api: str
    type: str
    event_id: str
    source: str
    body: str
    answer: str | None = None
    answer_note: str | None = None


class Tx(ABC):
    """The operations of one registry transaction (all or nothing)."""

    @abstractmethod
    def setting(self, name: str) -> str | None:
        """A ``meta`` value (``prefix``, ``url``), or None."""

    @abstractmethod
    def set_setting(self, name: str, value: str) -> None:
        """Set a ``meta`` value."""

    @abstractmethod
    def add_issuer(self, name: str, at: str) -> bool:
        """Add an issuer unless present; True when added."""

    @abstractmethod
    def add_key(self, key: KeyRecord) -> None:
        """Add a public key (its issuer must exist)."""

    @abstractmethod
    def retire_key(self, key_id: str, at: str) -> None:
        """Mark a key retired from ``at`` on."""

    @abstractmethod
    def keys(self, issuer: str | None = None) -> list[KeyRecord]:
        """Keys, oldest first, of one issuer or all."""

    @abstractmethod
    def key(self, key_id: str) -> KeyRecord | None:
        """One key by id."""

    @abstractmethod
    def next_label_seq(self) -> int:
        """The next label sequence number (1 + the largest used)."""

    @abstractmethod
    def insert_label(self, label: LabelRecord) -> None:
        """Store a new label."""

    @abstractmethod
    def label(self, number: str) -> LabelRecord | None:
        """One label by number."""

    @abstractmethod
    def labels(self) -> list[LabelRecord]:
        """All labels in number order."""

    @abstractmethod
    def set_status(self, number: str, status: str, reason: str | None, at: str) -> None:
        """Change a label's status."""

    @abstractmethod
    def set_renewed_by(self, number: str, new_number: str) -> None:
        """Link a label to its renewal."""

    @abstractmethod
    def set_superseded(self, number: str, new_number: str, at: str) -> None:
        """Mark a label superseded by ``new_number`` from ``at`` on."""

    @abstractmethod
    def labels_of_product(self, product_id: str) -> list[LabelRecord]:
        """The labels of one product id, in number order."""

    @abstractmethod
    def labels_of_result(self, result_sha256: str) -> list[LabelRecord]:
        """The labels issued for one result (by its SHA-256), in number order."""

    @abstractmethod
    def last_event(self) -> EventRecord | None:
        """The newest event, or None when the log is empty."""

    @abstractmethod
    def insert_event(self, event: EventRecord) -> None:
        """Append an event (already chained)."""

    @abstractmethod
    def events(self, label: str | None = None, kinds: tuple[str, ...] | None = None) -> list[EventRecord]:
        """Events in order, all or those of one label, all or those of some kinds."""

    def events_from(self, seq: int) -> list[EventRecord]:
        """Events from number ``seq`` on, in order (a live page checks only the log's new part)."""
        return [e for e in self.events() if e.seq >= seq]

    def event_span(self) -> tuple[int, int]:
        """(number of events, largest event number): equal when no event was removed or inserted."""
        events = self.events()
        return len(events), max((e.seq for e in events), default=0)


    # verification cases (issue 15); concrete here so that other stores only need the SQL

    def next_case_seq(self) -> int:
        """The next case sequence number (1 + the largest used)."""
        raise NotImplementedError

    def insert_case(self, case: CaseRecord) -> None:
        """Store a new case."""
        raise NotImplementedError

    def case(self, number: str) -> CaseRecord | None:
        """One case by number."""
        raise NotImplementedError

    def cases(self, result_sha256: str | None = None) -> list[CaseRecord]:
        """Cases in number order, all or those of one result."""
        raise NotImplementedError

    def sign_case(self, case: CaseRecord) -> None:
        """Store the signature columns of a case (status ``signed``)."""
        raise NotImplementedError

    def add_item_record(self, record: ItemRecord) -> None:
        """Append a record of a checklist item."""
        raise NotImplementedError

    def item_records(self, case_number: str | None = None) -> list[ItemRecord]:
        """Records, oldest first, of one case or all."""
        raise NotImplementedError

    def add_evidence(self, sha256: str, content: bytes, at: str) -> None:
        """Keep an evidence file by its SHA-256 (once; the same content again is a no-op)."""
        raise NotImplementedError

    def evidence(self, sha256: str) -> bytes | None:
        """An evidence file's content, or None."""
        raise NotImplementedError

    # PACT events received by pcf serve (issue 16); concrete here so that other stores only need the SQL

    def add_pact_event(self, event: PactEventRecord, keep: int) -> PactEventRecord | None:
        """Store a received event under the next number (``event.seq`` is ignored) and drop the
        oldest beyond the newest ``keep``; None (nothing stored) when an event with the same
        ``source`` and ``event_id`` is already kept."""
        raise NotImplementedError

    def pact_events(self, limit: int | None = None) -> list[PactEventRecord]:
        """The kept events, oldest first (the newest ``limit`` when given)."""
        raise NotImplementedError

    def set_pact_answer(self, seq: int, answer: str, note: str) -> None:
        """Record the state of the answer to request event ``seq`` (a dropped event: no-op)."""
        raise NotImplementedError


class Store(ABC):
    """A registry database: hands out transactions."""

    location: str

    @abstractmethod
    def write(self) -> contextlib.AbstractContextManager[Tx]:
        """An exclusive write transaction: committed when the block ends, rolled back on error."""

    @abstractmethod
    def read(self) -> contextlib.AbstractContextManager[Tx]:
        """A read transaction (one consistent snapshot)."""

    @abstractmethod
    def integrity_errors(self) -> list[str]:
        """Low-level consistency check of the database file; empty when sound."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""


def _record(cls, row):
    """A dataclass record from a row read by column name (extra columns are ignored)."""
    return cls(**{k: row[k] for k in cls.__dataclass_fields__})


def _label(row) -> LabelRecord:
    return _record(LabelRecord, row)


def _key(row) -> KeyRecord:
    return _record(KeyRecord, row)


def _event(row) -> EventRecord:
    return EventRecord(seq=row["seq"], at=row["at"], kind=row["kind"], label=row["label"],
                       data=json.loads(row["data"]), prev_hash=row["prev_hash"], hash=row["hash"],
                       signer=row["signer"], signature=row["signature"])


class SQLTx(PactCacheTx, TokenTx, Tx):
    """:class:`Tx` in portable SQL, shared by the SQLite and PostgreSQL stores (with the PACT
    document cache of :mod:`pcf.registry.pactstore` and the access tokens of
    :mod:`pcf.registry.tokenstore`).

    Statements are written with ``?`` placeholders and run through :meth:`run`, which a
    dialect translates (:class:`pcf.registry.pgstore.PgTx`: ``%s``); rows are read by column
    name (``row["seq"]``, ``row.keys()``). Write new methods here, once, in SQL both engines
    accept (``ON CONFLICT ... DO NOTHING``, no ``INSERT OR IGNORE``, no ``rowid``; TEXT,
    INTEGER, BIGINT; a blob through :meth:`blob`), and they work on both back ends.
    """

    #: The column that orders rows of one ``added_at`` by insertion (SQLite's ``rowid``).
    ROW_ORDER = "rowid"

    def __init__(self, db):
        self.db = db

    def run(self, sql: str, args=()):
        """Execute ``sql`` (``?`` placeholders) with ``args``; returns a cursor (``fetchone``,
        ``fetchall``, iteration, ``rowcount``)."""
        return self.db.execute(sql, args)

    def blob(self, value):
        """A column value read from a blob column, as ``bytes``."""
        return None if value is None else bytes(value)

    def setting(self, name):
        row = self.run("SELECT value FROM meta WHERE name = ?", (name,)).fetchone()
        return None if row is None else row["value"]

    def set_setting(self, name, value):
        self.run("INSERT INTO meta(name, value) VALUES (?, ?) "
                 "ON CONFLICT(name) DO UPDATE SET value = excluded.value", (name, value))

    def add_issuer(self, name, at):
        return self.run("INSERT INTO issuers(name, created_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                        (name, at)).rowcount == 1

    def add_key(self, key):
        self.run("INSERT INTO issuer_keys(key_id, issuer, public_key, role, added_at, retired_at) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
                 (key.key_id, key.issuer, key.public_key, key.role, key.added_at, key.retired_at))

    def retire_key(self, key_id, at):
        self.run("UPDATE issuer_keys SET retired_at = ? WHERE key_id = ? AND retired_at IS NULL", (at, key_id))

    def keys(self, issuer=None):
        if issuer is None:
            rows = self.run("SELECT * FROM issuer_keys ORDER BY added_at, " + self.ROW_ORDER)
        else:
            rows = self.run("SELECT * FROM issuer_keys WHERE issuer = ? ORDER BY added_at, " + self.ROW_ORDER, (issuer,))
        return [_key(r) for r in rows]

    def key(self, key_id):
        r = self.run("SELECT * FROM issuer_keys WHERE key_id = ?", (key_id,)).fetchone()
        return None if r is None else _key(r)

    def next_label_seq(self):
        return self.run("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM labels").fetchone()["n"]

    def insert_label(self, label):
        cols = list(LabelRecord.__dataclass_fields__)
        self.run(f"INSERT INTO labels({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 [getattr(label, c) for c in cols])

    def label(self, number):
        r = self.run("SELECT * FROM labels WHERE number = ?", (number,)).fetchone()
        return None if r is None else _label(r)

    def labels(self):
        return [_label(r) for r in self.run("SELECT * FROM labels ORDER BY seq")]

    def set_status(self, number, status, reason, at):
        self.run("UPDATE labels SET status = ?, status_reason = ?, status_at = ? WHERE number = ?",
                 (status, reason, at, number))

    def set_renewed_by(self, number, new_number):
        self.run("UPDATE labels SET renewed_by = ? WHERE number = ?", (new_number, number))

    def set_superseded(self, number, new_number, at):
        self.run("UPDATE labels SET status = 'superseded', superseded_by = ?, status_at = ?, "
                 "status_reason = ? WHERE number = ?", (new_number, at, f"superseded by {new_number}", number))

    def labels_of_product(self, product_id):
        return [_label(r) for r in self.run("SELECT * FROM labels WHERE product_id = ? ORDER BY seq", (product_id,))]

    def labels_of_result(self, result_sha256):
        return [_label(r) for r in self.run("SELECT * FROM labels WHERE result_sha256 = ? ORDER BY seq",
                                            (result_sha256,))]

    def last_event(self):
        r = self.run("SELECT * FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return None if r is None else _event(r)

    def insert_event(self, event):
        from ..core.canonical import canonical_bytes

        self.run("INSERT INTO events(seq, at, kind, label, data, prev_hash, signer, signature, hash) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                 (event.seq, event.at, event.kind, event.label, canonical_bytes(event.data).decode("utf-8"),
                  event.prev_hash, event.signer, event.signature, event.hash))

    def events_from(self, seq):
        return [_event(r) for r in self.run("SELECT * FROM events WHERE seq >= ? ORDER BY seq", (seq,))]

    def event_span(self):
        r = self.run("SELECT COUNT(*) AS n, COALESCE(MAX(seq), 0) AS top FROM events").fetchone()
        return r["n"], r["top"]

    def events(self, label=None, kinds=None):
        where, args = [], []
        if label is not None:
            where.append("label = ?")
            args.append(label)
        if kinds is not None:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            args.extend(kinds)
        sql = "SELECT * FROM events" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY seq"
        return [_event(r) for r in self.run(sql, args)]

    def next_case_seq(self):
        return self.run("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM cases").fetchone()["n"]

    def insert_case(self, case):
        cols = list(CaseRecord.__dataclass_fields__)
        self.run(f"INSERT INTO cases({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 [getattr(case, c) for c in cols])

    def case(self, number):
        r = self.run("SELECT * FROM cases WHERE number = ?", (number,)).fetchone()
        return None if r is None else _record(CaseRecord, r)

    def cases(self, result_sha256=None):
        if result_sha256 is None:
            rows = self.run("SELECT * FROM cases ORDER BY seq")
        else:
            rows = self.run("SELECT * FROM cases WHERE result_sha256 = ? ORDER BY seq", (result_sha256,))
        return [_record(CaseRecord, r) for r in rows]

    def sign_case(self, case):
        self.run("UPDATE cases SET status = 'signed', signed_at = ?, key_id = ?, opinion = ?, "
                 "case_sha256 = ?, document = ? WHERE number = ? AND status = 'open'",
                 (case.signed_at, case.key_id, case.opinion, case.case_sha256, case.document, case.number))

    def add_item_record(self, record):
        cols = list(ItemRecord.__dataclass_fields__)
        self.run(f"INSERT INTO case_records({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 [getattr(record, c) for c in cols])

    def item_records(self, case_number=None):
        if case_number is None:
            rows = self.run("SELECT * FROM case_records ORDER BY case_number, seq")
        else:
            rows = self.run("SELECT * FROM case_records WHERE case_number = ? ORDER BY seq", (case_number,))
        return [_record(ItemRecord, r) for r in rows]

    def add_evidence(self, sha256, content, at):
        self.run("INSERT INTO evidence(sha256, size, content, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                 (sha256, len(content), content, at))

    def evidence(self, sha256):
        r = self.run("SELECT content FROM evidence WHERE sha256 = ?", (sha256,)).fetchone()
        return None if r is None else self.blob(r["content"])

    def add_pact_event(self, event, keep):
        if self.run("SELECT 1 FROM pact_events WHERE source = ? AND event_id = ?",
                    (event.source, event.event_id)).fetchone():
            return None
        seq = self.run("SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM pact_events").fetchone()["n"]
        record = dataclasses.replace(event, seq=seq)
        cols = list(PactEventRecord.__dataclass_fields__)
        self.run(f"INSERT INTO pact_events({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
                 [getattr(record, c) for c in cols])
        self.run("DELETE FROM pact_events WHERE seq <= ?", (seq - keep,))
        return record

    def pact_events(self, limit=None):
        rows = self.run("SELECT * FROM pact_events ORDER BY seq DESC"
                        + (" LIMIT ?" if limit is not None else ""),
                        (limit,) if limit is not None else ()).fetchall()
        return [_record(PactEventRecord, r) for r in reversed(rows)]

    def set_pact_answer(self, seq, answer, note):
        self.run("UPDATE pact_events SET answer = ?, answer_note = ? WHERE seq = ?", (answer, note, seq))



_SQLITE_HEADER = b"SQLite format 3\x00"  # the first 16 bytes of every SQLite 3 database (sqlite.org/fileformat.html 1.3)


def _refuse_foreign(path: Path) -> None:
    """Raise :class:`RegistryCorrupt` unless ``path`` is an SQLite file with pcf's ``meta`` table;
    reads only (a zero-length or foreign file is never re-created or modified: issue 19)."""
    keep = ("pcf does not re-create or change it: restore it from a backup, use the right file, or create a new "
            "registry elsewhere with `pcf registry init`")
    if path.is_dir():
        raise RegistryCorrupt(f"{path} is a folder, not a pcf registry; {keep}").about("registry")
    try:
        with path.open("rb") as f:
            head = f.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise RegistryError(f"cannot read the registry {path}: {exc.strerror or exc}").about("registry") from None
    if not head:
        raise RegistryCorrupt(f"{path} is not a usable pcf registry (an empty file, 0 bytes); {keep} (an empty "
                              "file can simply be deleted first)").about("registry")
    if head != _SQLITE_HEADER:
        raise RegistryCorrupt(f"{path} is not a usable pcf registry (not an SQLite file); {keep}").about("registry")
    try:
        db = connect_readonly(path)
        try:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            meta = dict(db.execute("SELECT name, value FROM meta").fetchall()) if "meta" in tables else {}
        finally:
            db.close()
    except sqlite3.DatabaseError as exc:
        raise RegistryCorrupt(f"{path} is not a usable pcf registry ({exc}); {keep}").about("registry") from None
    if meta.get("format") != FORMAT:
        raise RegistryCorrupt(f"{path} is an SQLite file but not a pcf registry; choose another file "
                              "(pcf does not change it)").about("registry")


def connect_readonly(path: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``) to the SQLite file ``path``, which must exist.

    A WAL database in a folder nobody may write (a read-only mount, a folder without write
    permission) cannot be opened ``mode=ro`` when its ``-shm`` file is missing (SQLite cannot
    create it); then, when no writer's ``-wal`` file is there either, it is opened
    ``immutable`` (SQLite's "read-only WAL" rules, https://www.sqlite.org/wal.html#readonly).

    Raises
    ------
    sqlite3.DatabaseError
        The file cannot be opened or read.
    """
    uri = path.resolve().as_uri()
    try:
        return _probed(f"{uri}?mode=ro")
    except sqlite3.OperationalError:
        wal = Path(f"{path}-wal")
        if (wal.exists() and wal.stat().st_size) or os.access(path.parent, os.W_OK):
            raise
    return _probed(f"{uri}?mode=ro&immutable=1")


def _probed(uri: str) -> sqlite3.Connection:
    """A connection to ``uri`` that has read the schema (which opens the WAL index); closed again
    when that fails."""
    db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    try:
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _create(path: Path) -> None:
    """A new registry at ``path``, made under a temporary name and linked into place, so that no
    other process ever sees it empty (a zero-length ``registry.db`` is refused); a registry that
    another process created meanwhile is kept."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.new")
    try:
        db = sqlite3.connect(temporary, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("BEGIN IMMEDIATE")
            for statement in _SCHEMA:
                db.execute(statement)
            db.executemany("INSERT INTO meta(name, value) VALUES (?, ?)",
                           [("format", FORMAT), ("schema", SCHEMA_VERSION), ("prefix", "PCF")])
            db.execute("COMMIT")
        finally:
            db.close()  # the last connection checkpoints the WAL into the file and removes it
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        for leftover in (temporary, Path(f"{temporary}-wal"), Path(f"{temporary}-shm")):
            leftover.unlink(missing_ok=True)


class SQLiteStore(Store):
    """The registry in one SQLite file (WAL, ``synchronous=FULL``, ``BEGIN IMMEDIATE`` writes).

    Parameters
    ----------
    path : str or Path
        The database file; created with the schema when missing and ``create`` is true.
    create : bool
        Create a missing file [default True].
    readonly : bool
        Open the file read-only (:func:`connect_readonly`, for the commands that only read: a
        registry on a read-only mount or without write permission is served); writing then
        raises :class:`RegistryError` [default False].

    Raises
    ------
    RegistryCorrupt
        The file is not SQLite, not a pcf registry, or of an unknown schema version.
    RegistryError
        The file is missing and ``create`` is false (or ``readonly``), or cannot be opened.
    """

    def __init__(self, path: str | Path, create: bool = True, readonly: bool = False):
        self.path = Path(path)
        self.location = str(self.path)
        self.readonly = readonly
        if self.path.exists():
            _refuse_foreign(self.path)  # before anything writes to it (WAL changes the header)
        elif not create or readonly:
            raise RegistryError(f"no registry at {self.path}: create one with `pcf registry init` "
                                "or `pcf keys new`")
        else:
            _create(self.path)
        try:
            if readonly:
                self.db = connect_readonly(self.path)
            else:
                self.db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
                self.db.execute("PRAGMA journal_mode = WAL")
                self.db.execute("PRAGMA synchronous = FULL")
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA foreign_keys = ON")
            self._ensure_schema()
        except sqlite3.DatabaseError as exc:
            if getattr(self, "db", None) is not None:
                self.db.close()
            if not readonly and not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                raise RegistryError(f"registry {self.path} cannot be written ({exc}: a read-only file, folder or "
                                    "file system); this command changes the registry (listing and verifying labels "
                                    "only read it and work)").about("registry") from None
            raise RegistryCorrupt(f"{self.path} is not a usable pcf registry ({exc}); restore it from a "
                                  "backup or use the right file").about("registry") from None
        except BaseException:
            self.db.close()
            raise

    def _ensure_schema(self) -> None:
        meta = {}
        if "meta" in {r[0] for r in self.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}:
            meta = dict(self.db.execute("SELECT name, value FROM meta").fetchall())
        if meta.get("format") != FORMAT:
            raise RegistryCorrupt(f"{self.path} is an SQLite file but not a pcf registry; choose another "
                                  "file").about("registry")
        if meta.get("schema") in OLDER_SCHEMAS:
            raise RegistryCorrupt(f"{self.path} was made by an earlier pcf (registry schema {meta['schema']}: "
                                  f"{OLDER_SCHEMAS[meta['schema']]}); this pcf needs schema {SCHEMA_VERSION} and "
                                  "cannot migrate it: re-init, i.e. create a new registry with `pcf registry init` "
                                  "at another path and issue the labels again there (keep the old file to answer "
                                  "for the labels it holds)").about("registry")
        if meta.get("schema") != SCHEMA_VERSION:
            raise RegistryCorrupt(f"{self.path}: registry schema {meta.get('schema')!r}, this pcf reads "
                                  f"{SCHEMA_VERSION!r}; upgrade pcf")
        self._add_case_tables()

    def _add_case_tables(self) -> None:
        """Create the verification-case tables when missing (a registry made before issue 15)."""
        names = {r[0] for r in self.db.execute("SELECT name FROM sqlite_master")}
        wanted = {"cases", "case_records", "evidence", "cases_signed_final", "case_records_append_only_update",
                  "pact_events", *PACT_TABLES, *TOKEN_TABLES}
        if wanted <= names or self.readonly:  # read-only: a query of a missing table fails on its own
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for statement in ADDED_IN_PLACE:
                self.db.execute(statement)
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    @contextlib.contextmanager
    def write(self) -> Iterator[Tx]:
        if self.readonly:
            raise RegistryError(f"registry {self.path} was opened read-only; this command writes")
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise RegistryError(f"registry {self.path} is busy ({exc}) after {BUSY_TIMEOUT_S:.0f} s; "
                                "try again") from None
        try:
            yield SQLTx(self.db)
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        try:
            self.db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            self.db.execute("ROLLBACK")
            raise RegistryError(f"registry {self.path}: commit failed ({exc}); nothing was changed") from None

    @contextlib.contextmanager
    def read(self) -> Iterator[Tx]:
        self.db.execute("BEGIN")
        try:
            yield SQLTx(self.db)
        finally:
            self.db.execute("ROLLBACK")

    def integrity_errors(self) -> list[str]:
        rows = [r[0] for r in self.db.execute("PRAGMA integrity_check")]
        rows = [] if rows == ["ok"] else rows
        rows += [f"foreign key: {tuple(r)}" for r in self.db.execute("PRAGMA foreign_key_check")]
        return rows

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "SQLiteStore":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
