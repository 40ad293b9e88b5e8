"""The registry's event log: append-only, each entry signed by its actor and committing to the one before.

Every change to the registry (the root key set, a key admitted or retired, a label issued,
suspended, reinstated, revoked or renewed, a setting changed, and the kinds other parts
add) appends one event in the same transaction as the change, **signed by the key of the
actor who made it** (:func:`append_event`). An event is

    body      = {"seq", "at", "kind", "label", "data", "prev_hash", "signer"}
    hash      = SHA-256( JCS(body) )                      (hex)
    signature = Ed25519( signer's private key, JCS(body) )  (base64url)

where JCS is the RFC 8785 canonical JSON (:mod:`pcf.core.canonical`), ``prev_hash`` the
hash of the event before (64 zeros for the first) and ``signer`` the key id of the signing
key. Editing, inserting, removing or reordering any event changes its hash and breaks every
link after it (:func:`verify_chain`); writing a new event needs the private key of an actor
allowed to make it (:data:`SIGNERS`), so someone who can write the database but holds no
key cannot add a key, a label or a status change that verifies (the model is Certificate
Transparency, RFC 6962, and Sigstore's Rekor: signed entries in a hash-chained log).
Rewriting the whole log consistently would need every actor's key again; rolling it back to
an earlier state (deleting the newest events) is only detectable against a head hash kept
elsewhere: ``pcf registry check`` prints the head, and ``pcf registry publish`` puts it on
the public index page.

Event 1 is always ``registry-root``, signed by the **root key** it names: the body's key,
kept offline, which admits (and retires) every other key. Who signs what:

=====================  ============================  ===========================================
kind                   signed by                     ``data``
=====================  ============================  ===========================================
``registry-root``      the root key (event 1 only)   ``{key_id, public_key}``
``registry-settings``  root or an admin key          ``{prefix, url}`` (settings after the change)
``key-added``          root                          ``{issuer, key_id, public_key, role,
                                                     valid_from, valid_until}`` (the admission;
                                                     ``valid_until`` null: until retired)
``key-retired``        root                          ``{issuer, key_id}``
``label-issued``       the issuer key that signed    ``{seq, issuer, key_id, product_id,
                       the declaration               declaration_sha256, valid_from,
                                                     valid_until, renews, supersedes}``
``label-suspended``    an admin key, or a key of     ``{reason}``
``label-reinstated``   the label's issuer            ``{reason}``
``label-revoked``                                    ``{reason}``
``label-renewed``      the renewing issuer key       ``{reason, renewed_by[, justification]}``
``label-superseded``   the issuer key of the label   ``{superseded_by}`` (the label's product has a
                       that replaces it              new label: ``pcf issue --supersede``, a renewal)
=====================  ============================  ===========================================

Other parts add kinds with :func:`register_kind` (who may sign them) and append them with
:func:`append_event`; ``pcf registry check`` checks every event's signature and signer.
"""

from __future__ import annotations

import hashlib

from ..core.canonical import canonical_bytes
from .declaration import parse_time
from .keys import SigningKey, b64url, b64url_decode, key_id, public_from_raw, verify_signature
from .roles import ROLES, KeyNotAllowed, require_key
from .store import EventRecord, Tx

GENESIS = "0" * 64

#: The pseudo-role of the registry's root key in :data:`SIGNERS`.
ROOT = "root"

#: Event kind -> who may sign it: :data:`ROOT` and/or key roles (:data:`pcf.registry.roles.ROLES`).
SIGNERS: dict[str, tuple[str, ...]] = {
    "registry-root": (ROOT,),
    "registry-settings": (ROOT, "admin"),
    "key-added": (ROOT,),
    "key-retired": (ROOT,),
    "label-issued": ("issuer",),
    "label-suspended": ("admin", "issuer"),
    "label-reinstated": ("admin", "issuer"),
    "label-revoked": ("admin", "issuer"),
    "label-renewed": ("issuer",),
    "label-superseded": ("issuer",),
}

