"""The footprints a PACT host system offers: the registry's issued labels as PACT documents.

A label in the registry (:mod:`pcf.registry`) signs a declaration that names the result it
was issued for by the SHA-256 of the result's canonical JSON (``result_sha256``, RFC 8785).
The host finds that result in a folder of result files (``pcf footprint --out DIR``), so a
served footprint is computed from exactly the result that was signed, and exports it
(:func:`pcf.exchange.pact.pact_v3` / ``pact_v2``) with what the label adds:

==========================  ===============================================================
PACT field                  from the label
==========================  ===============================================================
``id``                      UUID v5 of the label number (stable for the label's life)
``status``                  ``Active`` while the label is valid (status ``valid``, inside its
                            validity period, not renewed), else ``Deprecated``
``validityPeriodStart/End`` the label's validity, within PACT's limits: from the reference
                            period's end to at most 3 years after it (PACT v3 ProductFootprint
                            ``validityPeriodStart``); omitted when the two do not overlap
``precedingPfIds``          the footprint of the label this one renews
``verification`` (v2        the certification body that issued the label: ``providerName`` =
``assurance``)              issuer, ``completedAt`` = time of issue, ``coverage`` = product level
==========================  ===============================================================

Produced once: a label's documents depend on its signed declaration, its result and the
exporter only, so :class:`FootprintSource` exports each label once (when ``pcf serve`` starts,
and for labels issued later at the first request after their issue) into the registry's
document cache (:mod:`pcf.registry.pactstore`, keyed by label number, declaration SHA-256 and
:func:`exporter_version`). What changes during a label's life is not cached: ``status`` and the
label note at the end of ``comment`` are written at each request from the ``labels`` row, read
in the same transaction as the page, so a suspension, revocation or renewal shows at the next
request. Filters and pages run in SQL (:mod:`pcf.serve.query`). The host writes only the cache
tables; labels, keys and the event log are only read.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from .. import __version__
from ..core.canonical import canonical_bytes
from ..core.errors import ExchangeError, SourceError
from ..declaration import Declaration, read_declaration
from ..exchange.pact import pact_v2, pact_v3
from ..registry import open_store
from ..registry.declaration import parse_document
from ..registry.pactstore import PactDocument, sortable_time
from .query import body_json, data_json, label_note, pact_query, served_json, terms, validity


@dataclass
class HostedFootprint:
    """One issued label as PACT documents.

    Attributes
    ----------
    number : str
        The label number.
    id : str
        The footprint id (UUID v5 of the number).
    v3, v2 : dict or None
        The PACT v3 and v2 ``ProductFootprint`` (None when the result lacks what that version needs).
    problem : str or None
        Why the label is not served (no matching result, or what the exporter needs).
    """

    number: str
    id: str
    v3: dict | None
    v2: dict | None
    problem: str | None = None


def footprint_uuid(number: str) -> str:
    """The PACT id of the footprint of a label: UUID v5 of ``urn:pcf:label:<number>``."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"urn:pcf:label:{number}"))


class ResultIndex:
    """Result files of a folder by the SHA-256 of their canonical JSON (RFC 8785), re-read when
    the folder's files change (name, size, modification time)."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._stamp: tuple | None = None
        self._by_hash: dict[str, Path] = {}

    def _scan(self) -> None:
        files = sorted(self.folder.glob("*.result.json")) if self.folder.is_dir() else []
        stamp = tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files)
        if stamp == self._stamp:
            return
        by_hash = {}
        for f in files:
            try:
                data = json.loads(f.read_text(encoding="utf-8"))
                by_hash[hashlib.sha256(canonical_bytes(data)).hexdigest()] = f
            except (OSError, ValueError):
                continue  # not a readable result: not served
        self._by_hash, self._stamp = by_hash, stamp

    def scan(self) -> None:
        """Re-read the folder if its files changed (name, size, modification time)."""
        self._scan()

    def find(self, sha256: str, scan: bool = True) -> Declaration | None:
        """The result whose canonical SHA-256 is ``sha256``, read as a declaration, or None
        (``scan``: look at the folder first, else use the last :meth:`scan`).

        Raises
        ------
        pcf.core.errors.SourceError
            The file with that hash is not a valid ``pcf-result/1`` document.
        """
        if scan:
            self._scan()
        path = self._by_hash.get(sha256)
        if path is None:
            return None
        return read_declaration(path)


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _validity(label, reference_end: str | None) -> tuple[str, str] | None:
    """The label's validity inside PACT's window [reference period end, + 3 years], or None."""
    start, end = _utc(label.valid_from), _utc(label.valid_until)
    if reference_end:
        ref = _utc(reference_end)
        try:
            limit = ref.replace(year=ref.year + 3)
        except ValueError:  # 29 February
            limit = ref + timedelta(days=3 * 365)
        start, end = max(start, ref), min(end, limit)
    return (_iso(start), _iso(end)) if start < end else None


def exports(declaration: Declaration) -> dict:
    """``{"v3": doc or ExchangeError, "v2": ...}``: the declaration's PACT documents before the
    label's fields (they depend on the result only, so a host computes them once per result)."""
    out = {}
    for version, export in (("v3", pact_v3), ("v2", pact_v2)):
        try:
            out[version] = export(declaration)
        except ExchangeError as exc:
            out[version] = exc
    return out


