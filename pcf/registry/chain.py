"""The registry's event log: append-only, each entry committing to the one before.

Every change to the registry (a key added or retired, a label issued, suspended,
reinstated, revoked or renewed, a setting changed) appends one event in the same
transaction as the change. An event's hash is

    hash = SHA-256( JCS({"seq", "at", "kind", "label", "data", "prev_hash"}) )   (hex)

where JCS is the RFC 8785 canonical JSON (:mod:`pcf.core.canonical`) and
``prev_hash`` is the hash of the event before (64 zeros for the first). Editing, inserting,
removing or reordering any event changes its hash and breaks every link after it, so
:func:`verify_chain` finds it. Rewriting the whole log consistently is only detectable
against a head hash kept elsewhere: ``pcf registry check`` prints the head, and
``pcf registry publish`` puts it on the public index page.

Event kinds and their ``data``:

=====================  ==========================================================
``registry-settings``  ``{prefix, url}`` (the settings after the change)
``key-added``          ``{issuer, key_id, public_key}``
``key-retired``        ``{issuer, key_id}``
``label-issued``       ``{seq, issuer, key_id, product_id, declaration_sha256,
                       valid_from, valid_until, renews}``
``label-suspended``    ``{reason}``
``label-reinstated``   ``{reason}``
``label-revoked``      ``{reason}``
``label-renewed``      ``{reason, renewed_by}``
=====================  ==========================================================
"""

from __future__ import annotations

import hashlib

from ..core.canonical import canonical_bytes
from .store import EventRecord, Tx

GENESIS = "0" * 64

KINDS = ("registry-settings", "key-added", "key-retired", "label-issued", "label-suspended",
         "label-reinstated", "label-revoked", "label-renewed")


def event_hash(seq: int, at: str, kind: str, label: str | None, data: dict, prev_hash: str) -> str:
    """SHA-256 (hex) of the canonical JSON of an event and the hash of the one before."""
    body = {"seq": seq, "at": at, "kind": kind, "label": label, "data": data, "prev_hash": prev_hash}
    return hashlib.sha256(canonical_bytes(body)).hexdigest()


def append_event(tx: Tx, kind: str, label: str | None, data: dict, at: str) -> EventRecord:
    """Append an event to the log inside a write transaction.

    Parameters
    ----------
    tx : Tx
        The open write transaction (the event commits with the change it records).
    kind : str
        One of :data:`KINDS`.
    label : str or None
        The label number the event is about.
    data : dict
        JSON data of the event (see the module docstring).
    at : str
        ISO 8601 UTC timestamp.

    Returns
    -------
    EventRecord
    """
    if kind not in KINDS:
        raise ValueError(f"unknown event kind {kind!r}")
    last = tx.last_event()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    event = EventRecord(seq=seq, at=at, kind=kind, label=label, data=data, prev_hash=prev,
                        hash=event_hash(seq, at, kind, label, data, prev))
    tx.insert_event(event)
    return event


def verify_chain(events: list[EventRecord]) -> tuple[list[str], str]:
    """Check the links and hashes of an event log.

    Parameters
    ----------
    events : list of EventRecord
        The whole log in ``seq`` order.

    Returns
    -------
    problems : list of str
        One line per broken event (empty when the chain holds).
    head : str
        The hash of the last event (:data:`GENESIS` for an empty log).
    """
    problems: list[str] = []
    prev = GENESIS
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq:
            problems.append(f"event {event.seq}: expected event number {expected_seq} (an event was removed or inserted)")
        if event.prev_hash != prev:
            problems.append(f"event {event.seq}: does not link to the event before (prev_hash {event.prev_hash[:12]}..., "
                            f"expected {prev[:12]}...)")
        recomputed = event_hash(event.seq, event.at, event.kind, event.label, event.data, event.prev_hash)
        if recomputed != event.hash:
            problems.append(f"event {event.seq} ({event.kind} {event.label or ''}): its content does not match "
                            "its hash (edited)")
        prev = event.hash
    return problems, prev
