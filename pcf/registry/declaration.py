"""The declaration a label certifies, its canonical form, signature and file.

A **declaration** (``pcf-declaration/1``) is the part of a footprint result that a label
states, plus who issued it and for how long: product, values, performance class, PCR,
method, background and model hashes, issuer and key, dates, label number. Its canonical
form is RFC 8785 JCS (:mod:`pcf.registry.canonical`); its digest is the SHA-256 of those
bytes; the issuer signs those bytes with Ed25519.

A **signed declaration** file (``<number>.declaration.json``, ``pcf-signed-declaration/1``)::

    {"format": "pcf-signed-declaration/1",
     "declaration": {...},
     "declaration_sha256": "<hex SHA-256 of JCS(declaration)>",
     "signature": {"alg": "Ed25519", "key_id": "<32 hex>", "value": "<base64url, 64 bytes>"}}

Whitespace and key order of the file do not matter (verification re-canonicalises), but
parsing is strict: duplicate keys, unknown keys, NaN, non-canonical base64 and missing
fields are all rejected, so no changed byte can pass unnoticed.

References
----------
ISO 14026:2017, 5.4 and 7 (footprint communication: what a label must state and how it is
verified); ISO 14067:2018 7.3 (separate reporting of fossil, biogenic and dLUC GHG).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from typing import Any

import pcf
from pcf.render import view

from .canonical import canonical_bytes
from .errors import NotADeclaration
from .keys import SigningKey, b64url, b64url_decode, public_from_raw, raw_public, verify_signature
from .numbers import parse_number

DECLARATION_FORMAT = "pcf-declaration/1"
SIGNED_FORMAT = "pcf-signed-declaration/1"

#: Longest validity a label may be given [days] (ten years).
MAX_VALID_DAYS = 3650


def utc_now() -> datetime:
    """The current time, UTC, to the second."""
    return datetime.now(timezone.utc).replace(microsecond=0)


def iso(moment: datetime) -> str:
    """ISO 8601 UTC text of a time, to the second: ``2026-05-01T08:00:00Z``."""
    if moment.tzinfo is None:
        raise ValueError("a time without time zone is ambiguous; use UTC")
    return moment.astimezone(timezone.utc).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time with a time zone (``Z`` or ``+hh:mm``); a bare date is midnight UTC.

    Raises
    ------
    ValueError
        When the text is not such a time.
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not a time")
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        if len(text.strip()) == 10:  # a date
            return moment.replace(tzinfo=timezone.utc)
        raise ValueError(f"{text!r} has no time zone; add Z for UTC")
    return moment.astimezone(timezone.utc)


def _stages(result: dict) -> dict:
    return {str(k): float(v) for k, v in (result.get("stages") or {}).items()}


def build_declaration(result: dict, assessment: dict, *, number: str, key: SigningKey, issuer: str,
                      issued_at: datetime, valid_days: int, url: str | None = None,
                      renews: str | None = None, result_sha256: str | None = None) -> dict:
    """The declaration of a conforming result (not yet signed).

    Parameters
    ----------
    result : dict
        A ``pcf-result/1`` result (docs/result-json.md); masses [kg CO2e per reference flow].
    assessment : dict
        Its PCR assessment (:func:`pcf.pcr.assess`), conforming.
    number : str
        The label number (:mod:`pcf.registry.numbers`).
    key : SigningKey
        The issuer's key (its public half goes into the declaration).
    issuer : str
        Issuer name.
    issued_at : datetime
        Time of issue (UTC); the validity period starts then.
    valid_days : int
        Validity period [days]; ``valid_until = issued_at + valid_days`` (exclusive).
    url : str, optional
        Public verification page of the label.
    renews : str, optional
        The label number this one renews.
    result_sha256 : str, optional
        SHA-256 of the canonical result; computed when not given.

    Returns
    -------
    dict
        JSON-ready; see docs/registry.md for every field.
    """
    head = view.headline(result)
    product = result["product"]
    prov = result.get("provenance") or {}
    study = result.get("study") or {}
    pc = assessment.get("performance_class")
    declared = assessment.get("declared_total")
    valid_until = issued_at + timedelta(days=valid_days)
    return {
        "format": DECLARATION_FORMAT,
        "label_number": number,
        "issuer": {"name": issuer, "key_id": key.key_id, "public_key": b64url(raw_public(key.public_key))},
        "issued_at": iso(issued_at),
        "valid_from": iso(issued_at),
        "valid_until": iso(valid_until),
        "renews": renews,
        "verification_url": url,
        "product": {
            "id": product["id"],
            "name": product["name"],
            "reference_flow": {"amount": float(product["reference_flow"]["amount"]),
                               "unit": str(product["reference_flow"]["unit"])},
            "declared_unit": (None if not product.get("declared_unit") else {
                "unit": str(product["declared_unit"]["unit"]),
                "description": product["declared_unit"].get("description"),
                "per_reference_flow": float(product["declared_unit"]["per_reference_flow"]),
            }),
        },
        "values": {
            "headline": {"value": head["value"], "unit": head["unit"], "text": head["plain"],
                         "basis": "per declared unit" if head["declared"] else "per reference flow"},
            "total_kg_co2e": float(result["total_kg_co2e"]),
            "per_declared_unit_kg_co2e": (None if result.get("per_declared_unit_kg_co2e") is None
                                          else float(result["per_declared_unit_kg_co2e"])),
            "stages": _stages(result),
            "ghg": {str(k): float(v) for k, v in (result.get("ghg") or {}).items()},
            "declared": None if not declared else {
                "total": declared.get("declared_total"), "dluc_included": declared.get("dluc_included"),
                "kg_co2e": declared.get("kg_co2e"), "per_declared_unit": declared.get("per_declared_unit"),
                "rule": (declared.get("rule") or {}).get("source"),
            },
        },
        "performance_class": None if not pc else {
            "class": pc.get("class"), "value": pc.get("value"), "unit": pc.get("unit"),
            "thresholds": pc.get("thresholds") or [], "source": pc.get("source"),
            "clause": pc.get("clause"), "illustrative": bool(pc.get("illustrative")),
        },
        "pcr": {
            **{k: assessment["pcr"].get(k) for k in ("id", "version", "title", "source")},
            "conforms": bool(assessment["conforms"]),
            "observations": [f["rule"] for f in assessment.get("findings") or []
                             if f.get("severity") == "observation"],
        },
        "study": {"standard": study.get("standard"), "boundary": study.get("boundary")},
        "method": {"id": result["method"], "name": list(result.get("method_name") or [])},
        "background": {
            "name": result.get("background"),
            "version": prov.get("background_version"),
            "sha256": prov.get("background_sha256"),
            "databases": [{"database": d.get("database"), "sha256": d.get("sha256")}
                          for d in prov.get("databases") or []],
        },
        "model_sha256": result["model_sha256"],
        "result_sha256": result_sha256 or hashlib.sha256(canonical_bytes(result)).hexdigest(),
        "result_created_at": result.get("created_at"),
        "software": {"result": result.get("software_version"), "issue": pcf.__version__},
    }


def digest(declaration: dict) -> str:
    """SHA-256 (hex) of the canonical form of a declaration."""
    return hashlib.sha256(canonical_bytes(declaration)).hexdigest()


def sign(declaration: dict, key: SigningKey) -> dict:
    """The signed declaration document: Ed25519 over the canonical bytes of the declaration.

    Raises
    ------
    RegistryError
        When the declaration has a value JSON cannot hold (NaN, infinity).
    """
    data = canonical_bytes(declaration)
    return {
        "format": SIGNED_FORMAT,
        "declaration": declaration,
        "declaration_sha256": hashlib.sha256(data).hexdigest(),
        "signature": {"alg": "Ed25519", "key_id": key.key_id, "value": b64url(key.sign(data))},
    }


def document_text(document: dict) -> str:
    """The signed declaration as the text of its file (indented JSON, UTF-8, newline at the end)."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    out: dict = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def _exact_keys(obj: object, keys: set[str], where: str) -> dict:
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be an object")
    if set(obj) != keys:
        extra, missing = sorted(set(obj) - keys), sorted(keys - set(obj))
        raise ValueError(f"{where}: " + "; ".join(
            ([f"unknown keys {extra}"] if extra else []) + ([f"missing keys {missing}"] if missing else [])))
    return obj