@functools.cache
def exporter_version() -> str:
    """The version of what makes a served document: the pcf version and the SHA-256 (first 16
    hex digits) of pcf's Python source, so any change to the exporters, the result codec or
    this module makes new cache rows (:mod:`pcf.registry.pactstore`) instead of serving old ones."""
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return f"pcf {__version__} src {digest.hexdigest()[:16]}"


def is_active(label, now: datetime) -> bool:
    """PACT ``status`` ``Active``: the label is valid (not suspended, revoked or superseded), not
    renewed, and ``now`` lies in its validity (``valid_until`` exclusive)."""
    return (label.status == "valid" and not label.renewed_by
            and _utc(label.valid_from) <= now < _utc(label.valid_until))


def _label_document(label, declaration: Declaration, version: str, exported: dict) -> dict:
    """An exported document (a copy) with what the label fixes for its life: ``id``, the
    validity window, ``precedingPfIds``, ``verification`` (v2 ``assurance``); ``status`` and
    ``comment`` as exported."""
    doc = copy.deepcopy(exported)
    doc["id"] = footprint_uuid(label.number)
    window = _validity(label, doc["pcf"].get("referencePeriodEnd"))
    if window:
        doc["validityPeriodStart"], doc["validityPeriodEnd"] = window
    if label.renews:
        doc["precedingPfIds"] = [footprint_uuid(label.renews)]
    check = {"providerName": label.issuer, "completedAt": _iso(_utc(label.issued_at)),
             "comments": f"pcf carbon label {label.number} (signed declaration, Ed25519)"}
    pcr = declaration.assessment.pcr if declaration.assessment is not None else None
    if pcr:
        check["standardName"] = f"{declaration.result.study.standard}; PCR {pcr.id} {pcr.version}".strip()
    if version == "v3":
        doc["pcf"]["verification"] = {"coverage": "product level", **check}
    else:
        doc["pcf"]["assurance"] = {"assurance": True, "coverage": "product level", **check}
    return doc


def hosted(label, declaration: Declaration | None, now: datetime, exported: dict | None = None,
           missing: str | None = None) -> HostedFootprint:
    """The PACT documents of one label (see the module docstring), all made afresh: the
    reference the cached documents (:func:`cached_documents`) are served equal to.

    Parameters
    ----------
    label : pcf.registry.store.LabelRecord
    declaration : Declaration or None
        The result the label was issued for (None: not found).
    now : datetime
        The time that decides ``Active`` / ``Deprecated``.
    exported : dict, optional
        :func:`exports` of ``declaration`` when already computed.
    missing : str, optional
        Why ``declaration`` is None (default: no result file with the label's SHA-256).
    """
    fid = footprint_uuid(label.number)
    if declaration is None:
        return HostedFootprint(label.number, fid, None, None, missing or
                               "no result file with the SHA-256 the label's declaration names (result_sha256)")
    exported = exported if exported is not None else exports(declaration)
    note = label_note(label.number, label.issuer, label.issued_at, label.valid_from, label.valid_until,
                      label.status, label.renewed_by)
    docs, problems = {}, []
    for version in ("v3", "v2"):
        if isinstance(exported[version], ExchangeError):
            problems.append(f"PACT {version}: {exported[version]}")
            docs[version] = None
            continue
        doc = _label_document(label, declaration, version, exported[version])
        doc["status"] = "Active" if is_active(label, now) else "Deprecated"
        doc["comment"] = f"{doc.get('comment', '')} {note}".strip()
        docs[version] = doc
    problem = "; ".join(problems) if not docs["v3"] and not docs["v2"] else None
    return HostedFootprint(label.number, fid, docs["v3"], docs["v2"], problem)


