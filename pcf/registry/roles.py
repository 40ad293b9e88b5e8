"""Key roles in the registry: every registered key is an ``admin``, ``verifier`` or ``issuer`` key.

==========  ============================================================================
role        may sign
==========  ============================================================================
admin       registry settings and status changes of any label (suspend, reinstate,
            revoke)
verifier    verification cases (:mod:`pcf.registry` verification, issue 15 part 1)
issuer      labels (issue, renew) and status changes of its own issuer's labels
==========  ============================================================================

A key's holder (the ``issuer`` column of the key table, a person or body name) has one
current key: registering a new key for the same name retires the old one. A key is
*current* at a time ``t`` when ``added_at <= t`` and it is not retired at ``t``.

Use :func:`key_standing` to look a key up (role and whether it is current) and
:func:`require_key` inside a write transaction to refuse a key that may not sign an act.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .declaration import iso, parse_time, utc_now
from .errors import RegistryError
from .keys import b64url, raw_public
from .store import KeyRecord, Tx

#: The roles a registered key can have.
ROLES = ("admin", "verifier", "issuer")

#: The role of a key registered without one (``pcf keys new`` / ``pcf registry add-key``).
DEFAULT_ROLE = "issuer"


class KeyNotAllowed(RegistryError):
    """A key is not registered, not current, or does not have the role an act needs."""


def check_role(role: str) -> str:
    """Check a role name (one of :data:`ROLES`).

    Raises
    ------
    RegistryError
        When it is not one.
    """
    if role not in ROLES:
        raise RegistryError(f"role {role!r} is not a registry role: use one of {', '.join(ROLES)}").about("role")
    return role


@dataclass(frozen=True)
class KeyStanding:
    """A registered key as seen at one time.

    Attributes
    ----------
    key_id : str
    name : str
        The holder (issuer, verifier or administrator name).
    role : str
        One of :data:`ROLES`.
    current : bool
        Registered at the time, not retired then, and within its admission (``valid_until``).
    record : KeyRecord
    """

    key_id: str
    name: str
    role: str
    current: bool
    record: KeyRecord


def is_current(record: KeyRecord, at: str | datetime) -> bool:
    """True when the key was registered at ``at`` and not (yet) retired then."""
    t = parse_time(at) if isinstance(at, str) else at
    if t < parse_time(record.added_at):
        return False
    return record.retired_at is None or t < parse_time(record.retired_at)


def key_standing(tx: Tx, key_id: str, at: str | datetime | None = None) -> KeyStanding | None:
    """Role and currency of a registered key.

    Parameters
    ----------
    tx : Tx
        A read or write transaction (``store.read()`` / ``store.write()``).
    key_id : str
        32 hex digits (:func:`pcf.registry.keys.key_id`).
    at : str or datetime, optional
        The time to judge "current" at [default: now, UTC].

    Returns
    -------
    KeyStanding or None
        None when the registry holds no such key.
    """
    record = tx.key(key_id)
    if record is None:
        return None
    at = at or utc_now()
    t = parse_time(at) if isinstance(at, str) else at
    until = admitted_until(tx, key_id)
    current = is_current(record, t) and (until is None or t < parse_time(until))
    return KeyStanding(record.key_id, record.issuer, record.role, current, record)


def require_key(tx: Tx, key, roles: tuple[str, ...] | str, at: datetime, act: str = "sign this",
                error: type[RegistryError] = KeyNotAllowed) -> KeyRecord:
    """The registry record of a signing key allowed to do an act, or an error saying why not.

    Parameters
    ----------
    tx : Tx
        The open transaction.
    key : pcf.registry.keys.SigningKey
        The key that is to sign.
    roles : tuple of str or str
        The roles allowed (:data:`ROLES`).
    at : datetime
        The time of the act (UTC).
    act : str
        What the key is to do, for the message (e.g. "issue labels").
    error : type
        The :class:`RegistryError` subclass to raise [default :class:`KeyNotAllowed`].

    Returns
    -------
    KeyRecord

    Raises
    ------
    KeyNotAllowed (or ``error``)
        Not registered, another public key under the id, retired, registered after ``at``,
        or of another role.
    """
    roles = (roles,) if isinstance(roles, str) else tuple(roles)
    record = tx.key(key.key_id)
    where = key.path or "in memory"
    if record is None:
        raise error(f"key {key.key_id} ({where}) is not in the registry: register its public key with "
                    "`pcf registry add-key PUB --issuer NAME --role ROLE` (or create keys with `pcf keys new`)")
    if record.public_key != b64url(raw_public(key.public_key)):
        raise error(f"key {key.key_id}: the registry holds another public key under this id")
    if record.role not in roles:
        raise error(f"key {key.key_id} of {record.issuer} is a{'n' if record.role[0] in 'aeiou' else ''} "
                    f"{record.role} key; to {act} a key with the role {' or '.join(roles)} is needed")
    if record.retired_at is not None:
        raise error(f"key {key.key_id} of {record.issuer} was retired on {record.retired_at}: sign with "
                    f"the current key of {record.issuer}")
    if at < parse_time(record.added_at):
        raise error(f"the time {iso(at)} is before key {key.key_id} was registered ({record.added_at}): "
                    "check the system clock")
    until = admitted_until(tx, key.key_id)
    if until is not None and at >= parse_time(until):
        raise error(f"key {key.key_id} of {record.issuer} was admitted until {until}: have the root key admit "
                    "a new key")
    return record


def admitted_until(tx: Tx, key_id: str) -> str | None:
    """The end of a key's admission (``valid_until`` of its ``key-added`` event), or None."""
    for event in tx.events(kinds=("key-added",)):
        if event.data.get("key_id") == key_id:
            return event.data.get("valid_until")
    return None