DECLARATION_KEYS = {"format", "label_number", "issuer", "issued_at", "valid_from", "valid_until", "renews",
                    "verification_url", "product", "values", "performance_class", "pcr", "study", "method",
                    "background", "model_sha256", "result_sha256", "result_created_at", "software"}


def parse_document(data: bytes | str, where: str = "declaration") -> dict:
    """Parse and check the structure of a signed declaration (nothing cryptographic yet).

    Parameters
    ----------
    data : bytes or str
        The file's content.
    where : str
        Name for messages (the file path).

    Returns
    -------
    dict
        The document.

    Raises
    ------
    NotADeclaration
        Not UTF-8, not JSON, duplicate keys, NaN, or the structure of
        ``pcf-signed-declaration/1`` is not there (keys, types, label number, times,
        key id, base64url).
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        doc = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
        _exact_keys(doc, {"format", "declaration", "declaration_sha256", "signature"}, "document")
        if doc["format"] != SIGNED_FORMAT:
            raise ValueError(f"format is {doc['format']!r}, expected {SIGNED_FORMAT!r}")
        sig = _exact_keys(doc["signature"], {"alg", "key_id", "value"}, "signature")
        if sig["alg"] != "Ed25519":
            raise ValueError(f"signature algorithm {sig['alg']!r} is not Ed25519")
        raw = b64url_decode(sig["value"])
        if len(raw) != 64 or b64url(raw) != sig["value"]:
            raise ValueError("signature value is not the canonical base64url of 64 bytes")
        decl = _exact_keys(doc["declaration"], DECLARATION_KEYS, "declaration")
        if decl["format"] != DECLARATION_FORMAT:
            raise ValueError(f"declaration format is {decl['format']!r}, expected {DECLARATION_FORMAT!r}")
        parse_number(decl["label_number"])
        issuer = _exact_keys(decl["issuer"], {"name", "key_id", "public_key"}, "declaration.issuer")
        public = public_from_raw(issuer["public_key"])
        if b64url(raw_public(public)) != issuer["public_key"]:
            raise ValueError("issuer public key is not canonical base64url")
        if not (sig["key_id"] == issuer["key_id"]):
            raise ValueError("signature.key_id differs from declaration.issuer.key_id")
        for k in ("issued_at", "valid_from", "valid_until"):
            parse_time(decl[k])
        if parse_time(decl["valid_until"]) <= parse_time(decl["valid_from"]):
            raise ValueError("valid_until is not after valid_from")
        if not isinstance(doc["declaration_sha256"], str):
            raise ValueError("declaration_sha256 must be a string")
        _check_shape(decl)
    except NotADeclaration:
        raise
    except (UnicodeDecodeError, ValueError, TypeError, KeyError) as exc:
        raise NotADeclaration(f"{where}: not a valid signed declaration ({exc})") from None
    except Exception as exc:  # RegistryError from the key or number parsers
        raise NotADeclaration(f"{where}: not a valid signed declaration ({exc})") from None
    return doc


_SHAPE = {
    "product": {"id": str, "name": str, "reference_flow": dict, "declared_unit": (dict, type(None))},
    "values": {"headline": dict, "total_kg_co2e": (int, float), "per_declared_unit_kg_co2e": (int, float, type(None)),
               "stages": dict, "ghg": dict, "declared": (dict, type(None))},
    "pcr": {"id": str, "version": (str, type(None)), "title": (str, type(None)), "source": (str, type(None)),
            "conforms": bool, "observations": list},
    "study": {"standard": (str, type(None)), "boundary": (str, type(None))},
    "method": {"id": str, "name": list},
    "background": {"name": (str, type(None)), "version": (str, type(None)), "sha256": (str, type(None)),
                   "databases": list},
    "software": {"result": (str, type(None)), "issue": (str, type(None))},
}
_HEADLINE = {"value": (int, float), "unit": str, "text": str, "basis": str}


def _check_shape(decl: dict) -> None:
    """The nested fields every reader of a declaration relies on (exact keys and types)."""
    for name, fields in _SHAPE.items():
        part = _exact_keys(decl[name], set(fields), f"declaration.{name}")
        for key, kind in fields.items():
            if isinstance(part[key], bool) and kind is not bool:
                raise ValueError(f"declaration.{name}.{key} has the wrong type")
            if not isinstance(part[key], kind):
                raise ValueError(f"declaration.{name}.{key} has the wrong type")
    head = _exact_keys(decl["values"]["headline"], set(_HEADLINE), "declaration.values.headline")
    for key, kind in _HEADLINE.items():
        if isinstance(head[key], bool) or not isinstance(head[key], kind):
            raise ValueError(f"declaration.values.headline.{key} has the wrong type")
    pc = decl["performance_class"]
    if pc is not None:
        _exact_keys(pc, {"class", "value", "unit", "thresholds", "source", "clause", "illustrative"},
                    "declaration.performance_class")
        if not isinstance(pc["class"], (str, type(None))):
            raise ValueError("declaration.performance_class.class has the wrong type")
    for key in ("renews", "verification_url", "result_created_at"):
        if not isinstance(decl[key], (str, type(None))):
            raise ValueError(f"declaration.{key} must be text or null")
    for key in ("model_sha256", "result_sha256"):
        if not isinstance(decl[key], str):
            raise ValueError(f"declaration.{key} must be text")
    if not isinstance(decl["issuer"]["name"], str):
        raise ValueError("declaration.issuer.name must be text")


def hash_matches(document: dict) -> bool:
    """True when ``declaration_sha256`` is the digest of the declaration's canonical form."""
    return digest(document["declaration"]) == document["declaration_sha256"]