def cached_documents(label, declaration: Declaration, exported: dict, exporter: str) -> list[PactDocument]:
    """The cache rows of one label (:mod:`pcf.registry.pactstore`): per PACT version the body
    without ``status`` and ``comment``, the filter terms and times, or the exporter's refusal.

    Parameters
    ----------
    label : pcf.registry.store.LabelRecord
    declaration : Declaration
        The result the label was issued for.
    exported : dict
        :func:`exports` of ``declaration``.
    exporter : str
        :func:`exporter_version`.
    """
    rows = []
    for version in ("v3", "v2"):
        row = PactDocument(number=label.number, version=version, declaration_sha256=label.declaration_sha256,
                           exporter=exporter, seq=label.seq, id=footprint_uuid(label.number).lower(),
                           valid_from=sortable_time(_utc(label.valid_from)),
                           valid_until=sortable_time(_utc(label.valid_until)),
                           period_start=None, period_end=None, comment="", problem=None, body=None)
        if isinstance(exported[version], ExchangeError):
            row.problem = f"PACT {version}: {exported[version]}"
            rows.append(row)
            continue
        doc = _label_document(label, declaration, version, exported[version])
        try:
            period = validity(doc)
            if period is not None:
                row.period_start, row.period_end = sortable_time(period[0]), sortable_time(period[1])
        except (ValueError, OverflowError):  # a period beyond year 9999: matches no date filter
            pass
        row.body, row.comment, row.terms = body_json(doc), doc.get("comment", ""), terms(doc)
        rows.append(row)
    return rows


#: How often labels whose result file was missing or unreadable are looked for again [s].
RETRY_S = 1.0
#: A ``limit`` above any registry's size.
ALL = 2 ** 62
#: Most served documents kept in memory (the whole memo is dropped when full).
MEMO_MAX = 20_000


