"""Signed heads of the event log (``pcf registry head``): what witnesses keep to catch a rollback.

A signed head commits the registry to its log as it stands (Certificate Transparency's
signed tree head, RFC 6962 section 3.5, for a hash chain instead of a Merkle tree)::

    {"format": "pcf-registry-head/1", "root_key_id", "seq", "head", "at", "signer", "signature"}

``seq`` and ``head`` are the number and hash of the newest event; ``signature`` is Ed25519 by
the ``signer`` key (the root key or an admin key) over the RFC 8785 canonical JSON of the
other fields. Partners, auditors or a web archive keep it; ``pcf registry check --known-head
FILE`` later proves that the registry still holds that event (else events were removed
from the end of the log, or the log was rewritten), and the registry cannot deny having
signed it.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from ..core.canonical import canonical_bytes
from .chain import root_key
from .declaration import iso, utc_now
from .errors import RegistryError
from .keys import SigningKey, b64url, b64url_decode, public_from_raw, verify_signature
from .replay import replay
from .roles import require_key
from .store import Store

FORMAT = "pcf-registry-head/1"
_FIELDS = ("format", "root_key_id", "seq", "head", "at", "signer", "signature")


def sign_head(store: Store, key: SigningKey, now: datetime | None = None) -> dict:
    """Sign the current head of the log.

    Parameters
    ----------
    key : SigningKey
        The registry's root key or a current admin key.

    Returns
    -------
    dict
        The signed head (module docstring).

    Raises
    ------
    RegistryError
        An empty log or a registry without a root key.
    KeyNotAllowed
        ``key`` is neither the root key nor a current admin key.
    """
    at = now or utc_now()
    with store.read() as tx:
        root = root_key(tx)
        last = tx.last_event()
        if root is None or last is None:
            raise RegistryError("the registry has no root key and no events yet: nothing to sign")
        if key.key_id != root[0]:
            require_key(tx, key, ("admin",), at, "sign the log's head")
    body = {"format": FORMAT, "root_key_id": root[0], "seq": last.seq, "head": last.hash, "at": iso(at),
            "signer": key.key_id}
    return {**body, "signature": b64url(key.sign(canonical_bytes(body)))}


def read_head(path: str | Path) -> dict:
    """Read a signed head file (strict: the fields of :data:`FORMAT`, nothing else).

    Raises
    ------
    RegistryError
        Unreadable, not JSON, or not a signed head.
    """
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{path}: not a readable signed head ({exc})").about("known_head") from None
    except RecursionError:
        raise RegistryError(f"{path}: not a readable signed head (nested too deeply)").about("known_head") from None
    if not isinstance(document, dict) or tuple(sorted(document)) != tuple(sorted(_FIELDS)) \
            or document.get("format") != FORMAT or not isinstance(document.get("seq"), int):
        raise RegistryError(f"{path}: not a signed head ({FORMAT}: {', '.join(_FIELDS)})").about("known_head")
    return document


def head_problems(store: Store, document: dict) -> list[str]:
    """What is wrong with a signed head against the registry: its signer, its signature, and
    whether the log still holds the event it names.

    Returns
    -------
    list of str
        Empty when the head is genuine and still in the log.
    """
    with store.read() as tx:
        events = tx.events()
    replayed = replay(events)
    where = f"the signed head of event {document['seq']} ({document['at']})"
    if replayed.root is None or document["root_key_id"] != replayed.root["key_id"]:
        return [f"{where} is for root key {document['root_key_id']}, not this registry's"]
    signer = document["signer"]
    if signer == replayed.root["key_id"]:
        public = replayed.root["public_key"]
    else:
        key = replayed.keys.get(signer)
        if key is None or key["role"] != "admin":
            return [f"{where} is signed by key {signer}, neither the root key nor an admitted admin key"]
        public = key["public_key"]
    body = {k: document[k] for k in _FIELDS if k != "signature"}
    try:
        signature = b64url_decode(document["signature"])
    except ValueError:
        signature = b""
    if not verify_signature(public_from_raw(public), signature, canonical_bytes(body)):
        return [f"{where}: its signature does not verify"]
    held = next((e for e in events if e.seq == document["seq"]), None)
    if held is None or held.hash != document["head"]:
        return [f"{where} is not in the event log any more: events were removed from its end (rolled back) "
                "or the log was rewritten after the registry signed that head"]
    return []