def signature_valid(document: dict, public_key=None) -> bool:
    """True when the signature verifies over the canonical declaration.

    Parameters
    ----------
    document : dict
        A parsed signed declaration.
    public_key : Ed25519PublicKey, optional
        The key to check with; default the one the declaration names (which proves only
        that the file is intact, not who made it).
    """
    key = public_key or public_from_raw(document["declaration"]["issuer"]["public_key"])
    return verify_signature(key, b64url_decode(document["signature"]["value"]),
                            canonical_bytes(document["declaration"]))


def label_result(declaration: dict) -> dict:
    """A ``pcf-result/1``-shaped dict of what the declaration states, for the label renderer.

    The issued label is drawn from the signed declaration, not from the result file, so it
    shows exactly what was signed.
    """
    values = declaration["values"]
    declared = values.get("declared")
    totals = {} if not declared else {"declared": declared["kg_co2e"],
                                      "per_declared_unit": {"declared": declared["per_declared_unit"]}}
    return {
        "totals": totals,
        "format": "pcf-result/1",
        "product": declaration["product"],
        "study": {**(declaration.get("study") or {}), "pcr": declaration["pcr"]["id"],
                  "method": declaration["method"]["id"], "background": declaration["background"]["name"]},
        "total_kg_co2e": values["total_kg_co2e"],
        "per_declared_unit_kg_co2e": values["per_declared_unit_kg_co2e"],
        "stages": values["stages"],
        "ghg": values["ghg"],
        "method": declaration["method"]["id"],
        "method_name": declaration["method"]["name"],
        "background": declaration["background"]["name"],
        "model_sha256": declaration["model_sha256"],
        "created_at": declaration["issued_at"],
        "assessment": {
            "pcr": {k: declaration["pcr"].get(k) for k in ("id", "version", "title", "source")},
            "conforms": declaration["pcr"]["conforms"],
            "findings": [],
            "stages": {},
            "performance_class": declaration["performance_class"],
        },
    }