#: Label events an ``issuer`` key may sign only for labels of its own issuer (an admin key for any).
OWN_LABEL_ONLY = {"label-suspended", "label-reinstated", "label-revoked", "label-renewed", "label-superseded"}

#: Label status changes: event kind -> (statuses it may leave, status it gives). The replay
#: (:mod:`pcf.registry.replay`) derives each label's status from its signed events with it.
TRANSITIONS: dict[str, tuple[frozenset, str]] = {
    "label-suspended": (frozenset({"valid"}), "suspended"),
    "label-reinstated": (frozenset({"suspended"}), "valid"),
    "label-revoked": (frozenset({"valid", "suspended"}), "revoked"),
}

KINDS = tuple(SIGNERS)


def register_kind(kind: str, signers: tuple[str, ...], own_label_only: bool = False,
                  transition: tuple[set[str], str] | None = None) -> None:
    """Declare a new event kind and who may sign it (for the other parts of the registry).

    Parameters
    ----------
    kind : str
        E.g. ``"verification-signed"``.
    signers : tuple of str
        :data:`ROOT` and/or roles (``admin``, ``verifier``, ``issuer``).
    own_label_only : bool
        An ``issuer`` key may sign it only for labels of its own issuer.
    transition : (set of str, str), optional
        For a status change: the statuses it may leave and the status it gives (e.g.
        ``({"valid", "suspended"}, "superseded")``); replay then checks the label's status.

    Raises
    ------
    ValueError
        Unknown role, or the kind exists already with other signers.
    """
    signers = tuple(signers)
    if not signers or any(s != ROOT and s not in ROLES for s in signers):
        raise ValueError(f"signers {signers!r}: use 'root' and/or {ROLES}")
    if SIGNERS.get(kind, signers) != signers:
        raise ValueError(f"event kind {kind!r} exists already, signed by {SIGNERS[kind]}")
    SIGNERS[kind] = signers
    if own_label_only:
        OWN_LABEL_ONLY.add(kind)
    if transition is not None:
        TRANSITIONS[kind] = (frozenset(transition[0]), transition[1])


def event_body(seq: int, at: str, kind: str, label: str | None, data: dict, prev_hash: str, signer: str) -> dict:
    """The signed and hashed part of an event."""
    return {"seq": seq, "at": at, "kind": kind, "label": label, "data": data, "prev_hash": prev_hash,
            "signer": signer}


def event_hash(seq: int, at: str, kind: str, label: str | None, data: dict, prev_hash: str, signer: str) -> str:
    """SHA-256 (hex) of the canonical JSON of an event body (:func:`event_body`)."""
    return hashlib.sha256(canonical_bytes(event_body(seq, at, kind, label, data, prev_hash, signer))).hexdigest()


def body_of(event: EventRecord) -> dict:
    """:func:`event_body` of a stored event."""
    return event_body(event.seq, event.at, event.kind, event.label, event.data, event.prev_hash, event.signer)


def event_signature_valid(event: EventRecord, public_key) -> bool:
    """True when the event's signature verifies under ``public_key`` (Ed25519 over JCS of its body)."""
    try:
        signature = b64url_decode(event.signature)
    except ValueError:
        return False
    return len(signature) == 64 and verify_signature(public_key, signature, canonical_bytes(body_of(event)))


def root_key(tx: Tx):
    """The registry's root public key and its id, ``(key_id, Ed25519PublicKey)``, or None before
    ``pcf registry init --root-key``.

    Raises
    ------
    RegistryError
        When the stored root key is not an Ed25519 key.
    """
    text = tx.setting("root_key")
    if not text:
        return None
    public = public_from_raw(text)
    return key_id(public), public


