"""Registry settings and keys: ``pcf registry init`` (root key, prefix, URL), ``pcf keys new``,
``pcf registry add-key``.

The body's **root key** (set once by ``pcf registry init --root-key``, kept offline) signs
every key admission (``key-added``: key id, public key, role, holder, valid from) and
retirement; a key the root did not admit signs nothing the registry accepts.

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
from .chain import root_key as root_key_of
from .declaration import iso, utc_now
from .errors import RegistryError
from .keys import SigningKey, b64url, check_issuer, key_id, raw_public, write_key_pair
from .numbers import check_prefix
from .roles import DEFAULT_ROLE, check_role
from .store import KeyRecord, Store

_URL_RE = re.compile(r"https?://[^\s<>\"'`|\\]+")


def settings(store: Store) -> dict:
    """``{prefix, url, root_key_id}`` of the registry (url, root_key_id None when not set)."""
    with store.read() as tx:
        root = root_key_of(tx)
        return {"prefix": tx.setting("prefix") or "PCF", "url": tx.setting("url"),
                "root_key_id": root[0] if root else None}


def init_registry(store: Store, prefix: str | None = None, url: str | None = None, *,
                  root_key: SigningKey | None = None, key: SigningKey | None = None,
                  now: datetime | None = None) -> dict:
    """Set the registry's root key (once), label-number prefix and public verification URL.

    Parameters
    ----------
    prefix : str, optional
        Label-number prefix (:func:`pcf.registry.numbers.check_prefix`); only while no
        label has been issued.
    url : str, optional
        Base URL where ``pcf registry publish`` output is served (``http(s)://...``); the
        QR code of each label issued from now on holds ``<url>/<number>.html``. Without a
        URL the QR code holds the signed token.
    root_key : SigningKey, optional
        The body's root key. On a registry without one (new) it becomes the root: event 1,
        ``registry-root``, signed by it. Later it may sign settings changes.
    key : SigningKey, optional
        An admin key to sign a settings change with instead of the root key.

    Returns
    -------
    dict
        The settings after the change: ``{prefix, url, root_key_id}``.

    Raises
    ------
    RegistryError
        Bad prefix or URL, a prefix change after labels were issued, a registry without a
        root key and none given, or another root key than the registry's.
    KeyNotAllowed
        A settings change signed by neither the root key nor a current admin key.
    """
    if prefix is not None:
        check_prefix(prefix)
    if url is not None and not _URL_RE.fullmatch(url):
        raise RegistryError(f"URL {url!r}: give an http:// or https:// address without spaces or quotes, "
                            "e.g. https://labels.example.org/pcf").about("url")
    at = iso(now or utc_now())
    with store.write() as tx:
        root = root_key_of(tx)
        if root is None:
            if root_key is None:
                raise RegistryError("the registry has no root key yet: give the body's root key (make it with "
                                    "`pcf keys new --issuer NAME-root --out DIR --no-register` and keep it "
                                    "offline)").about("root_key")
            if tx.last_event() is not None:
                raise RegistryError(f"registry {store.location} has events but no root key: it was not made by "
                                    "`pcf registry init --root-key`; re-init at another path")
            public = b64url(raw_public(root_key.public_key))
            tx.set_setting("root_key", public)
            append_event(tx, "registry-root", None, {"key_id": root_key.key_id, "public_key": public}, at, root_key)
        elif root_key is not None and root_key.key_id != root[0]:
            raise RegistryError(f"key {root_key.key_id} ({root_key.path or 'in memory'}) is not this registry's "
                                f"root key (key id {root[0]})").about("root_key")
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
            signer = key or root_key
            if signer is None:
                raise RegistryError("a settings change is signed: give the root key or an admin key").about("key")
            append_event(tx, "registry-settings", None, current, at, signer)
        current["root_key_id"] = root_key_of(tx)[0]
    return current


def register_key(store: Store, issuer: str, public_key, role: str = DEFAULT_ROLE, *,
                 root_key: SigningKey | None = None, now: datetime | None = None,
                 valid_until: datetime | None = None) -> KeyRecord:
    """Admit a public key to the registry, signed by the root key; the holder's previous key is
    retired (one current key per name).

    The ``key-added`` event is the admission: the root key's signature over the key id,
    public key, role, holder name and its validity (``valid_from``, ``valid_until`` or null).

    Parameters
    ----------
    issuer : str
        The holder's name (an issuer, verifier or administrator;
        :func:`pcf.registry.keys.check_issuer`); created when new.
    public_key : Ed25519PublicKey
        The key.
    role : {"admin", "verifier", "issuer"}
        What the key may sign (:mod:`pcf.registry.roles`) [default ``issuer``].
    root_key : SigningKey
        The registry's root key (required; the parameter is keyword-only for readability).
    valid_until : datetime, optional
        End of the admission (exclusive, UTC): the key signs nothing from then on [default:
        until retired].

    Returns
    -------
    KeyRecord

    Raises
    ------
    RegistryError
        The key is registered already (for this or another issuer), an unknown role, no root key
        given, or an end of admission not after its start.
    KeyNotAllowed
        ``root_key`` is not the registry's root key, or the registry has none.
    """
    check_issuer(issuer)
    check_role(role)
    if root_key is None:
        raise RegistryError("admitting a key needs the registry's root key (kept offline)").about("root_key")
    at = iso(now or utc_now())
    until = iso(valid_until) if valid_until is not None else None
    if until is not None and valid_until <= (now or utc_now()):
        raise RegistryError(f"the key's admission would end ({until}) before it starts ({at})").about("valid_until")
    kid = key_id(public_key)
    with store.write() as tx:
        existing = tx.key(kid)
        if existing is not None:
            raise RegistryError(f"key {kid} is registered already (issuer {existing.issuer}, added "
                                f"{existing.added_at})")
        root = root_key_of(tx)
        if root is not None and kid == root[0]:
            raise RegistryError(f"key {kid} is the registry's root key: the root key only admits keys; make "
                                "another key for signing")
        tx.add_issuer(issuer, at)
        for old in tx.keys(issuer):
            if old.retired_at is None:
                tx.retire_key(old.key_id, at)
                append_event(tx, "key-retired", None, {"issuer": issuer, "key_id": old.key_id}, at, root_key)
        record = KeyRecord(key_id=kid, issuer=issuer, public_key=b64url(raw_public(public_key)), added_at=at, role=role)
        tx.add_key(record)
        append_event(tx, "key-added", None, {"issuer": issuer, "key_id": kid, "public_key": record.public_key,
                                             "role": role, "valid_from": at, "valid_until": until}, at, root_key)
    return record


def new_keys(store: Store | None, issuer: str, out_dir: str | Path, passphrase: str | None = None,
             role: str = DEFAULT_ROLE, *, root_key: SigningKey | None = None,
             now: datetime | None = None, valid_until: datetime | None = None) -> tuple[SigningKey, Path, Path, KeyRecord | None]:
    """``pcf keys new``: write a key pair and admit its public key (signed by the root key).

    Parameters
    ----------
    store : Store or None
        The registry to register the public key in; None only writes the files (e.g. the
        root key itself, or a key admitted later with ``pcf registry add-key``).
    issuer : str
        Holder name; names the files ``<issuer>.key`` / ``<issuer>.pub``.
    out_dir : str or Path
        Folder for the files.
    passphrase : str, optional
        Encrypts the private key.
    role : {"admin", "verifier", "issuer"}
        The key's role in the registry [default ``issuer``].
    root_key : SigningKey
        The registry's root key; required with a ``store``.
    valid_until : datetime, optional
        End of the key's admission (:func:`register_key`).

    Returns
    -------
    key, private_path, public_path, record

    Raises
    ------
    KeyFileError
        A file exists already or cannot be written.
    RegistryError
        Registration failed (or no root key); the two files are removed again then.
    """
    check_issuer(issuer)
    check_role(role)
    if store is not None and root_key is None:
        raise RegistryError("admitting a key needs the registry's root key (kept offline); or write the key "
                            "files only and admit the public key later").about("root_key")
    key, private_path, public_path = write_key_pair(issuer, out_dir, passphrase)
    if store is None:
        return key, private_path, public_path, None
    try:
        record = register_key(store, issuer, key.public_key, role, root_key=root_key, now=now,
                              valid_until=valid_until)
    except BaseException:
        private_path.unlink(missing_ok=True)
        public_path.unlink(missing_ok=True)
        raise
    return key, private_path, public_path, record


def list_keys(store: Store) -> list[KeyRecord]:
    """Every registered key (any role), oldest first."""
    with store.read() as tx:
        return tx.keys()
