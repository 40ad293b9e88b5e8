"""Registry settings and issuer keys: ``pcf registry init``, ``pcf keys new``, ``pcf registry add-key``.

Key rotation: registering a new key for an issuer retires the issuer's current key (no
new labels with it from then on) but keeps it in the registry, so every label it signed
stays verifiable: verification accepts a key for the labels issued between its
``added_at`` and its ``retired_at``.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

from .chain import append_event
from .declaration import iso, utc_now
from .errors import RegistryError
from .keys import SigningKey, b64url, check_issuer, key_id, raw_public, write_key_pair
from .numbers import check_prefix
from .roles import DEFAULT_ROLE, check_role
from .store import KeyRecord, Store

_URL_RE = re.compile(r"https?://[^\s<>\"'`|\\]+")


def settings(store: Store) -> dict:
    """``{prefix, url}`` of the registry (url None when not set)."""
    with store.read() as tx:
        return {"prefix": tx.setting("prefix") or "PCF", "url": tx.setting("url")}


def init_registry(store: Store, prefix: str | None = None, url: str | None = None, *,
                  now: datetime | None = None) -> dict:
    """Set the registry's label-number prefix and public verification URL.

    Parameters
    ----------
    prefix : str, optional
        Label-number prefix (:func:`pcf.registry.numbers.check_prefix`); only while no
        label has been issued.
    url : str, optional
        Base URL where ``pcf registry publish`` output is served (``http(s)://...``); the
        QR code of each label issued from now on holds ``<url>/<number>.html``. Without a
        URL the QR code holds the signed token.

    Returns
    -------
    dict
        The settings after the change.

    Raises
    ------
    RegistryError
        Bad prefix or URL, or a prefix change after labels were issued.
    """
    if prefix is not None:
        check_prefix(prefix)
    if url is not None and not _URL_RE.fullmatch(url):
        raise RegistryError(f"URL {url!r}: give an http:// or https:// address without spaces or quotes, "
                            "e.g. https://labels.example.org/pcf").about("url")
    with store.write() as tx:
        changed = False
        if prefix is not None and prefix != (tx.setting("prefix") or "PCF"):
            if tx.next_label_seq() > 1:
                raise RegistryError("the label-number prefix cannot change once labels have been issued")
            tx.set_setting("prefix", prefix)
            changed = True
        if url is not None and url != tx.setting("url"):
            tx.set_setting("url", url)
            changed = True
        current = {"prefix": tx.setting("prefix") or "PCF", "url": tx.setting("url")}
        if changed:
            append_event(tx, "registry-settings", None, current, iso(now or utc_now()))
    return current


def register_key(store: Store, issuer: str, public_key, role: str = DEFAULT_ROLE, *,
                 now: datetime | None = None) -> KeyRecord:
    """Add a public key to the registry; the holder's previous key is retired (one current key per name).

    Parameters
    ----------
    issuer : str
        The holder's name (an issuer, verifier or administrator;
        :func:`pcf.registry.keys.check_issuer`); created when new.
    public_key : Ed25519PublicKey
        The key.
    role : {"admin", "verifier", "issuer"}
        What the key may sign (:mod:`pcf.registry.roles`) [default ``issuer``].

    Returns
    -------
    KeyRecord

    Raises
    ------
    RegistryError
        The key is registered already (for this or another issuer), or an unknown role.
    """
    check_issuer(issuer)
    check_role(role)
    at = iso(now or utc_now())
    kid = key_id(public_key)
    with store.write() as tx:
        existing = tx.key(kid)
        if existing is not None:
            raise RegistryError(f"key {kid} is registered already (issuer {existing.issuer}, added "
                                f"{existing.added_at})")
        tx.add_issuer(issuer, at)
        for old in tx.keys(issuer):
            if old.retired_at is None:
                tx.retire_key(old.key_id, at)
                append_event(tx, "key-retired", None, {"issuer": issuer, "key_id": old.key_id}, at)
        record = KeyRecord(key_id=kid, issuer=issuer, public_key=b64url(raw_public(public_key)), added_at=at, role=role)
        tx.add_key(record)
        append_event(tx, "key-added", None, {"issuer": issuer, "key_id": kid, "public_key": record.public_key,
                                             "role": role}, at)
    return record


def new_keys(store: Store | None, issuer: str, out_dir: str | Path, passphrase: str | None = None,
             role: str = DEFAULT_ROLE, *, now: datetime | None = None) -> tuple[SigningKey, Path, Path, KeyRecord | None]:
    """``pcf keys new``: write a key pair and register its public key.

    Parameters
    ----------
    store : Store or None
        The registry to register the public key in; None only writes the files.
    issuer : str
        Issuer name; names the files ``<issuer>.key`` / ``<issuer>.pub``.
    out_dir : str or Path
        Folder for the files.
    passphrase : str, optional
        Encrypts the private key.
    role : {"admin", "verifier", "issuer"}
        The key's role in the registry [default ``issuer``].

    Returns
    -------
    key, private_path, public_path, record

    Raises
    ------
    KeyFileError
        A file exists already or cannot be written.
    RegistryError
        Registration failed; the two files are removed again then.
    """
    check_issuer(issuer)
    check_role(role)
    key, private_path, public_path = write_key_pair(issuer, out_dir, passphrase)
    if store is None:
        return key, private_path, public_path, None
    try:
        record = register_key(store, issuer, key.public_key, role, now=now)
    except BaseException:
        private_path.unlink(missing_ok=True)
        public_path.unlink(missing_ok=True)
        raise
    return key, private_path, public_path, record


def list_keys(store: Store) -> list[KeyRecord]:
    """Every registered key (any role), oldest first."""
    with store.read() as tx:
        return tx.keys()