def _check_signer(tx: Tx, kind: str, label: str | None, key: SigningKey, at: str) -> None:
    allowed = SIGNERS[kind]
    root = root_key(tx)
    if root is not None and key.key_id == root[0]:
        if ROOT in allowed:
            return
        raise KeyNotAllowed(f"the root key only admits and retires keys; a {kind} event is signed by a "
                            f"{' or '.join(allowed)} key")
    roles = tuple(r for r in allowed if r != ROOT)
    if not roles:
        if root is None:
            raise KeyNotAllowed("the registry has no root key yet: run `pcf registry init --root-key ROOT.key` "
                                "(make the root key with `pcf keys new --issuer NAME-root --out DIR --no-register` "
                                "and keep it offline)")
        raise KeyNotAllowed(f"only the registry's root key (key id {root[0]}) signs {kind} events; key "
                            f"{key.key_id} ({key.path or 'in memory'}) is not it")
    record = require_key(tx, key, roles, parse_time(at), f"sign a {kind} event")
    if kind in OWN_LABEL_ONLY and record.role == "issuer" and label is not None:
        owner = tx.label(label)
        if owner is not None and owner.issuer != record.issuer:
            raise KeyNotAllowed(f"label {label} was issued by {owner.issuer}: a key of {record.issuer} cannot "
                                f"sign its {kind} event (an admin key or a key of {owner.issuer} can)")


def append_event(tx: Tx, kind: str, label: str | None, data: dict, at: str, key: SigningKey) -> EventRecord:
    """Append an event to the log inside a write transaction, signed by its actor's key.

    Parameters
    ----------
    tx : Tx
        The open write transaction (the event commits with the change it records).
    kind : str
        One of :data:`SIGNERS` (add kinds with :func:`register_kind`).
    label : str or None
        The label number the event is about.
    data : dict
        JSON data of the event (see the module docstring).
    at : str
        ISO 8601 UTC timestamp.
    key : SigningKey
        The actor's key: the root key or a registered key whose role may sign ``kind``,
        current at ``at``.

    Returns
    -------
    EventRecord

    Raises
    ------
    KeyNotAllowed
        The key may not sign this kind of event (not the root key, not registered, retired,
        or of another role).
    """
    if kind not in SIGNERS:
        raise ValueError(f"unknown event kind {kind!r}: declare it with register_kind")
    _check_signer(tx, kind, label, key, at)
    last = tx.last_event()
    seq = 1 if last is None else last.seq + 1
    prev = GENESIS if last is None else last.hash
    body = event_body(seq, at, kind, label, data, prev, key.key_id)
    message = canonical_bytes(body)
    event = EventRecord(seq=seq, at=at, kind=kind, label=label, data=data, prev_hash=prev,
                        hash=hashlib.sha256(message).hexdigest(), signer=key.key_id,
                        signature=b64url(key.sign(message)))
    tx.insert_event(event)
    return event


def verify_chain(events: list[EventRecord], first_seq: int = 1, prev: str = GENESIS) -> tuple[list[str], str]:
    """Check the links and hashes of an event log.

    Parameters
    ----------
    events : list of EventRecord
        The whole log in ``seq`` order, or its part from event ``first_seq`` on.
    first_seq, prev : int, str
        The number of the first event given and the hash it must link to (default: the whole
        log from event 1 and :data:`GENESIS`).

    Returns
    -------
    problems : list of str
        One line per broken event (empty when the chain holds).
    head : str
        The hash of the last event (:data:`GENESIS` for an empty log).
    """
    problems: list[str] = []
    for expected_seq, event in enumerate(events, start=first_seq):
        if event.seq != expected_seq:
            problems.append(f"event {event.seq}: expected event number {expected_seq} (an event was removed or inserted)")
        if event.prev_hash != prev:
            problems.append(f"event {event.seq}: does not link to the event before (prev_hash {event.prev_hash[:12]}..., "
                            f"expected {prev[:12]}...)")
        recomputed = hashlib.sha256(canonical_bytes(body_of(event))).hexdigest()
        if recomputed != event.hash:
            problems.append(f"event {event.seq} ({event.kind} {event.label or ''}): its content does not match "
                            "its hash (edited)")
        prev = event.hash
    return problems, prev
