"""Client credentials of the PACT host API (OAuth 2.0 client credentials grant, RFC 6749 4.4).

The clients file (JSON) keeps each data recipient's ``client_id`` and a scrypt hash of its
secret, never the secret itself::

    {"format": "pcf-api-clients/1",
     "clients": [{"id": "buyer-1", "scrypt": "<salt hex>$<hash hex>", "added_at": "...",
                  "callback": {"url": "https://buyer.example", "token_url": "https://buyer.example/auth/token",
                               "client_id": "...", "client_secret": "..."}}]}

``callback`` (optional, :func:`set_callback`) is where the host answers the client's request
events (PACT v3 "Asynchronous request and retrieval", :mod:`pcf.serve.events`): the requester's
own host, and the credentials the requester gave this host for its ``/auth/token``. That secret
is the requester's, so it is kept as given (the file is 0600).

:func:`add_client` makes a random secret (``secrets.token_urlsafe``, 256 bits), stores its hash
and returns the secret once; :func:`Clients.check` compares in constant time.

References
----------
RFC 6749 (OAuth 2.0) 2.3.1 (client password), 4.4 (client credentials grant); RFC 7914
(scrypt), parameters N = 2^14, r = 8, p = 1 (its interactive-login recommendation).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from ..core.errors import PCFError

FORMAT = "pcf-api-clients/1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}


class ClientsError(PCFError):
    """The clients file is missing, unreadable or malformed, or a client id is invalid."""


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)


@dataclass(frozen=True)
class Callback:
    """Where a client's request events are answered: ``url`` the requester's base URL (answers
    go to ``url`` + ``/3/events`` or ``/2/events``), ``token_url`` its Action Authenticate,
    ``client_id`` / ``client_secret`` the credentials it gave this host."""

    url: str
    token_url: str
    client_id: str
    client_secret: str


def callback_url(url: str, what: str = "callback URL") -> str:
    """``url`` without a trailing slash, checked: ``https``, or plain ``http`` on a loopback
    host only (PACT requires HTTPS between companies; the loopback exception serves a
    requester on the same machine, such as the PACT conformance harness).

    Raises
    ------
    ClientsError
        Not an absolute http(s) URL, or plain HTTP to a host that is not loopback.
    """
    import ipaddress

    parts = urlsplit(url.strip()) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ClientsError(f"{what} {url!r}: give an absolute https:// URL")
    if parts.scheme == "http":
        try:
            loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ClientsError(f"{what} {url!r}: plain HTTP only to a loopback host; use https://")
    return url.strip().rstrip("/")


def _callback(entry: dict, path: Path) -> Callback | None:
    data = entry.get("callback")
    if data is None:
        return None
    try:
        url = callback_url(data["url"])
        return Callback(url, callback_url(data.get("token_url") or url + "/auth/token", "token URL"),
                        str(data["client_id"]), str(data["client_secret"]))
    except (KeyError, TypeError) as exc:
        raise ClientsError(f"{path}: client {entry.get('id')!r}: a callback needs url, client_id and "
                           f"client_secret ({exc})") from None
    except ClientsError as exc:
        raise ClientsError(f"{path}: client {entry.get('id')!r}: {exc}") from None


@dataclass
class Clients:
    """The registered clients: ``{client id: (salt, hash)}``, and ``callbacks``
    ``{client id: Callback}`` for those whose request events are answered."""

    entries: dict
    callbacks: dict = field(default_factory=dict)

    @classmethod
    def load(cls, path: str | Path) -> "Clients":
        """Read a clients file.

        Raises
        ------
        ClientsError
            Missing, not JSON, not ``pcf-api-clients/1``, or an entry without id or hash.
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ClientsError(f"{path}: no clients file; add a client with `pcf api-client ID --clients {path}`") from None
        except (OSError, ValueError, RecursionError) as exc:
            raise ClientsError(f"{path}: not a readable clients file ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("clients"), list):
            raise ClientsError(f"{path}: not a {FORMAT} file")
        entries, callbacks = {}, {}
        for c in data["clients"]:
            try:
                salt, digest = c["scrypt"].split("$")
                entries[c["id"]] = (bytes.fromhex(salt), bytes.fromhex(digest))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise ClientsError(f"{path}: a client entry needs 'id' and 'scrypt' (salt$hash)") from None
            callback = _callback(c, path)
            if callback is not None:
                callbacks[c["id"]] = callback
        return cls(entries, callbacks)

    def check(self, client_id: str, secret: str) -> bool:
        """True when ``secret`` is the secret of ``client_id`` (constant-time comparison; an
        unknown id costs the same scrypt work)."""
        salt, digest = self.entries.get(client_id, (b"\0" * 16, b"\0" * 32))
        ok = hmac.compare_digest(_hash(secret, salt), digest)
        return ok and client_id in self.entries


def add_client(path: str | Path, client_id: str) -> str:
    """Register a client (or give it a new secret) and return the secret, shown only once.

    The file is written atomically with mode 0600.

    Raises
    ------
    ClientsError
        Invalid id (1-64 of ``A-Z a-z 0-9 . _ -``) or an unreadable existing file.
    """
    if not _ID.match(client_id):
        raise ClientsError(f"client id {client_id!r}: use 1-64 of A-Z a-z 0-9 . _ -")
    path = Path(path)
    data = {"format": FORMAT, "clients": []}
    if path.exists():
        Clients.load(path)  # refuses a malformed file before it is rewritten
        data = json.loads(path.read_text(encoding="utf-8"))
    secret = secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    entry = {"id": client_id, "scrypt": f"{salt.hex()}${_hash(secret, salt).hex()}",
             "added_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")}
    for old in data["clients"]:
        if old.get("id") == client_id and "callback" in old:
            entry["callback"] = old["callback"]  # a new secret keeps where the client is answered
    data["clients"] = [c for c in data["clients"] if c.get("id") != client_id] + [entry]
    _write(path, data)
    return secret


def set_callback(path: str | Path, client_id: str, url: str, auth_client_id: str, auth_secret: str,
                 token_url: str | None = None) -> Callback:
    """Set where ``client_id``'s request events are answered (see the module docstring).

    Parameters
    ----------
    path : str or Path
        The clients file (the client must be in it).
    url : str
        The requester's base URL: answers go to ``url/3/events`` (``/2/events`` for v2 requests).
    auth_client_id, auth_secret : str
        The credentials the requester gave this host for its Action Authenticate.
    token_url : str, optional
        The requester's token endpoint [default ``url/auth/token``].

    Raises
    ------
    ClientsError
        Unknown client, a malformed file, an empty credential, or a URL :func:`callback_url` refuses.
    """
    path = Path(path)
    Clients.load(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    entry = next((c for c in data["clients"] if c.get("id") == client_id), None)
    if entry is None:
        raise ClientsError(f"{path}: no client {client_id!r}; add it with `pcf api-client {client_id}` first")
    if not auth_client_id or not auth_secret:
        raise ClientsError("the requester's client id and secret must not be empty")
    base = callback_url(url)
    callback = Callback(base, callback_url(token_url or base + "/auth/token", "token URL"), auth_client_id, auth_secret)
    entry["callback"] = {"url": callback.url, "token_url": callback.token_url, "client_id": auth_client_id,
                         "client_secret": auth_secret}
    _write(path, data)
    return callback


def _write(path: Path, data: dict) -> None:
    """Write the clients file atomically with mode 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