class FootprintSource:
    """The footprints of a registry's labels, exported once per label into the registry's
    document cache (:mod:`pcf.registry.pactstore`) and served from it with the status of the
    moment.

    A request reads the registry in one read transaction on this thread's connection (opened
    once per thread): the highest label number tells whether labels were issued since the last
    look; new ones (and, at most every :data:`RETRY_S`, those whose result file was missing)
    are exported and written to the cache first (one write transaction), then the page is
    selected in SQL.

    Parameters
    ----------
    registry : str or Path or None
        The registry (default ``PCF_HOME/registry.db``).
    results : str or Path
        Folder of result files (``*.result.json``) the labels were issued for.
    clock : callable, optional
        ``clock() -> datetime`` (UTC); default the system clock.
    retry_s : float
        How often labels whose result file was missing are looked for again [s].
    """

    def __init__(self, registry, results, clock=None, retry_s: float = RETRY_S):
        self.registry = registry
        self.index = ResultIndex(results)
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.exporter = exporter_version()
        self._exported: dict[str, tuple] = {}  # result SHA-256 -> (declaration, exports): results never change
        self._local = threading.local()
        self._stores: list = []
        self._lock = threading.Lock()
        self._known = 0  # every label up to this seq is cached or pending
        self._pending: set[str] = set()  # labels whose result was not found (looked for again)
        self._retry_at, self.retry_s = 0.0, retry_s
        self._memo: dict[tuple, bytes] = {}  # (version, number, active, status, renewed_by) -> served JSON

    def thread_store(self):
        """The registry connection of the calling thread (opened once per thread, kept until
        :meth:`close`; also used for the access tokens, :class:`pcf.serve.auth.TokenStore`).

        Raises
        ------
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        return self._store()

    def _store(self):
        store = getattr(self._local, "store", None)
        if store is None:
            store = open_store(self.registry, create=False)
            self._local.store = store
            with self._lock:
                self._stores.append((threading.get_ident(), store))
        return store

    def close(self) -> None:
        """Close the registry connection this thread opened and let go of the others (a
        connection belongs to its thread; they close when collected)."""
        with self._lock:
            stores, self._stores = self._stores, []
        for ident, store in stores:
            if ident == threading.get_ident():
                store.close()
        self._local = threading.local()

    def _stale(self, top: int) -> bool:
        """Whether labels were issued since the last look (``top``: the highest label number), or
        labels whose result was missing are due to be looked for again."""
        return top > self._known or bool(self._pending and time.monotonic() >= self._retry_at)

    def _read(self, version: str, select) -> list[bytes]:
        """The served documents of ``select(tx, now)`` (rows of :meth:`PactCacheTx.pact_page`)
        in one read transaction, after the cache caught up with the registry (the rows carry the
        highest label number, ``top``, so that this costs no statement of its own)."""
        store = self._store()
        now = sortable_time(self.clock())
        with store.read() as tx:
            rows = select(tx, now)
            if not self._stale(rows[0]["top"] if rows else tx.next_label_seq() - 1):
                return self._served(tx, version, rows)
        self.prepare()
        with store.read() as tx:
            return self._served(tx, version, select(tx, now))

    def prepare(self) -> int:
        """Export the labels not cached yet (for this exporter) into the registry's cache; the
        number of labels exported. ``pcf serve`` calls it before it listens.

        Raises
        ------
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        store = self._store()
        with self._lock:
            with store.read() as tx:
                known = tx.next_label_seq() - 1
                labels = [tx.label(number) for number in tx.pact_uncached(self.exporter)]
            rows, pending = [], set()
            if labels:
                self.index.scan()
            for label in labels:
                found = self._declaration(label)
                if isinstance(found, str):
                    pending.add(label.number)
                    continue
                rows += cached_documents(label, *found, self.exporter)
            if rows:
                with store.write() as tx:
                    tx.put_pact_documents(rows)
            self._known, self._pending, self._retry_at = known, pending, time.monotonic() + self.retry_s
        return len(labels) - len(pending)

    def _declaration(self, label) -> tuple | str:
        """``(declaration, exports)`` of the result a label names, or why it is not there."""
        sha = parse_document(label.document, label.number)["declaration"]["result_sha256"]
        if sha not in self._exported:
            try:
                declaration = self.index.find(sha, scan=False)
            except SourceError as exc:  # not cached: the file may be replaced
                return f"the result file is not a valid pcf result: {exc}"
            if declaration is None:  # not cached: the file may appear later
                return "no result file with the SHA-256 the label's declaration names (result_sha256)"
            self._exported[sha] = (declaration, exports(declaration))
        return self._exported[sha]

    def page(self, version: str, criteria: dict[str, list[str]], limit: int, offset: int = 0) -> tuple[bytes, bool]:
        """One page of ListFootprints: the response body ``{"data": [...]}`` of the footprints
        in PACT ``version`` (``v3``, ``v2``) matching ``criteria`` (:func:`pcf.serve.query.pact_query`),
        at most ``limit`` from ``offset`` in label order, and whether more follow.

        Raises
        ------
        ValueError
            A date criterion that is not an ISO 8601 date-time.
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        query = pact_query(criteria)
        docs = self._read(version, lambda tx, now: tx.pact_page(version, self.exporter, now, query, limit + 1,
                                                                offset))
        return data_json(docs[:limit]), len(docs) > limit

    def find(self, version: str, criteria: dict[str, list[str]]) -> list[dict]:
        """Every footprint in PACT ``version`` matching ``criteria`` (as :meth:`page`), in label
        order, as documents (a request event's answer, :mod:`pcf.serve.events`).

        Raises
        ------
        ValueError
            A date criterion that is not an ISO 8601 date-time.
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        query = pact_query(criteria)
        docs = self._read(version, lambda tx, now: tx.pact_page(version, self.exporter, now, query, ALL, 0))
        return [json.loads(doc) for doc in docs]

    def document(self, version: str, footprint_id: str) -> bytes | None:
        """GetFootprint: the response body ``{"data": {...}}`` of one footprint by id
        (case-insensitive) in PACT ``version``, or None.

        Raises
        ------
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        def one(tx, now):
            row = tx.pact_document(version, self.exporter, now, footprint_id.lower())
            return [] if row is None else [row]

        docs = self._read(version, one)
        return data_json(docs[0]) if docs else None

    def _served(self, tx, version: str, rows: list) -> list[bytes]:
        """The served documents (:func:`pcf.serve.query.served_json`) of rows of ``tx``, from
        memory while a label's status stays the same (everything else is fixed for this
        exporter); the bodies of the others are read in ``tx``."""
        keys = [(version, r["number"], r["active"], r["status"], r["renewed_by"]) for r in rows]
        docs = [self._memo.get(k) for k in keys]
        missing = [r["number"] for r, doc in zip(rows, docs) if doc is None]
        if missing:
            bodies = tx.pact_bodies(version, self.exporter, missing)
            if len(self._memo) + len(missing) > MEMO_MAX:
                self._memo = {}
            for i, (row, key) in enumerate(zip(rows, keys)):
                if docs[i] is None:
                    docs[i] = self._memo[key] = served_json(row, *bodies[row["number"]])
        return docs

    def footprints(self) -> list[HostedFootprint]:
        """Every label of the registry as :class:`HostedFootprint`, in label order, made afresh
        (not from the cache; the reference the served documents equal).

        Raises
        ------
        pcf.registry.RegistryError
            The registry is missing or unreadable.
        """
        with self._store().read() as tx:
            labels = tx.labels()
        now = self.clock()
        self.index.scan()
        out = []
        for label in sorted(labels, key=lambda x: x.seq):
            found = self._declaration(label)
            if isinstance(found, str):
                out.append(hosted(label, None, now, missing=found))
            else:
                out.append(hosted(label, found[0], now, found[1]))
        return out
