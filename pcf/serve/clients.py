"""Client credentials of the PACT host API (OAuth 2.0 client credentials grant, RFC 6749 4.4).

The clients file (JSON) keeps each data recipient's ``client_id`` and a scrypt hash of its
secret, never the secret itself::

    {"format": "pcf-api-clients/1",
     "clients": [{"id": "buyer-1", "scrypt": "<salt hex>$<hash hex>", "added_at": "..."}]}

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
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from ..core.errors import PCFError

FORMAT = "pcf-api-clients/1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}


class ClientsError(PCFError):
    """The clients file is missing, unreadable or malformed, or a client id is invalid."""


def _hash(secret: str, salt: bytes) -> bytes:
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)


@dataclass
class Clients:
    """The registered clients: ``{client id: (salt, hash)}``."""

    entries: dict

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
        except (OSError, ValueError) as exc:
            raise ClientsError(f"{path}: not a readable clients file ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("clients"), list):
            raise ClientsError(f"{path}: not a {FORMAT} file")
        entries = {}
        for c in data["clients"]:
            try:
                salt, digest = c["scrypt"].split("$")
                entries[c["id"]] = (bytes.fromhex(salt), bytes.fromhex(digest))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise ClientsError(f"{path}: a client entry needs 'id' and 'scrypt' (salt$hash)") from None
        return cls(entries)

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
    data["clients"] = [c for c in data["clients"] if c.get("id") != client_id] + [entry]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2)
        fh.write("\n")
    os.replace(tmp, path)
    return secret
