"""The compact signed token a label's QR code carries when the registry has no public URL.

::

    PCFL1|n=<label number>|p=<product id>|v=<value as printed>|u=<unit>|c=<class or ->
         |f=<valid from>|t=<valid until>|k=<first 16 hex of the key id>
         |h=<first 16 hex of the declaration SHA-256>|s=<Ed25519 signature, base64url>

Times are ISO 8601 basic UTC (``20260501T080000Z``). Field values have ``|``, ``=``, ``%``
and non-ASCII characters %-encoded (RFC 3986). The signature covers the UTF-8 bytes of
everything before ``|s=``, made with the same key as the declaration. ``h`` ties the
token to one signed declaration: the registry (or the declaration file) gives the rest.
``pcf verify TOKEN`` checks it.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from datetime import datetime, timezone

from .errors import NotADeclaration, RegistryError
from .keys import SigningKey, b64url, b64url_decode, verify_signature
from .numbers import parse_number

PREFIX = "PCFL1"
FIELDS = ("n", "p", "v", "u", "c", "f", "t", "k", "h")
_SAFE = " ./-_@:+()"
_TIME_RE = re.compile(r"[0-9]{8}T[0-9]{6}Z")


def _compact_time(text: str) -> str:
    from .declaration import parse_time

    return parse_time(text).strftime("%Y%m%dT%H%M%SZ")


def _expand_time(text: str) -> str:
    if not _TIME_RE.fullmatch(text):
        raise ValueError(f"{text!r} is not a time like 20260501T080000Z")
    return datetime.strptime(text, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_token(declaration: dict, declaration_sha256: str, key: SigningKey) -> str:
    """The signed token of a declaration.

    Parameters
    ----------
    declaration : dict
        The label document (:func:`pcf.registry.declaration.build_label_document`).
    declaration_sha256 : str
        Its digest.
    key : SigningKey
        The key that signed it.

    Returns
    -------
    str
        About 230 ASCII characters.
    """
    pc = declaration.get("performance_class") or {}
    head = declaration["values"]["headline"]
    values = {
        "n": declaration["label_number"], "p": declaration["product"]["id"], "v": head["text"],
        "u": head["unit"].replace(" / ", "/"), "c": pc.get("class") or "-",
        "f": _compact_time(declaration["valid_from"]), "t": _compact_time(declaration["valid_until"]),
        "k": key.key_id[:16], "h": declaration_sha256[:16],
    }
    body = PREFIX + "".join(f"|{k}={urllib.parse.quote(str(values[k]), safe=_SAFE)}" for k in FIELDS)
    return f"{body}|s={b64url(key.sign(body.encode('utf-8')))}"


@dataclass(frozen=True)
class Token:
    """A parsed token: its fields (decoded), the signed bytes and the signature."""

    fields: dict
    signed: bytes
    signature: bytes

    @property
    def number(self) -> str:
        return self.fields["n"]

    @property
    def valid_from(self) -> str:
        return _expand_time(self.fields["f"])

    @property
    def valid_until(self) -> str:
        return _expand_time(self.fields["t"])

    def signature_valid(self, public_key) -> bool:
        """True when the signature verifies with ``public_key``."""
        return verify_signature(public_key, self.signature, self.signed)


def is_token(text: str) -> bool:
    """True when the text starts like a token (``PCFL1|``)."""
    return isinstance(text, str) and text.startswith(PREFIX + "|")


def parse_token(text: str) -> Token:
    """Parse a token (no signature check yet).

    Raises
    ------
    NotADeclaration
        When the text is not a well-formed token.
    """
    try:
        text = text.strip()
        body, sep, sig = text.rpartition("|s=")
        if not sep or not body.startswith(PREFIX + "|"):
            raise ValueError("no PCFL1 prefix or no signature")
        parts = body[len(PREFIX) + 1:].split("|")
        names = [p.partition("=")[0] for p in parts]
        if names != list(FIELDS):
            raise ValueError(f"fields {names}, expected {list(FIELDS)}")
        fields = {p.partition("=")[0]: urllib.parse.unquote(p.partition("=")[2], errors="strict") for p in parts}
        raw = b64url_decode(sig)
        if len(raw) != 64 or b64url(raw) != sig:
            raise ValueError("signature is not the canonical base64url of 64 bytes")
        parse_number(fields["n"])
        _expand_time(fields["f"])
        _expand_time(fields["t"])
        if not re.fullmatch(r"[0-9a-f]{16}", fields["k"]) or not re.fullmatch(r"[0-9a-f]{16}", fields["h"]):
            raise ValueError("k and h must be 16 lower-case hex digits")
    except (ValueError, UnicodeDecodeError) as exc:
        raise NotADeclaration(f"not a label token ({exc})") from None
    except RegistryError as exc:  # from parse_number
        raise NotADeclaration(f"not a label token ({exc})") from None
    return Token(fields, body.encode("utf-8"), raw)
